/**
 * Warning rules (预警), the data side: a fund's rules, its block list, the per-account facts the rules read at
 * creation, the settled-payout record `repeat_payee` counts, and the due-time index of `flag.overdue`.
 *
 * Items:
 * - `FUND#<fundId> / WARNING_RULES` → `{ rules }`; absent: the default set (`duplicate_beneficiary` high alone).
 * - `BENEF#<fundId>#<account hmac> / BLOCKED`: the account's block-list entry `{ entryId, accountNumberMasked,
 *   reason, addedBy, addedAt }`, listed per fund by `gsi1pk = BLOCKLIST#<fundId>`, `gsi1sk = <entryId>`. The
 *   account number is kept only under the screening's secret key (the pk) and as its last four digits.
 * - `BENEF#<fundId>#<account hmac> / PAID` → `{ settlements: [{ payoutId, settledAt }] (newest first, at most
 *   MAX_REPEAT_COUNT), version }`. Written in the settlement's transaction (`paidRecordStep`). Settlements stored
 *   before marked the payout instead (`gsi4pk = PAIDROLLUP`, keys-only outbox index, and `paidAccount`) for a
 *   roll-up after the commit; the outbox sweeper still copies any such marked payout here (`rollUpSettlement`,
 *   idempotent: payoutId already there).
 * - `FLAGDUE#<ref> / DUE#<code>`: one flag of a disbursement (or the flags of one code on a batch's rows) waiting
 *   for its due time, in `gsi4pk = FLAGSDUE`, `gsi4sk = <dueAt>#<ref>#<code>`. The sweep raises `flag.overdue`
 *   and takes the entry out of the index in one transaction conditional on it still being there: once,
 *   however many sweepers run.
 *
 * At creation the rules read, per distinct account and by BatchGetItem: LATEST (screening), and only when the
 * fund's rules need them BLOCKED and PAID: at most 3 items of under 4 KB, 3 read units per account; the
 * screening Query of recently used accounts besides. `shared_account` reads the names kept on the screening's
 * use items, `large_amount` reads nothing.
 */
import {
  DEFAULT_RULES,
  MAX_REPEAT_COUNT,
  NO_FACTS,
  accountNameHash,
  type AccountFacts,
  type Flag,
  type Severity,
  type WarningRule,
} from '../../domain/warning-rules.ts';
import { config } from '../../config.ts';
import { appSecrets } from '../../secrets.ts';
import { keys } from '../platform/keys.ts';
import { getItem, readByKeys, type ReadOptions } from '../platform/query.ts';
import { putAll } from '../platform/bulk.ts';
import { documents } from '../platform/clients.ts';
import { TransactionConflict, retryOnConflict, transact, type TxStep } from '../platform/transactions.ts';
import { screenAccounts } from '../screening/items.ts';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';

/** Listing partition (gsi1) of a fund's block list. */
export const blockListIndex = (fundId: string) => `BLOCKLIST#${fundId}`;
/** Keys-only outbox index (gsi4) partitions: flags waiting for their due time, settled payouts not yet rolled up. */
export const FLAGS_DUE_INDEX = 'FLAGSDUE';
export const PAID_ROLLUP_INDEX = 'PAIDROLLUP';

// ---- rules -----------------------------------------------------------------------------------

/**
 * The fund's rules. A creation reads them eventually consistent (`consistent: false`): rules changed a moment ago may
 * not apply to it yet, as if it had come a moment earlier (a change never re-runs on existing items anyway).
 */
export async function readRules(fundId: string, options?: ReadOptions): Promise<WarningRule[]> {
  const item = await getItem(keys.warningRules(fundId), options);
  const rules = (item?.rules as WarningRule[] | undefined) ?? DEFAULT_RULES;
  return rules.map((r) => ({ ...r, params: { ...r.params } }) as WarningRule);
}

export function rulesPutStep(fundId: string, rules: readonly WarningRule[], by: string, now: Date): TxStep {
  return {
    item: {
      Put: {
        TableName: config().TABLE_NAME,
        Item: { ...keys.warningRules(fundId), type: 'warning-rules', fundId, rules, updatedBy: by, updatedAt: now.toISOString() },
      },
    },
  };
}

/** The fund must exist when its rules or block list change (a ConditionCheck in the same transaction). */
export function fundExistsStep(fundId: string): TxStep {
  return {
    item: { ConditionCheck: { TableName: config().TABLE_NAME, Key: keys.fund(fundId), ConditionExpression: 'attribute_exists(pk)' } },
  };
}

// ---- facts -----------------------------------------------------------------------------------

/** Keyed hashes (the screening's secret key) of account names, for `shared_account`. */
export async function accountNameKeys(accountNames: readonly string[]): Promise<string[]> {
  const { screeningKey } = await appSecrets();
  return accountNames.map((n) => accountNameHash(n, screeningKey));
}

export interface RuleReads {
  facts: Map<string, AccountFacts>;
  /** The screening's `lastAt` per account, for a disbursement's conditional index write. */
  lastAt: Map<string, string | null>;
}

const accountOf = (pk: string) => pk.slice(pk.lastIndexOf('#') + 1);

/**
 * What the rules need to know of each account (distinct hashes), `self` excluded: the screening's matches and
 * names, and, only for the rules the fund runs, the block-list entry and the settled payouts.
 */
export async function readFacts(
  fundId: string,
  hashes: readonly string[],
  rules: readonly WarningRule[],
  now: Date,
  self: string,
): Promise<RuleReads> {
  const distinct = [...new Set(hashes)];
  const runs = (code: WarningRule['code']) => rules.some((r) => r.code === code);
  const [screening, extra] = await Promise.all([
    screenAccounts(fundId, distinct, now, self),
    readByKeys(
      [
        ...(runs('blocked_account') ? distinct.map((h) => keys.beneficiaryBlocked(fundId, h)) : []),
        ...(runs('repeat_payee') ? distinct.map((h) => keys.beneficiaryPaid(fundId, h)) : []),
      ],
      { expression: 'pk, sk, entryId, settlements' },
    ),
  ]);
  const blocked = new Map<string, string>();
  const paid = new Map<string, { payoutId: string; settledAt: string }[]>();
  for (const item of extra) {
    const hash = accountOf(item.pk as string);
    if (typeof item.entryId === 'string') blocked.set(hash, item.entryId);
    else paid.set(hash, (item.settlements as { payoutId: string; settledAt: string }[] | undefined) ?? []);
  }
  const facts = new Map<string, AccountFacts>();
  for (const hash of distinct) {
    facts.set(hash, {
      ...NO_FACTS,
      duplicates: screening.matches.get(hash) ?? [],
      names: screening.names.get(hash) ?? [],
      settlements: paid.get(hash) ?? [],
      blockedEntryId: blocked.get(hash) ?? null,
    });
  }
  return { facts, lastAt: screening.lastAt };
}

// ---- the block list --------------------------------------------------------------------------

export interface StoredBlockedAccount {
  entryId: string;
  fundId: string;
  accountNumberMasked: string;
  reason: string;
  addedBy: string;
  addedAt: string;
}

export function blockedAccountItem(hash: string, entry: StoredBlockedAccount): Record<string, unknown> {
  return {
    ...keys.beneficiaryBlocked(entry.fundId, hash),
    type: 'blocked-account',
    ...entry,
    gsi1pk: blockListIndex(entry.fundId),
    gsi1sk: entry.entryId,
  };
}

export function toBlockedAccount(item: Record<string, unknown>): StoredBlockedAccount & { pk: string; sk: string } {
  return {
    pk: item.pk as string,
    sk: item.sk as string,
    entryId: item.entryId as string,
    fundId: item.fundId as string,
    accountNumberMasked: item.accountNumberMasked as string,
    reason: item.reason as string,
    addedBy: item.addedBy as string,
    addedAt: item.addedAt as string,
  };
}

/** The accounts (hashes) of a fund already on its block list. */
export async function blockedAmong(fundId: string, hashes: readonly string[]): Promise<Set<string>> {
  const found = await readByKeys(
    hashes.map((h) => keys.beneficiaryBlocked(fundId, h)),
    { expression: 'pk' },
  );
  return new Set(found.map((i) => accountOf(i.pk as string)));
}

export const putBlockedAccounts = (items: readonly Record<string, unknown>[]) => putAll(items);

// ---- settled payouts (repeat_payee) -----------------------------------------------------------

/**
 * The account's PAID record with one more settled payout, for the settlement's own transaction (a Put on
 * condition of the version read, so two settlements of one account at once both count: the loser reads again).
 * Undefined when there is nothing to write: the payout is recorded already, or the record is full of newer ones.
 * Read eventually consistent on a settlement's first attempt: a stale copy's Put is refused by the same condition,
 * and a copy that has nothing to write says what the record says now (it only ever gains newer settlements).
 */
export async function paidRecordStep(
  fundId: string,
  accountHash: string,
  payoutId: string,
  settledAt: string,
  options?: ReadOptions,
): Promise<TxStep | undefined> {
  const key = keys.beneficiaryPaid(fundId, accountHash);
  const entry = { payoutId, settledAt };
  const current = await getItem(key, options);
  const settlements = (current?.settlements as { payoutId: string; settledAt: string }[] | undefined) ?? [];
  if (settlements.some((s) => s.payoutId === payoutId)) return undefined;
  const oldest = settlements.at(-1);
  // A full record that is all newer than this payout has no room for it.
  if (settlements.length >= MAX_REPEAT_COUNT && oldest && oldest.settledAt > entry.settledAt) return undefined;
  const next = [...settlements, entry].sort((a, b) => b.settledAt.localeCompare(a.settledAt)).slice(0, MAX_REPEAT_COUNT);
  const version = (current?.version as number | undefined) ?? 0;
  return {
    item: {
      Put: {
        TableName: config().TABLE_NAME,
        Item: { ...key, type: 'beneficiary-paid', settlements: next, version: version + 1 },
        ConditionExpression: current ? 'version = :version' : 'attribute_not_exists(pk)',
        ...(current ? { ExpressionAttributeValues: { ':version': version } } : {}),
      },
    },
    onConditionFailed: () => new TransactionConflict(),
  };
}

/**
 * A settlement stored before its record was written in its transaction: its payout carries a marker
 * (`gsi4pk = PAIDROLLUP`, `paidAccount` the account's keyed hash) until this copies it into the account's PAID
 * item, and takes the marker off. Idempotent: a payout already recorded is not recorded again.
 */
export async function rollUpSettlement(payoutId: string): Promise<void> {
  const payout = await getItem(keys.payout(payoutId));
  if (!payout) return;
  const { fundId, settledAt, paidAccount } = payout;
  if (payout.status === 'settled' && typeof settledAt === 'string' && typeof paidAccount === 'string') {
    await retryOnConflict(async () => {
      const step = await paidRecordStep(fundId as string, paidAccount, payoutId, settledAt);
      if (step) await transact([step]);
    });
  }
  await documents.send(
    new UpdateCommand({
      TableName: config().TABLE_NAME,
      Key: keys.payout(payoutId),
      UpdateExpression: 'REMOVE gsi4pk, gsi4sk, paidAccount',
      ConditionExpression: 'attribute_exists(pk)',
    }),
  );
}

// ---- flags waiting for their due time ------------------------------------------------------------

export interface FlagDue {
  ref: string;
  code: Flag['code'];
  severity: Severity;
  dueAt: string;
  fundId: string;
  /** For a batch: how many rows carry the flag. */
  rows?: number;
}

export function flagDueItem(due: FlagDue): Record<string, unknown> {
  return {
    ...keys.flagDue(due.ref, due.code),
    type: 'flag-due',
    ...due,
    gsi4pk: FLAGS_DUE_INDEX,
    gsi4sk: `${due.dueAt}#${due.ref}#${due.code}`,
  };
}

export function flagDueSteps(dues: readonly FlagDue[]): TxStep[] {
  return dues.map((due) => ({ item: { Put: { TableName: config().TABLE_NAME, Item: flagDueItem(due) } } }));
}

export const putFlagDues = (dues: readonly FlagDue[]) => putAll(dues.map(flagDueItem));

/** `<dueAt>#<ref>#<code>` back into its parts. */
export function parseFlagDueSortKey(sortKey: string): { dueAt: string; ref: string; code: string } {
  const [dueAt, ref, code] = sortKey.split('#');
  return { dueAt: dueAt!, ref: ref!, code: code! };
}

export async function readFlagDue(ref: string, code: string): Promise<FlagDue | undefined> {
  const item = await getItem(keys.flagDue(ref, code));
  if (!item || item.gsi4pk === undefined) return undefined;
  return {
    ref,
    code: item.code as Flag['code'],
    severity: item.severity as Severity,
    dueAt: item.dueAt as string,
    fundId: item.fundId as string,
    ...(item.rows !== undefined ? { rows: item.rows as number } : {}),
  };
}

/** Someone else raised (or dropped) the entry meanwhile. */
export class FlagDueTaken extends Error {
  constructor() {
    super('flag due entry already taken');
    this.name = 'FlagDueTaken';
  }
}

/** Takes the entry out of the due index, noting whether its event was raised; only if it is still there. */
export function flagDueTakeStep(ref: string, code: string, raised: boolean, now: Date): TxStep {
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: keys.flagDue(ref, code),
        UpdateExpression: raised ? 'SET raisedAt = :at REMOVE gsi4pk, gsi4sk' : 'SET droppedAt = :at REMOVE gsi4pk, gsi4sk',
        ConditionExpression: 'attribute_exists(gsi4pk)',
        ExpressionAttributeValues: { ':at': now.toISOString() },
      },
    },
    onConditionFailed: () => new FlagDueTaken(),
  };
}
