import { statsMove, type HistoryEntry } from '../../domain/disbursements.ts';
import { invalidState } from '../../domain/errors.ts';
import { statsStep } from '../counties/stats.ts';
import { subsidyIsReserved } from '../ledger/items.ts';
import { moneySource } from '../../domain/money-source.ts';
import { type NoticeSubject } from '../notices/items.ts';
import { payoutPutStep } from '../payouts/items.ts';
import { TransactionConflict, type TxStep } from '../platform/transactions.ts';
import { queuedIds } from '../platform/events.ts';
import { subscribedEventTypes } from '../webhook-endpoints/subscriptions.ts';
import { readDisbursement, approvedWithPayout, disbursementAudit, disbursementChangeStep } from './items.ts';

/**
 * The notice of a single disbursement: when its one item proceeds, the disbursement becomes `approved`
 * with its payout, exactly as a final approval without notice does (the money is reserved already);
 * when an objection is upheld, it becomes `rejected` and the reservation is released.
 */
export const disbursementNoticeSubject: NoticeSubject = {
  async proceed(notice, _items, actorSub, now, subscribed) {
    const d = await readDisbursement(notice.source.id);
    // Another run of the notice's end got there first: read the notice again (it is closed now).
    if (d.status !== 'in_notice') throw new TransactionConflict();
    const entry: HistoryEntry = {
      at: now.toISOString(),
      actor: actorSub,
      action: 'notice_ended',
      fromStatus: 'in_notice',
      toStatus: 'approved',
    };
    // As a final approval: a `disbursement.approved` nobody subscribes to is written finished.
    const { payoutId, payout, approvedEvent, requestedEvent } = approvedWithPayout(
      d,
      entry,
      now,
      subscribed ?? (await subscribedEventTypes()),
    );
    return {
      steps: [
        disbursementChangeStep(d, now, { status: 'approved', payoutId, entry }, () => undefined),
        payoutPutStep(payout, requestedEvent.messageId, {
          payer: d.payer,
          campaignId: d.campaignId,
          noticeItem: { noticeId: notice.noticeId, itemRef: d.disbursementId },
        }),
        disbursementAudit(d, entry, { sub: actorSub }, { payoutId, noticeId: notice.noticeId }),
        approvedEvent.step,
        requestedEvent.step,
        // Out of `inNotice` only if its opening counted it there (a notice opened before did not).
        statsStep(d.countyCode, 'disbursements', statsMove(d.inNoticeCounted ? 'in_notice' : null, 'approved', d.amount), d.disbursementId),
      ],
      messageIds: queuedIds([approvedEvent, requestedEvent]),
    };
  },
  async withdraw(notice, _item, reason, actorSub, now) {
    const d = await readDisbursement(notice.source.id);
    if (d.status !== 'in_notice') throw invalidState(`The disbursement is ${d.status}`);
    const entry: HistoryEntry = {
      at: now.toISOString(),
      actor: actorSub,
      action: 'rejected',
      fromStatus: 'in_notice',
      toStatus: 'rejected',
      reason,
    };
    const steps: TxStep[] = [
      disbursementChangeStep(d, now, { status: 'rejected', entry }, () => undefined),
      disbursementAudit(d, entry, { sub: actorSub }, { noticeId: notice.noticeId, objection: 'upheld' }),
      // Out of the county report's `inNotice` (rejected is not counted), if its opening counted it there.
      ...(d.inNoticeCounted
        ? [statsStep(d.countyCode, 'disbursements', statsMove('in_notice', 'rejected', d.amount), d.disbursementId)]
        : []),
    ];
    // The money goes back where it was reserved: the campaign's subsidy while it holds money, else the allocation.
    const source = moneySource('return', d.campaignId, d.campaignId ? await subsidyIsReserved(d.campaignId) : false);
    const ref = { disbursementId: d.disbursementId };
    const money = {
      source,
      fundId: d.fundId,
      countyCode: d.countyCode,
      move: 'release' as const,
      amount: d.amount,
      ref,
      actor: actorSub,
      now,
    };
    return { steps, money, messageIds: [] };
  },
};
