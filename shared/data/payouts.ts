/**
 * Payouts and their settlement.
 *
 * Item `PAY#<id> / PAY` keeps the full account number (the finance system needs it to pay; the
 * table is KMS-encrypted) and `requestedMessageId`, the id of its `payout.requested` event, so a
 * redelivery re-arms the same webhook message. Responses and every other event mask the account.
 * Listings (newest first), each written across PAYOUT_LIST_SHARDS partitions because a
 * 5,000-payout batch creates and moves its payouts in a burst and one index partition takes about 1,000
 * writes a second: `gsi1pk = PAYOUTS#<n>` (all), `gsi2pk = PAY#STATUS#<status>#<n>` (by status, moved
 * on every transition), `gsi3pk = BAT#<batchId>#PAY#<n>` (payouts of a batch), n = shardOf(payoutId),
 * each sorted by `<createdAt>#<payoutId>` (createdAt never changes, so a status move rewrites gsi2pk
 * only, and a created range is a key condition on whichever listing the other filters pick). Settled
 * and failed payouts are also in `gsi5pk = PAY#SETTLED#<n>`, sorted by `<settledAt>#<payoutId>`.
 * Lists read the shards together (queryShardedPage). Payouts written before the created-time sort keys
 * are rewritten by ./payout-backfill.ts.
 *
 * Every transition is one transaction with its condition on the payout's status, an audit entry and,
 * where a subscriber must hear of it, its outbox event. A succeeded settlement also writes the payout's
 * bank-reference items (`BANKREF#<payer>#<reference>`: `PAY#<payoutId>` and the summary `REF`) for reconciliation.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  assertRedeliverable,
  becomesSent,
  decideSettlement,
  maskPayout,
  outcomeStatus,
  type Payout,
  type PayoutStatus,
  type Settlement,
} from '../domain/payouts.ts';
import { notFound } from '../domain/errors.ts';
import { DEFAULT_FAILURE_CODE } from '../domain/failure-codes.ts';
import { payerScope, type MoneyReader } from '../domain/roles.ts';
import { config } from '../config.ts';
import { report } from '../metrics.ts';
import { logger } from '../logger.ts';
import { auditStep } from './audit.ts';
import { batchCounterSteps as batchCountersOf, completeBatchIfDone } from './batch-counters.ts';
import { documents } from './clients.ts';
import { payoutOutcomeSteps } from './disbursements.ts';
import { enqueueEvents, eventStep } from './events.ts';
import type { Actor } from './funds.ts';
import { ledgerMoveSteps, requirePosition, transactAt } from './ledger.ts';
import { subsidyIsReserved, subsidyReturnStep } from './subsidies.ts';
import { keys } from './keys.ts';
import { noticeItemPaidStep } from './notices.ts';
import { shardOf } from '../ids.ts';
import { eventCloseStep, eventRedeliveryStep, getOutboxEvent } from './outbox.ts';
import { getItem, queryShardedPage, requireItem, type Page } from './query.ts';
import { LEDGER_ATTEMPTS, retryOnConflict, transact, TransactionConflict, type TxStep } from './transactions.ts';

/** Actor recorded for transitions the webhook worker drives. */
const DELIVERY_ACTOR = 'system:webhook-delivery';

export interface StoredPayout extends Payout {
  requestedMessageId: string;
  /** The fund's paying finance system: the only one instructed, the only one that may settle or see it. */
  payer: string;
  /** The campaign whose subsidy the payout's disbursement drew on. */
  campaignId: string | null;
  noticeItem: { noticeId: string; itemRef: string } | null;
}

/** Storage facts of a new payout that never change. */
export interface PayoutOwner {
  payer: string;
  campaignId?: string | null;
  /** The public notice item the payout pays (公示): shown as paid there once settled. */
  noticeItem?: { noticeId: string; itemRef: string };
}

export const PAYOUT_LIST_SHARDS = 8;

const SHARDS = Array.from({ length: PAYOUT_LIST_SHARDS }, (_, n) => n);
const allPayouts = (shard: number) => `PAYOUTS#${shard}`;
const byStatus = (status: PayoutStatus, shard: number) => `PAY#STATUS#${status}#${shard}`;
const ofBatch = (batchId: string, shard: number) => `BAT#${batchId}#PAY#${shard}`;
const settledList = (shard: number) => `PAY#SETTLED#${shard}`;

/** A settled or failed payout's place in the by-settlement-time listing (gsi5), set by its settlement. */
export function payoutSettledKeys(payoutId: string, settledAt: string): { gsi5pk: string; gsi5sk: string } {
  return { gsi5pk: settledList(shardOf(payoutId, PAYOUT_LIST_SHARDS)), gsi5sk: `${settledAt}#${payoutId}` };
}

/** The by-settlement-time listing's partitions (gsi5), all of them: a day's settlements are read across them. */
export function settledListPartitions(): string[] {
  return SHARDS.map(settledList);
}

/** What a bank-reference item (keys.bankReference) holds: a settled payout never changes, so this is all a match needs. */
export interface BankReferenceItem {
  payoutId: string;
  bankReference: string;
  amount: number;
  settledAt: string;
}

/** The reference's summary (keys.bankReferenceSummary): how many payouts it names, and the first of them. */
export interface BankReferenceSummary {
  uses: number;
  first: BankReferenceItem;
}

/**
 * The settlement's reference items (succeeded only), so reconciliation finds the payouts a statement line's bank
 * reference names, settled on any day, without a new index: one item per payout (`BANKREF#<payer>#<reference> /
 * PAY#<payoutId>`, read by Query) and the reference's summary (`… / REF`, read by BatchGetItem, 100 references a
 * request), which says whether the Query is needed at all: a bank reference usually names one transfer.
 * A settlement happens once (a repeat is answered before any write), so neither write has a condition that
 * could refuse a settlement; the summary's counter and first payout are set with `ADD` and `if_not_exists`.
 */
export function bankReferenceSteps(
  payout: Pick<StoredPayout, 'payoutId' | 'payer' | 'amount'>,
  bankReference: string,
  settledAt: string,
  /** The backfill's case: only when the payout has no reference item yet (`onceOnly` is what it throws otherwise). */
  onceOnly?: () => Error,
): TxStep[] {
  const facts: BankReferenceItem = { payoutId: payout.payoutId, bankReference, amount: payout.amount, settledAt };
  return [
    {
      item: {
        Put: {
          TableName: config().TABLE_NAME,
          Item: { ...keys.bankReference(payout.payer, bankReference, payout.payoutId), type: 'bank-reference', ...facts },
          ...(onceOnly ? { ConditionExpression: 'attribute_not_exists(pk)' } : {}),
        },
      },
      ...(onceOnly ? { onConditionFailed: onceOnly } : {}),
    },
    {
      item: {
        Update: {
          TableName: config().TABLE_NAME,
          Key: keys.bankReferenceSummary(payout.payer, bankReference),
          UpdateExpression: 'SET #type = :type, #first = if_not_exists(#first, :facts) ADD uses :one',
          ExpressionAttributeNames: { '#type': 'type', '#first': 'first' },
          ExpressionAttributeValues: { ':type': 'bank-reference-summary', ':facts': facts, ':one': 1 },
        },
      },
    },
  ];
}

/** An RFC 3339 filter bound as stored timestamps are written (`toISOString`), so strings compare as times. */
const asStored = (t: string) => new Date(t).toISOString();

/**
 * A time range on a `<time>#<payoutId>` sort key, both ends inclusive: `~` sorts after every payout id,
 * so the whole last instant is in.
 */
function timeRange(from: string | undefined, to: string | undefined): { from?: string; to?: string } {
  return { ...(from !== undefined ? { from: asStored(from) } : {}), ...(to !== undefined ? { to: `${asStored(to)}#~` } : {}) };
}

/** A payout's sort key in its listings (gsi1..3): by creation time, the id breaking ties. */
export const payoutCreatedSortKey = (payout: Pick<Payout, 'payoutId' | 'createdAt'>) => `${payout.createdAt}#${payout.payoutId}`;

/** The list index keys of a payout (the bench's raw baselines write the same). */
export function payoutListKeys(payout: Pick<Payout, 'payoutId' | 'status' | 'batchId' | 'createdAt'>): Record<string, string> {
  const shard = shardOf(payout.payoutId, PAYOUT_LIST_SHARDS);
  const sortKey = payoutCreatedSortKey(payout);
  return {
    gsi1pk: allPayouts(shard),
    gsi1sk: sortKey,
    gsi2pk: byStatus(payout.status, shard),
    gsi2sk: sortKey,
    ...(payout.batchId ? { gsi3pk: ofBatch(payout.batchId, shard), gsi3sk: sortKey } : {}),
  };
}

/** The by-status partition a payout moves to. */
const statusIndexKey = (status: PayoutStatus, payoutId: string) => byStatus(status, shardOf(payoutId, PAYOUT_LIST_SHARDS));

export function toPayout(item: Record<string, unknown>): StoredPayout {
  return {
    payoutId: item.payoutId as string,
    disbursementId: (item.disbursementId as string | null) ?? null,
    batchId: (item.batchId as string | null) ?? null,
    fundId: item.fundId as string,
    countyCode: item.countyCode as string,
    amount: item.amount as number,
    currency: 'CNY',
    beneficiary: item.beneficiary as Payout['beneficiary'],
    status: item.status as PayoutStatus,
    attempts: (item.attempts as number | undefined) ?? 0,
    createdAt: item.createdAt as string,
    sentAt: (item.sentAt as string | null) ?? null,
    settledAt: (item.settledAt as string | null) ?? null,
    bankReference: (item.bankReference as string | null) ?? null,
    failureCode: (item.failureCode as Payout['failureCode'] | undefined) ?? null,
    failureReason: (item.failureReason as string | null) ?? null,
    requestedMessageId: item.requestedMessageId as string,
    payer: (item.payer as string | undefined) ?? '',
    campaignId: (item.campaignId as string | undefined) ?? null,
    noticeItem: (item.noticeItem as StoredPayout['noticeItem'] | undefined) ?? null,
  };
}

/** The response/event form: no storage fields, account number masked. */
export function publicPayout(p: StoredPayout): Payout {
  const { requestedMessageId: _, payer: __, campaignId: ___, noticeItem: ____, ...payout } = p;
  return maskPayout(payout);
}

/** The new payout's item as a transaction step (`attribute_not_exists`: a payout is created once). */
export function payoutPutStep(payout: Payout, requestedMessageId: string, owner: PayoutOwner): TxStep {
  return {
    item: {
      Put: {
        TableName: config().TABLE_NAME,
        Item: {
          ...keys.payout(payout.payoutId),
          type: 'payout',
          ...payout,
          requestedMessageId,
          payer: owner.payer,
          ...(owner.campaignId ? { campaignId: owner.campaignId } : {}),
          ...(owner.noticeItem ? { noticeItem: owner.noticeItem } : {}),
          updatedAt: payout.createdAt,
          ...payoutListKeys(payout),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    onConditionFailed: () => new TransactionConflict(),
  };
}

/**
 * A batch payout's transitions also move the batch's sharded `counts` (./batch-counters.ts), in the
 * same transaction. Single-disbursement payouts have nothing to add.
 */
export function batchCounterSteps(payout: StoredPayout, from: PayoutStatus, to: PayoutStatus): TxStep[] {
  return batchCountersOf(payout, from, to);
}

export async function findPayout(payoutId: string): Promise<StoredPayout | undefined> {
  const Item = await getItem(keys.payout(payoutId));
  return Item ? toPayout(Item) : undefined;
}

export async function getPayout(payoutId: string): Promise<StoredPayout> {
  return toPayout(await requireItem(keys.payout(payoutId), `Payout ${payoutId}`));
}

/** The payout as `reader` may see it: 404 `not_found` when it belongs to a fund another system pays. */
export async function getPayoutFor(payoutId: string, reader: MoneyReader): Promise<StoredPayout> {
  const payout = await getPayout(payoutId);
  const scope = payerScope(reader);
  if (scope !== undefined && payout.payer !== scope) throw notFound(`Payout ${payoutId}`);
  return payout;
}

export interface PayoutFilter {
  status?: PayoutStatus;
  batchId?: string;
  fundId?: string;
  /** Created in [createdFrom, createdTo], both inclusive: the listing's own sort key. */
  createdFrom?: string;
  createdTo?: string;
  /** Settled (or failed) in [settledFrom, settledTo], both inclusive: read by the settlement-time index. */
  settledFrom?: string;
  settledTo?: string;
  /** Only the payouts of the funds this finance system pays. */
  payer?: string;
}

/** A filter expression over the attributes a payout listing's index carries. */
class ListFilter {
  readonly parts: string[] = [];
  readonly values: Record<string, unknown> = {};
  readonly names: Record<string, string> = {};

  equals(attribute: string, value: string | undefined): this {
    if (value === undefined) return this;
    this.parts.push(`#${attribute} = :${attribute}`);
    this.names[`#${attribute}`] = attribute;
    this.values[`:${attribute}`] = value;
    return this;
  }

  /** createdAt within the range (gsi5 carries it; the created listings take the range as their key condition). */
  created(from: string | undefined, to: string | undefined): this {
    if (from === undefined && to === undefined) return this;
    this.names['#createdAt'] = 'createdAt';
    if (from !== undefined) {
      this.parts.push('#createdAt >= :createdFrom');
      this.values[':createdFrom'] = asStored(from);
    }
    if (to !== undefined) {
      this.parts.push('#createdAt <= :createdTo');
      this.values[':createdTo'] = asStored(to);
    }
    return this;
  }

  query(): { values: Record<string, unknown>; filter?: string; names?: Record<string, string> } {
    return this.parts.length ? { values: this.values, filter: this.parts.join(' AND '), names: this.names } : { values: this.values };
  }
}

/**
 * Newest first. The index follows the filters: a settled range → the settlement-time index (gsi5), everything
 * else a filter on it; else a batch → its listing (gsi3), a status → by status (gsi2), else all (gsi1), with a
 * created range as the key condition on the creation-time sort key.
 */
export async function listPayouts(filter: PayoutFilter & { limit: number; cursor?: string }): Promise<Page<Payout>> {
  const { batchId, status, payer, fundId } = filter;
  // `v2`: a cursor from the payout-id sort keys is refused rather than read against the new ones.
  const scope = ['payouts-v2', status, batchId, payer, fundId, filter.createdFrom, filter.createdTo, filter.settledFrom, filter.settledTo]
    .map((v) => v ?? '')
    .join('|');
  const page = { newestFirst: true, limit: filter.limit, cursor: filter.cursor, scope };
  const bySettlement = filter.settledFrom !== undefined || filter.settledTo !== undefined;
  const found = bySettlement
    ? await queryShardedPage({
        index: 'gsi5',
        partitions: SHARDS.map(settledList),
        sortRange: timeRange(filter.settledFrom, filter.settledTo),
        ...new ListFilter()
          .equals('status', status)
          .equals('batchId', batchId)
          .equals('payer', payer)
          .equals('fundId', fundId)
          .created(filter.createdFrom, filter.createdTo)
          .query(),
        ...page,
      })
    : await queryShardedPage({
        index: batchId ? 'gsi3' : status ? 'gsi2' : 'gsi1',
        partitions: SHARDS.map((n) => (batchId ? ofBatch(batchId, n) : status ? byStatus(status, n) : allPayouts(n))),
        sortRange: timeRange(filter.createdFrom, filter.createdTo),
        // The batch listing holds every status: there the status is a filter.
        ...new ListFilter()
          .equals('status', batchId ? status : undefined)
          .equals('payer', payer)
          .equals('fundId', fundId)
          .query(),
        ...page,
      });
  return { items: found.items.map((i) => publicPayout(toPayout(i))), nextCursor: found.nextCursor };
}

/** The payout's status move as a step, conditional on the status it was read in. */
function payoutMoveStep(payout: StoredPayout, to: PayoutStatus, now: Date, set: Record<string, unknown> = {}): TxStep {
  const names: Record<string, string> = { '#status': 'status' };
  const values: Record<string, unknown> = {
    ':from': payout.status,
    ':to': to,
    ':at': now.toISOString(),
    ':gsi2pk': statusIndexKey(to, payout.payoutId),
  };
  const assignments = ['#status = :to', 'updatedAt = :at', 'gsi2pk = :gsi2pk'];
  Object.entries(set).forEach(([name, value], i) => {
    names[`#s${i}`] = name;
    values[`:s${i}`] = value;
    assignments.push(`#s${i} = :s${i}`);
  });
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: keys.payout(payout.payoutId),
        UpdateExpression: `SET ${assignments.join(', ')}`,
        ConditionExpression: '#status = :from',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    },
    // Someone moved it since we read it: read again and decide again.
    onConditionFailed: () => new TransactionConflict(),
  };
}

function payoutAudit(
  payout: StoredPayout,
  action: string,
  to: PayoutStatus,
  actor: Actor,
  now: Date,
  details?: Record<string, unknown>,
  reason?: string,
): TxStep {
  return auditStep(keys.payout(payout.payoutId).pk, {
    actor: actor.sub,
    action,
    at: now,
    correlationId: actor.correlationId,
    fromStatus: payout.status,
    toStatus: to,
    reason,
    details: { amount: payout.amount, disbursementId: payout.disbursementId, batchId: payout.batchId, ...details },
  });
}

/** What never changes on a payout and its sent transition needs (the worker has it from the event's data). */
export type PayoutFacts = Pick<Payout, 'amount' | 'batchId' | 'disbursementId'>;

/** The payout was not in the status the sent transition assumed; carries the item as it was. */
class NotAsAssumed extends Error {
  constructor(readonly current: Record<string, unknown> | undefined) {
    super('payout not in the assumed status');
  }
}

/**
 * Every subscribed endpoint acknowledged `payout.requested`: queued → sent, with the attempt count
 * raised to `attempts` (never lowered). Idempotent: a payout already sent, settled or failed is left
 * alone. From delivery_failed too, since the receiver did get it after all.
 *
 * With `facts` (the worker's case) there is no read first: one transaction assumes `queued`, and when
 * its condition fails the payout as it was (ALL_OLD) decides: delivery_failed → the same move from
 * there; anything else → nothing to do; more attempts already counted → the same move with those.
 * `alongside` (the event's release, the delivery log) commits in the same transaction when the payout
 * moves; their own failed conditions throw their own errors. True when the payout moved.
 */
export async function markPayoutSent(
  payoutId: string,
  now: Date,
  seen: { attempts?: number; facts?: PayoutFacts; alongside?: TxStep[] } = {},
): Promise<boolean> {
  let assumed: StoredPayout | undefined;
  if (seen.facts) {
    assumed = { ...seen.facts, payoutId, status: 'queued', attempts: 0 } as StoredPayout;
  }
  let attempts = Math.max(1, seen.attempts ?? 0);
  return retryOnConflict(async () => {
    // The assumed status, then the item as a failed condition returned it: a third surprise reads again after a pause.
    for (let tries = 0; tries < 3; tries++) {
      const payout = assumed ?? (await findPayout(payoutId));
      assumed = undefined;
      if (!payout || !becomesSent(payout.status)) return false;
      attempts = Math.max(attempts, payout.attempts);
      try {
        await transact([
          sentStep(payout, attempts, now),
          payoutAudit(payout, 'payout.sent', 'sent', { sub: DELIVERY_ACTOR }, now),
          ...batchCounterSteps(payout, payout.status, 'sent'),
          ...(seen.alongside ?? []),
        ]);
        report.payoutSent();
        return true;
      } catch (error) {
        if (!(error instanceof NotAsAssumed)) throw error;
        if (!error.current) return false;
        assumed = toPayout(error.current);
      }
    }
    throw new TransactionConflict();
  });
}

/** queued/delivery_failed → sent; the condition also holds the attempt count (it is only ever raised). */
function sentStep(payout: StoredPayout, attempts: number, now: Date): TxStep {
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: keys.payout(payout.payoutId),
        UpdateExpression: 'SET #status = :to, updatedAt = :at, gsi2pk = :gsi2pk, sentAt = :at, attempts = :attempts',
        ConditionExpression: '#status = :from AND (attribute_not_exists(attempts) OR attempts <= :attempts)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':from': payout.status,
          ':to': 'sent',
          ':at': now.toISOString(),
          ':gsi2pk': statusIndexKey('sent', payout.payoutId),
          ':attempts': attempts,
        },
      },
    },
    onConditionFailed: (current) => new NotAsAssumed(current),
  };
}

/**
 * The webhook retries for `payout.requested` ran out: queued → delivery_failed, with its
 * `payout.delivery_failed` event in the same transaction. Idempotent: anything but queued is left alone.
 */
export async function markPayoutDeliveryFailed(payoutId: string, attempts: number, now: Date): Promise<void> {
  const messageId = await retryOnConflict(async () => {
    const payout = await findPayout(payoutId);
    if (!payout || payout.status !== 'queued') return undefined;
    const next: StoredPayout = { ...payout, status: 'delivery_failed', attempts: Math.max(payout.attempts, attempts) };
    const event = eventStep('payout.delivery_failed', payoutId, publicPayout(next), now, { payer: payout.payer });
    await transact([
      payoutMoveStep(payout, 'delivery_failed', now, { attempts: next.attempts }),
      payoutAudit(payout, 'payout.delivery_failed', 'delivery_failed', { sub: DELIVERY_ACTOR }, now, { attempts: next.attempts }),
      event.step,
      ...batchCounterSteps(payout, payout.status, 'delivery_failed'),
    ]);
    return event.messageId;
  });
  if (messageId) {
    report.payoutDeliveryFailed();
    await enqueueEvents([messageId]);
  }
}

/** Raises the delivery attempt counter (never lowers it: attempts may be reported out of order). */
export async function recordPayoutAttempts(payoutId: string, attempts: number): Promise<void> {
  try {
    await documents.send(
      new UpdateCommand({
        TableName: config().TABLE_NAME,
        Key: keys.payout(payoutId),
        UpdateExpression: 'SET attempts = :n',
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(attempts) OR attempts < :n)',
        ExpressionAttributeValues: { ':n': attempts },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/**
 * The finance system's report. succeeded: payout settled, disbursement paid, reservation → paid.
 * failed: payout failed, disbursement payout_failed, reservation released. One transaction with the
 * audit entry, the `payout.settled` / `payout.failed` event and the county report's move. The same
 * outcome again answers with the payout unchanged; a contradicting one is `invalid_state`.
 */
export async function settlePayout(payoutId: string, settlement: Settlement, actor: Actor, now: Date): Promise<Payout> {
  const result = await retryOnConflict(async () => {
    // Only the fund's paying finance system may settle; to anyone else the payout does not exist.
    const payout = await getPayoutFor(payoutId, { sub: actor.sub, roles: ['finance-system'] });
    if (decideSettlement(payout.status, settlement.outcome) === 'repeat') return { payout, messageId: undefined };
    const to = outcomeStatus(settlement.outcome);
    const at = now.toISOString();
    const settled: StoredPayout =
      to === 'settled'
        ? { ...payout, status: to, settledAt: at, bankReference: settlement.bankReference ?? null }
        : {
            ...payout,
            status: to,
            settledAt: at,
            // 1.2: a returned transfer has its bank reference too; the code defaults to unspecified.
            bankReference: settlement.bankReference ?? null,
            failureCode: settlement.failureCode ?? DEFAULT_FAILURE_CODE,
            failureReason: settlement.failureReason ?? null,
          };
    const event = eventStep(to === 'settled' ? 'payout.settled' : 'payout.failed', payoutId, publicPayout(settled), now, {
      payer: payout.payer,
    });
    const ref = {
      payoutId,
      ...(payout.disbursementId ? { disbursementId: payout.disbursementId } : {}),
      ...(payout.batchId ? { batchId: payout.batchId } : {}),
    };
    // A failed payout of a subsidised disbursement gives its money back to the subsidy while the subsidy
    // still holds money; otherwise the reservation is released (or, when paid, moved to paid).
    const backToSubsidy = to === 'failed' && payout.campaignId !== null && (await subsidyIsReserved(payout.campaignId));
    // No instruction for a closed payout: a payment instruction still pending is closed with it.
    const instruction = await getOutboxEvent(payout.requestedMessageId);
    const withMoney = (money: TxStep[]): TxStep[] => [
      payoutMoveStep(payout, to, now, {
        settledAt: at,
        bankReference: settled.bankReference,
        failureCode: settled.failureCode,
        failureReason: settled.failureReason,
        ...payoutSettledKeys(payoutId, at),
      }),
      ...money,
      ...(instruction?.status === 'pending' ? [eventCloseStep(payout.requestedMessageId, now)] : []),
      ...(payout.disbursementId ? payoutOutcomeSteps({ ...payout, disbursementId: payout.disbursementId }, settlement, actor, now) : []),
      ...batchCounterSteps(payout, payout.status, to),
      ...(to === 'settled' && payout.noticeItem ? [noticeItemPaidStep(payout.noticeItem)] : []),
      ...(to === 'settled' && settled.bankReference ? bankReferenceSteps(payout, settled.bankReference, at) : []),
      audit,
      event.step,
    ];
    const audit = payoutAudit(
      payout,
      to === 'settled' ? 'payout.settled' : 'payout.failed',
      to,
      actor,
      now,
      to === 'settled' ? { bankReference: settled.bankReference } : undefined,
      settled.failureReason ?? undefined,
    );
    if (backToSubsidy) await transact(withMoney([subsidyReturnStep(payout.campaignId!, payout.amount)]));
    else {
      const move = to === 'settled' ? 'settle' : 'release';
      await transactAt(await requirePosition(payout.fundId, payout.countyCode), (position) =>
        withMoney(ledgerMoveSteps(position, move, payout.amount, ref, actor.sub, now)),
      );
    }
    return { payout: settled, messageId: event.messageId };
  }, LEDGER_ATTEMPTS);
  if (result.messageId) {
    report.payoutSettled(result.payout.status === 'settled' ? 'settled' : 'failed');
    await enqueueEvents([result.messageId]);
  }
  // A batch completes with its last final payout; a repeated report checks again (heals a lost check).
  if (result.payout.batchId) {
    await completeBatchIfDone(result.payout.batchId, now).catch((error: unknown) =>
      logger.warn('batch completion check failed; a repeated settlement report checks again', {
        batchId: result.payout.batchId,
        error: (error as Error).name,
      }),
    );
  }
  return publicPayout(result.payout);
}

/**
 * A fund admin's second chance after the webhook retries ran out: delivery_failed → queued, and the
 * same `payout.requested` message (same webhook-id, so the receiver can dedupe) re-armed, in one transaction.
 */
export async function redeliverPayout(payoutId: string, actor: Actor, now: Date): Promise<Payout> {
  const payout = await retryOnConflict(async () => {
    const current = await getPayout(payoutId);
    assertRedeliverable(current.status);
    await transact([
      payoutMoveStep(current, 'queued', now),
      eventRedeliveryStep(current.requestedMessageId, now),
      payoutAudit(current, 'payout.redelivery_requested', 'queued', actor, now, { messageId: current.requestedMessageId }),
      ...batchCounterSteps(current, current.status, 'queued'),
    ]);
    return { ...current, status: 'queued' as const };
  });
  await enqueueEvents([payout.requestedMessageId]);
  return publicPayout(payout);
}
