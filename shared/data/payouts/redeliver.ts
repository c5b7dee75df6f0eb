import { assertRedeliverable, type Payout } from '../../domain/payouts.ts';
import { enqueueEvents } from '../platform/events.ts';
import type { Actor } from '../funds/items.ts';
import { eventRedeliveryStep } from '../platform/outbox.ts';
import { retryOnConflict, transact } from '../platform/transactions.ts';
import { publicPayout, batchCounterSteps, getPayout, payoutMoveStep, payoutAudit } from './items.ts';

/**
 * A fund admin's second chance after the webhook retries ran out: delivery_failed → queued, and the
 * same `payout.requested` message (same webhook-id, so the receiver can dedupe) re-armed, in one transaction.
 */
export async function redeliverPayout(payoutId: string, actor: Actor, now: Date): Promise<Payout> {
  const payout = await retryOnConflict(async () => {
    const current = await getPayout(payoutId);
    assertRedeliverable(current.status);
    await transact([
      payoutMoveStep(current, 'queued', now),
      eventRedeliveryStep(current.requestedMessageId, now),
      payoutAudit(current, 'payout.redelivery_requested', 'queued', actor, now, { messageId: current.requestedMessageId }),
      ...batchCounterSteps(current, current.status, 'queued'),
    ]);
    return { ...current, status: 'queued' as const };
  });
  await enqueueEvents([payout.requestedMessageId]);
  return publicPayout(payout);
}
