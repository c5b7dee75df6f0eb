/**
 * Funds and their county allocations: the ledger every money movement goes through.
 *
 * Items: fund `FUND#<id> / FUND` (listing: `gsi1pk = FUNDS`, `gsi1sk = <fundId>`), allocation
 * `ALLOCS#<id>#<n> / ALLOC#<countyCode>`, n = shardOf(countyCode, ALLOCATION_SHARDS) (by county: `gsi1pk =
 * COUNTY#<code>#ALLOC`, `gsi1sk = <fundId>`). Allocations stored before the shards are at `FUND#<id> /
 * ALLOC#<countyCode>` until their next write moves them (ledger/items.ts `readPosition`); every reader reads both.
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
import { ALLOCATION_PREFIX, allocationPartitions, keys } from '../platform/keys.ts';
import { decodeCursor, encodeCursor, invalidCursor } from '../platform/cursor.ts';
import { readAllocationItem, toPosition } from '../ledger/items.ts';
import { queryAll, queryPage, queryPages, requireItem, type Page, type Projection } from '../platform/query.ts';
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
  return (await allocationItems(fundId, { consistent: true })).map(toAllocation);
}

/**
 * A fund's allocation items as stored, by county code: every one, or with `page` the first `limit` after a county's
 * sort key. The fund's own partition (allocations stored before the shards) is read first, then its
 * ALLOCATION_SHARDS shards at once: an allocation moved to its shard between the two is read twice and its shard's
 * copy kept, one moved before is read in its shard, so none is missed (read consistently; an eventually consistent
 * read, the public view's, may miss one moved in the last moment) and none listed twice.
 */
export async function allocationItems(
  fundId: string,
  options: { consistent: boolean; projection?: Projection; page?: { after?: string; limit: number } },
): Promise<Record<string, unknown>[]> {
  const [before, ...shards] = allocationPartitions(fundId);
  const byCounty = new Map<string, Record<string, unknown>>();
  for (const item of await allocationsIn(before!, options)) byCounty.set(item.sk as string, item);
  for (const items of await Promise.all(shards.map((partition) => allocationsIn(partition, options)))) {
    for (const item of items) byCounty.set(item.sk as string, item);
  }
  const sorted = [...byCounty.values()].sort((a, b) => ((a.sk as string) < (b.sk as string) ? -1 : 1));
  return options.page ? sorted.slice(0, options.page.limit) : sorted;
}

/** One partition's allocation items: all, or up to `limit` after `after` (a sort key). */
async function allocationsIn(
  partition: string,
  options: { consistent: boolean; projection?: Projection; page?: { after?: string; limit: number } },
): Promise<Record<string, unknown>[]> {
  const { page, projection } = options;
  const input = {
    ...(page?.after
      ? {
          // County codes are digits: `~` sorts after every one of them.
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :after AND :last',
          ExpressionAttributeValues: { ':pk': partition, ':after': page.after, ':last': `${ALLOCATION_PREFIX}~` },
        }
      : {
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': partition, ':prefix': ALLOCATION_PREFIX },
        }),
    ConsistentRead: options.consistent,
    ...(projection ? { ProjectionExpression: `sk, ${projection.expression}`, ExpressionAttributeNames: projection.names } : {}),
  };
  if (!page) return queryAll(input);
  const found: Record<string, unknown>[] = [];
  for await (const items of queryPages({ ...input, Limit: page.limit + 1 })) {
    found.push(...items.filter((i) => i.sk !== page.after));
    if (found.length >= page.limit) break;
  }
  return found;
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
  const item = await readAllocationItem(fundId, countyCode);
  return item ? toAllocation(item) : undefined;
}

/**
 * A page of a fund's allocations by county code. The cursor is the last allocation's key in the fund's partition,
 * as the listing's cursors were before the shards (so one issued then goes on where it stopped): every partition
 * goes on after its sort key.
 */
export async function listAllocations(fundId: string, page: { limit: number; cursor?: string }): Promise<Page<Allocation>> {
  await fundItem(fundId);
  const scope = `allocations|${fundId}`;
  const last = await decodeCursor(page.cursor, scope);
  if (last !== undefined && (typeof last.sk !== 'string' || !last.sk.startsWith(ALLOCATION_PREFIX))) throw invalidCursor();
  const items = await allocationItems(fundId, { consistent: true, page: { after: last?.sk as string | undefined, limit: page.limit + 1 } });
  const shown = items.slice(0, page.limit);
  const more = items.length > page.limit;
  return {
    items: shown.map(toAllocation),
    nextCursor: more ? await encodeCursor({ pk: keys.fund(fundId).pk, sk: shown.at(-1)!.sk }, scope) : null,
  };
}

/**
 * Every allocation item of a county across funds, as stored (county report: balances and the disbursement figures
 * they carry): one a fund, the moved one while the index has both.
 */
export async function allocationItemsOfCounty(countyCode: string): Promise<Record<string, unknown>[]> {
  const items = await queryAll({
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': countyAllocations(countyCode) },
  });
  const byFund = new Map<string, Record<string, unknown>>();
  const atKey = (item: Record<string, unknown>) => item.pk === keys.allocation(item.fundId as string, countyCode).pk;
  for (const item of items) {
    const other = byFund.get(item.fundId as string);
    if (!other || (atKey(item) && !atKey(other))) byFund.set(item.fundId as string, item);
  }
  return [...byFund.values()];
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
