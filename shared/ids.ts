/** Prefixed, sortable ULIDs: `fund_01J…`. The prefix says what the id names. */
import { monotonicFactory } from 'ulid';

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
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

const nextUlid = monotonicFactory();

export function newId(kind: IdKind, now: number = Date.now()): string {
  return `${ID_PREFIXES[kind]}_${nextUlid(now)}`;
}

const ULID = '[0-9A-HJKMNP-TV-Z]{26}';

export function idPattern(kind: IdKind): RegExp {
  return new RegExp(`^${ID_PREFIXES[kind]}_${ULID}$`);
}

export function isId(kind: IdKind, value: string): boolean {
  return idPattern(kind).test(value);
}
