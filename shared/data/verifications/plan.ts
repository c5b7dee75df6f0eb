/**
 * Account verification (API.md 1.2): planning the requests. A disbursement's verification is decided in its
 * creation transaction (reuse the account's answer of the last 180 days, join a pending one, or request a new
 * one); a batch's accounts are stored at its creation and requested by the request job (./request.ts) in chunks,
 * each chunk one transaction with its marker. The items and keys are in ./items.ts.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import * as z from 'zod';
import {
  emptyVerificationCounts,
  flagOfAnswer,
  itemVerification,
  pendingVerification,
  verificationCountsMove,
  verificationKey,
  verificationNeed,
  verificationRequestedData,
  VERIFIABLE_BATCH_STATUS,
  type ItemVerification,
  type VerificationCounts,
} from '../../domain/account-verification.ts';
import type { BankAccount } from '../../domain/payouts.ts';
import type { Flag } from '../../domain/warning-rules.ts';
import { newId } from '../../ids.ts';
import { config } from '../../config.ts';
import { appSecrets } from '../../secrets.ts';
import { eventStep } from '../platform/events.ts';
import { sendJobs } from '../platform/jobs.ts';
import { heartbeat } from '../platform/sweep.ts';
import { keys } from '../platform/keys.ts';
import { getItem, readByKeys } from '../platform/query.ts';
import { TransactionConflict, type TxStep } from '../platform/transactions.ts';
import { verificationCounterStep, VERIFICATION_COUNT_SHARDS } from '../batches/counters.ts';
import type { FundSettings } from '../funds/items.ts';
import { financeSystemSubscribes } from '../webhook-endpoints/subscriptions.ts';
import {
  verificationKeys,
  VERIFYING_INDEX,
  requestSortKey,
  newVerificationSteps,
  stillPendingStep,
  StoredVerification,
  asItem,
  toLookup,
  waiterItem,
  newVerification,
  accountKeyOf,
  rowFlagItem,
  isMap,
} from './items.ts';

// ---- a disbursement's verification, in its creation transaction -------------------------------------

export interface ItemPlan {
  verification: ItemVerification | null;
  /** A flag when the reused answer was not `match`. */
  flags: Flag[];
  steps: (ref: string) => TxStep[];
  /** The `account.verification_requested` event to queue once committed. */
  messageIds: string[];
}

const NOTHING: ItemPlan = { verification: null, flags: [], steps: () => [], messageIds: [] };

/**
 * What a new disbursement does about its account: nothing when the fund does not verify; the earlier answer
 * (with its flag) when it is at most 180 days old; a wait for the earlier pending request; or a new request.
 * The steps hold only if nobody changed the account's lookup, or answered the reused pending verification,
 * since this read (else `TransactionConflict`: plan again).
 */
export async function planItemVerification(fund: FundSettings, account: BankAccount, now: Date): Promise<ItemPlan> {
  if (fund.accountVerification !== 'required') return NOTHING;
  const accountKey = await accountKeyOf(account);
  const found = await getItem(verificationKeys.lookup(fund.fundId, accountKey));
  const earlier = found ? toLookup(found) : null;
  const at = now.toISOString();
  const table = config().TABLE_NAME;
  if (earlier && verificationNeed(earlier, now) === 'reuse') {
    const flag = flagOfAnswer(earlier, now);
    if (earlier.status !== 'pending') return { verification: asItem(earlier), flags: flag ? [flag] : [], steps: () => [], messageIds: [] };
    return {
      verification: asItem(earlier),
      flags: [],
      messageIds: [],
      steps: (ref) => [
        stillPendingStep(earlier.verificationId),
        { item: { Put: { TableName: table, Item: waiterItem(earlier.verificationId, ref, null, at) } } },
      ],
    };
  }
  const v = newVerification(fund, account, accountKey, now);
  const event = eventStep('account.verification_requested', v.verificationId, verificationRequestedData(v), now, { payer: v.payer });
  return {
    verification: itemVerification(v),
    flags: [],
    messageIds: [event.messageId],
    steps: (ref) => [
      ...newVerificationSteps(fund.fundId, v, earlier),
      { item: { Put: { TableName: table, Item: waiterItem(v.verificationId, ref, null, at) } } },
      event.step,
    ],
  };
}

// ---- a batch's verifications, requested after its creation ---------------------------------------

/** Distinct accounts of a batch (by lookup key, in order of first row) and the rows that use each. */
export interface PlannedAccount {
  key: string;
  rows: number[];
}

/** Distinct accounts per request transaction: a new one takes 3 items (verification with its waiter, lookup, event), a reused pending one 2, an answered one none; + marker (+ counter shard, head and report figures, only beside an answered one). 33: 100 items at most (unit test verification-request-chunks). */
export const REQUEST_CHUNK_ACCOUNTS = 33;

export interface BatchVerificationPlan {
  /** The head's `verifications`: every row pending until the request job has looked at its account (null: the fund does not verify). */
  counts: VerificationCounts | null;
  /** Fields of the head: `verifying: requesting` and the sweeper's index entry, while the request job has work. */
  headFields: Record<string, unknown>;
  /** The batch's distinct accounts (`BAT#<id> / VERPLAN`), put in the creation transaction. */
  steps: TxStep[];
}

/**
 * What a new batch of a fund that verifies stores for its verifications: nothing is read or requested on the
 * request path. The creation transaction puts the batch's distinct accounts under their secret lookup keys
 * (the request job runs without the secret) and marks the head `verifying: requesting`, with every row
 * counted pending; the request job (../verifications/request.ts), queued once the batch committed and swept
 * when it stalls, then reuses an answer of the last 180 days, waits for a pending request or requests a new one.
 */
export async function planBatchVerifications(
  fund: FundSettings,
  batchId: string,
  accounts: readonly BankAccount[],
  now: Date,
): Promise<BatchVerificationPlan> {
  if (fund.accountVerification !== 'required') return { counts: null, headFields: {}, steps: [] };
  const secret = (await appSecrets()).screeningKey;
  const rowsOf = new Map<string, number[]>();
  accounts.forEach((account, row) => {
    const key = verificationKey(account, secret);
    const rows = rowsOf.get(key) ?? [];
    rows.push(row);
    rowsOf.set(key, rows);
  });
  const planned: PlannedAccount[] = [...rowsOf].map(([key, rows]) => ({ key, rows }));
  return {
    counts: { ...emptyVerificationCounts(), pending: accounts.length },
    headFields: { verifying: 'requesting', gsi4pk: VERIFYING_INDEX, gsi4sk: requestSortKey(now, batchId) },
    steps: [
      {
        item: {
          Put: {
            TableName: config().TABLE_NAME,
            Item: { ...verificationKeys.plan(batchId), type: 'batch-verification-plan', accounts: gzipSync(JSON.stringify(planned)) },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      },
    ],
  };
}

export async function readVerificationPlan(batchId: string): Promise<PlannedAccount[]> {
  const item = await getItem(verificationKeys.plan(batchId));
  return item ? (JSON.parse(gunzipSync(item.accounts as Uint8Array).toString('utf8')) as PlannedAccount[]) : [];
}

/** The request job's chunks: fixed by the plan, so that every run cuts the same ones. */
export function requestChunks(plan: readonly PlannedAccount[]): { chunk: number; accounts: PlannedAccount[] }[] {
  const chunks: { chunk: number; accounts: PlannedAccount[] }[] = [];
  for (let i = 0; i < plan.length; i += REQUEST_CHUNK_ACCOUNTS) {
    chunks.push({ chunk: chunks.length, accounts: plan.slice(i, i + REQUEST_CHUNK_ACCOUNTS) });
  }
  return chunks;
}

/** A chunk committed already (by an earlier or concurrent run of the request job). */
export class ChunkRequested extends Error {}

export interface RequestChunkPlan {
  steps: TxStep[];
  /** Flag items of rows whose account was answered (not `match`) within 180 days, put before the transaction. */
  flagPuts: Record<string, unknown>[];
  /** `account.verification_requested` events to queue once committed. */
  messageIds: string[];
  /** The codes of the flags raised (one per row), for the half-year report's figures in the same transaction. */
  flagCodes: string[];
}

/**
 * One chunk of a batch's accounts, given their lookups as read: ONE transaction with the chunk's marker
 * (`attribute_not_exists`: a duplicate job or a redelivery commits it once), for each account either
 * - an answer of the last 180 days: its rows move from pending on the head's counts at once (and take its flag);
 * - a pending request: the batch's waiter, with a check that it is still pending (an answer committed after
 *   this transaction finds the waiter; one committed before fails the check, and the chunk is planned again);
 * - else a new verification, its lookup (on the condition that nobody replaced the lookup read: one
 *   verification per account, even when two batches ask at once), its waiter and its event.
 */
export function requestChunkSteps(
  batch: { batchId: string; fundId: string; payer: string; status: string; flags?: { byCode?: unknown } },
  chunk: { chunk: number; accounts: readonly { key: string; rows: number[]; account: BankAccount }[] },
  lookups: ReadonlyMap<string, Record<string, unknown>>,
  now: Date,
  /** Whether an endpoint of the paying system subscribes (payerSubscribes): else the events are written `dropped`. */
  subscribed = true,
): RequestChunkPlan {
  const table = config().TABLE_NAME;
  const at = now.toISOString();
  const steps: TxStep[] = [];
  const flagPuts: Record<string, unknown>[] = [];
  const messageIds: string[] = [];
  const waited: string[] = [];
  const moves: Partial<Record<keyof VerificationCounts, number>> = {};
  const flagCodes: string[] = [];
  let flagged = 0;
  for (const { key, rows, account } of chunk.accounts) {
    const found = lookups.get(key);
    const earlier = found ? toLookup(found) : null;
    if (earlier && verificationNeed(earlier, now) === 'reuse') {
      if (earlier.status !== 'pending') {
        for (const [name, delta] of Object.entries(verificationCountsMove('pending', earlier.status, rows.length))) {
          const field = name as keyof VerificationCounts;
          moves[field] = (moves[field] ?? 0) + delta;
        }
        const flag = batch.status === 'pending_approval' ? flagOfAnswer(earlier, now) : null;
        if (flag) {
          flagPuts.push(...rows.map((row) => rowFlagItem(batch.batchId, row, flag)));
          flagCodes.push(...rows.map(() => flag.code));
          flagged += rows.length;
        }
        continue;
      }
      waited.push(earlier.verificationId);
      steps.push(stillPendingStep(earlier.verificationId), {
        item: { Put: { TableName: table, Item: waiterItem(earlier.verificationId, batch.batchId, rows, at) } },
      });
      continue;
    }
    const v: StoredVerification = {
      ...pendingVerification(newId('verification', now.getTime()), batch.fundId, account, at),
      payer: batch.payer,
      accountKey: key,
      // The batch's waiter, on the verification itself: one item less per account.
      waitBatch: batch.batchId,
      waitRows: rows,
      // No `WAIT#` item yet: one that joins later marks it (stillPendingStep).
      waiterItems: false,
    };
    const event = eventStep('account.verification_requested', v.verificationId, verificationRequestedData(v), now, {
      payer: v.payer,
      subscribed,
    });
    waited.push(v.verificationId);
    if (event.queued) messageIds.push(event.messageId);
    steps.push(...newVerificationSteps(batch.fundId, v, earlier), event.step);
  }
  const marker: TxStep = {
    item: {
      Put: {
        TableName: table,
        Item: {
          ...verificationKeys.requestMarker(batch.batchId, chunk.chunk),
          type: 'batch-verification-request',
          chunk: chunk.chunk,
          accounts: chunk.accounts.length,
          ids: waited,
          at,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    onConditionFailed: () => new ChunkRequested(),
  };
  const head: TxStep[] = [];
  // Rows of answered accounts move on the chunk's counter shard (the marker makes it once); the head only takes flags.
  if (Object.values(moves).some((delta) => delta !== 0)) {
    head.push(verificationCounterStep(batch.batchId, chunk.chunk % VERIFICATION_COUNT_SHARDS, moves));
  }
  if (flagged > 0) {
    const names: Record<string, string> = { '#flags': 'flags', '#count': 'count', '#blocking': 'blocking' };
    const values: Record<string, unknown> = { ':at': at, ':one': 1, ':f': flagged, ':false': false, ':zero': 0 };
    const sets = [
      'updatedAt = :at',
      'version = version + :one',
      '#flags.#count = #flags.#count + :f',
      '#flags.#blocking = if_not_exists(#flags.#blocking, :zero) + :f',
      '#flags.cleared = :false',
    ];
    // Counts by code, on a head that keeps them (every head since they were kept; one stored before counts the
    // rest as duplicate screening's: warning-rules.ts rowFlagCountsByCode).
    const keepsByCode = isMap(batch.flags?.byCode);
    if (keepsByCode) {
      names['#byCode'] = 'byCode';
      const byCode = new Map<string, number>();
      for (const code of flagCodes) byCode.set(code, (byCode.get(code) ?? 0) + 1);
      [...byCode].forEach(([code, count], i) => {
        names[`#k${i}`] = code;
        values[`:k${i}`] = count;
        sets.push(`#flags.#byCode.#k${i} = if_not_exists(#flags.#byCode.#k${i}, :zero) + :k${i}`);
      });
    }
    head.push({
      item: {
        Update: {
          TableName: table,
          Key: keys.batch(batch.batchId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ...(keepsByCode ? { ConditionExpression: 'attribute_exists(#flags.#byCode)' } : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      },
      onConditionFailed: () => new TransactionConflict(),
    });
  }
  // The marker first: a chunk committed already is told apart from a lookup that moved.
  return { steps: [marker, ...head, ...steps], flagPuts, messageIds, flagCodes };
}

/**
 * Whether an `account.verification_requested` of this paying system reaches anyone now: an enabled endpoint of
 * that finance system that subscribes to it (the delivery worker sends it to no other, ../../webhooks/delivery.ts;
 * narrower than `subscribedEventTypes`, which counts every system's endpoints). When none does, the delivery would
 * only mark each event `dropped`: the request job writes them so (`eventStep`'s `subscribed: false`; a finance
 * system that polls the list takes its requests from there), and saves 5,000 delivery jobs for a 5,000-row batch.
 * Read before each chunk, so an endpoint subscribed while the job runs gets the chunks after it.
 */
export async function payerSubscribes(payer: string, now: Date): Promise<boolean> {
  return financeSystemSubscribes(payer, 'account.verification_requested', now);
}

/**
 * The request job's heartbeat (../platform/outbox.ts): moves the head's entry in the sweeper's index forward while
 * the head is `requesting` and the batch still waits for its final approval. False otherwise: another run finished
 * the requests, or the batch was rejected or cancelled (its remaining accounts are not asked for).
 */
export async function requestHeartbeat(batchId: string, now: Date): Promise<boolean> {
  return heartbeat(keys.batch(batchId), requestSortKey(now, batchId), {
    expression: 'verifying = :requesting AND #status = :open',
    names: { '#status': 'status' },
    values: { ':requesting': 'requesting', ':open': VERIFIABLE_BATCH_STATUS },
  });
}

/** Every chunk requested: the head leaves `requesting` (and the sweeper's index), in one change. */
export function requestsDoneStep(batchId: string, now: Date): TxStep {
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: keys.batch(batchId),
        UpdateExpression: 'SET verifying = :done, updatedAt = :at, version = version + :one REMOVE gsi4pk, gsi4sk',
        ConditionExpression: 'verifying = :requesting',
        ExpressionAttributeValues: { ':done': 'requested', ':requesting': 'requesting', ':at': now.toISOString(), ':one': 1 },
      },
    },
    onConditionFailed: () => new ChunkRequested(),
  };
}

/**
 * The lookups of some accounts, by their key (one keyed read each, BatchGetItem). `consistent: false` for a first
 * try: a stale lookup fails the chunk's conditions (a lookup replaced or added, a pending verification answered)
 * and the chunk is planned again on a consistent read.
 */
export async function readLookups(
  fundId: string,
  accountKeys: readonly string[],
  consistent = true,
): Promise<Map<string, Record<string, unknown>>> {
  const found = await readByKeys(
    accountKeys.map((k) => verificationKeys.lookup(fundId, k)),
    undefined,
    consistent,
  );
  return new Map(found.map((item) => [(item.pk as string).slice((item.pk as string).lastIndexOf('#') + 1), item]));
}

/** A request job on the expansion queue (its consumer does both): only a hint to look at the batch. */
export const verificationJobSchema = z.object({ kind: z.literal('batch-verification'), batchId: z.string().min(1) });
export type VerificationJob = z.infer<typeof verificationJobSchema>;

/** Sends request jobs; never throws (the sweep source re-queues what was not sent). Returns how many were queued. */
export async function queueVerificationJobs(batchIds: readonly string[]): Promise<number> {
  const jobs = batchIds.map((batchId) => ({ body: { kind: 'batch-verification', batchId } satisfies VerificationJob }));
  return sendJobs(config().EXPANSION_QUEUE_URL, jobs, 'verification request');
}
