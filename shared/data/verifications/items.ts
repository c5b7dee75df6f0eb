/**
 * Account verification (API.md 1.2): every key, item mapping and step of a fund's account checks. Requests are
 * planned in ./plan.ts, and an answer reaches the items that wait for it through ./apply.ts.
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
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  flagOfAnswer,
  pendingVerification,
  verificationCountsMove,
  verificationKey,
  verificationView,
  type AccountVerification,
  type ItemVerification,
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
import { keys } from '../platform/keys.ts';
import { queryAll, requireItem } from '../platform/query.ts';
import { TransactionConflict, type TxStep } from '../platform/transactions.ts';
import { FLAG_PREFIX } from '../batches/items.ts';
import { verificationCounterShard, verificationCounterStep } from '../batches/counters.ts';
import type { FundSettings } from '../funds/items.ts';
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
export function newVerificationSteps(
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

/**
 * A waiter joins a verification only while it is still pending (an answer meanwhile: the request reads again),
 * and marks it `waiterItems` in the same write: the answer looks for `WAIT#` items only when it has some.
 */
export function stillPendingStep(verificationId: string): TxStep {
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: verificationKeys.verification(verificationId),
        UpdateExpression: 'SET waiterItems = :yes',
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':pending': 'pending', ':yes': true },
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
  /**
   * Whether `WAIT#` items wait for it: false on a verification made without one, set true by the transaction that
   * puts one (stillPendingStep). Absent on a verification stored before the mark: the answer looks for them then.
   */
  waiterItems?: boolean;
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
    ...(typeof item.waiterItems === 'boolean' ? { waiterItems: item.waiterItems } : {}),
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

export const asItem = (l: Lookup): ItemVerification => ({
  verificationId: l.verificationId,
  status: l.status,
  bankAccountName: l.bankAccountName,
  checkedAt: l.checkedAt,
});

export const toLookup = (item: Record<string, unknown>): Lookup => ({
  verificationId: item.verificationId as string,
  status: item.status as VerificationStatus,
  bankAccountName: (item.bankAccountName as string | null | undefined) ?? null,
  requestedAt: item.requestedAt as string,
  checkedAt: (item.checkedAt as string | null | undefined) ?? null,
});

export function waiterItem(verificationId: string, ref: string, rows: number[] | null, at: string): Record<string, unknown> {
  return { ...verificationKeys.waiter(verificationId, ref), type: 'verification-waiter', ref, rows, at };
}

/** A disbursement's new verification: made with the disbursement's `WAIT#` item beside it. */
export function newVerification(fund: FundSettings, account: BankAccount, accountKey: string, now: Date): StoredVerification {
  const v = pendingVerification(newId('verification', now.getTime()), fund.fundId, account, now.toISOString());
  return { ...v, payer: fund.financeSystem, accountKey, waiterItems: true };
}

export async function accountKeyOf(account: BankAccount): Promise<string> {
  return verificationKey(account, (await appSecrets()).screeningKey);
}

export function rowFlagItem(batchId: string, row: number, flag: Flag): Record<string, unknown> {
  return { ...verificationKeys.rowFlag(batchId, row, flag.code), type: 'batch-flag', row, ...flag };
}

// ---- an answer reaching the items that wait for it -----------------------------------------------

/** The answer's lookup step failed: a newer request of the account replaced the lookup (it names that one). */
export class LookupMoved extends Error {}

/**
 * The verification's answer, in ONE transaction with its audit entry, its lookup (`lookup: false` leaves the lookup
 * to updateLookup) and, for a `match`, the counter shard of the batch it carries; only from `pending`, and only
 * while no `WAIT#` item joined since the read of a verification that had none (the answer skips looking for them).
 */
export function answerSteps(
  before: StoredVerification,
  after: StoredVerification,
  actor: string,
  now: Date,
  options: { lookup?: boolean } = {},
): TxStep[] {
  const table = config().TABLE_NAME;
  const noWaiters = before.waiterItems === false;
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
          ConditionExpression: `#status = :pending${noWaiters ? ' AND waiterItems = :no' : ''}`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ...(embedded ? { ':yes': true } : {}),
            ...(noWaiters ? { ':no': false } : {}),
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
    ...(options.lookup === false ? [] : [{ ...lookupUpdate(after), onConditionFailed: () => new LookupMoved() }]),
  ];
}

/** The lookup follows the answer, on the condition that it still names this verification. */
function lookupUpdate(v: StoredVerification): TxStep {
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: verificationKeys.lookup(v.fundId, v.accountKey),
        UpdateExpression: 'SET #status = :status, bankAccountName = :name, checkedAt = :at',
        ConditionExpression: 'verificationId = :id',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': v.status, ':name': v.bankAccountName, ':at': v.checkedAt, ':id': v.verificationId },
      },
    },
  };
}

/** Whether `WAIT#` items may wait for the verification (a verification stored before the mark: perhaps). */
export const mayHaveWaiterItems = (v: Pick<StoredVerification, 'waiterItems'>): boolean => v.waiterItems !== false;

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
    await documents.send(new UpdateCommand(lookupUpdate(v).item.Update!));
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
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

export const isMap = (value: unknown): boolean => typeof value === 'object' && value !== null && !Array.isArray(value);
