/**
 * Warning rules (预警), as pure rules: the rules a fund runs on every item it is asked to pay, the flags
 * they raise (severity, due time), which flags block the final approval, and when an uncleared flag is
 * overdue. Duplicate-beneficiary screening is one rule among them (`duplicate_beneficiary`): its lookup
 * (shared/domain/screening.ts, `matchingRefs`) yields the facts, this engine turns them into a flag with
 * the severity the fund set. Account verification answers add flags of the same shape
 * (shared/domain/account-verification.ts).
 *
 * The engine reads nothing: the data side gathers, per distinct account, the facts below by keyed
 * lookups (one account profile item under a secret key, see docs/warning-rules.md), so that the rules of
 * a 5,000-row batch cost a bounded number of reads per row, never a scan.
 */
import { createHmac } from 'node:crypto';
import type { FlagCode } from './check-codes.ts';
import { DomainError, validationFailed, type FieldError } from './errors.ts';

export const SEVERITIES = ['high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Days from a flag being raised to its `dueAt`. */
export const DUE_DAYS: Readonly<Record<Severity, number>> = { high: 3, medium: 7, low: 30 };

// The codes live where the console can read them too (no Node there).
export { FLAG_CODES, RULE_CODES, VERIFICATION_FLAG_CODES, type FlagCode, type RuleCode, type VerificationFlagCode } from './check-codes.ts';

/** The window of the account rules that look back a year (as screening does). */
export const LOOKBACK_DAYS = 365;
/** `repeat_payee` looks back at most this far: the account profile keeps settlements this long. */
export const MAX_REPEAT_DAYS = 365;
/** `repeat_payee` counts at most this many settlements: the account profile keeps this many, newest first. */
export const MAX_REPEAT_COUNT = 50;
export const MAX_AMOUNT = 10_000_000_000_000;

const DAY_MS = 86_400_000;

export type WarningRule =
  | { code: 'duplicate_beneficiary'; severity: Severity; params: Record<string, never> }
  | { code: 'large_amount'; severity: Severity; params: { minAmount: number } }
  | { code: 'repeat_payee'; severity: Severity; params: { count: number; days: number } }
  | { code: 'shared_account'; severity: Severity; params: Record<string, never> }
  | { code: 'blocked_account'; severity: Severity; params: Record<string, never> };

/** A fund starts with duplicate screening alone, as before 1.2. */
export const DEFAULT_RULES: readonly WarningRule[] = [{ code: 'duplicate_beneficiary', severity: 'high', params: {} }];

export interface Flag {
  code: FlagCode;
  severity: Severity;
  /** What the flag points at: the earlier items (`dsb_…`, `bat_…`), settled payouts, block-list entries. */
  matches: string[];
  dueAt: string;
  clearedBy: string | null;
  clearedAt: string | null;
  reason: string | null;
}

export function dueAt(severity: Severity, raisedAt: Date): string {
  return new Date(raisedAt.getTime() + DUE_DAYS[severity] * DAY_MS).toISOString();
}

export function raiseFlag(code: FlagCode, severity: Severity, matches: readonly string[], raisedAt: Date): Flag {
  return { code, severity, matches: [...matches], dueAt: dueAt(severity, raisedAt), clearedBy: null, clearedAt: null, reason: null };
}

/**
 * A fund's rules as `PUT …/warning-rules` sets them: each code at most once (two severities for one code
 * would make the flag ambiguous), params within what the lookups keep.
 */
export function validateRules(rules: readonly WarningRule[]): WarningRule[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  rules.forEach((rule, i) => {
    if (seen.has(rule.code)) errors.push({ path: `body.rules.${i}.code`, message: `${rule.code} appears more than once` });
    seen.add(rule.code);
    // Stryker disable next-line ConditionalExpression: equivalent; only repeat_payee has count and days (the test narrows the type)
    if (rule.code === 'repeat_payee') {
      if (rule.params.count >= MAX_REPEAT_COUNT)
        errors.push({ path: `body.rules.${i}.params.count`, message: `must be below ${MAX_REPEAT_COUNT}` });
      if (rule.params.days > MAX_REPEAT_DAYS)
        errors.push({ path: `body.rules.${i}.params.days`, message: `must be at most ${MAX_REPEAT_DAYS}` });
    }
  });
  if (errors.length > 0) throw validationFailed(errors, 'The warning rules are not valid');
  return rules.map((r) => ({ ...r, params: { ...r.params } }) as WarningRule);
}

/** Account names as the bank compares them, for `shared_account`: trimmed and case-folded. */
export function accountNameKey(accountName: string): string {
  return accountName.trim().toUpperCase().toLowerCase();
}

/** A name is personal data: it is kept for `shared_account` only as a keyed hash (HMAC-SHA256) of its key. */
export function accountNameHash(accountName: string, secretKey: string): string {
  return createHmac('sha256', secretKey)
    .update(`account-name:${accountNameKey(accountName)}`)
    .digest('hex');
}

/** What the data side knows about one account of one fund, from keyed lookups. */
export interface AccountFacts {
  /** Earlier live items of the fund paying the account (screening's `matchingRefs`), the item itself excluded. */
  duplicates: readonly string[];
  /** Settled payouts of the fund to the account, newest first (at most `MAX_REPEAT_COUNT` of them). */
  settlements: readonly { payoutId: string; settledAt: string }[];
  /** Earlier requests of the account in the fund within `LOOKBACK_DAYS`: their item and `accountNameHash`. */
  names: readonly { ref: string; nameKey: string; at: string }[];
  /** The fund's block-list entry for the account, if any. */
  blockedEntryId: string | null;
}

export const NO_FACTS: AccountFacts = { duplicates: [], settlements: [], names: [], blockedEntryId: null };

/** One item (a disbursement or a batch row) as the rules see it. */
export interface Screened {
  amount: number;
  /** The `accountNameHash` of the item's account name. */
  nameKey: string;
}

/** The matches of one rule for one item, or null when the rule does not hit. */
export function ruleMatches(rule: WarningRule, item: Screened, facts: AccountFacts, now: Date): string[] | null {
  switch (rule.code) {
    case 'duplicate_beneficiary':
      return facts.duplicates.length > 0 ? [...new Set(facts.duplicates)] : null;
    case 'large_amount':
      return item.amount >= rule.params.minAmount ? [] : null;
    case 'repeat_payee': {
      const since = new Date(now.getTime() - rule.params.days * DAY_MS).toISOString();
      const recent = facts.settlements.filter((s) => s.settledAt >= since && s.settledAt <= now.toISOString());
      return recent.length > rule.params.count ? recent.map((s) => s.payoutId) : null;
    }
    case 'shared_account': {
      const since = new Date(now.getTime() - LOOKBACK_DAYS * DAY_MS).toISOString();
      const others = facts.names.filter((n) => n.at >= since && n.nameKey !== item.nameKey).map((n) => n.ref);
      return others.length > 0 ? [...new Set(others)] : null;
    }
    case 'blocked_account':
      return facts.blockedEntryId !== null ? [facts.blockedEntryId] : null;
  }
}

/** The flags the fund's rules raise on one item at its creation, in the order of the rules. */
export function evaluateRules(rules: readonly WarningRule[], item: Screened, facts: AccountFacts, now: Date): Flag[] {
  const flags: Flag[] = [];
  for (const rule of rules) {
    const matches = ruleMatches(rule, item, facts, now);
    if (matches !== null) flags.push(raiseFlag(rule.code, rule.severity, matches, now));
  }
  return flags;
}

/** A flag on one row of a batch, as `GET /v1/disbursement-batches/{id}/flags` lists it. */
export interface BatchRowFlag {
  row: number;
  code: FlagCode;
  severity: Severity;
  matches: string[];
  dueAt: string;
}

/** One batch row as the rules see it: the account's key (secret-keyed hash) besides amount and name. */
export interface ScreenedRow extends Screened {
  accountKey: string;
}

/**
 * The rules on every row of a batch. Besides the facts of earlier items, rows of the same batch see each
 * other: a row whose account another row repeats is a duplicate (the batch is a match), and one whose
 * account another row names under another account name is shared (the batch is a match).
 */
export function evaluateBatchRows(
  batchId: string,
  rules: readonly WarningRule[],
  rows: readonly ScreenedRow[],
  factsOf: (accountKey: string) => AccountFacts,
  now: Date,
): BatchRowFlag[] {
  const rowsOf = new Map<string, number>();
  const namesOf = new Map<string, Set<string>>();
  for (const row of rows) {
    rowsOf.set(row.accountKey, (rowsOf.get(row.accountKey) ?? 0) + 1);
    const names = namesOf.get(row.accountKey) ?? new Set<string>();
    names.add(row.nameKey);
    namesOf.set(row.accountKey, names);
  }
  const at = now.toISOString();
  const out: BatchRowFlag[] = [];
  rows.forEach((row, index) => {
    const facts = factsOf(row.accountKey);
    const repeated = (rowsOf.get(row.accountKey) ?? 0) > 1;
    // The batch's own names for the account: the rule ignores the row's own, any other is a hit.
    const batchNames = [...namesOf.get(row.accountKey)!].map((nameKey) => ({ ref: batchId, nameKey, at }));
    const seen: AccountFacts = {
      ...facts,
      duplicates: repeated ? [...facts.duplicates, batchId] : facts.duplicates,
      names: [...facts.names, ...batchNames],
    };
    for (const flag of evaluateRules(rules, row, seen, now)) {
      out.push({ row: index, code: flag.code, severity: flag.severity, matches: flag.matches, dueAt: flag.dueAt });
    }
  });
  return out;
}

/** What a batch keeps of its row flags: how many, how many block, how many of each code, and whether a fund-admin cleared them. */
export interface BatchFlagSummary {
  count: number;
  blocking: number;
  byCode: Partial<Record<FlagCode, number>>;
  cleared: boolean;
}

export function summarizeRowFlags(flags: readonly Pick<BatchRowFlag, 'severity' | 'code'>[]): BatchFlagSummary {
  const byCode: Partial<Record<FlagCode, number>> = {};
  for (const f of flags) byCode[f.code] = (byCode[f.code] ?? 0) + 1;
  return { count: flags.length, blocking: flags.filter((f) => f.severity === 'high').length, byCode, cleared: false };
}

/**
 * A batch's row flags counted by code, from what its head keeps. A head stored before it kept counts by code
 * (`byCode` absent, or short of `count` when flags were added to such a head later) had duplicate screening's flags
 * alone: the rest counts as `duplicate_beneficiary`.
 */
export function rowFlagCountsByCode(flags: { count: number; byCode?: Partial<Record<string, number>> }): { code: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const [code, n] of Object.entries(flags.byCode ?? {})) if (n) counts.set(code, n);
  const rest = flags.count - [...counts.values()].reduce((t, n) => t + n, 0);
  if (rest > 0) counts.set('duplicate_beneficiary', (counts.get('duplicate_beneficiary') ?? 0) + rest);
  return [...counts].map(([code, count]) => ({ code, count })).sort((a, b) => (a.code < b.code ? -1 : 1));
}

/** An uncleared `high` flag blocks the approval that would complete the set; `medium` and `low` are shown only. */
export const blocks = (flag: Pick<Flag, 'severity' | 'clearedAt'>): boolean => flag.severity === 'high' && flag.clearedAt === null;

export const hasBlockingFlag = (flags: readonly Pick<Flag, 'severity' | 'clearedAt'>[]): boolean => flags.some(blocks);

/** The final approval's gate: a pending verification first (nothing to clear yet), then blocking flags. */
export function assertFinalApprovalAllowed(flags: readonly Pick<Flag, 'severity' | 'clearedAt'>[], verificationPending: boolean): void {
  if (verificationPending) {
    throw new DomainError('account_unverified', 'The account verification this request needs is still pending');
  }
  if (hasBlockingFlag(flags)) {
    throw new DomainError('flagged', 'The request has a high flag that a fund-admin must clear before the final approval');
  }
}

/** Clearing clears every uncleared flag with who, when and why; earlier clearances stay as they were. */
export function clearFlags<F extends Flag>(flags: readonly F[], by: string, at: string, reason: string): F[] {
  return flags.map((f) => (f.clearedAt === null ? { ...f, clearedBy: by, clearedAt: at, reason } : f));
}

/** A stored flag with the mark that its `flag.overdue` event was raised (never shown in a response). */
export interface TrackedFlag extends Flag {
  overdueRaisedAt?: string;
}

/**
 * Whether a sweep at `now` raises `flag.overdue` for this flag: uncleared at its due time, on an item still
 * pending approval, not raised before. The data side sets `overdueRaisedAt` in the same transaction as the
 * event, conditional on it being absent, so that two sweepers raise it once.
 */
export function isNewlyOverdue(flag: TrackedFlag, itemStatus: string, now: Date): boolean {
  return (
    flag.clearedAt === null && itemStatus === 'pending_approval' && flag.overdueRaisedAt === undefined && flag.dueAt <= now.toISOString()
  );
}

export function markOverdue<F extends TrackedFlag>(flags: readonly F[], itemStatus: string, now: Date): { flags: F[]; raised: number[] } {
  const raised: number[] = [];
  const next = flags.map((f, i) => {
    if (!isNewlyOverdue(f, itemStatus, now)) return f;
    raised.push(i);
    return { ...f, overdueRaisedAt: now.toISOString() };
  });
  return { flags: next, raised };
}

/** A flag as responses show it: the overdue mark is bookkeeping. */
export function publicFlag(flag: TrackedFlag): Flag {
  const { code, severity, matches, dueAt: due, clearedBy, clearedAt, reason } = flag;
  return { code, severity, matches, dueAt: due, clearedBy, clearedAt, reason };
}

/** A block-list entry: the account only under the secret key (screening's `accountHash`), its last four digits to show. */
export interface BlockedAccount {
  entryId: string;
  fundId: string;
  accountHash: string;
  /** `****1234`: what a reader sees of the account. */
  accountNumberMasked: string;
  reason: string;
  addedBy: string;
  addedAt: string;
}

/** Four eyes on the block list: whoever added an entry may not remove it. */
export function decideUnblock(entry: Pick<BlockedAccount, 'addedBy'>, caller: string): void {
  if (caller === entry.addedBy) throw new DomainError('self_approval', 'You cannot remove a block-list entry you added');
}
