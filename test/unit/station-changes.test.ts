/**
 * Station onboarding, one decision at a time and written out in full: what an application stores,
 * what a response shows, what each command changes (history, operator slot, county counts, events)
 * and what a refusal says.
 */
import { describe, expect, it } from 'vitest';
import { refusal } from '#test/support/refusal';
import {
  applyForStation,
  countDeltas,
  decideStation,
  holdsOperatorSlot,
  presentStation,
  type Station,
  type StationCommand,
} from '#shared/domain/stations';

const APPLIED_AT = new Date('2026-11-20T08:00:00.000Z');
const NOW = new Date('2026-11-29T08:00:00.000Z');

function application(): Station {
  return applyForStation(
    {
      stationId: 'stn_01JDX0000000000000000000AA',
      countyCode: '500241',
      village: 'Longfeng',
      name: 'Longfeng village service station',
      kind: 'village-service-station',
      operator: { name: 'Wang Fang', phone: '13812345678', nationalId: '11010519491231002X' },
    },
    'officer-a',
    APPLIED_AT,
  );
}

const TRAINING: StationCommand = { action: 'record-training', completedAt: '2026-11-25T08:00:00.000Z', course: 'E-commerce basics' };

const trained = () => decideStation(application(), TRAINING, 'officer-a', NOW).after;
const active = () => decideStation(trained(), { action: 'approve' }, 'officer-b', NOW).after;
const suspended = () => decideStation(active(), { action: 'suspend', reason: 'complaint' }, 'officer-c', NOW).after;

describe('an application', () => {
  it('stores the station as applied, the national ID masked, with its first history entry', () => {
    expect(application()).toStrictEqual({
      stationId: 'stn_01JDX0000000000000000000AA',
      countyCode: '500241',
      village: 'Longfeng',
      name: 'Longfeng village service station',
      kind: 'village-service-station',
      status: 'applied',
      operator: { name: 'Wang Fang', phone: '13812345678', nationalIdMasked: '**************002X' },
      suspendedBy: null,
      training: null,
      createdBy: 'officer-a',
      createdAt: '2026-11-20T08:00:00.000Z',
      updatedAt: '2026-11-20T08:00:00.000Z',
      history: [{ at: '2026-11-20T08:00:00.000Z', actor: 'officer-a', action: 'applied', fromStatus: null, toStatus: 'applied' }],
      version: 1,
    });
  });
});

describe('a station in a response', () => {
  it('shows training and history as stored, the phone masked, and no version', () => {
    expect(presentStation(trained())).toStrictEqual({
      stationId: 'stn_01JDX0000000000000000000AA',
      countyCode: '500241',
      village: 'Longfeng',
      name: 'Longfeng village service station',
      kind: 'village-service-station',
      status: 'applied',
      operator: { name: 'Wang Fang', phone: '138****5678', nationalId: '**************002X' },
      training: {
        completedAt: '2026-11-25T08:00:00.000Z',
        course: 'E-commerce basics',
        recordedBy: 'officer-a',
        recordedAt: '2026-11-29T08:00:00.000Z',
      },
      createdBy: 'officer-a',
      createdAt: '2026-11-20T08:00:00.000Z',
      updatedAt: '2026-11-29T08:00:00.000Z',
      history: [
        { at: '2026-11-20T08:00:00.000Z', actor: 'officer-a', action: 'applied', fromStatus: null, toStatus: 'applied' },
        { at: '2026-11-29T08:00:00.000Z', actor: 'officer-a', action: 'training_recorded', fromStatus: 'applied', toStatus: 'applied' },
      ],
    });
  });
});

describe('recording training', () => {
  it('records who recorded it and when, keeps the status and the slot, and counts nothing', () => {
    const station = application();
    const change = decideStation(station, TRAINING, 'officer-a', NOW);
    const entry = {
      at: '2026-11-29T08:00:00.000Z',
      actor: 'officer-a',
      action: 'training_recorded',
      fromStatus: 'applied',
      toStatus: 'applied',
    };
    expect(change).toStrictEqual({
      before: station,
      after: {
        ...station,
        training: {
          completedAt: '2026-11-25T08:00:00.000Z',
          course: 'E-commerce basics',
          recordedBy: 'officer-a',
          recordedAt: '2026-11-29T08:00:00.000Z',
        },
        updatedAt: '2026-11-29T08:00:00.000Z',
        history: [...station.history, entry],
        version: 2,
      },
      entry,
      operatorSlot: 'keep',
      counts: { applied: 0, active: 0, suspended: 0 },
    });
  });

  it('may be recorded or corrected on an active or a suspended station', () => {
    expect(decideStation(active(), TRAINING, 'officer-b', NOW).after.training?.recordedBy).toBe('officer-b');
    expect(decideStation(suspended(), TRAINING, 'officer-b', NOW).after.status).toBe('suspended');
  });

  it('is refused for a rejected station, saying so', () => {
    const rejected = decideStation(application(), { action: 'reject', reason: 'duplicate' }, 'officer-b', NOW).after;
    const error = refusal(() => decideStation(rejected, TRAINING, 'officer-a', NOW));
    expect(error.code).toBe('invalid_state');
    expect(error.message).toMatch(/training cannot be recorded for a rejected station/i);
  });
});

describe('each transition', () => {
  it('approval keeps the operator slot the application held, counts one more active, and announces the station', () => {
    const change = decideStation(trained(), { action: 'approve' }, 'officer-b', NOW);
    expect(change.operatorSlot).toBe('keep');
    expect(change.counts).toStrictEqual({ applied: -1, active: 1, suspended: 0 });
    expect(change.event).toBe('station.activated');
    expect(change.entry).toStrictEqual({
      at: '2026-11-29T08:00:00.000Z',
      actor: 'officer-b',
      action: 'approved',
      fromStatus: 'applied',
      toStatus: 'active',
    });
  });

  it('rejection releases the slot, keeps its reason, counts one fewer applied, announces nothing', () => {
    const change = decideStation(application(), { action: 'reject', reason: 'duplicate' }, 'officer-b', NOW);
    expect(change.operatorSlot).toBe('release');
    expect(change.counts).toStrictEqual({ applied: -1, active: 0, suspended: 0 });
    expect(change.event).toBeUndefined();
    expect(change.entry).toStrictEqual({
      at: '2026-11-29T08:00:00.000Z',
      actor: 'officer-b',
      action: 'rejected',
      fromStatus: 'applied',
      toStatus: 'rejected',
      reason: 'duplicate',
    });
  });

  it('suspension releases the slot and is announced', () => {
    const change = decideStation(active(), { action: 'suspend', reason: 'complaint' }, 'officer-b', NOW);
    expect(change.operatorSlot).toBe('release');
    expect(change.counts).toStrictEqual({ applied: 0, active: -1, suspended: 1 });
    expect(change.event).toBe('station.suspended');
  });

  it('reinstatement takes the slot back and is announced as an activation; without a reason the entry has none', () => {
    const change = decideStation(suspended(), { action: 'reinstate' }, 'officer-b', NOW);
    expect(change.operatorSlot).toBe('acquire');
    expect(change.counts).toStrictEqual({ applied: 0, active: 1, suspended: -1 });
    expect(change.event).toBe('station.activated');
    expect(change.entry).toStrictEqual({
      at: '2026-11-29T08:00:00.000Z',
      actor: 'officer-b',
      action: 'reinstated',
      fromStatus: 'suspended',
      toStatus: 'active',
    });
    expect(decideStation(suspended(), { action: 'reinstate', reason: 'resolved' }, 'officer-b', NOW).entry.reason).toBe('resolved');
  });

  it('a transition from the wrong status is refused, naming the status it needs', () => {
    const error = refusal(() => decideStation(application(), { action: 'suspend', reason: 'x' }, 'officer-b', NOW));
    expect(error.code).toBe('invalid_state');
    expect(error.message).toMatch(/applied station cannot be suspended; only a active one can/);
  });

  it('the four-eyes and training refusals say what is missing', () => {
    expect(refusal(() => decideStation(trained(), { action: 'approve' }, 'officer-a', NOW)).message).toMatch(
      /officer other than the one who applied/,
    );
    expect(refusal(() => decideStation(application(), { action: 'approve' }, 'officer-b', NOW)).message).toMatch(
      /training must be recorded/,
    );
  });
});

describe('county counts', () => {
  it('a new application counts one applied; a move counts out of one status and into the other', () => {
    expect(countDeltas(null, 'applied')).toStrictEqual({ applied: 1, active: 0, suspended: 0 });
    expect(countDeltas('applied', 'rejected')).toStrictEqual({ applied: -1, active: 0, suspended: 0 });
    expect(countDeltas('suspended', 'active')).toStrictEqual({ applied: 0, active: 1, suspended: -1 });
    expect(countDeltas('active', 'active')).toStrictEqual({ applied: 0, active: 0, suspended: 0 });
  });
});

describe("the operator's slot", () => {
  it('is held by an applied or active station, not by a rejected or suspended one', () => {
    expect(holdsOperatorSlot('applied')).toBe(true);
    expect(holdsOperatorSlot('active')).toBe(true);
    expect(holdsOperatorSlot('rejected')).toBe(false);
    expect(holdsOperatorSlot('suspended')).toBe(false);
  });
});
