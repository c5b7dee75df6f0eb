/**
 * Disbursements: maker-checker requests to pay money out of a county allocation.
 *
 * Item `DSB#<id> / DSB` with a `version` that every change bumps and checks (optimistic concurrency).
 * Listings, newest first (ids are ULIDs):
 * - `gsi1pk = DSBS#<n>` — every disbursement; `fundId` alone is a filter on it (a deployment runs a handful
 *   of funds, so a fund filter keeps a large share of what it reads anyway);
 * - `gsi2pk = DSB#STATUS#<status>#<n>` — the approval queue and other status views, moved on each transition;
 * - `gsi3pk = DSB#COUNTY#<code>` — a county's disbursements (counties are many: the selective key).
 * n = shardOf(disbursementId, DISBURSEMENT_LIST_SHARDS): the first two are written by every disbursement of the
 * deployment, and one index partition takes about 1,000 writes a second (docs/scale.md), so each is spread over
 * shards as the payouts' listings are and read together (queryShardedPage). Items stored before the shards are in
 * `DSBS` and `DSB#STATUS#<status>`: the listings read those partitions too, and a transition moves an item's status
 * entry into its shard.
 * Filters combine: the most selective key condition (county, then status) plus the rest as a filter.
 *
 * The approval that completes the set is ONE TransactWriteItems: disbursement (version + status),
 * reservation on the allocation (available ≥ amount), the payout (attribute_not_exists), the station
 * still active (for a station beneficiary), the audit entry, the `disbursement.approved` and
 * `payout.requested` events and the county report's move. Cancellation reasons decide the answer.
 */
import {
  maskDisbursement,
  requesterOf,
  settlementStatus,
  statsMove,
  type Approval,
  type Disbursement,
  type DisbursementStatus,
  type HistoryEntry,
  type Purpose,
} from '../../domain/disbursements.ts';
import { queuedPayout, type Beneficiary, type Settlement } from '../../domain/payouts.ts';
import { visibleTo, type MoneyReader } from '../../domain/roles.ts';
import { newId, shardOf } from '../../ids.ts';
import { dueAt, publicFlag, type Flag } from '../../domain/warning-rules.ts';
import { config } from '../../config.ts';
import { auditStep } from '../platform/audit.ts';
import { eventStep } from '../platform/events.ts';
import type { Subscribed } from '../webhook-endpoints/subscriptions.ts';
import { type Actor } from '../funds/items.ts';
import { keys } from '../platform/keys.ts';
import { requireItem, type ReadOptions } from '../platform/query.ts';
import { versionedChangeStep, type TxStep } from '../platform/transactions.ts';
import { storedFields } from '../platform/fields.ts';

export interface StoredDisbursement extends Disbursement {
  version: number;
  /** The fund's paying finance system, copied at creation (a fund's `financeSystem` never changes). */
  payer: string;
  /**
   * Its notice's opening counted it in the county report's `inNotice` (API.md "Counties"): true from the release that
   * counts it; a notice opened before is in no `inNotice` figure, so its end or withdrawal takes none out.
   */
  inNoticeCounted?: boolean;
}

export interface NewDisbursement {
  fundId: string;
  countyCode: string;
  amount: number;
  purpose: Purpose;
  beneficiary: Beneficiary;
  memo?: string;
  campaignId?: string;
}

/** How many partitions the every-disbursement and by-status listings are each written across. */
export const DISBURSEMENT_LIST_SHARDS = 16;
const SHARDS = Array.from({ length: DISBURSEMENT_LIST_SHARDS }, (_, n) => n);
/** gsi1pk of every disbursement: `DSBS#<n>`; `DSBS` alone holds those stored before the shards. */
const allDisbursements = (shard?: number) => (shard === undefined ? 'DSBS' : `DSBS#${shard}`);
const byStatus = (status: DisbursementStatus, shard?: number) => `DSB#STATUS#${status}${shard === undefined ? '' : `#${shard}`}`;
/** gsi1pk of a new disbursement. */
export const allDisbursementsKey = (disbursementId: string) => allDisbursements(shardOf(disbursementId, DISBURSEMENT_LIST_SHARDS));
/** gsi2pk of a disbursement in `status`. */
export const statusIndexKey = (status: DisbursementStatus, disbursementId: string) =>
  byStatus(status, shardOf(disbursementId, DISBURSEMENT_LIST_SHARDS));
/** The partitions of one listing: the shards, then the partition of items stored before them. */
export const listPartitions = (status?: DisbursementStatus): string[] =>
  status === undefined
    ? [...SHARDS.map(allDisbursements), allDisbursements()]
    : [...SHARDS.map((n) => byStatus(status, n)), byStatus(status)];
export const countyIndexKey = (countyCode: string) => `DSB#COUNTY#${countyCode}`;

const disbursementFields = storedFields<StoredDisbursement>();

/** The key's id: an item stored since `disbursementItem` leaves out `disbursementId`. */
const idOfKey = (item: Record<string, unknown>) => (typeof item.pk === 'string' ? item.pk.slice('DSB#'.length) : undefined);

/**
 * A stored disbursement whose requester cannot be read (no `requestedBy`, no creation entry first): a broken
 * item, never a disbursement anyone may decide on. Four eyes compare the requester with the caller, so an unknown
 * requester must stop the request, not pass it.
 */
function withoutRequester(item: Record<string, unknown>): never {
  throw new Error(`stored disbursement ${String(idOfKey(item))} names no requester`);
}

export function toDisbursement(item: Record<string, unknown>): StoredDisbursement {
  const history = ((item.history as HistoryEntry[] | undefined) ?? []).map((e) => ({ ...e, fromStatus: e.fromStatus ?? null }));
  const createdAt = (item.createdAt ?? history[0]?.at) as string;
  return {
    disbursementId: (item.disbursementId ?? idOfKey(item)) as string,
    ...disbursementFields(item, ['fundId', 'countyCode', 'amount']),
    currency: 'CNY',
    ...disbursementFields(item, ['purpose', 'beneficiary', 'memo', 'campaignId', 'status', 'requiredApprovals'], {
      memo: null,
      campaignId: null,
    }),
    approvals: ((item.approvals as Approval[] | undefined) ?? []).map((a) => ({ ...a, comment: a.comment ?? null })),
    requestedBy: requesterOf(item) ?? withoutRequester(item),
    ...disbursementFields(item, ['payoutId', 'notice', 'correctionOf', 'correctedBy'], {
      payoutId: null,
      notice: null,
      correctionOf: null,
      correctedBy: null,
    }),
    createdAt,
    updatedAt: item.updatedAt as string,
    history,
    ...disbursementFields(item, ['version', 'payer'], { payer: '' }),
    ...(item.inNoticeCounted === true ? { inNoticeCounted: true } : {}),
    flags: storedFlags(item.flags, createdAt),
    verification: (item.verification as Disbursement['verification'] | undefined) ?? null,
  };
}

/**
 * The stored form of a new disbursement, which `toDisbursement` reads back whole. Left out: what is null (memo,
 * campaign, payout, notice, verification, correction links), the currency (always CNY), the id (its key holds
 * it), `requestedBy` and `createdAt` (the created entry, always the history's first, holds both) and the created
 * entry's `fromStatus: null`; an approval's `comment: null` too (`disbursementChangeStep`). A paid disbursement's
 * item was about 1,140 bytes, so its approve and settle writes cost 4 write units each (2 KB, transactional);
 * now it stays under 1 KB in the usual case, and they cost 2.
 */
export function disbursementItem(d: StoredDisbursement): Record<string, unknown> {
  const { disbursementId: _, currency: __, requestedBy, createdAt, history, ...rest } = d;
  const [created] = history;
  const derivable = created?.action === 'created' && created.actor === requestedBy && created.at === createdAt;
  return {
    ...Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== null)),
    ...(derivable ? {} : { requestedBy, createdAt }),
    history: history.map(({ fromStatus, ...entry }) => (fromStatus === null ? entry : { ...entry, fromStatus })),
  };
}

/** Flags stored before 1.2 were duplicate screening's alone: high, due 3 days after the creation. */
function storedFlags(value: unknown, createdAt: string): Disbursement['flags'] {
  const flags = (value as (Partial<Flag> & Pick<Flag, 'code' | 'matches'>)[] | undefined) ?? [];
  return flags.map((f) =>
    publicFlag({
      code: f.code,
      severity: f.severity ?? 'high',
      matches: f.matches,
      dueAt: f.dueAt ?? dueAt('high', new Date(createdAt)),
      clearedBy: f.clearedBy ?? null,
      clearedAt: f.clearedAt ?? null,
      reason: f.reason ?? null,
    }),
  );
}

/** The response form: account number masked, no storage fields. */
export function publicDisbursement(d: StoredDisbursement): Disbursement {
  const { version: _, payer: __, inNoticeCounted: ___, ...rest } = d;
  return maskDisbursement(rest);
}

export async function readDisbursement(disbursementId: string, options?: ReadOptions): Promise<StoredDisbursement> {
  return toDisbursement(await requireItem(keys.disbursement(disbursementId), `Disbursement ${disbursementId}`, options));
}

export async function getDisbursement(disbursementId: string): Promise<Disbursement> {
  return publicDisbursement(await readDisbursement(disbursementId));
}

/** The disbursement as `reader` may see it: 404 `not_found` when it belongs to a fund another system pays. */
export async function getDisbursementFor(disbursementId: string, reader: MoneyReader): Promise<Disbursement> {
  return publicDisbursement(visibleTo(await readDisbursement(disbursementId), reader, `Disbursement ${disbursementId}`));
}

/**
 * A disbursement becoming `approved` (at its final approval, or when its notice ends): the disbursement after
 * `entry`, its queued payout, and the two events, `disbursement.approved` and the payment instruction
 * (`payout.requested`: the full account goes only to the paying finance system's endpoints).
 * With `subscribed` (read by the caller), a `disbursement.approved` nobody subscribes to is written finished.
 */
export function approvedWithPayout(d: StoredDisbursement, entry: HistoryEntry, now: Date, subscribed?: Subscribed) {
  const at = now.toISOString();
  const payoutId = newId('payout', now.getTime());
  const approved: StoredDisbursement = {
    ...d,
    status: 'approved',
    payoutId,
    updatedAt: at,
    history: [...d.history, entry],
    version: d.version + 1,
  };
  const { disbursementId, fundId, countyCode, amount, beneficiary } = d;
  const payout = queuedPayout({ payoutId, disbursementId, batchId: null, fundId, countyCode, amount, beneficiary }, at);
  const approvedEvent = eventStep('disbursement.approved', disbursementId, publicDisbursement(approved), now, {
    payer: d.payer,
    subscribed: subscribed?.('disbursement.approved'),
  });
  const requestedEvent = eventStep('payout.requested', payoutId, payout, now, { payer: d.payer });
  return { approved, payoutId, payout, approvedEvent, requestedEvent };
}

export function disbursementAudit(d: StoredDisbursement, entry: HistoryEntry, actor: Actor, details?: Record<string, unknown>): TxStep {
  return auditStep(keys.disbursement(d.disbursementId).pk, {
    actor: actor.sub,
    action: `disbursement.${entry.action}`,
    at: new Date(entry.at),
    correlationId: actor.correlationId,
    fromStatus: entry.fromStatus,
    toStatus: entry.toStatus,
    reason: entry.reason,
    details: { fundId: d.fundId, countyCode: d.countyCode, amount: d.amount, ...details },
  });
}

/**
 * The disbursement's own change: status (when it moves), approvals, payout, history, always
 * conditional on the version it was read at. `redecide` names the contract error when the
 * condition fails for a reason other than a concurrent change.
 */
export function disbursementChangeStep(
  d: StoredDisbursement,
  now: Date,
  change: {
    status?: DisbursementStatus;
    approvals?: Approval[];
    payoutId?: string;
    notice?: Disbursement['notice'];
    entry?: HistoryEntry;
    inNoticeCounted?: true;
  },
  redecide: (current: StoredDisbursement) => void,
): TxStep {
  return versionedChangeStep({
    key: keys.disbursement(d.disbursementId),
    what: `Disbursement ${d.disbursementId}`,
    version: d.version,
    status: d.status,
    now,
    set: {
      ...(change.status ? { status: change.status, gsi2pk: statusIndexKey(change.status, d.disbursementId) } : {}),
      // An approval without a comment is stored without one (`toDisbursement` gives it `comment: null`).
      ...(change.approvals ? { approvals: change.approvals.map(({ comment, ...a }) => (comment === null ? a : { ...a, comment })) } : {}),
      ...(change.payoutId ? { payoutId: change.payoutId } : {}),
      ...(change.notice ? { notice: change.notice } : {}),
      ...(change.inNoticeCounted ? { inNoticeCounted: true } : {}),
    },
    append: change.entry ? { history: [change.entry] } : undefined,
    redecide: (current) => redecide(toDisbursement(current)),
  });
}

/**
 * The disbursement's half of a settlement (approved → paid | payout_failed, history), as steps of the payout's
 * settlement transaction (its county report figures ride on the money's move: `settlementStats`). Conditional on `approved` only: the payout's own
 * status condition already serialises settlements, and anything else here is a broken invariant.
 */
export function payoutOutcomeSteps(
  payout: { disbursementId: string; countyCode: string; amount: number },
  settlement: Settlement,
  actor: Actor,
  now: Date,
): TxStep[] {
  const to = settlementStatus(settlement.outcome);
  const entry: HistoryEntry = {
    at: now.toISOString(),
    actor: actor.sub,
    action: to === 'paid' ? 'paid' : 'payout_failed',
    fromStatus: 'approved',
    toStatus: to,
    ...(settlement.outcome === 'failed' && settlement.failureReason ? { reason: settlement.failureReason } : {}),
  };
  return [
    {
      item: {
        Update: {
          TableName: config().TABLE_NAME,
          Key: keys.disbursement(payout.disbursementId),
          UpdateExpression:
            'SET #status = :to, gsi2pk = :gsi2pk, updatedAt = :at, version = version + :one, history = list_append(history, :entry)',
          ConditionExpression: '#status = :approved',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':to': to,
            ':gsi2pk': statusIndexKey(to, payout.disbursementId),
            ':at': entry.at,
            ':one': 1,
            ':entry': [entry],
            ':approved': 'approved',
          },
        },
      },
      onConditionFailed: (old) =>
        new Error(`ledger invariant: disbursement ${payout.disbursementId} is ${String(old?.status)} while its payout settles`),
    },
  ];
}

/** The county report's move of a settlement (approved → paid | payout_failed), for its money's move to carry. */
export const settlementStats = (payout: { amount: number }, settlement: Settlement): Record<string, number> =>
  statsMove('approved', settlementStatus(settlement.outcome), payout.amount);
