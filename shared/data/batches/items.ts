/**
 * Disbursement batches: up to 5,000 payouts under one maker-checker decision.
 *
 * Items (all in the batch's collection `BAT#<id>`):
 * - `BAT` — the batch head: status, approvals, totals, `version` (bumped and checked by every decision).
 *   While an approved batch waits to be (or is being) expanded it carries the expansion outbox marker
 *   `gsi4pk = BAT#EXPANSION`, `gsi4sk = <last progress time>#<batchId>` (the keys-only outbox index: the
 *   head is large, and each heartbeat moves only the keys): the sweep source finds stalled expansions
 *   there, and the expander moves the time forward as it goes and removes it when done.
 * - `ITEMS#<nnnn>` — the rows, gzip-compressed JSON of ≤ 350 KB raw each (5,000 rows fit in a few items),
 *   written with the head in the creation transaction. Full account numbers: the payouts need them.
 * - `EXPANDED#<nnnn>` — the progress marker of expansion chunk n (49 payouts), put with `attribute_not_exists`
 *   in the SAME transaction as the chunk's payouts and `payout.requested` events: a crash or a duplicate
 *   job can never create a chunk twice. It keeps the chunk's message ids until they are queued.
 * - `COUNTS#<nn>` — sharded payout counts (./counters.ts).
 *
 * Payout ids are derived from (batchId, item index) too, so even without the marker a second copy of a
 * payout would be refused by its own `attribute_not_exists`.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { type Batch, type BatchFlags, type BatchItem, type BatchStatus } from '../../domain/batches.ts';
import type { Approval, Purpose } from '../../domain/disbursements.ts';
import { DomainError } from '../../domain/errors.ts';
import { visibleTo, type MoneyReader } from '../../domain/roles.ts';
import { config } from '../../config.ts';
import { auditStep } from '../platform/audit.ts';
import { readBatchCounts, readVerificationShards, sumVerificationCounts, type VerificationShard } from './counters.ts';
import { type Actor } from '../funds/items.ts';
import { keys } from '../platform/keys.ts';
import { TransactionConflict, versionedChangeStep, type TxStep } from '../platform/transactions.ts';
import { getItem, queryAll, readByKeys, requireItem } from '../platform/query.ts';
import * as z from 'zod';
import { sendJobs } from '../platform/jobs.ts';
import { storedFields } from '../platform/fields.ts';

/** Raw JSON bytes per stored row chunk; gzip only shrinks it, so an item stays under DynamoDB's 400 KB. */
const ROW_CHUNK_BYTES = 350_000;
/** TransactWriteItems carries at most 4 MB; the rows of a creation must fit with room to spare. */
export const MAX_STORED_ROW_BYTES = 3_500_000;
export const EXPANSION_INDEX = 'BAT#EXPANSION';
/** gsi1pk of every batch. */
export const ALL_BATCHES = 'BATCHES';

export interface StoredBatch extends Omit<Batch, 'counts' | 'flags'> {
  /** Row flags: how many, how many are high (`blocking`), whether cleared. */
  flags: BatchFlags;
  version: number;
  rowChunks: number;
  approvedAt: string | null;
  expansion: 'pending' | 'done' | null;
  /** The fund's paying finance system, copied at creation. */
  payer: string;
  /** Rows an upheld objection excluded (their amount released: `withdrawnAmount`). */
  withdrawnRows: number[];
  withdrawnAmount: number;
  /** Rows held by an open objection when the notice ended: expansion skips them. */
  heldRows: number[];
  /** Held rows whose objections were dismissed later: their payouts were created one by one. */
  lateRows: number[];
  /**
   * A fund that verifies: `requesting` from the creation until the request job has looked at every account
   * (../verifications/request.ts), then `requested`; absent otherwise. The final approval waits for it.
   */
  verifying?: 'requesting' | 'requested';
  /**
   * The verification counter shards (./counters.ts) summed into `verifications` when this was read (absent: not
   * read, `verifications` is the head's alone); a final approval conditions on them.
   */
  verificationShards?: VerificationShard[];
}

/** The batch with its `verifications` summed from the head and the counter shards (one Query; none when its fund does not verify). */
export async function withVerificationCounts(b: StoredBatch): Promise<StoredBatch> {
  if (!b.verifications || b.verificationShards) return b;
  const shards = await readVerificationShards(b.batchId);
  return {
    ...b,
    verifications: sumVerificationCounts(b.verifications, shards),
    verificationShards: shards.map((s) => ({ shard: Number(s.shard), pending: s.pending === undefined ? undefined : Number(s.pending) })),
  };
}

/** A DynamoDB number set (or nothing) as a sorted list. */
const rowList = (value: unknown): number[] => (value instanceof Set ? [...(value as Set<number>)].map(Number).sort((a, b) => a - b) : []);

export interface NewBatch {
  fundId: string;
  countyCode: string;
  purpose: Purpose;
  items: { beneficiary: BatchItem['beneficiary']; amount: number; memo?: string }[];
}

export const rowsKey = (batchId: string, n: number) => ({ pk: keys.batch(batchId).pk, sk: `ITEMS#${String(n).padStart(4, '0')}` });
export const MARKER_PREFIX = 'EXPANDED#';
export const markerKey = (batchId: string, chunk: number) => ({
  pk: keys.batch(batchId).pk,
  sk: `${MARKER_PREFIX}${String(chunk).padStart(4, '0')}`,
});
export const expansionSortKey = (at: Date, batchId: string) => `${at.toISOString()}#${batchId}`;

const batchFields = storedFields<StoredBatch>();

export function toStoredBatch(item: Record<string, unknown>): StoredBatch {
  return {
    ...batchFields(
      item,
      ['batchId', 'fundId', 'countyCode', 'purpose', 'itemCount', 'totalAmount', 'status', 'requiredApprovals', 'approvals'],
      {
        approvals: [],
      },
    ),
    ...batchFields(item, ['requestedBy', 'createdAt', 'updatedAt', 'version', 'rowChunks', 'approvedAt', 'expansion', 'payer', 'notice'], {
      approvedAt: null,
      expansion: null,
      payer: '',
      notice: null,
    }),
    withdrawnRows: rowList(item.withdrawnRows),
    ...batchFields(item, ['withdrawnAmount'], { withdrawnAmount: 0 }),
    heldRows: rowList(item.heldRows),
    lateRows: rowList(item.lateRows),
    ...batchFields(item, ['flags'], { flags: { count: 0, cleared: false } }),
    verifications: (item.verifications as Batch['verifications'] | undefined) ?? null,
    ...(item.verifying === 'requesting' || item.verifying === 'requested' ? { verifying: item.verifying } : {}),
    correctionOf: (item.correctionOf as string | null | undefined) ?? null,
  };
}

/** The response form: no storage fields, counts summed from the shards. Rows are never returned. */
export async function publicBatch(b: StoredBatch, known?: Batch['counts']): Promise<Batch> {
  const {
    version: _v,
    rowChunks: _r,
    approvedAt: _a,
    expansion: _e,
    payer: _p,
    withdrawnRows: _w,
    withdrawnAmount: _wa,
    heldRows: _h,
    lateRows: _l,
    verifying: _vf,
    verificationShards: _vs,
    messageIds: _m,
    flags,
    ...rest
  } = (await withVerificationCounts(b)) as StoredBatch & { messageIds?: string[] };
  return { ...rest, flags: { count: flags.count, cleared: flags.cleared }, counts: known ?? (await readBatchCounts(b.batchId)) };
}

export const noCounts = (): Batch['counts'] => ({ queued: 0, sent: 0, settled: 0, failed: 0, deliveryFailed: 0 });

export async function findBatch(batchId: string): Promise<StoredBatch | undefined> {
  const Item = await getItem(keys.batch(batchId));
  return Item ? withVerificationCounts(toStoredBatch(Item)) : undefined;
}

export async function readBatch(batchId: string): Promise<StoredBatch> {
  return withVerificationCounts(toStoredBatch(await requireItem(keys.batch(batchId), `Batch ${batchId}`)));
}

export async function getBatch(batchId: string): Promise<Batch> {
  return publicBatch(await readBatch(batchId));
}

/** The batch head as `reader` may see it: 404 `not_found` when it belongs to a fund another system pays. */
export async function readBatchFor(batchId: string, reader: MoneyReader): Promise<StoredBatch> {
  return visibleTo(await readBatch(batchId), reader, `Batch ${batchId}`);
}

export async function getBatchFor(batchId: string, reader: MoneyReader): Promise<Batch> {
  return publicBatch(await readBatchFor(batchId, reader));
}

// ---- rows ------------------------------------------------------------------------------------

/** Greedy packing of the rows' JSON into chunks of ≤ ROW_CHUNK_BYTES, each gzip-compressed. */
export function packRows(rows: BatchItem[]): { first: number; count: number; data: Uint8Array }[] {
  const chunks: { first: number; count: number; data: Uint8Array }[] = [];
  let parts: string[] = [];
  let bytes = 2;
  let first = 0;
  const flush = () => {
    if (parts.length === 0) return;
    chunks.push({ first, count: parts.length, data: gzipSync(`[${parts.join(',')}]`) });
    first += parts.length;
    parts = [];
    bytes = 2;
  };
  for (const row of rows) {
    const json = JSON.stringify(row);
    const size = Buffer.byteLength(json) + 1;
    if (bytes + size > ROW_CHUNK_BYTES) flush();
    parts.push(json);
    bytes += size;
  }
  flush();
  return chunks;
}

export async function readRows(b: StoredBatch): Promise<BatchItem[]> {
  const rows: BatchItem[] = [];
  const chunks = await queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': keys.batch(b.batchId).pk, ':prefix': 'ITEMS#' },
    ConsistentRead: true,
  });
  for (const item of chunks) rows.push(...(JSON.parse(gunzipSync(item.rows as Uint8Array).toString('utf8')) as BatchItem[]));
  if (rows.length !== b.itemCount) throw new Error(`batch ${b.batchId}: ${rows.length} stored rows for ${b.itemCount} items`);
  return rows;
}

// ---- stations --------------------------------------------------------------------------------

export function stationIdsOf(rows: readonly { beneficiary: BatchItem['beneficiary'] }[]): Map<string, number> {
  const firstRow = new Map<string, number>();
  rows.forEach((r, i) => {
    const id = r.beneficiary.kind === 'station' ? r.beneficiary.stationId : undefined;
    if (id && !firstRow.has(id)) firstRow.set(id, i);
  });
  return firstRow;
}

/** Every station beneficiary must exist (404) and be active in the batch's county (409), naming the row. */
export async function assertStationsActive(stations: Map<string, number>, countyCode: string): Promise<void> {
  const rows = await readByKeys(
    [...stations.keys()].map((id) => keys.station(id)),
    { expression: 'stationId, #status, countyCode', names: { '#status': 'status' } },
  );
  const found = new Map(rows.map((item) => [item.stationId as string, item]));
  for (const [id, row] of stations) {
    const station = found.get(id);
    const path = `body.items.${row}.beneficiary.stationId`;
    if (!station) throw new DomainError('not_found', `Station ${id} (row ${row}) was not found`, [{ path, message: 'unknown station' }]);
    if (station.status !== 'active' || station.countyCode !== countyCode) {
      throw new DomainError('invalid_state', `Station ${id} (row ${row}) is not active in county ${countyCode}`, [
        { path, message: 'station not active in this county' },
      ]);
    }
  }
}

export function batchAudit(
  b: StoredBatch,
  action: string,
  actor: Actor,
  now: Date,
  change: { from: BatchStatus | null; to: BatchStatus; reason?: string; details?: Record<string, unknown> },
): TxStep {
  return auditStep(keys.batch(b.batchId).pk, {
    actor: actor.sub,
    action: `batch.${action}`,
    at: now,
    correlationId: actor.correlationId,
    fromStatus: change.from,
    toStatus: change.to,
    reason: change.reason,
    details: { fundId: b.fundId, countyCode: b.countyCode, itemCount: b.itemCount, totalAmount: b.totalAmount, ...change.details },
  });
}

// ---- screening -------------------------------------------------------------------------------

export const FLAG_PREFIX = 'FLAG#';
/** One flag of one row (a row may hit several rules): listed in row order by a begins_with Query. */
export const flagKey = (batchId: string, row: number, code: string) => ({
  pk: keys.batch(batchId).pk,
  sk: `${FLAG_PREFIX}${String(row).padStart(4, '0')}#${code}`,
});

// ---- decisions -------------------------------------------------------------------------------

export function batchChangeStep(
  b: StoredBatch,
  now: Date,
  change: { status?: BatchStatus; approvals?: Approval[]; release?: boolean; notice?: StoredBatch['notice'] },
  redecide: (current: StoredBatch) => void,
): TxStep {
  return versionedChangeStep({
    key: keys.batch(b.batchId),
    what: `Batch ${b.batchId}`,
    version: b.version,
    status: b.status,
    now,
    set: {
      ...(change.status ? { status: change.status } : {}),
      ...(change.approvals ? { approvals: change.approvals } : {}),
      ...(change.notice ? { notice: change.notice } : {}),
      // The expansion job's outbox marker, committed with the reservation.
      ...(change.release
        ? {
            approvedAt: now.toISOString(),
            expansion: 'pending',
            gsi4pk: EXPANSION_INDEX,
            gsi4sk: expansionSortKey(now, b.batchId),
          }
        : {}),
    },
    redecide: (current) => redecide(toStoredBatch(current)),
  });
}

// ---- public notice (公示) ----------------------------------------------------------------------

/** A batch row's reference on its notice. */
export const batchItemRef = (batchId: string, row: number) => `${batchId}-${row}`;

/** Moves one row between the head's row sets (DynamoDB number sets), conditional on where it is now. */
export function rowSetStep(
  batchId: string,
  row: number,
  now: Date,
  update: string,
  condition: string,
  values: Record<string, unknown> = {},
): TxStep {
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: keys.batch(batchId),
        UpdateExpression: `${update} SET updatedAt = :at`,
        ConditionExpression: condition,
        ...(condition.includes('#status') ? { ExpressionAttributeNames: { '#status': 'status' } } : {}),
        ExpressionAttributeValues: { ':row': new Set([row]), ':n': row, ':at': now.toISOString(), ...values },
      },
    },
    onConditionFailed: () => new TransactionConflict(),
  };
}

// ---- expansion -------------------------------------------------------------------------------

/** An expansion job on the expansion queue: only a hint to look at the batch. */
export const expansionJobSchema = z.object({ kind: z.literal('batch-expansion'), batchId: z.string().min(1) });
export type ExpansionJob = z.infer<typeof expansionJobSchema>;

/** Sends expansion jobs; never throws (the sweep source re-queues what was not sent). Returns how many were queued. */
export async function queueExpansionJobs(batchIds: readonly string[]): Promise<number> {
  const jobs = batchIds.map((batchId) => ({ body: { kind: 'batch-expansion', batchId } satisfies ExpansionJob }));
  return sendJobs(config().EXPANSION_QUEUE_URL, jobs, 'expansion');
}
