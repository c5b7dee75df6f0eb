/**
 * `Idempotency-Key` as the contract states it, on Powertools idempotency with the single table.
 *
 * - The key is scoped to the caller: the record id hashes [sub, key], under one fixed prefix, so the
 *   scope is the same locally (every route in one process) and deployed (one function per context).
 * - The payload hash covers method, path and body: the same key with another body or on another
 *   route is 422 `idempotency_key_reuse`.
 * - Both are HMAC-SHA256 under a key derived from the app secret: Powertools' own hash is unkeyed
 *   (MD5 by default), and an unkeyed hash of a station application gives its national ID and phone
 *   away to anyone who can guess them. The reply kept for replays is encrypted (AES-256-GCM) for the
 *   same reason: it may name a farmer or an operator.
 * - A completed request replays its original status and body with `Idempotent-Replayed: true` for 24 h.
 * - A request still running is 409 `idempotency_key_in_flight`; a crashed one unlocks when its Lambda
 *   time runs out (the in-progress expiry comes from the invocation's remaining time), and its retry
 *   finds what it created through the create's claim (shared/data/platform/idempotency-claims.ts).
 * - Errors are not stored: a rejected request changed nothing, so it may be retried with the same key.
 * - A reply too large for the record (MAX_SEALED_REPLY_BYTES) is not kept: its replay runs the create again,
 *   which answers with the resource its claim names instead of creating another.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
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
import { dynamo } from '../data/platform/clients.ts';
import { ClaimedMeanwhile, type IdempotencyClaim } from '../data/platform/idempotency-claims.ts';
import { config } from '../config.ts';
import { appSecrets } from '../secrets.ts';
import { TABLE } from '../data/platform/table.ts';
import type { HttpReply } from './operation.ts';

export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
export const IDEMPOTENCY_SORT_KEY = 'IDEMPOTENCY';
/** Instead of Powertools' default, the function name: keys are the caller's, not a function's. */
const KEY_PREFIX = 'http';

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

/** JSON with object keys sorted at every depth: the same body always hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The call's keyed hashes: all that Powertools' record and the create's claim keep of it. */
export async function idempotencyClaim(call: IdempotentCall): Promise<IdempotencyClaim> {
  const { idempotencyKey } = await appSecrets();
  const hmac = (text: string) => createHmac('sha256', idempotencyKey).update(text).digest('base64url');
  return {
    keyHash: hmac(canonicalJson([call.sub, call.key])),
    requestHash: hmac(canonicalJson([call.method, call.path, call.body])),
  };
}

/**
 * The reply as Powertools stores it: brotli-compressed, then AES-256-GCM encrypted and bound to its key
 * hash (it cannot be moved to another record), in a binary attribute: about the size of the plain
 * JSON, so a create's record stays within the write units it took before.
 */
interface SealedReply {
  sealed: Uint8Array;
  replayed?: true;
  /** The reply did not fit the record: a replay runs the create again, which finds its resource by its claim. */
  oversized?: true;
}

/**
 * The largest sealed reply kept, under DynamoDB's 400 KB item with room for the record's other attributes.
 * Only a create's reply comes near it (a 10,000-line reconciliation of long, random references: about 0.8 MB
 * compressed), and a create's retry is answered from its idempotency claim anyway (./data/platform/idempotency-claims.ts).
 */
export const MAX_SEALED_REPLY_BYTES = 350 * 1024;

const IV_BYTES = 12;
const TAG_BYTES = 16;
const BROTLI = { params: { [constants.BROTLI_PARAM_QUALITY]: 6 } };

async function seal(reply: HttpReply, claim: IdempotencyClaim): Promise<SealedReply> {
  const { idempotencyReplyKey } = await appSecrets();
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(idempotencyReplyKey, 'base64url'), iv).setAAD(Buffer.from(claim.keyHash));
  const text = Buffer.concat([cipher.update(brotliCompressSync(JSON.stringify(reply), BROTLI)), cipher.final()]);
  return { sealed: Buffer.concat([iv, cipher.getAuthTag(), text]) };
}

async function unseal(reply: SealedReply, claim: IdempotencyClaim): Promise<HttpReply> {
  const { idempotencyReplyKey } = await appSecrets();
  const sealed = Buffer.from(reply.sealed);
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(idempotencyReplyKey, 'base64url'), sealed.subarray(0, IV_BYTES))
    .setAAD(Buffer.from(claim.keyHash))
    .setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  const compressed = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  return JSON.parse(brotliDecompressSync(compressed).toString('utf8')) as HttpReply;
}

/** Runs again once when a concurrent attempt's create took the claim: the second run finds its resource. */
async function runToClaim(run: () => Promise<HttpReply>): Promise<HttpReply> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ClaimedMeanwhile) return run();
    throw error;
  }
}

export async function runIdempotently(claim: IdempotencyClaim, context: Context, run: () => Promise<HttpReply>): Promise<HttpReply> {
  // This attempt's own reply, when it ran: answered as it is, whatever was kept of it.
  let fresh: HttpReply | undefined;
  const idempotent = makeIdempotent(
    async (_: IdempotencyClaim) => {
      fresh = await runToClaim(run);
      const sealed = await seal(fresh, claim);
      return sealed.sealed.byteLength <= MAX_SEALED_REPLY_BYTES ? sealed : { sealed: new Uint8Array(0), oversized: true as const };
    },
    {
      persistenceStore: store(),
      keyPrefix: KEY_PREFIX,
      config: new IdempotencyConfig({
        eventKeyJmesPath: 'keyHash',
        payloadValidationJmesPath: 'requestHash',
        hashFunction: 'sha256',
        expiresAfterSeconds: IDEMPOTENCY_TTL_SECONDS,
        throwOnNoIdempotencyKey: true,
        lambdaContext: context,
        responseHook: (response) => ({ ...(response as unknown as SealedReply), replayed: true }) as never,
      }),
    },
  );
  try {
    const sealed = await idempotent(claim);
    if (fresh && !sealed.replayed) return fresh;
    // Too large to keep: the create runs again and answers with what its first attempt created (its claim).
    const reply = sealed.oversized ? await runToClaim(run) : await unseal(sealed, claim);
    return { ...reply, headers: { ...reply.headers, 'idempotent-replayed': 'true' } };
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
