/**
 * The per-endpoint retry state machine and the event's outcome, as a model-based property: random
 * schedules, endpoints and receiver behaviour, driven round by round the way the worker drives them.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { EndpointDelivery } from '#shared/data/platform/outbox';
import { isExhausted } from '#shared/domain/payment-instructions';
import { afterAttempt, decideDelivery, isDue, type AttemptResult } from '#shared/webhooks/delivery';

const fresh = (): EndpointDelivery => ({ acknowledged: false, attempts: 0, totalAttempts: 0, round: 0, nextAttemptAt: null });

const result = fc.oneof(
  fc.constant<AttemptResult>({ ok: true, status: 200, error: null, durationMs: 5 }),
  fc.constant<AttemptResult>({ ok: false, status: 500, error: 'HTTP 500', durationMs: 5 }),
  fc.constant<AttemptResult>({ ok: false, status: null, error: 'timeout', durationMs: 5 }),
  fc.nat({ max: 50 }).map<AttemptResult>((s) => ({ ok: false, status: 429, retryAfterSeconds: s, error: 'HTTP 429', durationMs: 5 })),
);

describe('delivery state machine', () => {
  it('finishes every event, honours every wait, never retries an acknowledged endpoint, and ends in the right status', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 0, maxLength: 6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.infiniteStream(result),
        (schedule, endpointCount, results) => {
          const states = Array.from({ length: endpointCount }, fresh);
          const attemptTimes: number[][] = states.map(() => []);
          let now = new Date('2026-03-01T00:00:00Z');
          const iterator = results[Symbol.iterator]();
          let outcome = decideDelivery('payout.requested', states, states, schedule, now);
          // Round 0 always happens: the first attempt of every endpoint.
          for (let round = 0; round < 100; round++) {
            states.forEach((state, i) => {
              if (!isDue(state, schedule, now)) return;
              attemptTimes[i]!.push(now.getTime());
              states[i] = afterAttempt(state, iterator.next().value as AttemptResult, schedule, now);
            });
            outcome = decideDelivery('payout.requested', states, states, schedule, now);
            if (outcome.status !== 'pending') break;
            expect(outcome.dueAt.getTime()).toBeGreaterThan(now.getTime());
            now = outcome.dueAt;
          }

          expect(outcome.status).not.toBe('pending');
          const allAcknowledged = states.every((s) => s.acknowledged);
          expect(outcome.status).toBe(allAcknowledged ? 'delivered' : 'failed');
          states.forEach((state, i) => {
            const times = attemptTimes[i]!;
            expect(times.length).toBe(state.totalAttempts);
            expect(times.length).toBeLessThanOrEqual(schedule.length + 1);
            if (!state.acknowledged) {
              expect(isExhausted(state, schedule)).toBe(true);
              expect(times.length).toBe(schedule.length + 1);
            }
            // The wait before retry k is at least the schedule's k-th wait.
            for (let k = 1; k < times.length; k++) expect(times[k]! - times[k - 1]!).toBeGreaterThanOrEqual(schedule[k - 1]! * 1000);
          });
        },
      ),
    );
  });

  it('waits for a subscriber only for event types that must reach someone', () => {
    const now = new Date();
    expect(decideDelivery('payout.requested', [], [], [5], now)).toEqual({ status: 'pending', dueAt: now });
    expect(decideDelivery('campaign.launched', [], [], [5], now)).toEqual({ status: 'dropped' });
    const told = { ...fresh(), acknowledged: true };
    expect(decideDelivery('campaign.launched', [], [told], [5], now)).toEqual({ status: 'delivered' });
  });

  it('a 410 neither counts as a retryable failure nor schedules another attempt', () => {
    const state = afterAttempt(fresh(), { ok: false, status: 410, error: 'HTTP 410', durationMs: 1 }, [5], new Date());
    expect(state).toMatchObject({ acknowledged: false, attempts: 0, totalAttempts: 1, nextAttemptAt: null });
  });
});
