/**
 * Account verification (API.md 1.2): every key, item mapping and step of a fund's account checks.
 *
 * Items:
 * - `VER#<verificationId> / VER` — the verification: status, the account in full (the table is encrypted at
 *   rest, as payouts keep accounts), the paying system (`payer`), the answer. Listings, oldest first, each
 *   across VERIFICATION_SHARDS partitions (below): `gsi1pk = VERS#<fundId>#ALL#<n>` (a fund's),
 *   `gsi2pk = VERS#<fundId>#<status>#<n>` (moved by the answer), `gsi3pk = VERS#ALL#<n>` (every fund's; the finance
 *   system's own by a filter on `payer`).
 * - `VER#<verificationId> / WAIT#<dsbId|batchId>` — an item waiting for the answer (a batch: once, with the
 *   rows that use the account). The answer reads them with one consistent Query and applies itself to each
 *   (`applied` is set in the same transaction as the item's change, so an answer reaches an item once). The
 *   batch whose request job made the verification waits on the verification item itself (`waitBatch`,
 *   `waitRows`, `waitApplied`): a `match` moves its rows' counter shard in the answer's own transaction.
 * - `VERKEY#<fundId>#<hmac> / VERKEY` — the lookup of a distinct account (bank name, account name, number)
 *   under the app's secret screening key (domain `verificationKey`): the latest verification of it, with its
 *   status and times, so that a new request decides reuse-or-request from this one item (BatchGetItem for a
 *   batch: one read per distinct account).
 * - `BAT#<batchId> / VERPLAN` — a batch's distinct accounts (secret lookup key and rows, gzip JSON), put in its
 *   creation transaction; the head is `verifying: requesting` (in the keys-only index `gsi4pk = BAT#VERIFYING`,
 *   `gsi4sk = <last progress>#<batchId>`) until the request job (./request.ts) has committed every chunk.
 * - `BAT#<batchId> / VERREQ#<nnnn>` — the marker of request chunk n, put in the chunk's transaction with the
 *   verification ids its rows wait for (read by a final approval that finds rows still pending).
 * - `BAT#<batchId> / VERIFY` — the verification ids of a batch created before the request job (gzip JSON).
 * - `BAT#<batchId> / FLAG#<row>#<code>` — a row's verification flag (listed by `GET …/flags` with the others).
 *
 * An answer reaches every item created before it, in any process: an item that reuses a pending verification
 * writes its waiter in the same transaction as a check that the verification is still pending (a disbursement
 * at its creation, a batch in its request job's chunk), so the answer's Query, made after the answer
 * committed, finds it; and a final approval that still finds rows pending reads their verifications and
 * applies what was answered (`healBatch`, `healDisbursement`) before it decides.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
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
  verificationView,
  type AccountVerification,
  type ItemVerification,
  type VerificationCounts,
  type VerificationStatus,
} from '../../domain/account-verification.ts';
import type { BankAccount } from '../../domain/payouts.ts';
import type { Flag } from '../../domain/warning-rules.ts';
import { newId } from '../../ids.ts';
import { config } from '../../config.ts';
import { shardOf } from '../../ids.ts';
import { appSecrets } from '../../secrets.ts';
import { auditStep } from '../platform/audit.ts';
import { documents } from '../platform/clients.ts';
import { inParallel, putAll } from '../platform/bulk.ts';
import { eventStep } from '../platform/events.ts';
import { sendJobs } from '../platform/jobs.ts';
import { keys } from '../platform/keys.ts';
import { getItem, queryAll, readByKeys, requireItem } from '../platform/query.ts';
import { retryOnConflict, transact, TransactionConflict, versionedChangeStep, type TxStep } from '../platform/transactions.ts';
import { readDisbursement, type StoredDisbursement } from '../disbursements/items.ts';
import { FLAG_PREFIX } from '../batches/items.ts';
import { verificationCounterShard, verificationCounterStep, VERIFICATION_COUNT_SHARDS } from '../batches/counters.ts';
import type { FundSettings } from '../funds/items.ts';
import { reportFigures, reportStatsSteps } from '../reports/stats.ts';

export const verificationKeys = {
  verification: (verificationId: string) => ({ pk: `VER#${verificationId}`, sk: 'VER' }),
  waiter: (verificationId: string, ref: string) => ({ pk: `VER#${verificationId}`, sk: `WAIT#${ref}` }),
  lookup: (fundId: string, accountKey: string) => ({ pk: `VERKEY#${fundId}#${accountKey}`, sk: 'VERKEY' }),
  batchList: (batchId: string) => ({ pk: keys.batch(batchId).pk, sk: 'VERIFY' }),
  plan: (batchId: string) => ({ pk: keys.batch(batchId).pk, sk: 'VERPLAN' }),
  requestMarker: (batchId: string, chunk: number) => ({
    pk: keys.batch(batchId).pk,
    sk: `${REQUEST_MARKER_PREFIX}${String(chunk).padStart(4, '0')}`,
  }),
  rowFlag: (batchId: string, row: number, code: string) => ({
    pk: keys.batch(batchId).pk,
    sk: `${FLAG_PREFIX}${String(row).padStart(4, '0')}#${code}`,
  }),
};
export const WAITER_PREFIX = 'WAIT#';
/**
 * The listings are written across VERIFICATION_SHARDS index partitions each (by the verification's id), so a
 * 5,000-row batch's requests do not all land on one partition: `VERS#<fundId>#ALL#<n>`, `VERS#<fundId>#<status>#<n>`,
 * `VERS#ALL#<n>`. Items written before the shards sit in the unsharded partitions (`VERS#<fundId>`,
 * `VERS#<fundId>#<status>`, `VERS#ALL`), which a listing reads as one more partition (an answer moves such an item
 * into its status's shard).
 */
export const VERIFICATION_SHARDS = 4;
const shardOfVerification = (verificationId: string) => shardOf(verificationId, VERIFICATION_SHARDS);
const fundIndexKey = (fundId: string, n: number) => `VERS#${fundId}#ALL#${n}`;
const fundStatusIndexKey = (fundId: string, status: VerificationStatus, n: number) => `VERS#${fundId}#${status}#${n}`;
const allIndexKey = (n: number) => `VERS#ALL#${n}`;
const shardNumbers = () => Array.from({ length: VERIFICATION_SHARDS }, (_, n) => n);

/** The index partitions of a listing: its shards, then the partition of the items written before the shards. */
export const verificationPartitions = {
  fund: (fundId: string) => [...shardNumbers().map((n) => fundIndexKey(fundId, n)), `VERS#${fundId}`],
  fundStatus: (fundId: string, status: VerificationStatus) => [
    ...shardNumbers().map((n) => fundStatusIndexKey(fundId, status, n)),
    `VERS#${fundId}#${status}`,
  ],
  all: () => [...shardNumbers().map(allIndexKey), 'VERS#ALL'],
};
export const REQUEST_MARKER_PREFIX = 'VERREQ#';
/** gsi4pk (keys-only outbox index) of a batch head whose verifications are still being requested. */
export const VERIFYING_INDEX = 'BAT#VERIFYING';
export const requestSortKey = (at: Date, batchId: string) => `${at.toISOString()}#${batchId}`;

/**
 * A new verification and its account's lookup pointing at it: the lookup is taken only if nobody took it first
 * (or it still names the earlier, expired verification that was read), so two requests for one account make one.
 */
function newVerificationSteps(
  fundId: string,
  v: StoredVerification,
  earlier: Pick<StoredVerification, 'verificationId'> | undefined | null,
): TxStep[] {
  const table = config().TABLE_NAME;
  return [
    { item: { Put: { TableName: table, Item: verificationItem(v), ConditionExpression: 'attribute_not_exists(pk)' } } },
    {
      item: {
        Put: {
          TableName: table,
          Item: lookupItem(fundId, v),
          ConditionExpression: earlier ? 'verificationId = :seen' : 'attribute_not_exists(pk)',
          ...(earlier ? { ExpressionAttributeValues: { ':seen': earlier.verificationId } } : {}),
        },
      },
      onConditionFailed: () => new TransactionConflict(),
    },
  ];
}

/** A waiter joins a verification only while it is still pending (an answer meanwhile: the request reads again). */
function stillPendingStep(verificationId: string): TxStep {
  return {
    item: {
      ConditionCheck: {
        TableName: config().TABLE_NAME,
        Key: verificationKeys.verification(verificationId),
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':pending': 'pending' },
      },
    },
    onConditionFailed: () => new TransactionConflict(),
  };
}

export interface StoredVerification extends AccountVerification {
  payer: string;
  accountKey: string;
  /**
   * A verification a batch's request job made carries that batch's waiter itself (no `WAIT#` item): the batch,
   * its rows, and whether the answer reached them (a `match` answer moves their counts in its own transaction).
   */
  waitBatch?: string;
  waitRows?: number[];
  waitApplied?: boolean;
}

export function toVerification(item: Record<string, unknown>): StoredVerification {
  return {
    verificationId: item.verificationId as string,
    fundId: item.fundId as string,
    status: item.status as VerificationStatus,
    account: item.account as BankAccount,
    bankAccountName: (item.bankAccountName as string | null | undefined) ?? null,
    requestedAt: item.requestedAt as string,
    checkedAt: (item.checkedAt as string | null | undefined) ?? null,
    payer: item.payer as string,
    accountKey: item.accountKey as string,
    ...(typeof item.waitBatch === 'string' ? { waitBatch: item.waitBatch, waitRows: (item.waitRows as number[] | undefined) ?? [] } : {}),
    ...(item.waitApplied === true ? { waitApplied: true } : {}),
  };
}

export type VerificationReply = Omit<AccountVerification, 'account'> & { bankName: string; accountName: string; accountNumber: string };

/** The verification as a reply: the account's fields at the top, in full for the paying finance system only. */
export function verificationReply(v: StoredVerification, fullAccount: boolean): VerificationReply {
  const { account, verificationId, fundId, status, bankAccountName, requestedAt, checkedAt } = verificationView(v, fullAccount);
  return { verificationId, fundId, status, ...account, bankAccountName, requestedAt, checkedAt };
}

export async function readVerification(verificationId: string): Promise<StoredVerification> {
  return toVerification(await requireItem(verificationKeys.verification(verificationId), `Account verification ${verificationId}`));
}

function verificationItem(v: StoredVerification): Record<string, unknown> {
  return {
    ...verificationKeys.verification(v.verificationId),
    type: 'account-verification',
    ...v,
    gsi1pk: fundIndexKey(v.fundId, shardOfVerification(v.verificationId)),
    gsi1sk: v.verificationId,
    gsi2pk: fundStatusIndexKey(v.fundId, v.status, shardOfVerification(v.verificationId)),
    gsi2sk: v.verificationId,
    gsi3pk: allIndexKey(shardOfVerification(v.verificationId)),
    gsi3sk: v.verificationId,
  };
}

type Lookup = Pick<AccountVerification, 'verificationId' | 'status' | 'bankAccountName' | 'requestedAt' | 'checkedAt'>;

function lookupItem(fundId: string, v: StoredVerification): Record<string, unknown> {
  return {
    ...verificationKeys.lookup(fundId, v.accountKey),
    type: 'account-verification-lookup',
    verificationId: v.verificationId,
    status: v.status,
    bankAccountName: v.bankAccountName,
    requestedAt: v.requestedAt,
    checkedAt: v.checkedAt,
  };
}

const asItem = (l: Lookup): ItemVerification => ({
  verificationId: l.verificationId,
  status: l.status,
  bankAccountName: l.bankAccountName,
  checkedAt: l.checkedAt,
});

const toLookup = (item: Record<string, unknown>): Lookup => ({
  verificationId: item.verificationId as string,
  status: item.status as VerificationStatus,
  bankAccountName: (item.bankAccountName as string | null | undefined) ?? null,
  requestedAt: item.requestedAt as string,
  checkedAt: (item.checkedAt as string | null | undefined) ?? null,
});

function waiterItem(verificationId: string, ref: string, rows: number[] | null, at: string): Record<string, unknown> {
  return { ...verificationKeys.waiter(verificationId, ref), type: 'verification-waiter', ref, rows, at };
}

function newVerification(fund: FundSettings, account: BankAccount, accountKey: string, now: Date): StoredVerification {
  const v = pendingVerification(newId('verification', now.getTime()), fund.fundId, account, now.toISOString());
  return { ...v, payer: fund.financeSystem, accountKey };
}

async function accountKeyOf(account: BankAccount): Promise<string> {
  return verificationKey(account, (await appSecrets()).screeningKey);
}

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

/** Distinct accounts per request transaction: a new one takes 3 items (verification with its waiter, lookup, event), a reused pending one 2, + marker (+ counter shard, head and report figures, only beside an answered one). */
export const REQUEST_CHUNK_ACCOUNTS = 24;

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

/** The chunks whose requests committed (their markers), each with the verification ids its rows wait for. */
export async function readRequestMarkers(batchId: string): Promise<Map<number, string[]>> {
  const markers = await queryAll<{ chunk: number; ids?: string[] }>({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': keys.batch(batchId).pk, ':prefix': REQUEST_MARKER_PREFIX },
    ConsistentRead: true,
  });
  return new Map(markers.map((m) => [m.chunk, m.ids ?? []]));
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
    };
    const event = eventStep('account.verification_requested', v.verificationId, verificationRequestedData(v), now, { payer: v.payer });
    waited.push(v.verificationId);
    messageIds.push(event.messageId);
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
 * Moves the head's entry in the sweeper's index forward (a working request job is left alone): one conditional
 * UpdateItem, not a transaction, so that the chunks in flight at once do not cancel each other's heartbeats.
 * False when the head has left `requesting` (another run finished it).
 */
export async function requestHeartbeat(batchId: string, now: Date): Promise<boolean> {
  try {
    await documents.send(
      new UpdateCommand({
        TableName: config().TABLE_NAME,
        Key: keys.batch(batchId),
        UpdateExpression: 'SET gsi4sk = :due',
        ConditionExpression: 'verifying = :requesting',
        ExpressionAttributeValues: { ':due': requestSortKey(now, batchId), ':requesting': 'requesting' },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
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

function rowFlagItem(batchId: string, row: number, flag: Flag): Record<string, unknown> {
  return { ...verificationKeys.rowFlag(batchId, row, flag.code), type: 'batch-flag', row, ...flag };
}

// ---- an answer reaching the items that wait for it -----------------------------------------------

/** The verification's answer and its lookup, in ONE transaction with the audit entry; only from `pending`. */
export function answerSteps(before: StoredVerification, after: StoredVerification, actor: string, now: Date): TxStep[] {
  const table = config().TABLE_NAME;
  // The batch waiting on the verification itself takes a `match` (no flag, so no need of its head) at once.
  const embedded = answerReachesBatch(after, now);
  return [
    ...(embedded
      ? [
          verificationCounterStep(
            embedded.batchId,
            verificationCounterShard(after.verificationId),
            verificationCountsMove('pending', after.status, embedded.rows.length),
          ),
        ]
      : []),
    {
      item: {
        Update: {
          TableName: table,
          Key: verificationKeys.verification(before.verificationId),
          UpdateExpression: `SET #status = :to, bankAccountName = :name, checkedAt = :at, gsi2pk = :gsi2pk${embedded ? ', waitApplied = :yes' : ''}`,
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ...(embedded ? { ':yes': true } : {}),
            ':to': after.status,
            ':name': after.bankAccountName,
            ':at': after.checkedAt,
            ':gsi2pk': fundStatusIndexKey(after.fundId, after.status, shardOfVerification(after.verificationId)),
            ':pending': 'pending',
          },
        },
      },
      onConditionFailed: () => new TransactionConflict(),
    },
    auditStep(verificationKeys.verification(before.verificationId).pk, {
      actor,
      action: 'account_verification.answered',
      at: now,
      fromStatus: 'pending',
      toStatus: after.status,
      details: { fundId: after.fundId, bankAccountName: after.bankAccountName === null ? null : 'given' },
    }),
  ];
}

/**
 * The batch waiting on the verification itself (its request job made it), when the answer's own transaction moves
 * its rows: an answer that raises no flag, not applied yet. An answer that flags is applied as a `WAIT#` item's.
 */
export function answerReachesBatch(v: StoredVerification, now: Date): { batchId: string; rows: number[] } | null {
  if (!v.waitBatch || v.waitApplied === true || v.status === 'pending' || flagOfAnswer(v, now) !== null) return null;
  return (v.waitRows ?? []).length > 0 ? { batchId: v.waitBatch, rows: v.waitRows ?? [] } : null;
}

/** The lookup follows the answer, unless a newer request of the account replaced it (then it names that one): one conditional UpdateItem. */
export async function updateLookup(v: StoredVerification): Promise<void> {
  try {
    await documents.send(
      new UpdateCommand({
        TableName: config().TABLE_NAME,
        Key: verificationKeys.lookup(v.fundId, v.accountKey),
        UpdateExpression: 'SET #status = :status, bankAccountName = :name, checkedAt = :at',
        ConditionExpression: 'verificationId = :id',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': v.status, ':name': v.bankAccountName, ':at': v.checkedAt, ':id': v.verificationId },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

const APPLY_CONCURRENCY = 8;

/** Applies an answer to every item waiting for it (each once). Safe to repeat: a repeated answer heals a cut-short one. */
export async function applyAnswer(v: StoredVerification, now: Date): Promise<void> {
  if (v.status === 'pending') return;
  const waiters = await queryAll<{ ref: string; rows: number[] | null; applied?: boolean }>({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': verificationKeys.verification(v.verificationId).pk, ':prefix': WAITER_PREFIX },
    ConsistentRead: true,
  });
  const embedded = v.waitBatch && v.waitApplied !== true ? [{ ref: v.waitBatch, rows: v.waitRows ?? [], embedded: true }] : [];
  await inParallel(
    [...embedded, ...waiters.filter((w) => w.applied !== true).map((w) => ({ ...w, embedded: false }))],
    APPLY_CONCURRENCY,
    (w) => (w.ref.startsWith('bat_') ? applyToBatch(v, w.ref, w.rows ?? [], now, w.embedded) : applyToDisbursement(v, w.ref, now)),
  );
}

function waiterAppliedStep(verificationId: string, ref: string): TxStep {
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: verificationKeys.waiter(verificationId, ref),
        UpdateExpression: 'SET applied = :yes',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(applied)',
        ExpressionAttributeValues: { ':yes': true },
      },
    },
    onConditionFailed: () => new AlreadyApplied(),
  };
}

/** The waiter a verification carries itself (answerReachesBatch) marked applied. */
function embeddedAppliedStep(verificationId: string): TxStep {
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: verificationKeys.verification(verificationId),
        UpdateExpression: 'SET waitApplied = :yes',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(waitApplied)',
        ExpressionAttributeValues: { ':yes': true },
      },
    },
    onConditionFailed: () => new AlreadyApplied(),
  };
}

class AlreadyApplied extends Error {}

async function ignoringApplied(work: () => Promise<void>): Promise<void> {
  try {
    await retryOnConflict(work);
  } catch (error) {
    if (!(error instanceof AlreadyApplied)) throw error;
  }
}

/** A disbursement takes the answer (`verification`) and, while pending approval, the flag of an answer but `match`. */
async function applyToDisbursement(v: StoredVerification, disbursementId: string, now: Date): Promise<void> {
  await ignoringApplied(async () => {
    const d: StoredDisbursement = await readDisbursement(disbursementId);
    const waiting = d.verification?.verificationId === v.verificationId && d.verification.status === 'pending';
    const flag = waiting && d.status === 'pending_approval' ? flagOfAnswer(v, now) : null;
    await transact([
      ...(waiting
        ? [
            versionedChangeStep({
              key: keys.disbursement(disbursementId),
              what: `Disbursement ${disbursementId}`,
              version: d.version,
              status: d.status,
              now,
              set: { verification: itemVerification(v) },
              append: flag ? { flags: [flag] } : undefined,
            }),
          ]
        : []),
      // The half-year report's "flags raised" counts the answer's flag in the same transaction that raises it.
      ...(flag ? reportStatsSteps(d.fundId, now, reportFigures.flagsRaised([flag.code]), disbursementId) : []),
      waiterAppliedStep(v.verificationId, disbursementId),
    ]);
  });
}

/**
 * A batch moves its rows' counts on its verification counter shard (../batches/counters.ts: not the head, which
 * 16 answers at once would all queue on) and, while pending approval, flags them (one flag item per row) when the
 * answer is not `match`: only then is the head changed too (its flag counts, conditional on the status read).
 * The waiter's `applied`, in the same transaction, moves the counts once.
 */
async function applyToBatch(v: StoredVerification, batchId: string, rows: number[], now: Date, embedded = false): Promise<void> {
  if (rows.length === 0) return;
  const applied = () => (embedded ? embeddedAppliedStep(v.verificationId) : waiterAppliedStep(v.verificationId, batchId));
  await ignoringApplied(async () => {
    const shard = verificationCounterStep(
      batchId,
      verificationCounterShard(v.verificationId),
      verificationCountsMove('pending', v.status, rows.length),
    );
    // A `match` (most answers) raises no flag: its move needs neither the head nor its status.
    if (!flagOfAnswer(v, now)) {
      await transact([shard, applied()]);
      return;
    }
    const head = await getItem(keys.batch(batchId));
    // The batch's creation has not committed (or failed): its final approval applies the answer (healBatch).
    if (!head) return;
    const flag = head.status === 'pending_approval' ? flagOfAnswer(v, now) : null;
    if (!flag) {
      await transact([shard, applied()]);
      return;
    }
    await putAll(rows.map((row) => rowFlagItem(batchId, row, flag)));
    await transact([
      flagHeadStep(batchId, head, flag.code, rows.length, now),
      shard,
      ...reportStatsSteps(v.fundId, now, reportFigures.flagsRaised(rows.map(() => flag.code)), batchId),
      applied(),
    ]);
  });
}

/** The head's flag counts take `n` high flags of `code` (verification flags block), conditional on the status read. */
function flagHeadStep(batchId: string, head: Record<string, unknown>, code: string, n: number, now: Date): TxStep {
  const names: Record<string, string> = {
    '#status': 'status',
    '#flags': 'flags',
    '#count': 'count',
    '#blocking': 'blocking',
    '#byCode': 'byCode',
  };
  const values: Record<string, unknown> = {
    ':n': n,
    ':at': now.toISOString(),
    ':one': 1,
    ':seen': head.status,
    ':false': false,
    ':zero': 0,
  };
  // Verification flags are high: they count among the blocking ones (a batch stored before 1.2 has no `blocking`).
  const sets = [
    'updatedAt = :at',
    'version = version + :one',
    '#flags.#count = #flags.#count + :n',
    '#flags.#blocking = if_not_exists(#flags.#blocking, :zero) + :n',
    '#flags.cleared = :false',
  ];
  // The status it was read in: a batch rejected meanwhile takes no flag.
  const conditions = ['#status = :seen'];
  // Counts by code (the report's flags cleared); a head stored before them starts its map here.
  names['#code'] = code;
  if (isMap((head.flags as Record<string, unknown> | undefined)?.byCode)) {
    sets.push('#flags.#byCode.#code = if_not_exists(#flags.#byCode.#code, :zero) + :n');
    conditions.push('attribute_exists(#flags.#byCode)');
  } else {
    values[':byCode'] = { [code]: n };
    sets.push('#flags.#byCode = :byCode');
    conditions.push('attribute_not_exists(#flags.#byCode)');
  }
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: keys.batch(batchId),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    },
    onConditionFailed: () => new TransactionConflict(),
  };
}

/**
 * A final approval that finds the disbursement's verification pending reads the verification itself and
 * applies an answer it holds (its propagation was cut short); true when something was applied.
 */
export async function healDisbursement(d: Pick<StoredDisbursement, 'disbursementId' | 'verification'>, now: Date): Promise<boolean> {
  if (d.verification?.status !== 'pending') return false;
  const v = await readVerification(d.verification.verificationId);
  if (v.status === 'pending') return false;
  await applyToDisbursement(v, d.disbursementId, now);
  return true;
}

/**
 * As healDisbursement, for a batch with rows pending: the verifications it waits for (named by its request
 * job's chunk markers; a batch created before the job existed: its `VERIFY` list), read 100 at a time.
 */
export async function healBatch(batchId: string, now: Date): Promise<boolean> {
  const [list, markers] = await Promise.all([getItem(verificationKeys.batchList(batchId)), readRequestMarkers(batchId)]);
  const listed = list ? (JSON.parse(gunzipSync(list.ids as Uint8Array).toString('utf8')) as string[]) : [];
  const ids = [...new Set([...listed, ...[...markers.values()].flat()])];
  if (ids.length === 0) return false;
  const answered = (await readByKeys(ids.map(verificationKeys.verification))).map(toVerification).filter((v) => v.status !== 'pending');
  if (answered.length === 0) return false;
  const waiters = await readByKeys(answered.map((v) => verificationKeys.waiter(v.verificationId, batchId)));
  const rowsOf = new Map(waiters.filter((w) => w.applied !== true).map((w) => [w.pk as string, (w.rows as number[] | null) ?? []]));
  const carried = answered.filter((v) => v.waitBatch === batchId && v.waitApplied !== true);
  await inParallel(answered, APPLY_CONCURRENCY, async (v) => {
    const rows = rowsOf.get(verificationKeys.verification(v.verificationId).pk);
    if (rows) await applyToBatch(v, batchId, rows, now);
  });
  await inParallel(carried, APPLY_CONCURRENCY, (v) => applyToBatch(v, batchId, v.waitRows ?? [], now, true));
  return rowsOf.size > 0 || carried.length > 0;
}

const isMap = (value: unknown): boolean => typeof value === 'object' && value !== null && !Array.isArray(value);
