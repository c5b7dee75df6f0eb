/**
 * A payment instruction (`payout.requested`) is sent to every subscribed endpoint, but only the fund's
 * paying finance system is told to pay. Pure rules only: where the instruction stands for the paying
 * system after a delivery round, and when its outbox event is looked at again. The worker that sends
 * the webhooks and stores the result is shared/webhooks/delivery.ts.
 */

/** What these rules read of one endpoint's delivery state (the outbox event keeps one per endpoint). */
export interface EndpointDeliveryState {
  acknowledged: boolean;
  /** Failed attempts in the current round. */
  attempts: number;
  round: number;
  /** ISO time before which this endpoint is not tried again. */
  nextAttemptAt: string | null;
  /** The endpoint belongs to the finance system that pays this instruction. */
  paying?: boolean;
}

/** Where a payment instruction stands for the paying finance system. */
export type PaymentVerdict = 'acknowledged' | 'trying' | 'failed' | 'waiting';

/** What happens to the instruction's outbox event: finished, or looked at again at `dueAt`. */
export type InstructionRelease = { status: 'pending'; dueAt: Date } | { status: 'delivered' | 'failed' };

/** An endpoint that has not acknowledged and has used every wait of the retry schedule. */
export function isExhausted(state: EndpointDeliveryState, schedule: readonly number[]): boolean {
  return !state.acknowledged && state.attempts > schedule.length;
}

/**
 * `all`: every endpoint state of the instruction (an endpoint removed since keeps its state);
 * `paying`: the paying system's endpoints still enabled and subscribed. Acknowledged once any of its
 * endpoints acknowledged; failed when its endpoints ran out of retries, or when it lost every endpoint
 * the instruction had been meant for before one acknowledged (410, deleted); waiting when it never had one.
 */
export function decidePayment(
  all: readonly EndpointDeliveryState[],
  paying: readonly EndpointDeliveryState[],
  schedule: readonly number[],
  round: number,
): PaymentVerdict {
  if (all.some((d) => d.paying && d.acknowledged)) return 'acknowledged';
  if (paying.length > 0) return paying.some((d) => !isExhausted(d, schedule)) ? 'trying' : 'failed';
  // After a redelivery, endpoints lost in an earlier round do not count: the instruction waits for a new one.
  return all.some((d) => d.paying && d.round === round) ? 'failed' : 'waiting';
}

/**
 * A payment instruction's release: finished as failed when the payment failed; otherwise pending while
 * the paying system or an observer still has attempts to make (or while no paying endpoint exists:
 * due now, so every sweep looks for one), delivered when nobody has anything left to do.
 */
export function releaseOfInstruction(
  payment: PaymentVerdict,
  observers: readonly EndpointDeliveryState[],
  subscribed: readonly EndpointDeliveryState[],
  schedule: readonly number[],
  now: Date,
): InstructionRelease {
  if (payment === 'failed') return { status: 'failed' };
  if (payment === 'waiting') return { status: 'pending', dueAt: now };
  const trying = (payment === 'acknowledged' ? observers : subscribed).filter((d) => !d.acknowledged && !isExhausted(d, schedule));
  if (trying.length === 0) return { status: 'delivered' };
  const next = Math.min(...trying.map((d) => (d.nextAttemptAt ? Date.parse(d.nextAttemptAt) : now.getTime())));
  return { status: 'pending', dueAt: new Date(next) };
}
