import { decideBatchApproval, type Batch, type BatchItem } from '../../domain/batches.ts';
import type { Approval } from '../../domain/disbursements.ts';
import { isNoticed, noticeEnd } from '../../domain/notices.ts';
import { noticeOpening } from '../notices/items.ts';
import { enqueueEvents } from '../platform/events.ts';
import { subscriptionsOnce } from '../webhook-endpoints/subscriptions.ts';
import { getFundSettings, type Actor } from '../funds/items.ts';
import { ALLOCATION, commitMoney, type MoneyMove } from '../ledger/move.ts';
import { LEDGER_ATTEMPTS, retryOnConflict, transact, TransactionConflict, type TxStep } from '../platform/transactions.ts';
import { healBatch } from '../verifications/apply.ts';
import { verificationShardChecks } from './counters.ts';
import { logger } from '../../logger.ts';
import { deleteAll, putAll } from '../platform/bulk.ts';
import { readStationsVersion, stationsUnchangedStep } from '../stations/items.ts';
import {
  StoredBatch,
  publicBatch,
  noCounts,
  readBatch,
  readRows,
  stationIdsOf,
  assertStationsActive,
  batchAudit,
  batchChangeStep,
  batchItemRef,
} from './items.ts';
import { queueExpansionJobs } from './items.ts';

/**
 * Records an approval. The one that reaches `requiredApprovals` reserves `totalAmount` on the county
 * allocation in ONE transaction with the status change, the audit entry and the expansion marker
 * (409 insufficient_allocation and nothing changes when it does not fit); the expansion job follows.
 */
export async function approveBatch(batchId: string, input: { comment?: string }, actor: Actor, now: Date): Promise<Batch> {
  // Which types anyone listens to: read once for the request (retries included), only when a notice opens.
  const subscriptions = subscriptionsOnce();
  const result = await retryOnConflict(async () => {
    const b = await readBatch(batchId);
    // Rows still pending at what would be the final approval: answers whose propagation was cut short apply now.
    const final = b.approvals.length + 1 >= b.requiredApprovals;
    if (final && (b.verifications?.pending ?? 0) > 0 && (await healBatch(batchId, now))) throw new TransactionConflict();
    const decision = decideBatchApproval(b, actor.sub, now, input.comment);
    // A head changed meanwhile decides again with the counts summed above: the shards' moves are not on the head, and
    // pending only moves down (a shard moved since fails its check below: TransactionConflict, read again).
    const redecide = (current: StoredBatch) =>
      decideBatchApproval({ ...current, verifications: b.verifications ?? current.verifications }, actor.sub, now, input.comment);
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
    // Every verification counter shard as read: an answer racing this approval cancels it (never a pending row approved).
    const verificationChecks = b.verifications ? verificationShardChecks(b.batchId, b.verificationShards ?? []) : [];
    // Farmer and cooperative rows are posted publicly first (公示): reserve now, expand when the notice ends.
    const noticed = rows.flatMap((row, index) => (isNoticed(row.beneficiary.kind) ? [{ row, index }] : []));
    if (noticed.length > 0) {
      const fund = await getFundSettings(b.fundId);
      const endsAt = noticeEnd(fund.noticePeriod, now);
      if (endsAt) {
        const heard = await subscriptions();
        const batch = await openBatchNotice(
          b,
          noticed,
          decision.approvals,
          fund.name,
          { endsAt, subscribed: heard('notice.opened') },
          [...stationChecks, ...verificationChecks],
          redecide,
          actor,
          now,
        );
        return { batch, released: false, messageIds: batch.messageIds };
      }
    }
    await commitMoney(reservationOf(b, actor, now), (money) => [
      batchChangeStep(b, now, { status: 'approved', approvals: decision.approvals, release: true }, redecide),
      ...money,
      batchAudit(b, 'approved', actor, now, {
        from: b.status,
        to: 'approved',
        details: { approvers: decision.approvals.map((a) => a.approver) },
      }),
      ...stationChecks,
      ...verificationChecks,
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

/** The final approval's reservation of the batch's `totalAmount` on the county allocation. */
function reservationOf(b: StoredBatch, actor: Actor, now: Date): MoneyMove {
  const move = 'reserve' as const;
  return {
    source: ALLOCATION,
    fundId: b.fundId,
    countyCode: b.countyCode,
    move,
    amount: b.totalAmount,
    ref: { batchId: b.batchId },
    actor: actor.sub,
    now,
  };
}

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
  { endsAt, subscribed }: { endsAt: Date; subscribed: boolean },
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
      subscribed,
    },
    actor,
    now,
  );
  await stageNoticeItems(opening.itemPuts, false);
  try {
    await commitMoney(reservationOf(b, actor, now), (money) => [
      batchChangeStep(b, now, { status: 'in_notice', approvals, notice: opening.notice }, redecide),
      ...money,
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
    messageIds: opening.messageIds,
  };
}
