/**
 * Where a payment instruction stands for the paying finance system, and when its outbox event is looked
 * at again: only the paying system's acknowledgement counts, and losing its endpoints fails the payment.
 */
import { describe, expect, it } from 'vitest';
import { decidePayment, releaseOfInstruction, type EndpointDeliveryState } from '#shared/domain/payment-instructions';

const state = (overrides: Partial<EndpointDeliveryState> = {}): EndpointDeliveryState => ({
  acknowledged: false,
  attempts: 0,
  round: 0,
  nextAttemptAt: null,
  ...overrides,
});
const SCHEDULE = [5, 300];
const NOW = new Date('2026-12-02T00:00:00.000Z');

describe('where a payment instruction stands for the paying finance system', () => {
  it('acknowledged once any of its endpoints acknowledged, whatever the others say', () => {
    expect(decidePayment([state({ paying: true, acknowledged: true }), state({ paying: true, attempts: 9 })], [], SCHEDULE, 0)).toBe(
      'acknowledged',
    );
  });

  it("an observer's acknowledgement never counts", () => {
    const observer = state({ acknowledged: true });
    const paying = state({ paying: true, attempts: 1 });
    expect(decidePayment([observer, paying], [paying], SCHEDULE, 0)).toBe('trying');
    expect(decidePayment([observer], [], SCHEDULE, 0)).toBe('waiting');
  });

  it('failed when its endpoints ran out of retries, trying while one has some left', () => {
    const exhausted = state({ paying: true, attempts: 3 });
    expect(decidePayment([exhausted], [exhausted], SCHEDULE, 0)).toBe('failed');
    const left = state({ paying: true, attempts: 2 });
    expect(decidePayment([exhausted, left], [exhausted, left], SCHEDULE, 0)).toBe('trying');
  });

  it('failed when every endpoint it was meant for is gone before one acknowledged; after a redelivery only this round counts', () => {
    const gone = state({ paying: true, attempts: 1, round: 0 });
    expect(decidePayment([gone], [], SCHEDULE, 0)).toBe('failed');
    expect(decidePayment([gone], [], SCHEDULE, 1)).toBe('waiting');
  });

  it('an observer that is still trying does not keep a payment whose paying endpoints are gone waiting', () => {
    const gone = state({ paying: true, attempts: 1, round: 0 });
    const observer = state({ attempts: 1, round: 0 });
    expect(decidePayment([gone, observer], [], SCHEDULE, 0)).toBe('failed');
  });

  it('a failed payment ends the instruction; a waiting one is looked at again at once', () => {
    expect(releaseOfInstruction('failed', [state()], [state()], SCHEDULE, NOW)).toEqual({ status: 'failed' });
    expect(releaseOfInstruction('waiting', [], [], SCHEDULE, NOW)).toEqual({ status: 'pending', dueAt: NOW });
  });

  it('acknowledged: delivered unless an observer still has attempts to make, then pending until its next one', () => {
    const later = new Date(NOW.getTime() + 5_000).toISOString();
    expect(releaseOfInstruction('acknowledged', [state({ acknowledged: true })], [], SCHEDULE, NOW)).toEqual({ status: 'delivered' });
    expect(releaseOfInstruction('acknowledged', [state({ attempts: 1, nextAttemptAt: later })], [], SCHEDULE, NOW)).toEqual({
      status: 'pending',
      dueAt: new Date(later),
    });
    expect(releaseOfInstruction('acknowledged', [state({ attempts: 3 })], [], SCHEDULE, NOW)).toEqual({ status: 'delivered' });
  });

  it('trying: pending until the earliest next attempt of anyone still trying', () => {
    const soon = new Date(NOW.getTime() + 5_000).toISOString();
    const late = new Date(NOW.getTime() + 300_000).toISOString();
    const subscribed = [state({ paying: true, attempts: 2, nextAttemptAt: late }), state({ attempts: 1, nextAttemptAt: soon })];
    expect(releaseOfInstruction('trying', [], subscribed, SCHEDULE, NOW)).toEqual({ status: 'pending', dueAt: new Date(soon) });
  });
});
