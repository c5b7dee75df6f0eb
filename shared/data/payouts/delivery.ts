import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { becomesSent } from '../../domain/payouts.ts';
import { config } from '../../config.ts';
import { report } from '../../metrics.ts';
import { documents } from '../platform/clients.ts';
import { enqueueEvents, eventStep, queuedIds } from '../platform/events.ts';
import { subscriptionsOnce } from '../webhook-endpoints/subscriptions.ts';
import { keys } from '../platform/keys.ts';
import { retryOnConflict, transact, TransactionConflict, type TxStep } from '../platform/transactions.ts';
import {
  StoredPayout,
  statusIndexKey,
  toPayout,
  publicPayout,
  batchCounterSteps,
  findPayout,
  payoutMoveStep,
  payoutAudit,
  PayoutFacts,
} from './items.ts';

/** Actor recorded for transitions the webhook worker drives. */
const DELIVERY_ACTOR = 'system:webhook-delivery';

/** The payout was not in the status the sent transition assumed; carries the item as it was. */
class NotAsAssumed extends Error {
  constructor(readonly current: Record<string, unknown> | undefined) {
    super('payout not in the assumed status');
  }
}

/**
 * Every subscribed endpoint acknowledged `payout.requested`: queued → sent, with the attempt count
 * raised to `attempts` (never lowered). Idempotent: a payout already sent, settled or failed is left
 * alone. From delivery_failed too, since the receiver did get it after all.
 *
 * With `facts` (the worker's case) there is no read first: one transaction assumes `queued`, and when
 * its condition fails the payout as it was (ALL_OLD) decides: delivery_failed → the same move from
 * there; anything else → nothing to do; more attempts already counted → the same move with those.
 * `alongside` (the event's release) commits in the same transaction when the payout
 * moves; their own failed conditions throw their own errors. True when the payout moved.
 */
export async function markPayoutSent(
  payoutId: string,
  now: Date,
  seen: { attempts?: number; facts?: PayoutFacts; alongside?: TxStep[] } = {},
): Promise<boolean> {
  let assumed: StoredPayout | undefined;
  if (seen.facts) {
    assumed = { ...seen.facts, payoutId, status: 'queued', attempts: 0 } as StoredPayout;
  }
  let attempts = Math.max(1, seen.attempts ?? 0);
  return retryOnConflict(async () => {
    // The assumed status, then the item as a failed condition returned it: a third surprise reads again after a pause.
    for (let tries = 0; tries < 3; tries++) {
      const payout = assumed ?? (await findPayout(payoutId));
      assumed = undefined;
      if (!payout || !becomesSent(payout.status)) return false;
      attempts = Math.max(attempts, payout.attempts);
      try {
        await transact([
          sentStep(payout, attempts, now),
          payoutAudit(payout, 'payout.sent', 'sent', { sub: DELIVERY_ACTOR }, now),
          ...batchCounterSteps(payout, payout.status, 'sent'),
          ...(seen.alongside ?? []),
        ]);
        report.payoutSent();
        return true;
      } catch (error) {
        if (!(error instanceof NotAsAssumed)) throw error;
        if (!error.current) return false;
        assumed = toPayout(error.current);
      }
    }
    throw new TransactionConflict();
  });
}

/** queued/delivery_failed → sent; the condition also holds the attempt count (it is only ever raised). */
function sentStep(payout: StoredPayout, attempts: number, now: Date): TxStep {
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: keys.payout(payout.payoutId),
        UpdateExpression: 'SET #status = :to, updatedAt = :at, gsi2pk = :gsi2pk, sentAt = :at, attempts = :attempts',
        ConditionExpression: '#status = :from AND (attribute_not_exists(attempts) OR attempts <= :attempts)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':from': payout.status,
          ':to': 'sent',
          ':at': now.toISOString(),
          ':gsi2pk': statusIndexKey('sent', payout.payoutId),
          ':attempts': attempts,
        },
      },
    },
    onConditionFailed: (current) => new NotAsAssumed(current),
  };
}

/**
 * The webhook retries for `payout.requested` ran out: queued → delivery_failed, with its
 * `payout.delivery_failed` event in the same transaction. Idempotent: anything but queued is left alone.
 */
export async function markPayoutDeliveryFailed(payoutId: string, attempts: number, now: Date): Promise<void> {
  // Which types anyone listens to, read once for the job (retries included), only if the payout moves.
  const subscriptions = subscriptionsOnce();
  const event = await retryOnConflict(async () => {
    const payout = await findPayout(payoutId);
    if (!payout || payout.status !== 'queued') return undefined;
    const next: StoredPayout = { ...payout, status: 'delivery_failed', attempts: Math.max(payout.attempts, attempts) };
    const event = eventStep('payout.delivery_failed', payoutId, publicPayout(next), now, {
      payer: payout.payer,
      subscribed: (await subscriptions())('payout.delivery_failed'),
    });
    await transact([
      payoutMoveStep(payout, 'delivery_failed', now, { attempts: next.attempts }),
      payoutAudit(payout, 'payout.delivery_failed', 'delivery_failed', { sub: DELIVERY_ACTOR }, now, { attempts: next.attempts }),
      event.step,
      ...batchCounterSteps(payout, payout.status, 'delivery_failed'),
    ]);
    return event;
  });
  if (event) {
    report.payoutDeliveryFailed();
    await enqueueEvents(queuedIds([event]));
  }
}

/** Raises the delivery attempt counter (never lowers it: attempts may be reported out of order). */
export async function recordPayoutAttempts(payoutId: string, attempts: number): Promise<void> {
  try {
    await documents.send(
      new UpdateCommand({
        TableName: config().TABLE_NAME,
        Key: keys.payout(payoutId),
        UpdateExpression: 'SET attempts = :n',
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(attempts) OR attempts < :n)',
        ExpressionAttributeValues: { ':n': attempts },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}
