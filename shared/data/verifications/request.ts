/**
 * The request job of a batch's account verifications (API.md 1.2, Account verification), off the request path:
 * the batch commits with every row pending and `verifying: requesting` (../batches/create.ts), its job is queued
 * on the expansion queue once committed, and the outbox sweeper queues it again while the head stays in the
 * `BAT#VERIFYING` index without progress (a lost message, a crashed run).
 *
 * The batch's distinct accounts are cut into fixed chunks; each chunk commits in ONE transaction with its
 * marker (`attribute_not_exists`), so SQS redelivery, a duplicate job or two runs at once commit each chunk once,
 * and a run that died between chunks is finished by the next. Reads are keyed: the plan, the rows, and one
 * lookup per distinct account (BatchGetItem); never a scan.
 */
import { VERIFIABLE_BATCH_STATUS } from '../../domain/account-verification.ts';
import { inParallel, putAll } from '../platform/bulk.ts';
import { enqueueEvents } from '../platform/events.ts';
import { overdueIn, type SweepSource } from '../platform/sweep.ts';
import { retryOnConflict, transact } from '../platform/transactions.ts';
import { findBatch, readRows, type StoredBatch } from '../batches/items.ts';
import { reportFigures, reportStatsSteps } from '../reports/stats.ts';
import { VERIFYING_INDEX, readRequestMarkers } from './items.ts';
import {
  ChunkRequested,
  payerSubscribes,
  queueVerificationJobs,
  readLookups,
  readVerificationPlan,
  requestChunks,
  requestChunkSteps,
  requestHeartbeat,
  requestsDoneStep,
} from './plan.ts';

const REQUEST_CONCURRENCY = 8;
/** At most one heartbeat per run in this time (the sweeper waits minutes): not one head write per chunk. */
const HEARTBEAT_MS = 2_000;

export interface RequestOptions {
  /** The time written on verifications and events; defaults to the clock. */
  clock?: () => Date;
  /** Chunks in flight at once. */
  concurrency?: number;
  /** At most one heartbeat in this many ms (tests: 0, a heartbeat after every chunk). */
  heartbeatMs?: number;
  /** Called after a chunk committed and before its events are queued (tests crash here). */
  onChunkCommitted?: (chunk: number) => void | Promise<void>;
}

export interface RequestResult {
  /** `stopped`: the batch left `pending_approval` (rejected, cancelled): what was not requested is not asked. */
  outcome: 'requested' | 'nothing-to-do' | 'stopped';
  /** Chunks this run committed. */
  committed: number;
  /** Chunks found committed already (an earlier or concurrent run). */
  skipped: number;
  /** Milliseconds spent in each phase, summed over the chunks in flight (for the log: where a run's time goes). */
  ms?: { read: number; lookups: number; transact: number; enqueue: number; heartbeat: number };
}

/** Sweep source for the outbox sweeper: batches whose verification requests made no progress since `cutoff`. */
export const batchVerificationSource: SweepSource = {
  name: 'batch-verification-requests',
  async sweep(cutoff) {
    let found = 0;
    let queued = 0;
    for await (const ids of overdueIn(VERIFYING_INDEX, cutoff)) {
      found += ids.length;
      queued += await queueVerificationJobs(ids);
    }
    return { found, queued };
  },
};

/** Commits steps whose marker fails with ChunkRequested when another run got there first: true if this run did. */
async function commitOnce(work: () => Promise<void>): Promise<boolean> {
  try {
    await retryOnConflict(work);
    return true;
  } catch (error) {
    if (error instanceof ChunkRequested) return false;
    throw error;
  }
}

/** Requests (or reuses) the verification of every distinct account of the batch, chunk by chunk, idempotently. */
export async function requestBatchVerifications(batchId: string, options: RequestOptions = {}): Promise<RequestResult> {
  const clock = options.clock ?? (() => new Date());
  const b = await findBatch(batchId);
  if (!b || b.verifying !== 'requesting') return { outcome: 'nothing-to-do', committed: 0, skipped: 0 };
  if (b.status !== VERIFIABLE_BATCH_STATUS) {
    await stop(b, clock());
    return { outcome: 'stopped', committed: 0, skipped: 0 };
  }
  const ms = { read: 0, lookups: 0, transact: 0, enqueue: 0, heartbeat: 0 };
  const timed = async <T>(phase: keyof typeof ms, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      ms[phase] += performance.now() - started;
    }
  };
  const [plan, markers] = await timed('read', () => Promise.all([readVerificationPlan(batchId), readRequestMarkers(batchId)]));
  const chunks = requestChunks(plan);
  const todo = chunks.filter((c) => !markers.has(c.chunk));
  const rows = todo.length > 0 ? await timed('read', () => readRows(b)) : [];
  let committed = 0;
  let skipped = markers.size;
  // The heartbeat tells when the batch left pending_approval (or another run finished): no chunk starts after.
  let stopped = false;
  let lastBeat = performance.now();
  await inParallel(todo, Math.max(1, options.concurrency ?? REQUEST_CONCURRENCY), async (c) => {
    if (stopped) return;
    const accounts = c.accounts.map((a) => ({ ...a, account: rows[a.rows[0]!]!.beneficiary.account }));
    let messageIds: string[] = [];
    let attempt = 0;
    const done = await commitOnce(async () => {
      const now = clock();
      // The first try reads the lookups eventually consistent: a stale one fails the chunk's conditions, and the
      // next try reads them consistently.
      const [lookups, subscribed] = await timed('lookups', () =>
        Promise.all([
          readLookups(
            b.fundId,
            accounts.map((a) => a.key),
            attempt++ > 0,
          ),
          payerSubscribes(b.payer, now),
        ]),
      );
      const step = requestChunkSteps(b, { chunk: c.chunk, accounts }, lookups, now, subscribed);
      if (step.flagPuts.length > 0) await putAll(step.flagPuts);
      // The half-year report counts the flags raised, with the chunk (so once), on a shard the chunk picks.
      await timed('transact', () =>
        transact([...step.steps, ...reportStatsSteps(b.fundId, now, reportFigures.flagsRaised(step.flagCodes), `${b.batchId}#${c.chunk}`)]),
      );
      messageIds = step.messageIds;
    });
    if (!done) {
      skipped++;
      return;
    }
    committed++;
    await options.onChunkCommitted?.(c.chunk);
    // A crash before this leaves the events to the outbox sweeper (they are in the outbox index).
    if (messageIds.length > 0) await timed('enqueue', () => enqueueEvents(messageIds));
    if (performance.now() - lastBeat >= (options.heartbeatMs ?? HEARTBEAT_MS)) {
      lastBeat = performance.now();
      if (!(await timed('heartbeat', () => requestHeartbeat(b.batchId, clock())))) stopped = true;
    }
  });
  if (stopped) {
    await stop(b, clock());
    return { outcome: 'stopped', committed, skipped, ms: rounded(ms) };
  }
  await finish(b, chunks.length, clock());
  return { outcome: 'requested', committed, skipped, ms: rounded(ms) };
}

const rounded = <T extends Record<string, number>>(ms: T): T =>
  Object.fromEntries(Object.entries(ms).map(([phase, n]) => [phase, Math.round(n)])) as T;

/** The head leaves `requesting` (and the sweeper's index) with what was requested; nothing more is asked. */
async function stop(b: StoredBatch, now: Date): Promise<void> {
  await commitOnce(() => transact([requestsDoneStep(b.batchId, now)]));
}

async function finish(b: StoredBatch, chunks: number, now: Date): Promise<void> {
  const markers = await readRequestMarkers(b.batchId);
  if (markers.size !== chunks) throw new Error(`batch ${b.batchId}: ${markers.size} of ${chunks} verification request chunks committed`);
  // Another run may have finished it already: then there is nothing left to do.
  await commitOnce(() => transact([requestsDoneStep(b.batchId, now)]));
}
