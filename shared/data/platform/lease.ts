/**
 * A short lease on one small item, across processes: a conditional UpdateItem takes it when nobody holds it or the
 * holder's time ran out, and the holder gives it back on condition it is still its own. A lease only makes writers
 * take turns; it never decides anything about money (the conditions of the writes do), so a holder that crashed,
 * or whose lease ran out mid-write, costs time and at most a failed attempt, never a wrong balance.
 *
 * Each take or give-back is one write of an item under 1 KB: 1 write unit, a refused take too; a look whether it
 * is free is one consistent read (1 read unit).
 */
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../../config.ts';
import { appliedUnlessRefused, documents } from './clients.ts';
import { getItem } from './query.ts';

export interface LeaseKey {
  pk: string;
  sk: string;
}

/** Takes the lease for `leaseMs` from `now` unless someone else holds it; false when they do. */
export async function takeLease(key: LeaseKey, type: string, owner: string, now: Date, leaseMs: number): Promise<boolean> {
  return appliedUnlessRefused(() =>
    documents.send(
      new UpdateCommand({
        TableName: config().TABLE_NAME,
        Key: key,
        UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until, #type = :type',
        ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: {
          ':owner': owner,
          ':until': new Date(now.getTime() + leaseMs).toISOString(),
          ':now': now.toISOString(),
          ':type': type,
        },
      }),
    ),
  );
}

/**
 * Whether the lease looks free at `now` (nobody holds it, or the holder's time ran out): one consistent read, so a
 * writer waiting for a lease reads until it looks free and only then tries to take it, instead of sending a
 * refused write each time.
 */
export async function leaseLooksFree(key: LeaseKey, now: Date): Promise<boolean> {
  return (await leaseHolder(key, now)) === undefined;
}

/** Who holds the lease at `now` (one consistent read); undefined when nobody does or the holder's time ran out. */
export async function leaseHolder(key: LeaseKey, now: Date): Promise<string | undefined> {
  const item = await getItem<{ leaseOwner?: string; leaseUntil?: string }>(key);
  return item?.leaseUntil === undefined || item.leaseUntil < now.toISOString() ? undefined : (item.leaseOwner ?? '');
}

/**
 * Gives the lease back, if it is still ours (a lease that ran out and was taken by another stays theirs). The item
 * goes with it: a lease leaves nothing behind, so a refused request still changes nothing.
 */
export async function releaseLease(key: LeaseKey, owner: string): Promise<void> {
  await appliedUnlessRefused(() =>
    documents.send(
      new DeleteCommand({
        TableName: config().TABLE_NAME,
        Key: key,
        ConditionExpression: 'leaseOwner = :owner',
        ExpressionAttributeValues: { ':owner': owner },
      }),
    ),
  );
}
