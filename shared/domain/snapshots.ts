/**
 * Tamper-evident snapshots of a fund's books (contract: "Where the money stands"). A snapshot's `hash` is the SHA-256
 * (lowercase hex) of its canonical JSON: every field but `hash`, object keys sorted by UTF-16 code units at every
 * level, array order kept, no whitespace, strings and numbers as `JSON.stringify` writes them (numbers in their
 * shortest round-trip form). That is the JSON Canonicalization Scheme (RFC 8785), so anyone can recompute a hash in
 * any language. `previousHash` is the hash of the fund's previous snapshot (null for the first):
 * changing any snapshot breaks its own hash, or the next one's link to it.
 */
import { createHash } from 'node:crypto';
import { chinaDayStart, chinaMonth } from './fund-period.ts';
import type { FundProgress } from './progress.ts';

export const SNAPSHOT_KINDS = ['monthly', 'on_demand'] as const;
export type SnapshotKind = (typeof SNAPSHOT_KINDS)[number];

export interface SnapshotAllocation {
  countyCode: string;
  allocated: number;
  reserved: number;
  paid: number;
  available: number;
  /** The allocation's ledger position: how many entries it has, and the last one's time. */
  ledger: { seq: number; at: string | null };
}

export interface SnapshotTotals {
  totalBudget: number;
  allocated: number;
  reserved: number;
  paid: number;
  available: number;
  unallocated: number;
}

export interface Snapshot {
  snapshotId: string;
  fundId: string;
  kind: SnapshotKind;
  month: string | null;
  takenAt: string;
  totals: SnapshotTotals;
  allocations: SnapshotAllocation[];
  progress: FundProgress;
  hash: string;
  previousHash: string | null;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined };

/** The canonical JSON of a value (see above). Refuses what JSON cannot carry exactly. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('a snapshot holds finite numbers only');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const object = value as Record<string, Json | undefined>;
    // The default sort compares UTF-16 code units, the order RFC 8785 asks for.
    const keys = Object.keys(object)
      .filter((k) => object[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(object[k])}`).join(',')}}`;
  }
  throw new TypeError(`a snapshot cannot hold a ${typeof value}`);
}

/** The hash of a snapshot: SHA-256 of the canonical JSON of every field but `hash`. */
export function snapshotHash(snapshot: Omit<Snapshot, 'hash'> | Snapshot): string {
  const { hash: _ignored, ...rest } = snapshot as Snapshot;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** A sealed snapshot: the fields with their hash. */
export function sealSnapshot(fields: Omit<Snapshot, 'hash'>): Snapshot {
  return { ...fields, hash: snapshotHash(fields) };
}

export interface ChainBreak {
  snapshotId: string;
  /** `hash`: the snapshot's hash is not that of its content; `previousHash`: it does not link to the one before. */
  reason: 'hash' | 'previousHash';
  detail: string;
}

/** Every break in a fund's chain, its snapshots given oldest first. An empty list: the chain verifies. */
export function chainBreaks(snapshots: readonly Snapshot[]): ChainBreak[] {
  const breaks: ChainBreak[] = [];
  let previous: string | null = null;
  for (const snapshot of snapshots) {
    const recomputed = snapshotHash(snapshot);
    if (recomputed !== snapshot.hash) {
      breaks.push({ snapshotId: snapshot.snapshotId, reason: 'hash', detail: `stored ${snapshot.hash}, content hashes to ${recomputed}` });
    }
    if (snapshot.previousHash !== previous) {
      breaks.push({
        snapshotId: snapshot.snapshotId,
        reason: 'previousHash',
        detail: `previousHash ${snapshot.previousHash ?? 'null'}, the snapshot before hashes to ${previous ?? 'null (none)'}`,
      });
    }
    // The next link names the stored hash: an edit shows at the edited snapshot, a resealed one at the next link.
    previous = snapshot.hash;
  }
  return breaks;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** The instant a month (`yyyy-mm`, China time) ends: 00:00 UTC+8 on the 1st of the next. */
export function monthEnd(month: string): Date {
  const match = MONTH.exec(month);
  if (!match) throw new RangeError(`not a month: ${month}`);
  const year = Number(match[1]);
  const next = Number(match[2]) === 12 ? `${year + 1}-01-01` : `${year}-${String(Number(match[2]) + 1).padStart(2, '0')}-01`;
  return chinaDayStart(next);
}

/** The next start of a month in China time (00:00 UTC+8 on the 1st) after `at`: when the monthly snapshots run. */
export function nextMonthStart(at: Date): Date {
  return monthEnd(chinaMonth(at));
}

/** The month the scheduled snapshot taken at `at` is labelled with: the one that ended last (China time). */
export function monthJustEnded(at: Date): string {
  const [year, month] = chinaMonth(at).split('-').map(Number) as [number, number];
  return month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, '0')}`;
}

/**
 * Why a monthly snapshot of `month`, taken at `now`, is refused (409 `invalid_state`), or undefined when it may be
 * taken. That month's snapshot existing already is refused by the table's condition, not here.
 */
export function monthlySnapshotRefusal(month: string, now: Date, fundCreatedAt: string): string | undefined {
  const end = monthEnd(month);
  if (now.getTime() < end.getTime()) return `the month ${month} has not ended`;
  if (Date.parse(fundCreatedAt) >= end.getTime()) return `the fund did not exist at the end of ${month}`;
  return undefined;
}

/** The fund's totals over its allocations (a snapshot's, or the half-year report's counties). */
export function sumTotals(
  totalBudget: number,
  allocations: readonly Pick<SnapshotAllocation, 'allocated' | 'reserved' | 'paid' | 'available'>[],
): SnapshotTotals {
  const sum = (field: 'allocated' | 'reserved' | 'paid' | 'available') => allocations.reduce((t, a) => t + a[field], 0);
  const allocated = sum('allocated');
  return {
    totalBudget,
    allocated,
    reserved: sum('reserved'),
    paid: sum('paid'),
    available: sum('available'),
    unallocated: totalBudget - allocated,
  };
}
