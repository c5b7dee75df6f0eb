import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  assertExpandable,
  COUNTER_SHARDS,
  EXPANSION_CHUNK_SIZE,
  expansionChunks,
  payoutOfItem,
  type BatchItem,
  type ExpansionChunk,
} from '../../domain/batches.ts';
import { isNoticed } from '../../domain/notices.ts';
import { config } from '../../config.ts';
import { report } from '../../metrics.ts';
import { BATCH_ACTOR, completeBatchIfDone, counterStep } from './counters.ts';
import { documents } from '../platform/clients.ts';
import { queryAll } from '../platform/query.ts';
import { enqueueEvents, eventStep } from '../platform/events.ts';
import { keys } from '../platform/keys.ts';
import { overdueSource } from '../platform/sweep.ts';
import { heartbeat as beat } from '../platform/sweep.ts';
import { payoutPutStep } from '../payouts/items.ts';
import { retryOnConflict, transact, type TxStep } from '../platform/transactions.ts';
import {
  EXPANSION_INDEX,
  StoredBatch,
  markerKey,
  expansionSortKey,
  findBatch,
  readRows,
  batchAudit,
  batchItemRef,
  queueExpansionJobs,
  MARKER_PREFIX,
} from './items.ts';

const EXPANSION_CONCURRENCY = 4;

/** Sweep source for the outbox sweeper: approved/processing batches whose expansion made no progress since `cutoff`. */
export const batchExpansionSource = overdueSource({ name: 'batch-expansions', partition: EXPANSION_INDEX, page: queueExpansionJobs });

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
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': keys.batch(batchId).pk, ':prefix': MARKER_PREFIX },
    ConsistentRead: true,
  });
  for (const item of items) {
    markers.set(item.chunk as number, {
      chunk: item.chunk as number,
      count: item.count as number,
      skipped: (item.skipped as number | undefined) ?? 0,
      messageIds: (item.messageIds as string[] | undefined) ?? [],
      enqueued: item.enqueued === true,
    });
  }
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
  await beat(keys.batch(batchId), expansionSortKey(now, batchId), {
    expression: 'expansion = :pending',
    values: { ':pending': 'pending' },
  });
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
