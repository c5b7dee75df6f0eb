/**
 * `Idempotency-Key` as the contract states it, on Powertools idempotency with the single table.
 *
 * - The key is scoped to the caller: the record id hashes [sub, key].
 * - The payload hash covers method, path and body: the same key with another body or on another
 *   route is 422 `idempotency_key_reuse`.
 * - A completed request replays its original status and body with `Idempotent-Replayed: true` for 24 h.
 * - A request still running is 409 `idempotency_key_in_flight`; a crashed one unlocks when its Lambda
 *   time runs out (the in-progress expiry comes from the invocation's remaining time).
 * - Errors are not stored: a rejected request changed nothing, so it may be retried with the same key.
 */
import type { Context } from 'aws-lambda';
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { DomainError } from '../domain/errors.ts';
import { dynamo } from '../data/clients.ts';
import { config } from '../config.ts';
import { TABLE } from '../data/table.ts';
import type { HttpReply } from './operation.ts';

export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
export const IDEMPOTENCY_SORT_KEY = 'IDEMPOTENCY';

/**
 * Powertools puts every record under one static partition key when the table has a sort key; we key
 * each record by its own hash instead, so idempotency records spread across partitions.
 */
class SingleTablePersistenceLayer extends DynamoDBPersistenceLayer {
  protected override getKey(idempotencyKey: string): Record<string, AttributeValue> {
    return {
      [TABLE.partitionKey]: { S: `IDEM#${idempotencyKey}` },
      [TABLE.sortKey]: { S: IDEMPOTENCY_SORT_KEY },
    };
  }
}

let persistence: SingleTablePersistenceLayer | undefined;

function store(): SingleTablePersistenceLayer {
  persistence ??= new SingleTablePersistenceLayer({
    tableName: config().TABLE_NAME,
    keyAttr: TABLE.partitionKey,
    sortKeyAttr: TABLE.sortKey,
    expiryAttr: TABLE.ttlAttribute,
    awsSdkV3Client: dynamo,
  });
  return persistence;
}

export interface IdempotentCall {
  sub: string;
  key: string;
  method: string;
  path: string;
  body: unknown;
}

export async function runIdempotently(
  call: IdempotentCall,
  context: Context,
  run: () => Promise<HttpReply>,
): Promise<HttpReply> {
  const idempotent = makeIdempotent(async (_: IdempotentCall) => run(), {
    persistenceStore: store(),
    config: new IdempotencyConfig({
      eventKeyJmesPath: '[sub, key]',
      payloadValidationJmesPath: '[method, path, body]',
      expiresAfterSeconds: IDEMPOTENCY_TTL_SECONDS,
      throwOnNoIdempotencyKey: true,
      lambdaContext: context,
      responseHook: (response) => {
        const reply = response as unknown as HttpReply;
        return { ...reply, headers: { ...reply.headers, 'idempotent-replayed': 'true' } } as never;
      },
    }),
  });
  try {
    return await idempotent(call);
  } catch (error) {
    if (error instanceof IdempotencyValidationError) {
      throw new DomainError('idempotency_key_reuse', 'This Idempotency-Key was used with a different request');
    }
    if (error instanceof IdempotencyAlreadyInProgressError) {
      throw new DomainError('idempotency_key_in_flight', 'A request with this Idempotency-Key is still in progress');
    }
    throw error;
  }
}
