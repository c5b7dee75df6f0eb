import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  applyForStation,
  decideStation,
  presentStation,
  type Station,
  type StationCommand,
  type StationStatus,
} from '#shared/domain/stations';
import { codeOf } from '#test/support/refusal';

const NOW = new Date('2026-11-29T08:00:00Z');
const PHONE = '13812345678';
const NATIONAL_ID = '11010519491231002X';

function newStation(createdBy = 'officer-a'): Station {
  return applyForStation(
    {
      stationId: 'stn_01JDX0000000000000000000AA',
      countyCode: '500241',
      village: 'Zhongyi',
      name: 'Zhongyi station',
      kind: 'village-service-station',
      operator: { name: 'Li Hua', phone: PHONE, nationalId: NATIONAL_ID },
    },
    createdBy,
    NOW,
  );
}

const training: StationCommand = { action: 'record-training', completedAt: '2026-11-20T08:00:00Z', course: 'Station basics' };

describe('station decisions', () => {
  it('never keeps the full national ID, and presents phone and ID masked', () => {
    const station = newStation();
    expect(JSON.stringify(station)).not.toContain(NATIONAL_ID);
    const view = presentStation(station);
    expect(view.operator).toEqual({ name: 'Li Hua', phone: '138****5678', nationalId: '**************002X' });
    expect(JSON.stringify(view)).not.toContain(PHONE);
  });

  it('four eyes: the officer who applied cannot approve, another can once training is recorded', () => {
    const trained = decideStation(newStation('officer-a'), training, 'officer-a', NOW).after;
    expect(codeOf(() => decideStation(trained, { action: 'approve' }, 'officer-a', NOW))).toBe('self_approval');
    const change = decideStation(trained, { action: 'approve' }, 'officer-b', NOW);
    expect(change.after.status).toBe('active');
    expect(change.event).toBe('station.activated');
    expect(change.entry).toMatchObject({ actor: 'officer-b', action: 'approved', fromStatus: 'applied', toStatus: 'active' });
  });

  it('four eyes on reinstating: the officer who suspended cannot reinstate, another can', () => {
    const trained = decideStation(newStation('officer-a'), training, 'officer-a', NOW).after;
    const active = decideStation(trained, { action: 'approve' }, 'officer-b', NOW).after;
    const suspended = decideStation(active, { action: 'suspend', reason: 'complaint' }, 'officer-b', NOW).after;
    expect(codeOf(() => decideStation(suspended, { action: 'reinstate' }, 'officer-b', NOW))).toBe('self_approval');
    // The officer who applied is not the one who suspended: they may reinstate.
    const change = decideStation(suspended, { action: 'reinstate', reason: 'complaint withdrawn' }, 'officer-a', NOW);
    expect(change.after.status).toBe('active');
    expect(change.entry).toMatchObject({ actor: 'officer-a', action: 'reinstated', fromStatus: 'suspended', toStatus: 'active' });
  });

  it('approval without training is training_required', () => {
    expect(codeOf(() => decideStation(newStation('officer-a'), { action: 'approve' }, 'officer-b', NOW))).toBe('training_required');
  });

  it('the applying officer may reject (withdraw) the application; the slot is released', () => {
    const change = decideStation(newStation('officer-a'), { action: 'reject', reason: 'duplicate' }, 'officer-a', NOW);
    expect(change.after.status).toBe('rejected');
    expect(change.operatorSlot).toBe('release');
    expect(change.entry.reason).toBe('duplicate');
  });
});

/**
 * State machine: random command sequences against a handful of stations, checked against a model
 * written from the contract (allowed transitions, who holds the operator slot, county counts).
 */
const ALLOWED: Record<string, { from: StationStatus; to: StationStatus }> = {
  approve: { from: 'applied', to: 'active' },
  reject: { from: 'applied', to: 'rejected' },
  suspend: { from: 'active', to: 'suspended' },
  reinstate: { from: 'suspended', to: 'active' },
};

const commandArb = fc.record({
  station: fc.nat(3),
  actor: fc.constantFrom('officer-a', 'officer-b'),
  // Rejection ends a station's story, so it is drawn less often: runs then reach suspend and reinstate.
  command: fc.oneof(
    { arbitrary: fc.constant<StationCommand>(training), weight: 2 },
    { arbitrary: fc.constant<StationCommand>({ action: 'approve' }), weight: 3 },
    { arbitrary: fc.constant<StationCommand>({ action: 'reject', reason: 'incomplete' }), weight: 1 },
    { arbitrary: fc.constant<StationCommand>({ action: 'suspend', reason: 'complaint' }), weight: 3 },
    { arbitrary: fc.constant<StationCommand>({ action: 'reinstate' }), weight: 3 },
  ),
});

describe('station status machine (property)', () => {
  it('follows the contract; slots and county counts stay consistent with the statuses', () => {
    fc.assert(
      // size 'max': fast-check's default size keeps arrays to about ten steps, too few to reach a reinstate.
      fc.property(fc.array(commandArb, { maxLength: 60, size: 'max' }), (steps) => {
        const stations = [0, 1, 2, 3].map(() => newStation('officer-a'));
        const slots = new Set<number>([0, 1, 2, 3]);
        const counts = { applied: 4, active: 0, suspended: 0 };
        const suspendedBy = new Map<number, string>();
        for (const { station: i, actor, command } of steps) {
          const before = stations[i]!;
          let expected: string | undefined;
          if (command.action === 'record-training') {
            expected = before.status === 'rejected' ? 'invalid_state' : undefined;
          } else {
            const rule = ALLOWED[command.action]!;
            if (before.status !== rule.from) expected = 'invalid_state';
            else if (command.action === 'approve' && actor === before.createdBy) expected = 'self_approval';
            else if (command.action === 'approve' && !before.training) expected = 'training_required';
            else if (command.action === 'reinstate' && actor === suspendedBy.get(i)) expected = 'self_approval';
          }
          let change: ReturnType<typeof decideStation> | undefined;
          const code = codeOf(() => (change = decideStation(before, command, actor, NOW)));
          expect(code).toBe(expected);
          if (!change) continue;

          const after = change.after;
          if (command.action !== 'record-training') expect(after.status).toBe(ALLOWED[command.action]!.to);
          else expect(after.status).toBe(before.status);
          expect(after.version).toBe(before.version + 1);
          expect(after.history).toHaveLength(before.history.length + 1);
          expect(after.history.at(-1)).toEqual(change.entry);

          if (change.operatorSlot === 'acquire') slots.add(i);
          if (change.operatorSlot === 'release') slots.delete(i);
          for (const [status, delta] of Object.entries(change.counts)) counts[status as keyof typeof counts] += delta;
          expect(change.event).toBe(
            after.status !== before.status && after.status === 'active'
              ? 'station.activated'
              : after.status !== before.status && after.status === 'suspended'
                ? 'station.suspended'
                : undefined,
          );
          stations[i] = after;
          if (command.action === 'suspend') suspendedBy.set(i, actor);

          const live = stations.flatMap((s, n) => (s.status === 'applied' || s.status === 'active' ? [n] : []));
          expect([...slots].sort()).toEqual(live);
          for (const status of ['applied', 'active', 'suspended'] as const) {
            expect(counts[status]).toBe(stations.filter((s) => s.status === status).length);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
