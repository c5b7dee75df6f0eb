/**
 * The access log's items: one per request an observer made (shared/http/access-log.ts writes them).
 * - entry `ACCESS#<entryId> / ACCESS`: `at`, `actor`, `method`, `path`, `status`, and `expiresAt` (TTL, more than
 *   2 years on: shared/domain/access-log.ts). Each entry is its own partition, so the table's writes spread evenly.
 * - every observer's requests, newest first: `gsi1pk = ACCESSLOG#<n>`, `gsi1sk = <at>#<entryId>`;
 * - one observer's requests: `gsi2pk = ACCESSBY#<actor>#<n>`, `gsi2sk = <at>#<entryId>`;
 *   `n` is the entry's shard (0..ACCESS_LOG_SHARDS-1, from its id), and a time range is a sort-key range, so a page
 *   is one Query per shard from where the cursor stopped, merged (queryShardedPage), never a scan.
 *
 * Write rate: one entry per observer request. All observers together can send at most the API stage's rate (100
 * requests/s by default, `apiRateLimit`), and one busy observer as much. A partition takes about 1,000 writes/s of
 * items this small, and a steadily rising sort key keeps an index partition's writes on one physical partition, so
 * neither listing can be split by DynamoDB for heat: each is written across ACCESS_LOG_SHARDS partitions instead,
 * room for a stage rate of several thousand requests/s from a single observer. A time bucket in the partition key
 * (per day) would not change that rate (at any moment every write goes to the current bucket) and would make a
 * two-year range read hundreds of partitions, so the range is the sort key's alone.
 */
import { accessExpiresAt, type AccessEntry } from '../../domain/access-log.ts';
import { shardOf } from '../../ids.ts';
import { queryShardedPage, type Page } from '../platform/query.ts';

export const ACCESS_LOG_SHARDS = 4;

export const accessLogKeys = {
  entry: (entryId: string) => ({ pk: `ACCESS#${entryId}`, sk: 'ACCESS' }),
  everyone: (n: number) => `ACCESSLOG#${n}`,
  byActor: (actor: string, n: number) => `ACCESSBY#${actor}#${n}`,
};

const shards = () => Array.from({ length: ACCESS_LOG_SHARDS }, (_, n) => n);

/** The entry's item, with its two listings' index keys. */
export function accessLogItem(entryId: string, entry: AccessEntry): Record<string, unknown> {
  const n = shardOf(entryId, ACCESS_LOG_SHARDS);
  const sortKey = `${entry.at}#${entryId}`;
  return {
    ...accessLogKeys.entry(entryId),
    type: 'access',
    ...entry,
    expiresAt: accessExpiresAt(new Date(entry.at)),
    gsi1pk: accessLogKeys.everyone(n),
    gsi1sk: sortKey,
    gsi2pk: accessLogKeys.byActor(entry.actor, n),
    gsi2sk: sortKey,
  };
}

export function toAccessEntry(item: Record<string, unknown>): AccessEntry {
  return {
    at: item.at as string,
    actor: item.actor as string,
    method: item.method as string,
    path: item.path as string,
    status: Number(item.status),
  };
}

export interface AccessLogFilter {
  actor?: string;
  /** Inclusive. */
  from?: string;
  /** Exclusive. */
  to?: string;
  limit: number;
  cursor?: string;
}

const isoOf = (time: string) => new Date(time).toISOString();

/** A page of the access log, newest first: one observer's requests, or every observer's. */
export async function listAccessLog(filter: AccessLogFilter): Promise<Page<AccessEntry>> {
  const { actor } = filter;
  // Sort keys are `<at>#<entryId>`: `>= from` keeps entries at `from`, and `<= to` drops those at `to` (`<to>#…` sorts after `<to>`).
  const page = await queryShardedPage({
    index: actor === undefined ? 'gsi1' : 'gsi2',
    partitions: shards().map((n) => (actor === undefined ? accessLogKeys.everyone(n) : accessLogKeys.byActor(actor, n))),
    sortRange: {
      ...(filter.from !== undefined ? { from: isoOf(filter.from) } : {}),
      ...(filter.to !== undefined ? { to: isoOf(filter.to) } : {}),
    },
    values: {},
    newestFirst: true,
    limit: filter.limit,
    cursor: filter.cursor,
    scope: `access-log|${actor ?? ''}|${filter.from ?? ''}|${filter.to ?? ''}`,
  });
  return { items: page.items.map(toAccessEntry), nextCursor: page.nextCursor };
}
