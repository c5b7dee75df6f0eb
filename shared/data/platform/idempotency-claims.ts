/**
 * Creates that survive a crash between their commit and their reply. Powertools marks a request
 * COMPLETED only after the handler returns; a Lambda that dies in between leaves an in-progress record
 * that expires, and the retry would create a second fund, disbursement, batch, campaign or station.
 * So each create writes a claim on its (caller, Idempotency-Key) inside its own transaction, and a
 * retry that finds the claim answers with the resource it names.
 *
 * Item `IDEM#CLAIM#<keyHash> / CLAIM`, beside Powertools' `IDEM#http#…` records: `resourceId`,
 * `requestHash`, `expiresAt` (TTL, 24 h). Both hashes are HMAC-SHA256 under the app's idempotency key
 * (shared/http/idempotency.ts computes them), so the claim holds nothing from the request that could
 * be recovered by guessing. About 200 bytes: one write unit, two as part of a transaction.
 */
import { DomainError } from '../../domain/errors.ts';
import { config } from '../../config.ts';
import { keys } from './keys.ts';
import { getItem } from './query.ts';
import type { TxStep } from './transactions.ts';

/** Matches Powertools' record lifetime: the contract replays for 24 h. */
export const CLAIM_TTL_SECONDS = 24 * 60 * 60;

export interface IdempotencyClaim {
  /** HMAC of [caller sub, Idempotency-Key]: the scope of the key. */
  keyHash: string;
  /** HMAC of [method, path, body]: what the key was first used for. */
  requestHash: string;
}

/** Another attempt with the same key committed its create at the same time: run again to find it. */
export class ClaimedMeanwhile extends Error {
  constructor() {
    super('idempotency claim taken meanwhile');
    this.name = 'ClaimedMeanwhile';
  }
}

const keyReused = () => new DomainError('idempotency_key_reuse', 'This Idempotency-Key was used with a different request');

const epochSeconds = (at: Date) => Math.floor(at.getTime() / 1000);

/**
 * What an earlier attempt with this key created (read as it is now), or undefined when there was
 * none. Asked before the create decides anything: a retry must not fail on the state its own first
 * attempt left behind (the campaign window it took, the operator it registered).
 */
export async function createdEarlier<T>(
  claim: IdempotencyClaim | undefined,
  now: Date,
  read: (resourceId: string) => Promise<T>,
): Promise<T | undefined> {
  if (!claim) return undefined;
  const item = await getItem(keys.idempotencyClaim(claim.keyHash));
  // TTL deletes late (up to days): an expired claim is no claim.
  if (!item || (item.expiresAt as number) <= epochSeconds(now)) return undefined;
  if (item.requestHash !== claim.requestHash) throw keyReused();
  return read(item.resourceId as string);
}

/** The claim as a step of the create's transaction (none for a create without a key, e.g. seed scripts). */
export function claimSteps(claim: IdempotencyClaim | undefined, resourceId: string, now: Date): TxStep[] {
  if (!claim) return [];
  return [
    {
      item: {
        Put: {
          TableName: config().TABLE_NAME,
          Item: {
            ...keys.idempotencyClaim(claim.keyHash),
            type: 'idempotency-claim',
            resourceId,
            requestHash: claim.requestHash,
            expiresAt: epochSeconds(now) + CLAIM_TTL_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': epochSeconds(now) },
        },
      },
      onConditionFailed: (current) => (current?.requestHash === claim.requestHash ? new ClaimedMeanwhile() : keyReused()),
    },
  ];
}
