/**
 * Village service station onboarding: the status machine and what each transition implies for the
 * operator's uniqueness slot, the county aggregates and the webhooks. Pure: the data layer turns a
 * `StationChange` into one transaction.
 *
 * status: applied → active | rejected; active ⇄ suspended.
 *
 * One operator, one live station: a station holds its operator's slot (keyed by the hash of the
 * national ID) while it is `applied` or `active`, the statuses the contract says block a second
 * application. A suspended station gives the slot up, so the operator may apply elsewhere meanwhile;
 * reinstating takes it back, and fails with `operator_already_registered` if someone holds it.
 */
import { DomainError, invalidState } from './errors.ts';
import type { EventType } from './events.ts';
import { maskNationalId, maskPhone } from './masking.ts';

export const STATION_STATUSES = ['applied', 'active', 'rejected', 'suspended'] as const;
export type StationStatus = (typeof STATION_STATUSES)[number];

export const STATION_KINDS = ['village-service-station', 'county-relief-store'] as const;
export type StationKind = (typeof STATION_KINDS)[number];

export type StationAction = 'applied' | 'training_recorded' | 'approved' | 'rejected' | 'suspended' | 'reinstated';

export interface StationHistoryEntry {
  at: string;
  actor: string;
  action: StationAction;
  fromStatus: StationStatus | null;
  toStatus: StationStatus;
  reason?: string;
}

export interface Training {
  completedAt: string;
  course: string;
  recordedBy: string;
  recordedAt: string;
}

/** The operator as stored: the phone (the fund calls it), the national ID only in masked form. */
export interface StoredOperator {
  name: string;
  phone: string;
  nationalIdMasked: string;
}

export interface Station {
  stationId: string;
  countyCode: string;
  village: string;
  name: string;
  kind: StationKind;
  status: StationStatus;
  operator: StoredOperator;
  training: Training | null;
  createdBy: string;
  /** The officer who suspended it, while it is suspended: that officer may not reinstate it alone. */
  suspendedBy: string | null;
  createdAt: string;
  updatedAt: string;
  history: StationHistoryEntry[];
  /** Optimistic concurrency: every change is conditional on the version it was decided from. */
  version: number;
}

/** The Station of the contract: what responses and webhook events carry. Phone and ID always masked. */
export type StationView = Omit<Station, 'operator' | 'version' | 'suspendedBy'> & {
  operator: { name: string; phone: string; nationalId: string };
};

export function presentStation(station: Station): StationView {
  return {
    stationId: station.stationId,
    countyCode: station.countyCode,
    village: station.village,
    name: station.name,
    kind: station.kind,
    status: station.status,
    operator: {
      name: station.operator.name,
      phone: maskPhone(station.operator.phone),
      nationalId: station.operator.nationalIdMasked,
    },
    training: station.training ? { ...station.training } : null,
    createdBy: station.createdBy,
    createdAt: station.createdAt,
    updatedAt: station.updatedAt,
    history: station.history.map((h) => ({ ...h })),
  };
}

/** Statuses whose station holds the operator's slot. */
export function holdsOperatorSlot(status: StationStatus): boolean {
  return status === 'applied' || status === 'active';
}

/** Statuses counted in the county report (`stations: { applied, active, suspended }`). */
export const COUNTED_STATUSES = ['applied', 'active', 'suspended'] as const;
export type CountedStatus = (typeof COUNTED_STATUSES)[number];

function isCounted(status: StationStatus | null): status is CountedStatus {
  return status !== null && (COUNTED_STATUSES as readonly string[]).includes(status);
}

export function countDeltas(from: StationStatus | null, to: StationStatus): Record<CountedStatus, number> {
  const deltas: Record<CountedStatus, number> = { applied: 0, active: 0, suspended: 0 };
  if (from === to) return deltas;
  if (isCounted(from)) deltas[from] -= 1;
  if (isCounted(to)) deltas[to] += 1;
  return deltas;
}

export interface StationApplication {
  stationId: string;
  countyCode: string;
  village: string;
  name: string;
  kind: StationKind;
  operator: { name: string; phone: string; nationalId: string };
}

/** A new station in `applied`. The full national ID goes no further than its mask (and the hash, made by the caller). */
export function applyForStation(application: StationApplication, actor: string, now: Date): Station {
  const at = now.toISOString();
  return {
    stationId: application.stationId,
    countyCode: application.countyCode,
    village: application.village,
    name: application.name,
    kind: application.kind,
    status: 'applied',
    operator: {
      name: application.operator.name,
      phone: application.operator.phone,
      nationalIdMasked: maskNationalId(application.operator.nationalId),
    },
    training: null,
    createdBy: actor,
    suspendedBy: null,
    createdAt: at,
    updatedAt: at,
    history: [{ at, actor, action: 'applied', fromStatus: null, toStatus: 'applied' }],
    version: 1,
  };
}

export type StationCommand =
  | { action: 'record-training'; completedAt: string; course: string }
  | { action: 'approve' }
  | { action: 'reject'; reason: string }
  | { action: 'suspend'; reason: string }
  | { action: 'reinstate'; reason?: string };

export type OperatorSlotChange = 'keep' | 'acquire' | 'release';

export interface StationChange {
  before: Station;
  after: Station;
  entry: StationHistoryEntry;
  operatorSlot: OperatorSlotChange;
  counts: Record<CountedStatus, number>;
  event?: Extract<EventType, 'station.activated' | 'station.suspended'>;
}

const TRANSITIONS: Record<
  Exclude<StationCommand['action'], 'record-training'>,
  { from: StationStatus; to: StationStatus; action: StationAction }
> = {
  approve: { from: 'applied', to: 'active', action: 'approved' },
  reject: { from: 'applied', to: 'rejected', action: 'rejected' },
  suspend: { from: 'active', to: 'suspended', action: 'suspended' },
  reinstate: { from: 'suspended', to: 'active', action: 'reinstated' },
};

/** Training may be recorded (or corrected) on any station that is not rejected. */
const TRAINING_STATUSES: readonly StationStatus[] = ['applied', 'active', 'suspended'];

/**
 * Decides a command on a station. Throws the contract's errors: `invalid_state` for a transition not
 * allowed from the current status, `self_approval` when the officer who applied approves, and
 * `training_required` when no training is recorded. The creator may reject (withdraw) their own
 * application: the four-eyes rule guards activation, and rejecting activates nothing. Reinstating is
 * an activation too: not by the officer who suspended the station (`self_approval`).
 */
export function decideStation(station: Station, command: StationCommand, actor: string, now: Date): StationChange {
  const at = now.toISOString();
  if (command.action === 'record-training') {
    if (!TRAINING_STATUSES.includes(station.status)) {
      throw invalidState(`Training cannot be recorded for a ${station.status} station`);
    }
    const entry: StationHistoryEntry = {
      at,
      actor,
      action: 'training_recorded',
      fromStatus: station.status,
      toStatus: station.status,
    };
    return {
      before: station,
      after: {
        ...station,
        training: { completedAt: command.completedAt, course: command.course, recordedBy: actor, recordedAt: at },
        updatedAt: at,
        history: [...station.history, entry],
        version: station.version + 1,
      },
      entry,
      operatorSlot: 'keep',
      counts: countDeltas(station.status, station.status),
    };
  }

  const rule = TRANSITIONS[command.action];
  if (station.status !== rule.from) {
    throw invalidState(`A ${station.status} station cannot be ${rule.action}; only a ${rule.from} one can`);
  }
  if (command.action === 'approve') {
    if (station.createdBy === actor) {
      throw new DomainError('self_approval', 'A station must be approved by an officer other than the one who applied');
    }
    if (!station.training) throw new DomainError('training_required', "The operator's training must be recorded first");
  }
  if (command.action === 'reinstate' && station.suspendedBy === actor) {
    throw new DomainError('self_approval', 'A station must be reinstated by an officer other than the one who suspended it');
  }
  const reason = 'reason' in command && command.reason !== undefined ? command.reason : undefined;
  const entry: StationHistoryEntry = {
    at,
    actor,
    action: rule.action,
    fromStatus: station.status,
    toStatus: rule.to,
    ...(reason !== undefined ? { reason } : {}),
  };
  const held = holdsOperatorSlot(station.status);
  const holds = holdsOperatorSlot(rule.to);
  return {
    before: station,
    after: {
      ...station,
      status: rule.to,
      suspendedBy: rule.to === 'suspended' ? actor : null,
      updatedAt: at,
      history: [...station.history, entry],
      version: station.version + 1,
    },
    entry,
    operatorSlot: held === holds ? 'keep' : holds ? 'acquire' : 'release',
    counts: countDeltas(station.status, rule.to),
    // Reinstating makes the station active again: subscribers that track active stations hear it too.
    event: rule.to === 'active' ? 'station.activated' : rule.to === 'suspended' ? 'station.suspended' : undefined,
  };
}
