/**
 * Account verification (API.md 1.2): an answer reaching the items that wait for it, each once, and the final
 * approval's repair of an answer whose propagation was cut short (`healDisbursement`, `healBatch`). The items and
 * keys are in ./items.ts.
 */
import { gunzipSync } from 'node:zlib';
import { flagOfAnswer, itemVerification, verificationCountsMove } from '../../domain/account-verification.ts';
import { config } from '../../config.ts';
import { inParallel, putAll } from '../platform/bulk.ts';
import { keys } from '../platform/keys.ts';
import { getItem, queryAll, readByKeys } from '../platform/query.ts';
import { retryOnConflict, transact, TransactionConflict, versionedChangeStep, type TxStep } from '../platform/transactions.ts';
import { readDisbursement, type StoredDisbursement } from '../disbursements/items.ts';
import { verificationCounterShard, verificationCounterStep } from '../batches/counters.ts';
import { reportFigures, reportStatsSteps } from '../reports/stats.ts';
import {
  verificationKeys,
  WAITER_PREFIX,
  StoredVerification,
  toVerification,
  readVerification,
  rowFlagItem,
  readRequestMarkers,
  isMap,
  mayHaveWaiterItems,
} from './items.ts';

const APPLY_CONCURRENCY = 8;

/**
 * Applies an answer to every item waiting for it (each once): the batch it carries, and its `WAIT#` items (looked
 * for only when it has some). Safe to repeat: a repeated answer heals a cut-short one.
 */
export async function applyAnswer(v: StoredVerification, now: Date): Promise<void> {
  if (v.status === 'pending') return;
  const waiters = mayHaveWaiterItems(v)
    ? await queryAll<{ ref: string; rows: number[] | null; applied?: boolean }>({
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': verificationKeys.verification(v.verificationId).pk, ':prefix': WAITER_PREFIX },
        ConsistentRead: true,
      })
    : [];
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
      // Seeded by the verification, not the batch: a batch's answers spread over the report's shards.
      ...reportStatsSteps(v.fundId, now, reportFigures.flagsRaised(rows.map(() => flag.code)), v.verificationId),
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
