/** Prefixed, sortable ULIDs: `fund_01J…`. The prefix says what the id names. */
import { createHash } from 'node:crypto';
import { encodeTime, monotonicFactory } from 'ulid';

export const ID_PREFIXES = {
  fund: 'fund',
  disbursement: 'dsb',
  batch: 'bat',
  payout: 'pay',
  campaign: 'cmp',
  station: 'stn',
  webhookEndpoint: 'whe',
  message: 'msg',
  audit: 'aud',
  ledgerEntry: 'led',
  notice: 'ntc',
  objection: 'obj',
  reconciliation: 'rcn',
  snapshot: 'snp',
  verification: 'ver',
  blockedAccount: 'blk',
  accessLogEntry: 'acc',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

const nextUlid = monotonicFactory();

export function newId(kind: IdKind, now: number = Date.now()): string {
  return `${ID_PREFIXES[kind]}_${nextUlid(now)}`;
}

/**
 * The lowest id of a kind made at or after `at` (ms): ids sort by time, so a key range between two bounds reads the
 * ids made in that span, and no other.
 */
export function idTimeBound(kind: IdKind, at: number): string {
  return `${ID_PREFIXES[kind]}_${encodeTime(Math.max(0, at), 10)}`;
}

const ULID = '[0-9A-HJKMNP-TV-Z]{26}';

export function idPattern(kind: IdKind): RegExp {
  return new RegExp(`^${ID_PREFIXES[kind]}_${ULID}$`);
}

export function isId(kind: IdKind, value: string): boolean {
  return idPattern(kind).test(value);
}

/**
 * A stable shard number 0..shards-1 for an id: write sharding for what a burst writes at once (the
 * outbox, the payout lists, the county and batch counters); one partition takes about 1,000 writes a second.
 */
export function shardOf(id: string, shards: number): number {
  // One byte of the hash: enough for up to 256 shards.
  return createHash('sha256').update(id).digest()[0]! % shards;
}
