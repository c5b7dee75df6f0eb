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
 * - `COUNTS#<nn>` — sharded payout counts (./batch-counters.ts).
 *
 * Payout ids are derived from (batchId, item index) too, so even without the marker a second copy of a
 * payout would be refused by its own `attribute_not_exists`.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import {
  assertExpandable,
  COUNTER_SHARDS,
  decideBatchApproval,
  decideBatchCancellation,
  decideBatchRejection,
  EXPANSION_CHUNK_SIZE,
  expansionChunks,
  payoutOfItem,
  requiredApprovals,
  type Batch,
  type BatchItem,
  type BatchStatus,
  type ExpansionChunk,
} from '../domain/batches.ts';
import type { Approval, Purpose } from '../domain/disbursements.ts';
import { DomainError, invalidState, notFound } from '../domain/errors.ts';
import { isNoticed, noticeEnd } from '../domain/notices.ts';
import { noticeOpening, registerNoticeSubject } from './notices.ts';
import type { Payout, PayoutStatus } from '../domain/payouts.ts';
import { payerScope, type MoneyReader, type Role } from '../domain/roles.ts';
import { newId } from '../ids.ts';
import { config } from '../config.ts';
import { report } from '../metrics.ts';
import { auditStep } from './audit.ts';
import { claimSteps, createdEarlier, type IdempotencyClaim } from './idempotency-claims.ts';
import { BATCH_ACTOR, completeBatchIfDone, counterStep, readBatchCounts } from './batch-counters.ts';
import { documents } from './clients.ts';
import { sendJobs } from './jobs.ts';
import { countyExistsStep, findCounty } from './counties.ts';
import { enqueueEvents, eventStep } from './events.ts';
import { findAllocation, getFundSettings, type Actor } from './funds.ts';
import { ledgerMoveSteps, requirePosition } from './ledger.ts';
import { keys } from './keys.ts';
import { overdueIn, type SweepSource } from './outbox.ts';
import { listPayouts, payoutPutStep } from './payouts.ts';
import { LEDGER_ATTEMPTS, retryOnConflict, transact, TransactionConflict, versionedChangeStep, type TxStep } from './transactions.ts';
import { logger } from '../logger.ts';
import { getItem, queryPage, readByKeys, requireItem, type Page } from './query.ts';
import { deleteAll, putAll } from './bulk.ts';
import { accountHashes, screenAccounts, writeBatchIndex } from './screening.ts';
import { batchRowFlags, decideClearFlags, type RowFlag } from '../domain/screening.ts';
import { readStationsVersion, stationsUnchangedStep } from './stations.ts';

/** Raw JSON bytes per stored row chunk; gzip only shrinks it, so an item stays under DynamoDB's 400 KB. */
const ROW_CHUNK_BYTES = 350_000;
/** TransactWriteItems carries at most 4 MB; the rows of a creation must fit with room to spare. */
const MAX_STORED_ROW_BYTES = 3_500_000;
/** Items of the creation transaction besides the row chunks: county, allocation, head, audit. */
const CREATION_STEPS = 4;
const EXPANSION_INDEX = 'BAT#EXPANSION';
const EXPANSION_CONCURRENCY = 4;

export interface StoredBatch extends Omit<Batch, 'counts'> {
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
}

/** A DynamoDB number set (or nothing) as a sorted list. */
const rowList = (value: unknown): number[] => (value instanceof Set ? [...(value as Set<number>)].map(Number).sort((a, b) => a - b) : []);

export interface NewBatch {
  fundId: string;
  countyCode: string;
  purpose: Purpose;
  items: { beneficiary: BatchItem['beneficiary']; amount: number; memo?: string }[];
}

const rowsKey = (batchId: string, n: number) => ({ pk: keys.batch(batchId).pk, sk: `ITEMS#${String(n).padStart(4, '0')}` });
const markerKey = (batchId: string, chunk: number) => ({ pk: keys.batch(batchId).pk, sk: `EXPANDED#${String(chunk).padStart(4, '0')}` });
const expansionSortKey = (at: Date, batchId: string) => `${at.toISOString()}#${batchId}`;

export function toStoredBatch(item: Record<string, unknown>): StoredBatch {
  return {
    batchId: item.batchId as string,
    fundId: item.fundId as string,
    countyCode: item.countyCode as string,
    purpose: item.purpose as Purpose,
    itemCount: item.itemCount as number,
    totalAmount: item.totalAmount as number,
    status: item.status as BatchStatus,
    requiredApprovals: item.requiredApprovals as number,
    approvals: (item.approvals as Approval[] | undefined) ?? [],
    requestedBy: item.requestedBy as string,
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
    version: item.version as number,
    rowChunks: item.rowChunks as number,
    approvedAt: (item.approvedAt as string | null | undefined) ?? null,
    expansion: (item.expansion as StoredBatch['expansion'] | undefined) ?? null,
    payer: (item.payer as string | undefined) ?? '',
    notice: (item.notice as StoredBatch['notice'] | undefined) ?? null,
    withdrawnRows: rowList(item.withdrawnRows),
    withdrawnAmount: (item.withdrawnAmount as number | undefined) ?? 0,
    heldRows: rowList(item.heldRows),
    lateRows: rowList(item.lateRows),
    flags: (item.flags as Batch['flags'] | undefined) ?? { count: 0, cleared: false },
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
    ...rest
  } = b;
  return { ...rest, counts: known ?? (await readBatchCounts(b.batchId)) };
}

const noCounts = (): Batch['counts'] => ({ queued: 0, sent: 0, settled: 0, failed: 0, deliveryFailed: 0 });

async function findBatch(batchId: string): Promise<StoredBatch | undefined> {
  const Item = await getItem(keys.batch(batchId));
  return Item ? toStoredBatch(Item) : undefined;
}

async function readBatch(batchId: string): Promise<StoredBatch> {
  return toStoredBatch(await requireItem(keys.batch(batchId), `Batch ${batchId}`));
}

export async function getBatch(batchId: string): Promise<Batch> {
  return publicBatch(await readBatch(batchId));
}

/** The batch head as `reader` may see it: 404 `not_found` when it belongs to a fund another system pays. */
async function readBatchFor(batchId: string, reader: MoneyReader): Promise<StoredBatch> {
  const b = await readBatch(batchId);
  const scope = payerScope(reader);
  if (scope !== undefined && b.payer !== scope) throw notFound(`Batch ${batchId}`);
  return b;
}

export async function getBatchFor(batchId: string, reader: MoneyReader): Promise<Batch> {
  return publicBatch(await readBatchFor(batchId, reader));
}

export async function listBatchPayouts(
  batchId: string,
  filter: { status?: PayoutStatus; limit: number; cursor?: string },
  reader: MoneyReader,
): Promise<Page<Payout>> {
  // A batch's payouts are paid by the batch's payer: the head decides for all of them.
  await readBatchFor(batchId, reader);
  return listPayouts({ ...filter, batchId });
}

// ---- rows ------------------------------------------------------------------------------------

/** Greedy packing of the rows' JSON into chunks of ≤ ROW_CHUNK_BYTES, each gzip-compressed. */
function packRows(rows: BatchItem[]): { first: number; count: number; data: Uint8Array }[] {
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

async function readRows(b: StoredBatch): Promise<BatchItem[]> {
  const rows: BatchItem[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new QueryCommand({
        TableName: config().TABLE_NAME,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.batch(b.batchId).pk, ':prefix': 'ITEMS#' },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) rows.push(...(JSON.parse(gunzipSync(item.rows as Uint8Array).toString('utf8')) as BatchItem[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  if (rows.length !== b.itemCount) throw new Error(`batch ${b.batchId}: ${rows.length} stored rows for ${b.itemCount} items`);
  return rows;
}

// ---- stations --------------------------------------------------------------------------------

function stationIdsOf(rows: readonly { beneficiary: BatchItem['beneficiary'] }[]): Map<string, number> {
  const firstRow = new Map<string, number>();
  rows.forEach((r, i) => {
    const id = r.beneficiary.kind === 'station' ? r.beneficiary.stationId : undefined;
    if (id && !firstRow.has(id)) firstRow.set(id, i);
  });
  return firstRow;
}

/** Every station beneficiary must exist (404) and be active in the batch's county (409), naming the row. */
async function assertStationsActive(stations: Map<string, number>, countyCode: string): Promise<void> {
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

function allocationExistsStep(fundId: string, countyCode: string): TxStep {
  return {
    item: {
      ConditionCheck: {
        TableName: config().TABLE_NAME,
        Key: keys.allocation(fundId, countyCode),
        ConditionExpression: 'attribute_exists(pk)',
      },
    },
    onConditionFailed: () => new DomainError('insufficient_allocation', `Fund ${fundId} has no allocation for county ${countyCode}`),
  };
}

function batchAudit(
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

// ---- creation --------------------------------------------------------------------------------

/** The head as stored: the row sets exist only once they hold a row (DynamoDB has no empty set). */
function storedHead(b: StoredBatch): Record<string, unknown> {
  const { withdrawnRows: _w, heldRows: _h, lateRows: _l, ...head } = b;
  return head;
}

/**
 * Stores a batch pending approval: head, compressed rows and audit entry in ONE transaction, with the
 * county and the allocation re-checked there. Checks read first so the answer names the first problem
 * (unknown fund or county, no allocation, then a station row).
 */
export async function createBatch(input: NewBatch, actor: Actor, now: Date, claim?: IdempotencyClaim): Promise<Batch> {
  const earlier = await createdEarlier(claim, now, getBatch);
  if (earlier) return earlier;
  const fund = await getFundSettings(input.fundId);
  if (!(await findCounty(input.countyCode))) throw notFound(`County ${input.countyCode}`);
  if (!(await findAllocation(input.fundId, input.countyCode))) {
    throw new DomainError('insufficient_allocation', `Fund ${input.fundId} has no allocation for county ${input.countyCode}`);
  }
  await assertStationsActive(stationIdsOf(input.items), input.countyCode);

  const rows: BatchItem[] = input.items.map((i) => ({ beneficiary: i.beneficiary, amount: i.amount, memo: i.memo ?? null }));
  const totalAmount = rows.reduce((sum, r) => sum + r.amount, 0);
  const packed = packRows(rows);
  const storedBytes = packed.reduce((sum, c) => sum + c.data.byteLength, 0);
  if (storedBytes > MAX_STORED_ROW_BYTES || packed.length + CREATION_STEPS > 100) {
    throw new DomainError('payload_too_large', 'The batch rows are too large to store at once; split the batch');
  }

  const batchId = newId('batch', now.getTime());
  const at = now.toISOString();
  const rowFlags = await screenRows(input.fundId, batchId, rows, now);
  const b: StoredBatch = {
    batchId,
    fundId: input.fundId,
    countyCode: input.countyCode,
    purpose: input.purpose,
    itemCount: rows.length,
    totalAmount,
    status: 'pending_approval',
    requiredApprovals: requiredApprovals(totalAmount, fund.dualApprovalThreshold),
    approvals: [],
    requestedBy: actor.sub,
    createdAt: at,
    updatedAt: at,
    version: 1,
    rowChunks: packed.length,
    approvedAt: null,
    expansion: null,
    payer: fund.financeSystem,
    notice: null,
    withdrawnRows: [],
    withdrawnAmount: 0,
    heldRows: [],
    lateRows: [],
    flags: { count: rowFlags.length, cleared: false },
  };
  const table = config().TABLE_NAME;
  await transact([
    ...claimSteps(claim, batchId, now),
    countyExistsStep(input.countyCode),
    allocationExistsStep(input.fundId, input.countyCode),
    {
      item: {
        Put: {
          TableName: table,
          Item: { ...keys.batch(batchId), type: 'batch', ...storedHead(b), gsi1pk: 'BATCHES', gsi1sk: batchId },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    },
    ...packed.map((chunk, n) => ({
      item: {
        Put: {
          TableName: table,
          Item: { ...rowsKey(batchId, n), type: 'batch-rows', first: chunk.first, count: chunk.count, rows: chunk.data },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    })),
    batchAudit(b, 'created', actor, now, {
      from: null,
      to: 'pending_approval',
      details: { requiredApprovals: b.requiredApprovals, flags: b.flags.count },
    }),
  ]);
  return publicBatch(b, noCounts());
}

// ---- screening -------------------------------------------------------------------------------

const flagKey = (batchId: string, row: number) => ({ pk: keys.batch(batchId).pk, sk: `FLAG#${String(row).padStart(4, '0')}` });

/**
 * Screens the rows (./screening.ts) and writes, before the creation transaction, the batch's entries in
 * the beneficiary index and one `FLAG#<row>` item per flagged row. Should that transaction fail, they name
 * a batch that does not exist: the index ignores them and nothing reads the flags of an unknown batch.
 */
async function screenRows(fundId: string, batchId: string, rows: readonly BatchItem[], now: Date): Promise<RowFlag[]> {
  const hashes = await accountHashes(rows.map((r) => r.beneficiary.account.accountNumber));
  const screening = await screenAccounts(fundId, hashes, now, batchId);
  const flags = batchRowFlags(batchId, hashes, screening.matches);
  await writeBatchIndex(fundId, hashes, now.toISOString(), batchId);
  await putAll(flags.map((f) => ({ ...flagKey(batchId, f.row), type: 'batch-flag', ...f })));
  return flags;
}

export async function listBatchFlags(
  batchId: string,
  page: { limit: number; cursor?: string },
  reader: MoneyReader,
): Promise<Page<RowFlag>> {
  await readBatchFor(batchId, reader);
  const result = await queryPage<Record<string, unknown>>({
    keyCondition: 'pk = :pk AND begins_with(sk, :prefix)',
    values: { ':pk': keys.batch(batchId).pk, ':prefix': 'FLAG#' },
    limit: page.limit,
    cursor: page.cursor,
    scope: `batch-flags|${batchId}`,
    consistentRead: true,
  });
  return {
    items: result.items.map((i) => ({ row: i.row as number, code: i.code as RowFlag['code'], matches: i.matches as string[] })),
    nextCursor: result.nextCursor,
  };
}

/** A fund-admin other than the requester clears every row flag at once, with a reason (kept in the audit trail). */
export async function clearBatchFlags(batchId: string, reason: string, actor: Actor, now: Date): Promise<Batch> {
  const cleared = await retryOnConflict(async () => {
    const b = await readBatch(batchId);
    const decide = (current: StoredBatch) =>
      decideClearFlags({ ...current, uncleared: current.flags.cleared ? 0 : current.flags.count }, actor.sub);
    decide(b);
    const flags = { count: b.flags.count, cleared: true };
    await transact([
      versionedChangeStep({
        key: keys.batch(b.batchId),
        what: `Batch ${b.batchId}`,
        version: b.version,
        status: b.status,
        now,
        set: { flags, flagsClearedBy: actor.sub, flagsClearedAt: now.toISOString(), flagsClearedReason: reason },
        redecide: (current) => decide(toStoredBatch(current)),
      }),
      batchAudit(b, 'flags_cleared', actor, now, { from: b.status, to: b.status, reason, details: { flags: b.flags.count } }),
    ]);
    return { ...b, flags, updatedAt: now.toISOString(), version: b.version + 1 };
  });
  return publicBatch(cleared, noCounts());
}

// ---- decisions -------------------------------------------------------------------------------

function batchChangeStep(
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

/**
 * Records an approval. The one that reaches `requiredApprovals` reserves `totalAmount` on the county
 * allocation in ONE transaction with the status change, the audit entry and the expansion marker
 * (409 insufficient_allocation and nothing changes when it does not fit); the expansion job follows.
 */
export async function approveBatch(batchId: string, input: { comment?: string }, actor: Actor, now: Date): Promise<Batch> {
  const result = await retryOnConflict(async () => {
    const b = await readBatch(batchId);
    const decision = decideBatchApproval(b, actor.sub, now, input.comment);
    const redecide = (current: StoredBatch) => decideBatchApproval(current, actor.sub, now, input.comment);
    const at = now.toISOString();
    if (!decision.completes) {
      await transact([
        batchChangeStep(b, now, { approvals: decision.approvals }, redecide),
        batchAudit(b, 'approval', actor, now, {
          from: b.status,
          to: b.status,
          details: { approvals: decision.approvals.length, requiredApprovals: b.requiredApprovals },
        }),
      ]);
      return {
        batch: { ...b, approvals: decision.approvals, updatedAt: at, version: b.version + 1 },
        released: false,
        messageIds: [] as string[],
      };
    }
    const rows = await readRows(b);
    const stations = stationIdsOf(rows);
    // Read before the stations: a status change after this read moves the version and cancels the commit,
    // however many stations the batch names (a transaction could not check more than ~96 one by one).
    const stationsVersion = stations.size > 0 ? await readStationsVersion(b.countyCode) : undefined;
    await assertStationsActive(stations, b.countyCode);
    const stationChecks = stationsVersion === undefined ? [] : [stationsUnchangedStep(b.countyCode, stationsVersion)];
    // Farmer and cooperative rows are posted publicly first (公示): reserve now, expand when the notice ends.
    const noticed = rows.flatMap((row, index) => (isNoticed(row.beneficiary.kind) ? [{ row, index }] : []));
    if (noticed.length > 0) {
      const fund = await getFundSettings(b.fundId);
      const endsAt = noticeEnd(fund.noticePeriod, now);
      if (endsAt) {
        const batch = await openBatchNotice(b, noticed, decision.approvals, fund.name, endsAt, stationChecks, redecide, actor, now);
        return { batch, released: false, messageIds: batch.messageIds };
      }
    }
    await transact([
      batchChangeStep(b, now, { status: 'approved', approvals: decision.approvals, release: true }, redecide),
      ...ledgerMoveSteps(await requirePosition(b.fundId, b.countyCode), 'reserve', b.totalAmount, { batchId: b.batchId }, actor.sub, now),
      batchAudit(b, 'approved', actor, now, {
        from: b.status,
        to: 'approved',
        details: { approvers: decision.approvals.map((a) => a.approver) },
      }),
      ...stationChecks,
    ]);
    const approved: StoredBatch = {
      ...b,
      status: 'approved',
      approvals: decision.approvals,
      updatedAt: at,
      approvedAt: at,
      expansion: 'pending',
      version: b.version + 1,
    };
    return { batch: approved, released: true, messageIds: [] as string[] };
  }, LEDGER_ATTEMPTS);
  if (result.released) await queueExpansionJobs([batchId]);
  if (result.messageIds.length) await enqueueEvents(result.messageIds);
  return publicBatch(result.batch, noCounts());
}

async function closeBatch(
  batchId: string,
  to: 'rejected' | 'cancelled',
  reason: string,
  decide: (b: StoredBatch) => void,
  actor: Actor,
  now: Date,
): Promise<Batch> {
  const closed = await retryOnConflict(async () => {
    const b = await readBatch(batchId);
    decide(b);
    await transact([batchChangeStep(b, now, { status: to }, decide), batchAudit(b, to, actor, now, { from: b.status, to, reason })]);
    return { ...b, status: to, updatedAt: now.toISOString(), version: b.version + 1 };
  });
  return publicBatch(closed, noCounts());
}

export function rejectBatch(batchId: string, reason: string, actor: Actor, now: Date): Promise<Batch> {
  return closeBatch(batchId, 'rejected', reason, (b) => decideBatchRejection(b, actor.sub), actor, now);
}

export function cancelBatch(batchId: string, reason: string, caller: Actor & { roles: readonly Role[] }, now: Date): Promise<Batch> {
  return closeBatch(batchId, 'cancelled', reason, (b) => decideBatchCancellation(b, caller), caller, now);
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

/** Sweep source for the outbox sweeper: approved/processing batches whose expansion made no progress since `cutoff`. */
export const batchExpansionSource: SweepSource = {
  name: 'batch-expansions',
  async sweep(cutoff) {
    let found = 0;
    let queued = 0;
    for await (const ids of overdueIn(EXPANSION_INDEX, cutoff)) {
      found += ids.length;
      queued += await queueExpansionJobs(ids);
    }
    return { found, queued };
  },
};

interface ChunkMarker {
  chunk: number;
  count: number;
  /** Rows of the chunk withdrawn or held by an objection. */
  skipped: number;
  messageIds: string[];
  enqueued: boolean;
}

async function readMarkers(batchId: string): Promise<Map<number, ChunkMarker>> {
  const markers = new Map<number, ChunkMarker>();
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new QueryCommand({
        TableName: config().TABLE_NAME,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.batch(batchId).pk, ':prefix': 'EXPANDED#' },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      markers.set(item.chunk as number, {
        chunk: item.chunk as number,
        count: item.count as number,
        skipped: (item.skipped as number | undefined) ?? 0,
        messageIds: (item.messageIds as string[] | undefined) ?? [],
        enqueued: item.enqueued === true,
      });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return markers;
}

/** Queues a committed chunk's `payout.requested` events, then notes it on the marker (so a re-run does not queue them again). */
async function enqueueChunk(batchId: string, chunk: number, messageIds: string[]): Promise<void> {
  await enqueueEvents(messageIds);
  await documents.send(
    new UpdateCommand({
      TableName: config().TABLE_NAME,
      Key: markerKey(batchId, chunk),
      UpdateExpression: 'SET enqueued = :yes REMOVE messageIds',
      ExpressionAttributeValues: { ':yes': true },
    }),
  );
}

/** A chunk, the start or the end of an expansion that another run already committed. */
class AlreadyDone extends Error {}

/** Commits steps whose condition fails with AlreadyDone when another run got there first: true if this run did. */
async function commitOnce(steps: TxStep[]): Promise<boolean> {
  try {
    await retryOnConflict(() => transact(steps));
    return true;
  } catch (error) {
    if (error instanceof AlreadyDone) return false;
    throw error;
  }
}

/** One chunk: marker, counter shard, payouts and their events, all or nothing. False when it was already there. */
async function expandChunk(b: StoredBatch, rows: readonly BatchItem[], c: ExpansionChunk, now: Date): Promise<string[] | undefined> {
  const approvedAt = new Date(b.approvedAt!);
  // Rows an objection withdrew or holds are not expanded (a held row gets its payout when it is dismissed).
  const skip = new Set([...b.withdrawnRows, ...b.heldRows, ...b.lateRows]);
  const indexes = Array.from({ length: c.end - c.first }, (_, n) => c.first + n).filter((i) => !skip.has(i));
  const payouts = indexes.map((i) => payoutOfItem({ ...b, approvedAt }, rows[i]!, i, now));
  const events = payouts.map((p) => eventStep('payout.requested', p.payoutId, p, now, { payer: b.payer }));
  const messageIds = events.map((e) => e.messageId);
  const committed = await commitOnce([
    {
      item: {
        Put: {
          TableName: config().TABLE_NAME,
          Item: {
            ...markerKey(b.batchId, c.chunk),
            type: 'batch-expansion',
            chunk: c.chunk,
            first: c.first,
            count: payouts.length,
            skipped: c.end - c.first - payouts.length,
            amount: payouts.reduce((sum, p) => sum + p.amount, 0),
            messageIds,
            enqueued: false,
            actor: BATCH_ACTOR,
            at: now.toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      onConditionFailed: () => new AlreadyDone(),
    },
    counterStep(b.batchId, c.chunk % COUNTER_SHARDS, { queued: payouts.length }),
    ...payouts.map((p, n) =>
      payoutPutStep(p, messageIds[n]!, {
        payer: b.payer,
        ...(b.notice && isNoticed(p.beneficiary.kind)
          ? { noticeItem: { noticeId: b.notice.noticeId, itemRef: batchItemRef(b.batchId, indexes[n]!) } }
          : {}),
      }),
    ),
    ...events.map((e) => e.step),
  ]);
  if (!committed) return undefined;
  report.payoutsQueued(payouts.length);
  return messageIds;
}

export interface ExpansionOptions {
  /** The time written on payouts and events; defaults to the clock. */
  clock?: () => Date;
  /** Chunks in flight at once. */
  concurrency?: number;
  /** Called after a chunk committed and before its events are queued (tests crash here). */
  onChunkCommitted?: (chunk: number) => void | Promise<void>;
}

export interface ExpansionResult {
  outcome: 'expanded' | 'not-expandable' | 'already-expanded';
  /** Chunks this run committed. */
  committed: number;
  /** Chunks found committed already (an earlier or concurrent run). */
  skipped: number;
}

/**
 * Turns an approved batch into one payout per item, idempotently: each chunk of 49 payouts commits
 * with its progress marker, so a crash, a duplicate job or two expanders at once yield every payout
 * exactly once. Status `processing` from the first chunk on; the marker in the outbox index is moved
 * forward as chunks commit and removed at the end.
 */
export async function expandBatch(batchId: string, options: ExpansionOptions = {}): Promise<ExpansionResult> {
  const clock = options.clock ?? (() => new Date());
  const b = await findBatch(batchId);
  if (!b) return { outcome: 'not-expandable', committed: 0, skipped: 0 };
  try {
    assertExpandable(b.status);
  } catch {
    return { outcome: 'not-expandable', committed: 0, skipped: 0 };
  }
  if (b.expansion === 'done') return { outcome: 'already-expanded', committed: 0, skipped: 0 };
  if (b.status === 'approved') await startProcessing(b, clock());

  const rows = await readRows(b);
  const markers = await readMarkers(batchId);
  // Chunks committed by a run that died before queueing their events.
  for (const marker of markers.values()) {
    if (!marker.enqueued) await enqueueChunk(batchId, marker.chunk, marker.messageIds);
  }
  const todo = expansionChunks(b.itemCount, EXPANSION_CHUNK_SIZE).filter((c) => !markers.has(c.chunk));
  let committed = 0;
  let skipped = markers.size;
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const chunk = todo[next++]!;
      const messageIds = await expandChunk(b, rows, chunk, clock());
      if (!messageIds) {
        skipped++;
        continue;
      }
      committed++;
      await options.onChunkCommitted?.(chunk.chunk);
      await enqueueChunk(batchId, chunk.chunk, messageIds);
      await heartbeat(batchId, clock());
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? EXPANSION_CONCURRENCY) }, worker));
  await finishExpansion(b, clock());
  await completeBatchIfDone(batchId, clock());
  return { outcome: 'expanded', committed, skipped };
}

async function startProcessing(b: StoredBatch, now: Date): Promise<void> {
  // Another run already did it: carry on, the chunks decide who writes what.
  await commitOnce([
    {
      item: {
        Update: {
          TableName: config().TABLE_NAME,
          Key: keys.batch(b.batchId),
          UpdateExpression: 'SET #status = :processing, updatedAt = :at, version = version + :one, gsi4sk = :due',
          ConditionExpression: '#status = :approved',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':processing': 'processing',
            ':approved': 'approved',
            ':at': now.toISOString(),
            ':one': 1,
            ':due': expansionSortKey(now, b.batchId),
          },
        },
      },
      onConditionFailed: () => new AlreadyDone(),
    },
    batchAudit(b, 'processing', { sub: BATCH_ACTOR }, now, { from: 'approved', to: 'processing' }),
  ]);
}

/** Progress: keeps a working expansion out of the sweep source's reach. */
async function heartbeat(batchId: string, now: Date): Promise<void> {
  try {
    await documents.send(
      new UpdateCommand({
        TableName: config().TABLE_NAME,
        Key: keys.batch(batchId),
        UpdateExpression: 'SET gsi4sk = :due',
        ConditionExpression: 'expansion = :pending',
        ExpressionAttributeValues: { ':due': expansionSortKey(now, batchId), ':pending': 'pending' },
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
  }
}

async function finishExpansion(b: StoredBatch, now: Date): Promise<void> {
  const markers = await readMarkers(b.batchId);
  const created = [...markers.values()].reduce((sum, m) => sum + m.count, 0);
  const skipped = [...markers.values()].reduce((sum, m) => sum + m.skipped, 0);
  if (created + skipped !== b.itemCount) throw new Error(`batch ${b.batchId}: ${created} payouts expanded for ${b.itemCount} items`);
  // Another run may have finished it already: then there is nothing left to do.
  await commitOnce([
    {
      item: {
        Update: {
          TableName: config().TABLE_NAME,
          Key: keys.batch(b.batchId),
          UpdateExpression: 'SET expansion = :done, expandedAt = :at REMOVE gsi4pk, gsi4sk',
          ConditionExpression: 'expansion = :pending',
          ExpressionAttributeValues: { ':done': 'done', ':pending': 'pending', ':at': now.toISOString() },
        },
      },
      onConditionFailed: () => new AlreadyDone(),
    },
    batchAudit(b, 'expanded', { sub: BATCH_ACTOR }, now, { from: 'processing', to: 'processing', details: { payouts: created } }),
  ]);
}

// ---- public notice (公示) ----------------------------------------------------------------------

/** A batch row's reference on its notice. */
export const batchItemRef = (batchId: string, row: number) => `${batchId}-${row}`;

/**
 * Writes a batch notice's items ahead of the approval (a transaction holds 100 items; a batch has up
 * to 5,000 rows). They are invisible until the approval commits the notice head; if it does not,
 * they are deleted again (a left-over, should that fail too, is reachable from nothing).
 */
async function stageNoticeItems(puts: TxStep[], remove: boolean): Promise<void> {
  const items = puts.map((p) => p.item.Put!.Item as Record<string, unknown>);
  await (remove ? deleteAll(items.map((item) => ({ pk: item.pk, sk: item.sk }))) : putAll(items));
}

/** The final approval under a notice period: reserve `totalAmount`, post the noticed rows, `in_notice`. */
async function openBatchNotice(
  b: StoredBatch,
  noticed: { row: BatchItem; index: number }[],
  approvals: Approval[],
  fundName: string,
  endsAt: Date,
  stationChecks: TxStep[],
  redecide: (current: StoredBatch) => void,
  actor: Actor,
  now: Date,
): Promise<StoredBatch & { messageIds: string[] }> {
  const opening = await noticeOpening(
    {
      fundId: b.fundId,
      payer: b.payer,
      fundName,
      countyCode: b.countyCode,
      purpose: b.purpose,
      source: { kind: 'batch', id: b.batchId },
      approvers: approvals.map((a) => a.approver),
      entries: noticed.map(({ row, index }) => ({
        itemRef: batchItemRef(b.batchId, index),
        name: row.beneficiary.name,
        kind: row.beneficiary.kind,
        amount: row.amount,
        row: index,
      })),
      endsAt,
    },
    actor,
    now,
  );
  await stageNoticeItems(opening.itemPuts, false);
  try {
    await transact([
      batchChangeStep(b, now, { status: 'in_notice', approvals, notice: opening.notice }, redecide),
      ...ledgerMoveSteps(await requirePosition(b.fundId, b.countyCode), 'reserve', b.totalAmount, { batchId: b.batchId }, actor.sub, now),
      ...opening.steps,
      batchAudit(b, 'notice_opened', actor, now, {
        from: b.status,
        to: 'in_notice',
        details: {
          approvers: approvals.map((a) => a.approver),
          noticeId: opening.notice.noticeId,
          listed: noticed.length,
          endsAt: opening.notice.endsAt,
        },
      }),
      ...stationChecks,
    ]);
  } catch (error) {
    // A left-over is reachable from nothing (see stageNoticeItems), but it is logged, never dropped silently.
    await stageNoticeItems(opening.itemPuts, true).catch((cleanup: unknown) =>
      logger.warn('staged notice items not removed after a failed approval', {
        batchId: b.batchId,
        items: opening.itemPuts.length,
        error: (cleanup as Error).name,
      }),
    );
    throw error;
  }
  const at = now.toISOString();
  return {
    ...b,
    status: 'in_notice',
    approvals,
    notice: opening.notice,
    updatedAt: at,
    version: b.version + 1,
    messageIds: [opening.messageId],
  };
}

/** Moves one row between the head's row sets (DynamoDB number sets), conditional on where it is now. */
function rowSetStep(
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

function rowOf(item: { row?: number; itemRef: string }): number {
  if (item.row === undefined) throw new Error(`notice item ${item.itemRef} names no batch row`);
  return item.row;
}

/**
 * The notice of a batch: its end approves the batch (the expansion then creates the payouts of every
 * row not held or withdrawn); an upheld objection excludes its row and releases the row's amount; a
 * held row dismissed after the end gets its payout on its own.
 */
registerNoticeSubject('batch', {
  async close(notice, _proceeding, held, now) {
    const b = await readBatch(notice.source.id);
    // Another run of the notice's end got there first: read the notice again (it is closed now).
    if (b.status !== 'in_notice') throw new TransactionConflict();
    const heldRows = held.map(rowOf);
    const step = batchChangeStep(b, now, { status: 'approved', release: true }, () => undefined);
    if (heldRows.length) {
      const update = step.item.Update!;
      update.UpdateExpression += ' ADD heldRows :heldRows';
      update.ExpressionAttributeValues = { ...update.ExpressionAttributeValues, ':heldRows': new Set(heldRows) };
    }
    return {
      steps: [
        step,
        batchAudit(b, 'notice_ended', { sub: 'system:notice' }, now, {
          from: 'in_notice',
          to: 'approved',
          details: { noticeId: notice.noticeId, held: heldRows },
        }),
      ],
      messageIds: [],
      after: async () => {
        await queueExpansionJobs([b.batchId]);
      },
    };
  },
  async proceed(notice, items, actorSub, now) {
    const b = await readBatch(notice.source.id);
    const row = rowOf(items[0]!);
    if (!b.heldRows.includes(row) || !b.approvedAt) throw new Error(`notice invariant: row ${row} of batch ${b.batchId} is not held`);
    const rows = await readRows(b);
    const payout = payoutOfItem({ ...b, approvedAt: new Date(b.approvedAt) }, rows[row]!, row, now);
    const event = eventStep('payout.requested', payout.payoutId, payout, now, { payer: b.payer });
    return {
      steps: [
        rowSetStep(b.batchId, row, now, 'DELETE heldRows :row ADD lateRows :row', 'contains(heldRows, :n)'),
        counterStep(b.batchId, row % COUNTER_SHARDS, { queued: 1 }),
        payoutPutStep(payout, event.messageId, {
          payer: b.payer,
          noticeItem: { noticeId: notice.noticeId, itemRef: batchItemRef(b.batchId, row) },
        }),
        event.step,
        batchAudit(b, 'row_proceeded', { sub: actorSub }, now, {
          from: b.status,
          to: b.status,
          details: { row, payoutId: payout.payoutId },
        }),
      ],
      messageIds: [event.messageId],
    };
  },
  async withdraw(notice, item, reason, actorSub, now) {
    const b = await readBatch(notice.source.id);
    const row = rowOf(item);
    if (!['in_notice', 'approved', 'processing'].includes(b.status)) throw invalidState(`The batch is ${b.status}`);
    return {
      steps: [
        rowSetStep(
          b.batchId,
          row,
          now,
          'ADD withdrawnRows :row, withdrawnAmount :amount DELETE heldRows :row',
          '(attribute_not_exists(withdrawnRows) OR NOT contains(withdrawnRows, :n)) AND #status IN (:in_notice, :approved, :processing)',
          { ':amount': item.amount, ':in_notice': 'in_notice', ':approved': 'approved', ':processing': 'processing' },
        ),
        ...ledgerMoveSteps(await requirePosition(b.fundId, b.countyCode), 'release', item.amount, { batchId: b.batchId }, actorSub, now),
        batchAudit(b, 'row_withdrawn', { sub: actorSub }, now, {
          from: b.status,
          to: b.status,
          reason,
          details: { row, amount: item.amount },
        }),
      ],
      messageIds: [],
      after: () => completeBatchIfDone(b.batchId, new Date()).then(() => undefined),
    };
  },
});
