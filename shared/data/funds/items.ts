/**
 * Funds and their county allocations: the ledger every money movement goes through.
 *
 * Items: fund `FUND#<id> / FUND` (listing: `gsi1pk = FUNDS`, `gsi1sk = <fundId>`), allocation
 * `FUND#<id> / ALLOC#<countyCode>` (by county: `gsi1pk = COUNTY#<code>#ALLOC`, `gsi1sk = <fundId>`).
 * The fund keeps `allocated` and `unallocated` (so Σ allocated ≤ totalBudget is one condition);
 * reserved and paid are summed from its allocations.
 */
import type { Actor } from '../../domain/roles.ts';
import { DomainError, notFound } from '../../domain/errors.ts';
import { sumLines, type LedgerLine } from '../../domain/ledger.ts';
import { defaultPeriod, type FundPeriod } from '../../domain/fund-period.ts';
import type { AccountVerificationSetting } from '../../domain/account-verification.ts';
import { newId } from '../../ids.ts';
import { config } from '../../config.ts';
import { actorAuditStep } from '../platform/audit.ts';
import { claimSteps, createdEarlier, type IdempotencyClaim } from '../platform/idempotency-claims.ts';
import { keys } from '../platform/keys.ts';
import { toPosition } from '../ledger/items.ts';
import { getItem, queryAll, queryPage, requireItem, type Page } from '../platform/query.ts';
import { transact, type TxStep } from '../platform/transactions.ts';

/** The listing partition of every fund (gsi1). */
export const ALL_FUNDS = 'FUNDS';
/** gsi1pk of a county's allocations across funds. */
const countyAllocations = (countyCode: string) => `COUNTY#${countyCode}#ALLOC`;

export interface Fund {
  fundId: string;
  name: string;
  currency: 'CNY';
  totalBudget: number;
  allocated: number;
  reserved: number;
  paid: number;
  unallocated: number;
  financeSystem: string;
  dualApprovalThreshold: number;
  noticePeriod: string;
  period: FundPeriod;
  accountVerification: AccountVerificationSetting;
  createdAt: string;
}

export interface Allocation extends LedgerLine {
  fundId: string;
  countyCode: string;
}

type FundItem = Omit<Fund, 'reserved' | 'paid'>;

export function toAllocation(item: Record<string, unknown>): Allocation {
  const { seq: _seq, ledgerAt: _at, ...allocation } = toPosition(item);
  return allocation;
}

function toFundItem(item: Record<string, unknown>): FundItem {
  return {
    fundId: item.fundId as string,
    name: item.name as string,
    currency: 'CNY',
    totalBudget: item.totalBudget as number,
    allocated: item.allocated as number,
    unallocated: item.unallocated as number,
    // Funds created before 1.1 name no paying system: nobody may settle them until one is set.
    financeSystem: (item.financeSystem as string | undefined) ?? '',
    dualApprovalThreshold: item.dualApprovalThreshold as number,
    noticePeriod: (item.noticePeriod as string | undefined) ?? 'P0D',
    // Funds created before 1.2 have no period: theirs is the default, the calendar year of creation.
    period: (item.period as FundPeriod | undefined) ?? defaultPeriod(new Date(item.createdAt as string)),
    // Funds created before 1.2 do not verify accounts.
    accountVerification: (item.accountVerification as AccountVerificationSetting | undefined) ?? 'off',
    createdAt: item.createdAt as string,
  };
}

export type { Actor } from '../../domain/roles.ts';

export async function createFund(
  input: {
    name: string;
    totalBudget: number;
    financeSystem: string;
    dualApprovalThreshold: number;
    noticePeriod: string;
    period?: FundPeriod;
    accountVerification?: AccountVerificationSetting;
  },
  actor: Actor,
  now: Date,
  claim?: IdempotencyClaim,
): Promise<Fund> {
  const earlier = await createdEarlier(claim, now, getFund);
  if (earlier) return earlier;
  const fundId = newId('fund', now.getTime());
  const at = now.toISOString();
  const item: FundItem & Record<string, unknown> = {
    ...keys.fund(fundId),
    type: 'fund',
    fundId,
    name: input.name,
    currency: 'CNY',
    totalBudget: input.totalBudget,
    allocated: 0,
    unallocated: input.totalBudget,
    financeSystem: input.financeSystem,
    dualApprovalThreshold: input.dualApprovalThreshold,
    noticePeriod: input.noticePeriod,
    period: input.period ?? defaultPeriod(now),
    accountVerification: input.accountVerification ?? 'off',
    createdAt: at,
    createdBy: actor.sub,
    gsi1pk: ALL_FUNDS,
    gsi1sk: fundId,
  };
  await transact([
    ...claimSteps(claim, fundId, now),
    { item: { Put: { TableName: config().TABLE_NAME, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } } },
    actorAuditStep(keys.fund(fundId).pk, actor, 'fund.created', now, {
      details: { totalBudget: input.totalBudget, financeSystem: input.financeSystem, accountVerification: item.accountVerification },
    }),
  ]);
  return { ...toFundItem(item), reserved: 0, paid: 0 };
}

export async function fundItem(fundId: string): Promise<FundItem> {
  return toFundItem(await requireItem(keys.fund(fundId), `Fund ${fundId}`));
}

/** Every allocation of a fund, read consistently (a fund has at most a few thousand counties). */
export async function allAllocations(fundId: string): Promise<Allocation[]> {
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': keys.fund(fundId).pk, ':prefix': 'ALLOC#' },
    ConsistentRead: true,
  });
  return items.map(toAllocation);
}

async function withTotals(fund: FundItem): Promise<Fund> {
  const totals = sumLines(await allAllocations(fund.fundId));
  return { ...fund, reserved: totals.reserved, paid: totals.paid };
}

export async function getFund(fundId: string): Promise<Fund> {
  return withTotals(await fundItem(fundId));
}

/** The fund's settings without summing its allocations (for approval rules). */
/** What a fund was created with: no route changes it afterwards (only its allocations move). */
export type FundSettings = Omit<FundItem, 'allocated' | 'unallocated'>;

/** Funds whose settings this execution environment has read (each approval and create needs them). */
const settingsCache = new Map<string, FundSettings>();
const SETTINGS_CACHE_SIZE = 1_000;

/** The fund's settings, read once per execution environment: they never change once the fund exists. */
export async function getFundSettings(fundId: string): Promise<FundSettings> {
  const cached = settingsCache.get(fundId);
  if (cached) return cached;
  const { allocated: _a, unallocated: _u, ...settings } = await fundItem(fundId);
  // A fund from before 1.1 names no paying system yet and may still be given one: only a complete one is kept.
  if (settings.financeSystem !== '') {
    if (settingsCache.size >= SETTINGS_CACHE_SIZE) settingsCache.delete(settingsCache.keys().next().value!);
    settingsCache.set(fundId, settings);
  }
  return settings;
}

export async function listFunds(page: { limit: number; cursor?: string }): Promise<Page<Fund>> {
  const result = await queryPage({
    index: 'gsi1',
    keyCondition: 'gsi1pk = :list',
    values: { ':list': ALL_FUNDS },
    newestFirst: true,
    limit: page.limit,
    cursor: page.cursor,
    scope: 'funds',
  });
  return {
    items: await Promise.all(result.items.map((i) => withTotals(toFundItem(i)))),
    nextCursor: result.nextCursor,
  };
}

export async function findAllocation(fundId: string, countyCode: string): Promise<Allocation | undefined> {
  const Item = await getItem(keys.allocation(fundId, countyCode));
  return Item ? toAllocation(Item) : undefined;
}

export async function listAllocations(fundId: string, page: { limit: number; cursor?: string }): Promise<Page<Allocation>> {
  await fundItem(fundId);
  const result = await queryPage({
    keyCondition: 'pk = :pk AND begins_with(sk, :prefix)',
    values: { ':pk': keys.fund(fundId).pk, ':prefix': 'ALLOC#' },
    limit: page.limit,
    cursor: page.cursor,
    scope: `allocations|${fundId}`,
    consistentRead: true,
  });
  return { items: result.items.map(toAllocation), nextCursor: result.nextCursor };
}

/** Every allocation of a county across funds (county report). */
export async function allocationsOfCounty(countyCode: string): Promise<Allocation[]> {
  const items = await queryAll({
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': countyAllocations(countyCode) },
  });
  return items.map(toAllocation);
}

/** A new allocation item's attributes besides its balances: what it is and its listing under the county. */
export function allocationAttributes(fundId: string, countyCode: string, now: Date): Record<string, unknown> {
  return { type: 'allocation', fundId, countyCode, createdAt: now.toISOString(), gsi1pk: countyAllocations(countyCode), gsi1sk: fundId };
}

/** The fund's side of an allocation's change: its unallocated budget covers the increase. */
export function fundBudgetStep(fundId: string, delta: number): TxStep {
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: keys.fund(fundId),
        UpdateExpression: 'SET allocated = allocated + :delta, unallocated = unallocated - :delta',
        ConditionExpression: 'attribute_exists(pk) AND unallocated >= :delta',
        ExpressionAttributeValues: { ':delta': delta },
      },
    },
    onConditionFailed: (old) =>
      old
        ? new DomainError(
            'insufficient_fund_budget',
            `The fund has ${old.unallocated as number} fen unallocated; this change needs ${delta}`,
          )
        : notFound(`Fund ${fundId}`),
  };
}
