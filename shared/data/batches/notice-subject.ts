import { COUNTER_SHARDS, payoutOfItem } from '../../domain/batches.ts';
import { invalidState } from '../../domain/errors.ts';
import { type NoticeSubject } from '../notices/items.ts';
import { completeBatchIfDone, counterStep } from './counters.ts';
import { eventStep } from '../platform/events.ts';
import { ALLOCATION } from '../ledger/move.ts';
import { payoutPutStep } from '../payouts/items.ts';
import { TransactionConflict } from '../platform/transactions.ts';
import { queueExpansionJobs, readBatch, readRows, batchAudit, batchChangeStep, batchItemRef, rowSetStep } from './items.ts';

function rowOf(item: { row?: number; itemRef: string }): number {
  if (item.row === undefined) throw new Error(`notice item ${item.itemRef} names no batch row`);
  return item.row;
}

/**
 * The notice of a batch: its end approves the batch (the expansion then creates the payouts of every
 * row not held or withdrawn); an upheld objection excludes its row and releases the row's amount; a
 * held row dismissed after the end gets its payout on its own.
 */
export const batchNoticeSubject: NoticeSubject = {
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
        batchAudit(b, 'row_withdrawn', { sub: actorSub }, now, {
          from: b.status,
          to: b.status,
          reason,
          details: { row, amount: item.amount },
        }),
      ],
      money: {
        source: ALLOCATION,
        fundId: b.fundId,
        countyCode: b.countyCode,
        move: 'release',
        amount: item.amount,
        ref: { batchId: b.batchId },
        actor: actorSub,
        now,
      },
      messageIds: [],
      after: () => completeBatchIfDone(b.batchId, new Date()).then(() => undefined),
    };
  },
};
