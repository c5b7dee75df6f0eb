/**
 * The pure rules API 1.1 added: ISO durations (notice and claim periods), ledger entries and their
 * replay, and where a payment instruction stands for the paying finance system.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { durationMs } from '#shared/domain/durations';
import { applyEntry, EMPTY_LINE, LedgerViolation, MOVE_KIND, replay, type LedgerKind } from '#shared/domain/ledger';
import { payerScope } from '#shared/domain/roles';
import { decidePayment, releaseOfInstruction } from '#shared/webhooks/delivery';
import type { EndpointDelivery } from '#shared/data/platform/outbox';

describe('ISO 8601 durations', () => {
  it('reads days, weeks, hours, minutes and seconds exactly', () => {
    expect(durationMs('P0D')).toBe(0);
    expect(durationMs('PT0S')).toBe(0);
    expect(durationMs('P7D')).toBe(604_800_000);
    expect(durationMs('P30D')).toBe(2_592_000_000);
    expect(durationMs('P1W')).toBe(604_800_000);
    expect(durationMs('PT1H30M')).toBe(5_400_000);
    expect(durationMs('P1DT2S')).toBe(86_402_000);
  });

  it('refuses calendar units and malformed text', () => {
    for (const text of ['P1M', 'P1Y', 'P', 'PT', '7D', 'P-1D', 'P1.5D', 'p7d', 'P7D ', '']) expect(durationMs(text), text).toBeUndefined();
  });
});

const line = (allocated: number, reserved: number, paid: number) => ({ allocated, reserved, paid, available: allocated - reserved - paid });

describe('ledger entries', () => {
  it('each kind moves the allocation as the contract says', () => {
    expect(applyEntry(EMPTY_LINE, 'allocation_set', 1_000)).toEqual(line(1_000, 0, 0));
    expect(applyEntry(line(1_000, 0, 0), 'reserved', 300)).toEqual(line(1_000, 300, 0));
    expect(applyEntry(line(1_000, 300, 0), 'released', 100)).toEqual(line(1_000, 200, 0));
    expect(applyEntry(line(1_000, 200, 0), 'paid', 200)).toEqual(line(1_000, 0, 200));
    // An allocation lowered: a negative allocation_set.
    expect(applyEntry(line(1_000, 0, 200), 'allocation_set', -800)).toEqual(line(200, 0, 200));
  });

  it('never writes an entry that overspends or pays money that was not reserved', () => {
    expect(() => applyEntry(line(100, 0, 0), 'reserved', 101)).toThrow(LedgerViolation);
    expect(() => applyEntry(line(100, 50, 0), 'released', 51)).toThrow(LedgerViolation);
    expect(() => applyEntry(line(100, 50, 0), 'paid', 51)).toThrow(LedgerViolation);
    expect(() => applyEntry(line(100, 50, 0), 'allocation_set', -51)).toThrow(LedgerViolation);
    expect(applyEntry(line(100, 50, 0), 'allocation_set', -50)).toEqual(line(50, 50, 0));
  });

  it('amounts other than allocation_set are positive whole fen', () => {
    for (const kind of ['reserved', 'released', 'paid'] as const) {
      expect(() => applyEntry(line(100, 100, 0), kind, 0)).toThrow(LedgerViolation);
      expect(() => applyEntry(line(100, 100, 0), kind, -1)).toThrow(LedgerViolation);
      expect(() => applyEntry(line(100, 100, 0), kind, 1.5)).toThrow(LedgerViolation);
    }
  });

  it('replaying any accepted sequence of entries gives a balanced line whose totals are the sums of the entries', () => {
    const step = fc.record({
      kind: fc.constantFrom<LedgerKind>('allocation_set', 'reserved', 'released', 'paid'),
      amount: fc.integer({ min: -500, max: 1_000 }),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const accepted: { kind: LedgerKind; amount: number }[] = [];
        let current = EMPTY_LINE;
        for (const s of steps) {
          try {
            current = applyEntry(current, s.kind, s.amount);
            accepted.push(s);
          } catch (error) {
            expect(error).toBeInstanceOf(LedgerViolation);
          }
        }
        const replayed = replay(accepted);
        expect(replayed).toEqual(current);
        const sum = (k: LedgerKind) => accepted.filter((e) => e.kind === k).reduce((t, e) => t + e.amount, 0);
        expect(replayed.allocated).toBe(sum('allocation_set'));
        expect(replayed.paid).toBe(sum('paid'));
        expect(replayed.reserved).toBe(sum('reserved') - sum('released') - sum('paid'));
        expect(replayed.available).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

const state = (overrides: Partial<EndpointDelivery> = {}): EndpointDelivery => ({
  acknowledged: false,
  attempts: 0,
  totalAttempts: 0,
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

describe('durations, each unit on its own', () => {
  it('counts weeks and days together, and hours, minutes and seconds each', () => {
    expect(durationMs('P1W2D')).toBe(9 * 86_400_000);
    expect(durationMs('PT1H')).toBe(3_600_000);
    expect(durationMs('PT2M')).toBe(120_000);
    expect(durationMs('PT3S')).toBe(3_000);
    expect(durationMs('P2DT1H1M1S')).toBe(2 * 86_400_000 + 3_661_000);
  });

  it('refuses text around a duration and a time part without the T', () => {
    for (const text of ['xP7D', 'P7Dx', 'P1H', 'PT1D', 'P7DT']) expect(durationMs(text), text).toBeUndefined();
  });
});

describe('ledger entry kinds of the money moves', () => {
  it('a reservation writes `reserved`, a release `released`, a settlement `paid`', () => {
    expect(MOVE_KIND).toEqual({ reserve: 'reserved', release: 'released', settle: 'paid' });
  });
});

describe('whose money records a reader sees', () => {
  it('fund-admin, auditor, requester and approver read every fund; a caller with only finance-system its own', () => {
    for (const role of ['fund-admin', 'auditor', 'requester', 'approver'])
      expect(payerScope({ sub: 'x', roles: [role] }), role).toBeUndefined();
    expect(payerScope({ sub: 'ledger-bot', roles: ['finance-system'] })).toBe('ledger-bot');
    expect(payerScope({ sub: 'ledger-bot', roles: [] })).toBe('ledger-bot');
    expect(payerScope({ sub: 'ops', roles: ['finance-system', 'auditor'] })).toBeUndefined();
    expect(payerScope({ sub: 'ops', roles: ['campaign-operator', 'station-officer'] })).toBe('ops');
  });
});
