/**
 * Snapshots of a fund's books, chained by hash (shared/domain/snapshots.ts). Items, in the fund's partition:
 * - snapshot `FUND#<fundId> / SNAP#<snapshotId>`: `seq` (1, 2, … in chain order), `hash`, and `body`, the snapshot's
 *   canonical JSON without its hash, exactly as hashed; put once with `attribute_not_exists`, never updated;
 * - chain head `FUND#<fundId> / SNAPHEAD`: the last snapshot's `seq`, `hash` and id; the next snapshot is conditional
 *   on it, so two snapshots taken at once never share a `previousHash`;
 * - month marker `FUND#<fundId> / SNAPMONTH#<yyyy-mm>`: at most one monthly snapshot per month (`attribute_not_exists`).
 * Snapshot ids are ULIDs taken while holding the head, so id order is chain order.
 */
import { canonicalJson, type Snapshot } from '../../domain/snapshots.ts';
import { notFound } from '../../domain/errors.ts';
import { getItem, queryAll, queryPage, type Page } from '../platform/query.ts';
import { keys } from '../platform/keys.ts';
import { idTimeBound } from '../../ids.ts';

export const snapshotKeys = {
  snapshot: (fundId: string, snapshotId: string) => ({ pk: keys.fund(fundId).pk, sk: `SNAP#${snapshotId}` }),
  head: (fundId: string) => ({ pk: keys.fund(fundId).pk, sk: 'SNAPHEAD' }),
  month: (fundId: string, month: string) => ({ pk: keys.fund(fundId).pk, sk: `SNAPMONTH#${month}` }),
};

/** The fund a snapshot or chain-head item belongs to (its partition is the fund's). */
export const fundOfSnapshotItem = (item: Record<string, unknown>): string => (item.pk as string).slice(keys.fund('').pk.length);

export interface ChainHead {
  seq: number;
  hash: string | null;
}

export async function readHead(fundId: string): Promise<ChainHead> {
  const item = await getItem(snapshotKeys.head(fundId));
  return item ? { seq: item.seq as number, hash: item.hash as string } : { seq: 0, hash: null };
}

/** The stored body and hash as the snapshot; the body is read as stored, so a change to it shows in the hash. */
export function toSnapshot(item: Record<string, unknown>): Snapshot {
  const body = JSON.parse(item.body as string) as Omit<Snapshot, 'hash'>;
  return { ...body, hash: item.hash as string };
}

export function snapshotItem(snapshot: Snapshot, seq: number): Record<string, unknown> {
  const { hash, ...fields } = snapshot;
  return {
    ...snapshotKeys.snapshot(snapshot.fundId, snapshot.snapshotId),
    type: 'snapshot',
    fundId: snapshot.fundId,
    snapshotId: snapshot.snapshotId,
    seq,
    hash,
    body: canonicalJson(fields),
  };
}

export async function getSnapshot(fundId: string, snapshotId: string): Promise<Snapshot> {
  const item = await getItem(snapshotKeys.snapshot(fundId, snapshotId));
  if (!item) throw notFound(`Snapshot ${snapshotId}`);
  return toSnapshot(item);
}

/** A page of a fund's snapshots, newest first. */
export async function listSnapshots(fundId: string, page: { limit: number; cursor?: string }): Promise<Page<Snapshot>> {
  const result = await queryPage({
    keyCondition: 'pk = :pk AND begins_with(sk, :prefix)',
    values: { ':pk': keys.fund(fundId).pk, ':prefix': 'SNAP#' },
    newestFirst: true,
    limit: page.limit,
    cursor: page.cursor,
    scope: `snapshots#${fundId}`,
    consistentRead: true,
  });
  return { items: result.items.map(toSnapshot), nextCursor: result.nextCursor };
}

/**
 * The fund's snapshots taken in [from, to), oldest first: one Query of that key range (ids sort by time), so a
 * report reads the few of its half, never the fund's whole chain.
 */
export async function snapshotsTakenBetween(fundId: string, from: Date, to: Date): Promise<Snapshot[]> {
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    ExpressionAttributeValues: {
      ':pk': keys.fund(fundId).pk,
      ':from': snapshotKeys.snapshot(fundId, idTimeBound('snapshot', from.getTime())).sk,
      ':to': snapshotKeys.snapshot(fundId, idTimeBound('snapshot', to.getTime())).sk,
    },
    ConsistentRead: true,
  });
  return items.sort((a, b) => (a.seq as number) - (b.seq as number)).map(toSnapshot);
}

/** The fund's first snapshot taken at or after an instant, if any: one item (ids sort by time). */
export async function firstSnapshotFrom(fundId: string, from: Date): Promise<Snapshot | undefined> {
  const page = await queryPage({
    keyCondition: 'pk = :pk AND sk BETWEEN :from AND :to',
    values: {
      ':pk': keys.fund(fundId).pk,
      ':from': snapshotKeys.snapshot(fundId, idTimeBound('snapshot', from.getTime())).sk,
      ':to': `${snapshotKeys.snapshot(fundId, '').sk}\uffff`,
    },
    limit: 1,
    scope: `first-snapshot#${fundId}`,
    consistentRead: true,
  });
  return page.items[0] ? toSnapshot(page.items[0]) : undefined;
}

/** The fund's newest snapshot, if any: one item. */
export async function latestSnapshot(fundId: string): Promise<Snapshot | undefined> {
  const page = await queryPage({
    keyCondition: 'pk = :pk AND begins_with(sk, :prefix)',
    values: { ':pk': keys.fund(fundId).pk, ':prefix': 'SNAP#' },
    newestFirst: true,
    limit: 1,
    scope: `latest-snapshot#${fundId}`,
    consistentRead: false,
  });
  return page.items[0] ? toSnapshot(page.items[0]) : undefined;
}

/** Every snapshot of a fund, oldest first (chain order), for the chain check. */
export async function fundChain(fundId: string): Promise<Snapshot[]> {
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': keys.fund(fundId).pk, ':prefix': 'SNAP#' },
    ConsistentRead: true,
  });
  return items.sort((a, b) => (a.seq as number) - (b.seq as number)).map(toSnapshot);
}
