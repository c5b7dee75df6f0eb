import { assertSettlementComplete, decideSettlement, outcomeStatus, type Payout, type Settlement } from '../../domain/payouts.ts';
import { DEFAULT_FAILURE_CODE } from '../../domain/failure-codes.ts';
import { report } from '../../metrics.ts';
import { config } from '../../config.ts';
import { logger } from '../../logger.ts';
import { completeBatchIfDone } from '../batches/counters.ts';
import { payoutOutcomeSteps, settlementStats } from '../disbursements/items.ts';
import { enqueueEvents, eventStep } from '../platform/events.ts';
import { subscriptionsOnce } from '../webhook-endpoints/subscriptions.ts';
import type { Actor } from '../funds/items.ts';
import { commitMoney } from '../ledger/move.ts';
import { rollUpAfterSettlement, settlerTurn, type SettlerTurn } from '../ledger/roll-up.ts';
import { subsidyIsReserved } from '../ledger/items.ts';
import { releaseAllocationTurn } from '../ledger/turn.ts';
import { failureCountedSteps } from '../failures/items.ts';
import { moneySource, type MoneySource } from '../../domain/money-source.ts';
import { noticeItemPaidStep } from '../notices/items.ts';
import { paidRecordStep } from '../warning-rules/items.ts';
import { accountHashes } from '../screening/items.ts';
import { eventCloseStep, getOutboxEvent } from '../platform/outbox.ts';
import { LEDGER_ATTEMPTS, ReadAgain, retryReadingLightly, TransactionConflict, type TxStep } from '../platform/transactions.ts';
import { reportFigures, reportStatsSteps } from '../reports/stats.ts';
import {
  StoredPayout,
  payoutSettledKeys,
  bankReferenceNamed,
  bankReferenceSteps,
  publicPayout,
  batchCounterSteps,
  getPayoutFor,
  payoutMoveStep,
  payoutAudit,
} from './items.ts';

/**
 * The finance system's report. succeeded: payout settled, disbursement paid, reservation → paid (by a roll-up,
 * ledger/move.ts: the transaction writes the pending roll-up, the allocation moves right after or at the sweep).
 * failed: payout failed, disbursement payout_failed, reservation released. One transaction with the
 * audit entry, the `payout.settled` / `payout.failed` event and the county report's move. The same
 * outcome again answers with the payout unchanged; a contradicting one is `invalid_state`.
 */
export async function settlePayout(payoutId: string, settlement: Settlement, actor: Actor, now: Date): Promise<Payout> {
  assertSettlementComplete(settlement);
  // The bank reference names an earlier payout: learnt from a refused attempt, the next one counts this payout in.
  let referenceNamed = false;
  // Read once a request, when there is an event to write (a repeated outcome writes none).
  const subscriptions = subscriptionsOnce();
  // A payment's allocation turn, looked at once before its first transaction (SETTLEMENT_ROLLUP=now): the county
  // quiet or the turn taken, the payment moves its allocation in its own transaction; held, it waits as a pending
  // roll-up. A turn taken is given back below.
  let turn: (SettlerTurn & { fundId: string; countyCode: string }) | undefined;
  const giveTurnBack = async () => {
    if (turn?.owner) await releaseAllocationTurn(turn.fundId, turn.countyCode, turn.owner);
  };
  // The first attempt reads the payout and its account's records eventually consistent: what it writes is refused if
  // they moved, and what it answers without writing is decided again on a consistent read (retryReadingLightly).
  const result = await retryReadingLightly(async (consistent) => {
    // Only the fund's paying finance system may settle; to anyone else the payout does not exist.
    const payout = await getPayoutFor(payoutId, { sub: actor.sub, roles: ['finance-system'] }, { consistent });
    if (decideSettlement(payout.status, settlement.outcome) === 'repeat') {
      if (!consistent) throw new ReadAgain();
      return { payout, messageId: undefined };
    }
    const to = outcomeStatus(settlement.outcome);
    const at = now.toISOString();
    // `repeat_payee`'s record of the account's settlements, in this transaction (../warning-rules/items.ts).
    const paidRecord =
      to === 'settled'
        ? await paidRecordStep(payout.fundId, (await accountHashes([payout.beneficiary.account.accountNumber]))[0]!, payoutId, at, {
            consistent,
          })
        : undefined;
    // A bulk transfer's reference names many payouts: read so, each of its settlements counts itself in at once.
    if (to === 'settled' && settlement.bankReference && !referenceNamed)
      referenceNamed = await bankReferenceNamed(payout.payer, settlement.bankReference, { consistent });
    const settled: StoredPayout =
      to === 'settled'
        ? { ...payout, status: to, settledAt: at, bankReference: settlement.bankReference ?? null }
        : {
            ...payout,
            status: to,
            settledAt: at,
            // 1.2: a returned transfer has its bank reference too; the code defaults to unspecified.
            bankReference: settlement.bankReference ?? null,
            failureCode: settlement.failureCode ?? DEFAULT_FAILURE_CODE,
            failureReason: settlement.failureReason ?? null,
          };
    const eventType = to === 'settled' ? 'payout.settled' : 'payout.failed';
    const event = eventStep(eventType, payoutId, publicPayout(settled), now, {
      payer: payout.payer,
      subscribed: (await subscriptions())(eventType),
    });
    const ref = {
      payoutId,
      ...(payout.disbursementId ? { disbursementId: payout.disbursementId } : {}),
      ...(payout.batchId ? { batchId: payout.batchId } : {}),
    };
    // A failed payout of a subsidised disbursement gives its money back to the subsidy while the subsidy
    // still holds money; otherwise the reservation is released (or, when paid, moved to paid).
    const subsidyReserved = to === 'failed' && payout.campaignId !== null && (await subsidyIsReserved(payout.campaignId));
    // No instruction for a closed payout: a payment instruction still pending is closed with it. Read consistently on
    // every attempt: a stale `failed` would leave open an instruction a redelivery has just armed again.
    const instruction = await getOutboxEvent(payout.requestedMessageId);
    const audit = payoutAudit(
      payout,
      to === 'settled' ? 'payout.settled' : 'payout.failed',
      to,
      actor,
      now,
      to === 'settled' ? { bankReference: settled.bankReference } : undefined,
      settled.failureReason ?? undefined,
    );
    const withMoney = (money: TxStep[]): TxStep[] => [
      payoutMoveStep(payout, to, now, {
        settledAt: at,
        bankReference: settled.bankReference,
        failureCode: settled.failureCode,
        failureReason: settled.failureReason,
        ...payoutSettledKeys(payoutId, at),
        // The failures summary counts it from now until a correction links it (../failures/items.ts).
        ...(to === 'failed' ? { failureCounted: true } : {}),
      }),
      ...(to === 'failed' ? failureCountedSteps({ ...settled, settledAt: at }) : []),
      ...money,
      ...(instruction?.status === 'pending' ? [eventCloseStep(payout.requestedMessageId, now)] : []),
      ...(payout.disbursementId ? payoutOutcomeSteps({ ...payout, disbursementId: payout.disbursementId }, settlement, actor, now) : []),
      ...batchCounterSteps(payout, payout.status, to),
      ...(to === 'settled' && payout.noticeItem ? [noticeItemPaidStep(payout.noticeItem)] : []),
      ...(to === 'settled' && settled.bankReference
        ? bankReferenceSteps(payout, settled.bankReference, at, {
            named: referenceNamed,
            referenceNamed: () => {
              referenceNamed = true;
              return new TransactionConflict();
            },
          })
        : []),
      ...(paidRecord ? [paidRecord] : []),
      audit,
      event.step,
      // The half-year report's failures by code.
      ...(to === 'failed'
        ? reportStatsSteps(payout.fundId, now, reportFigures.failed(settled.failureCode ?? DEFAULT_FAILURE_CODE, payout.amount), payoutId)
        : []),
    ];
    // A payment settles on the allocation; a failed payout's money goes back where it was reserved.
    const source: MoneySource = to === 'settled' ? { kind: 'allocation' } : moneySource('return', payout.campaignId, subsidyReserved);
    const move = to === 'settled' ? 'settle' : 'release';
    // Taken right before the commit (after the reads above), so it is held for the transaction and the roll-up only.
    if (to === 'settled' && config().SETTLEMENT_ROLLUP === 'now')
      turn ??= { ...(await settlerTurn(payout.fundId, payout.countyCode)), fundId: payout.fundId, countyCode: payout.countyCode };
    // The payment moves its allocation itself in the turn taken, or alone in a quiet county; else it waits pending.
    const payIn = to !== 'settled' ? undefined : turn?.owner !== undefined ? 'held' : turn?.alone ? 'alone' : undefined;
    // A disbursement's move in the county report rides on the money's (a batch row's payout has none there).
    const countyStats = payout.disbursementId ? settlementStats(payout, settlement) : undefined;
    const { fundId, countyCode, amount } = payout;
    await commitMoney({ source, fundId, countyCode, move, amount, ref, actor: actor.sub, now, turn: payIn, countyStats }, withMoney);
    return { payout: settled, messageId: event.messageId, queued: event.queued };
  }, LEDGER_ATTEMPTS).catch(async (error: unknown) => {
    await giveTurnBack();
    throw error;
  });
  if (result.messageId) {
    report.payoutSettled(result.payout.status === 'settled' ? 'settled' : 'failed');
    if (result.queued) await enqueueEvents([result.messageId]);
  }
  // A payment moved in its own transaction (the turn was free) rolls up what other settlers left pending meanwhile;
  // one that waits as a pending roll-up is applied now unless another settlement of the county is rolling it up
  // (then it is, or the sweep does within one OUTBOX_SWEEP_SECONDS). Either gives the turn back.
  if (result.payout.status === 'settled' && config().SETTLEMENT_ROLLUP === 'now') {
    // Held (neither alone nor the turn taken): the payment was written as a pending roll-up.
    const waitsPending = turn !== undefined && turn.owner === undefined && !turn.alone;
    await rollUpAfterSettlement(result.payout.fundId, result.payout.countyCode, now, turn?.owner, waitsPending).catch((error: unknown) =>
      logger.warn('settlement roll-up failed; the outbox sweep rolls it up', { payoutId, error: (error as Error).name }),
    );
  } else await giveTurnBack();
  // A batch completes with its last final payout; a repeated report checks again (heals a lost check).
  if (result.payout.batchId) {
    await completeBatchIfDone(result.payout.batchId, now).catch((error: unknown) =>
      logger.warn('batch completion check failed; a repeated settlement report checks again', {
        batchId: result.payout.batchId,
        error: (error as Error).name,
      }),
    );
  }
  return publicPayout(result.payout);
}
