/**
 * A short lease on one small item, across processes: a conditional UpdateItem takes it when nobody holds it or the
 * holder's time ran out, and the holder gives it back on condition it is still its own. A lease only makes writers
 * take turns; it never decides anything about money (the conditions of the writes do), so a holder that crashed,
 * or whose lease ran out mid-write, costs time and at most a failed attempt, never a wrong balance.
 *
 * The item also remembers until when its writers were last seen to meet (`contendedUntil`), so that a lone writer
 * can look (a read) and skip the lease, while writers that met take turns for a while (ledger/turn.ts). Giving the
 * lease back keeps the item and its mark; items stored before have no mark and read as never contended.
 *
 * Each take, give-back or mark is one write of an item under 1 KB: 1 write unit, a refused take too; a look is one
 * read: consistent (1 read unit) for a waiter, eventually consistent (half) for a writer's first look (`readLease`
 * with `consistent: false`, ledger/turn.ts).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../../config.ts';
import { appliedUnlessRefused, documents } from './clients.ts';
import { getItem, type ReadOptions } from './query.ts';

export interface LeaseKey {
  pk: string;
  sk: string;
}

/** The lease as one read shows it at a moment. */
export interface LeaseState {
  /** Who holds it; undefined when nobody does or the holder's time ran out ('' for a holder stored without a name). */
  holder: string | undefined;
  /** Until when its writers count as contended (ISO time); undefined when they never met, or stored before the mark. */
  contendedUntil: string | undefined;
}

/**
 * Takes the lease for `leaseMs` from `now` unless someone else holds it; false when they do. With `contendedUntil`
 * (the taker met another writer) the take marks the item contended until then, in the same write.
 */
export async function takeLease(...take: Parameters<typeof takeLeaseOrSeeHolder>): Promise<boolean> {
  return (await takeLeaseOrSeeHolder(...take)).taken;
}

/**
 * `takeLease`, and when refused, who held the lease at that instant, from the refused write itself
 * (`ReturnValuesOnConditionCheckFailure`, free): no read after a refusal to learn it ('' for a holder stored without
 * a name).
 */
export async function takeLeaseOrSeeHolder(
  key: LeaseKey,
  type: string,
  owner: string,
  now: Date,
  leaseMs: number,
  contendedUntil?: Date,
): Promise<{ taken: true } | { taken: false; holder: string }> {
  try {
    await documents.send(
      new UpdateCommand({
        TableName: config().TABLE_NAME,
        Key: key,
        UpdateExpression: `SET leaseOwner = :owner, leaseUntil = :until, #type = :type${contendedUntil ? ', contendedUntil = :contended' : ''}`,
        ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: {
          ':owner': owner,
          ':until': new Date(now.getTime() + leaseMs).toISOString(),
          ':now': now.toISOString(),
          ':type': type,
          ...(contendedUntil ? { ':contended': contendedUntil.toISOString() } : {}),
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { taken: true };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    // Refused only while `leaseUntil` had not run out: the item's owner held it.
    return { taken: false, holder: error.Item?.leaseOwner?.S ?? '' };
  }
}

/** Marks the item contended until `contendedUntil` without taking the lease (a writer that met another and went on). */
export async function markLeaseContended(key: LeaseKey, type: string, contendedUntil: Date): Promise<void> {
  await documents.send(
    new UpdateCommand({
      TableName: config().TABLE_NAME,
      Key: key,
      UpdateExpression: 'SET contendedUntil = :contended, #type = :type',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: { ':contended': contendedUntil.toISOString(), ':type': type },
    }),
  );
}

/** The lease and its mark at `now`: one read, consistent unless `options` says otherwise. */
export async function readLease(key: LeaseKey, now: Date, options?: ReadOptions): Promise<LeaseState> {
  return leaseStateOf(await getItem(key, options), now);
}

/** The lease and its mark at `now`, as a stored item (undefined: never taken) shows them. */
export function leaseStateOf(item: Record<string, unknown> | undefined, now: Date): LeaseState {
  const until = item?.leaseUntil as string | undefined;
  const held = until !== undefined && until >= now.toISOString();
  return {
    holder: held ? ((item!.leaseOwner as string | undefined) ?? '') : undefined,
    contendedUntil: item?.contendedUntil as string | undefined,
  };
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
  return (await readLease(key, now)).holder;
}

/**
 * Gives the lease back, if it is still ours (a lease that ran out and was taken by another stays theirs). The item
 * stays, without its holder, so its contended mark outlives the turn; a refused request changes nothing.
 */
export async function releaseLease(key: LeaseKey, owner: string): Promise<void> {
  await appliedUnlessRefused(() =>
    documents.send(
      new UpdateCommand({
        TableName: config().TABLE_NAME,
        Key: key,
        UpdateExpression: 'REMOVE leaseOwner, leaseUntil',
        ConditionExpression: 'leaseOwner = :owner',
        ExpressionAttributeValues: { ':owner': owner },
      }),
    ),
  );
}
