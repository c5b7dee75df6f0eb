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
 * are rewritten by ./backfill.ts.
 *
 * Every transition is one transaction with its condition on the payout's status, an audit entry and,
 * where a subscriber must hear of it, its outbox event. A succeeded settlement also writes the payout's
 * bank-reference items (`BANKREF#<payer>#<reference>`: `PAY#<payoutId>` and the summary `REF`) for reconciliation.
 */
import { maskPayout, type Payout, type PayoutStatus } from '../../domain/payouts.ts';
import { visibleTo, type MoneyReader } from '../../domain/roles.ts';
import { config } from '../../config.ts';
import { auditStep } from '../platform/audit.ts';
import { batchCounterSteps as batchCountersOf } from '../batches/counters.ts';
import type { Actor } from '../funds/items.ts';
import { keys } from '../platform/keys.ts';
import { shardOf } from '../../ids.ts';
import { getItem, requireItem, queryShardedPage, type Page, type ReadOptions } from '../platform/query.ts';
import { TransactionConflict, type TxStep } from '../platform/transactions.ts';
import { storedFields } from '../platform/fields.ts';

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

export const SHARDS = Array.from({ length: PAYOUT_LIST_SHARDS }, (_, n) => n);
export const allPayouts = (shard: number) => `PAYOUTS#${shard}`;
export const byStatus = (status: PayoutStatus, shard: number) => `PAY#STATUS#${status}#${shard}`;
export const ofBatch = (batchId: string, shard: number) => `BAT#${batchId}#PAY#${shard}`;
export const settledList = (shard: number) => `PAY#SETTLED#${shard}`;

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
export type BankReferenceSummary = { uses: number; first: BankReferenceItem };

/** Whether the reference names a payout already: a bulk transfer's settlements then never try the summary alone. */
export const bankReferenceNamed = async (payer: string, bankReference: string, options?: ReadOptions) =>
  (await getItem(keys.bankReferenceSummary(payer, bankReference), options)) !== undefined;

/**
 * The settlement's reference items (succeeded only), so reconciliation finds the payouts a statement line's bank
 * reference names, settled on any day, without a new index: the reference's summary (`BANKREF#<payer>#<reference> /
 * REF`, read by BatchGetItem, 100 references a request) names its first payout and how many it names; every payout
 * after the first has its own item (`… / PAY#<payoutId>`, read by Query, only when the summary counts more than one).
 * A reference usually names one transfer, so a settlement usually writes the summary alone (2 write units, not 4):
 * `named` (`bankReferenceNamed`) false puts it if there is none, else `referenceNamed` is what the refusal throws
 * and the caller builds the settlement again with `named` true (the payout's item, the summary's count). Items
 * stored before hold the first payout's item too: readers drop it. `onceOnly`: the backfill's case.
 */
export function bankReferenceSteps(
  payout: Pick<StoredPayout, 'payoutId' | 'payer' | 'amount'>,
  bankReference: string,
  settledAt: string,
  how: { named: boolean; referenceNamed?: () => Error } | { onceOnly: () => Error },
): TxStep[] {
  const facts: BankReferenceItem = { payoutId: payout.payoutId, bankReference, amount: payout.amount, settledAt };
  const summaryKey = keys.bankReferenceSummary(payout.payer, bankReference);
  if ('named' in how && !how.named) {
    return [
      {
        item: {
          Put: {
            TableName: config().TABLE_NAME,
            Item: { ...summaryKey, type: 'bank-reference-summary', first: facts, uses: 1 },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        ...(how.referenceNamed ? { onConditionFailed: how.referenceNamed } : {}),
      },
    ];
  }
  const onceOnly = 'onceOnly' in how ? how.onceOnly : undefined;
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
          Key: summaryKey,
          UpdateExpression: 'SET #type = :type, #first = if_not_exists(#first, :facts) ADD uses :one',
          ExpressionAttributeNames: { '#type': 'type', '#first': 'first' },
          ExpressionAttributeValues: {
            ':type': 'bank-reference-summary',
            ':facts': facts,
            ':one': 1,
            ...(onceOnly ? { ':payout': payout.payoutId } : {}),
          },
          // The backfill never counts a payout the summary already names as its first (settled since, summary alone).
          ...(onceOnly ? { ConditionExpression: 'attribute_not_exists(#first) OR #first.payoutId <> :payout' } : {}),
        },
      },
      ...(onceOnly ? { onConditionFailed: onceOnly } : {}),
    },
  ];
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
export const statusIndexKey = (status: PayoutStatus, payoutId: string) => byStatus(status, shardOf(payoutId, PAYOUT_LIST_SHARDS));

const payoutFields = storedFields<StoredPayout>();

export function toPayout(item: Record<string, unknown>): StoredPayout {
  return {
    ...payoutFields(item, ['payoutId', 'disbursementId', 'batchId', 'fundId', 'countyCode', 'amount'], {
      disbursementId: null,
      batchId: null,
    }),
    currency: 'CNY',
    ...payoutFields(item, ['beneficiary', 'status', 'attempts', 'createdAt', 'sentAt', 'settledAt', 'bankReference', 'failureCode'], {
      attempts: 0,
      sentAt: null,
      settledAt: null,
      bankReference: null,
      failureCode: null,
    }),
    ...payoutFields(item, ['failureReason', 'correctedBy', 'requestedMessageId', 'payer', 'campaignId', 'noticeItem'], {
      failureReason: null,
      correctedBy: null,
      payer: '',
      campaignId: null,
      noticeItem: null,
    }),
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
 * A batch payout's transitions also move the batch's sharded `counts` (../batches/counters.ts), in the
 * same transaction. Single-disbursement payouts have nothing to add.
 */
export function batchCounterSteps(payout: StoredPayout, from: PayoutStatus, to: PayoutStatus): TxStep[] {
  return batchCountersOf(payout, from, to);
}

export async function findPayout(payoutId: string): Promise<StoredPayout | undefined> {
  const Item = await getItem(keys.payout(payoutId));
  return Item ? toPayout(Item) : undefined;
}

export async function getPayout(payoutId: string, options?: ReadOptions): Promise<StoredPayout> {
  return toPayout(await requireItem(keys.payout(payoutId), `Payout ${payoutId}`, options));
}

/** The payout as `reader` may see it: 404 `not_found` when it belongs to a fund another system pays. */
export async function getPayoutFor(payoutId: string, reader: MoneyReader, options?: ReadOptions): Promise<StoredPayout> {
  return visibleTo(await getPayout(payoutId, options), reader, `Payout ${payoutId}`);
}

/** The payout's status move as a step, conditional on the status it was read in. */
export function payoutMoveStep(payout: StoredPayout, to: PayoutStatus, now: Date, set: Record<string, unknown> = {}): TxStep {
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

export function payoutAudit(
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

/** An RFC 3339 filter bound as stored timestamps are written (`toISOString`), so strings compare as times. */
const asStored = (t: string) => new Date(t).toISOString();

/**
 * A time range on a `<time>#<payoutId>` sort key, both ends inclusive: `~` sorts after every payout id,
 * so the whole last instant is in.
 */
function timeRange(from: string | undefined, to: string | undefined): { from?: string; to?: string } {
  return { ...(from !== undefined ? { from: asStored(from) } : {}), ...(to !== undefined ? { to: `${asStored(to)}#~` } : {}) };
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
