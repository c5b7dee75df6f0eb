import { decideApproval, statsMove, type Approval, type Disbursement, type HistoryEntry } from '../../domain/disbursements.ts';
import { report } from '../../metrics.ts';
import { actorAuditStep } from '../platform/audit.ts';
import { enqueueEvents, queuedIds } from '../platform/events.ts';
import { subscriptionsOnce } from '../webhook-endpoints/subscriptions.ts';
import { getFundSettings, type Actor } from '../funds/items.ts';
import { commitMoney, type MoneyMove } from '../ledger/move.ts';
import type { LedgerRef } from '../ledger/items.ts';
import { moneySource } from '../../domain/money-source.ts';
import { noticeOpening } from '../notices/items.ts';
import { isNoticed, noticeEnd } from '../../domain/notices.ts';
import { keys } from '../platform/keys.ts';
import { payoutPutStep } from '../payouts/items.ts';
import { stationActiveStep } from '../stations/items.ts';
import { LEDGER_ATTEMPTS, retryReadingLightly, transact, TransactionConflict, type TxStep } from '../platform/transactions.ts';
import { healDisbursement } from '../verifications/apply.ts';
import {
  StoredDisbursement,
  publicDisbursement,
  readDisbursement,
  approvedWithPayout,
  disbursementAudit,
  disbursementChangeStep,
} from './items.ts';

/**
 * Records an approval. The approval that reaches `requiredApprovals` reserves the amount, creates the
 * payout and queues it, all in one transaction; anything short of that is one conditional change.
 */
export async function approveDisbursement(
  disbursementId: string,
  input: { comment?: string },
  actor: Actor,
  now: Date,
): Promise<Disbursement> {
  // Read once a request, when the approval completes: a retry after a conflict writes the same events.
  const subscriptions = subscriptionsOnce();
  // The first attempt reads the disbursement eventually consistent: its change is conditional on the version read, and
  // a refusal decided on it is decided again on a consistent read (retryReadingLightly).
  const { disbursement, messageIds } = await retryReadingLightly(async (consistent) => {
    const d = await readDisbursement(disbursementId, { consistent });
    // An answer whose propagation was cut short reaches the disbursement now, before the decision (then read again).
    if (d.verification?.status === 'pending' && (await healDisbursement(d, now))) throw new TransactionConflict();
    const decision = decideApproval(d, actor.sub, now, input.comment);
    const redecide = (current: StoredDisbursement) => decideApproval(current, actor.sub, now, input.comment);
    const at = now.toISOString();
    if (!decision.completes) {
      await transact([
        disbursementChangeStep(d, now, { approvals: decision.approvals }, redecide),
        actorAuditStep(keys.disbursement(d.disbursementId).pk, actor, 'disbursement.approval', now, {
          fromStatus: d.status,
          toStatus: d.status,
          details: { approvals: decision.approvals.length, requiredApprovals: d.requiredApprovals },
        }),
      ]);
      const next: StoredDisbursement = { ...d, approvals: decision.approvals, updatedAt: at, version: d.version + 1 };
      return { disbursement: next, messageIds: [] as string[] };
    }

    // Relief money to named people is posted publicly first (公示): reserve now, pay when the notice ends.
    if (isNoticed(d.beneficiary.kind)) {
      const fund = await getFundSettings(d.fundId);
      const endsAt = noticeEnd(fund.noticePeriod, now);
      if (endsAt) {
        const heard = await subscriptions();
        return openDisbursementNotice(
          d,
          decision.approvals,
          fund.name,
          { endsAt, subscribed: heard('notice.opened') },
          redecide,
          actor,
          now,
        );
      }
    }

    const entry: HistoryEntry = { at, actor: actor.sub, action: 'approved', fromStatus: d.status, toStatus: 'approved' };
    const { approved, payoutId, payout, approvedEvent, requestedEvent } = approvedWithPayout(
      { ...d, approvals: decision.approvals },
      entry,
      now,
      await subscriptions(),
    );
    const stationId = d.beneficiary.kind === 'station' ? d.beneficiary.stationId : undefined;
    // A subsidised disbursement draws on money its campaign already holds; any other reserves on the allocation.
    const audit = disbursementAudit(d, entry, actor, { payoutId, approvers: decision.approvals.map((a) => a.approver) });
    const withReservation = (reservation: TxStep[]): TxStep[] => [
      disbursementChangeStep(d, now, { status: 'approved', approvals: decision.approvals, payoutId, entry }, redecide),
      ...reservation,
      payoutPutStep(payout, requestedEvent.messageId, { payer: d.payer, campaignId: d.campaignId }),
      ...(stationId ? [stationActiveStep(stationId, d.countyCode)] : []),
      audit,
      approvedEvent.step,
      requestedEvent.step,
    ];
    await commitMoney(reservationOf(d, 'approved', { disbursementId: d.disbursementId, payoutId }, actor, now), withReservation);
    return { disbursement: approved, messageIds: queuedIds([approvedEvent, requestedEvent]) };
  }, LEDGER_ATTEMPTS);
  if (messageIds.length) {
    report.disbursementApproved();
    await enqueueEvents(messageIds);
  }
  return publicDisbursement(disbursement);
}

/**
 * The reservation a final approval (or its notice's opening) commits: on the campaign's subsidy or the allocation, with
 * the disbursement's move in the county report riding on it (../ledger/move.ts `countyStats`).
 */
function reservationOf(d: StoredDisbursement, to: 'approved' | 'in_notice', ref: LedgerRef, actor: Actor, now: Date): MoneyMove {
  const { fundId, countyCode, amount } = d;
  const source = moneySource('draw', d.campaignId, true);
  return { source, fundId, countyCode, move: 'reserve', amount, ref, actor: actor.sub, now, countyStats: statsMove(d.status, to, amount) };
}

/** Reserves like a final approval, but opens the public notice instead of creating the payout. */
async function openDisbursementNotice(
  d: StoredDisbursement,
  approvals: Approval[],
  fundName: string,
  { endsAt, subscribed }: { endsAt: Date; subscribed: boolean },
  redecide: (current: StoredDisbursement) => void,
  actor: Actor,
  now: Date,
): Promise<{ disbursement: StoredDisbursement; messageIds: string[] }> {
  const opening = await noticeOpening(
    {
      fundId: d.fundId,
      payer: d.payer,
      fundName,
      countyCode: d.countyCode,
      purpose: d.purpose,
      source: { kind: 'disbursement', id: d.disbursementId },
      approvers: approvals.map((a) => a.approver),
      entries: [{ itemRef: d.disbursementId, name: d.beneficiary.name, kind: d.beneficiary.kind, amount: d.amount }],
      endsAt,
      subscribed,
    },
    actor,
    now,
  );
  const at = now.toISOString();
  const entry: HistoryEntry = { at, actor: actor.sub, action: 'notice_opened', fromStatus: d.status, toStatus: 'in_notice' };
  const next: StoredDisbursement = {
    ...d,
    inNoticeCounted: true,
    status: 'in_notice',
    approvals,
    notice: opening.notice,
    updatedAt: at,
    history: [...d.history, entry],
    version: d.version + 1,
  };
  const withReservation = (reservation: TxStep[]): TxStep[] => [
    disbursementChangeStep(d, now, { status: 'in_notice', approvals, notice: opening.notice, entry, inNoticeCounted: true }, redecide),
    ...reservation,
    ...opening.steps,
    ...opening.itemPuts,
    disbursementAudit(d, entry, actor, {
      noticeId: opening.notice.noticeId,
      endsAt: opening.notice.endsAt,
      approvers: approvals.map((a) => a.approver),
    }),
  ];
  await commitMoney(reservationOf(d, 'in_notice', { disbursementId: d.disbursementId }, actor, now), withReservation);
  return { disbursement: next, messageIds: opening.messageIds };
}
