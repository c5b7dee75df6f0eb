/**
 * One TransactWriteItems with named conditions. Each item may say which contract error its condition
 * stands for; a cancelled transaction is translated by reading its cancellation reasons (with the
 * item as it was, `ReturnValuesOnConditionCheckFailure: ALL_OLD`), never by guessing.
 */
import { randomUUID } from 'node:crypto';
import { TransactionCanceledException, type CancellationReason } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DomainError, notFound } from '../../domain/errors.ts';
import { config } from '../../config.ts';
import { retrying } from '../../retry.ts';
import { documents } from './clients.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface TxStep {
  item: TransactItem;
  /**
   * The error a failed condition on this item means; gets the item as it was, when it existed.
   * Return a `TransactionConflict` when the item merely changed since it was read (re-read and retry).
   */
  onConditionFailed?: (current: Record<string, unknown> | undefined) => Error;
}

/** Another writer touched an item of this transaction at the same moment: re-read and decide again. */
export class TransactionConflict extends Error {
  constructor() {
    super('transaction conflict');
    this.name = 'TransactionConflict';
  }
}

/** DynamoDB refused the write for capacity, not because of our data: retryable by the caller. */
export class StoreThrottled extends Error {
  constructor() {
    super('store throttled');
    this.name = 'StoreThrottled';
  }
}

const THROTTLING = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded', 'ThrottlingException', 'RequestLimitExceeded']);

const MAX_ITEMS = 100;

/**
 * `token` makes the write idempotent for 10 minutes. Without one, each call gets its own, so the
 * SDK's retry after a timeout whose write did land is recognised by DynamoDB as the same
 * transaction, instead of failing its own conditions and reporting a success as a conflict.
 */
export async function transact(steps: TxStep[], token: string = randomUUID()): Promise<void> {
  if (steps.length === 0) return;
  if (steps.length > MAX_ITEMS) throw new Error(`a transaction takes at most ${MAX_ITEMS} items`);
  const TransactItems = steps.map((s) => withOldValues(s.item));
  try {
    await documents.send(new TransactWriteCommand({ TransactItems, ClientRequestToken: token }));
  } catch (error) {
    if (error instanceof TransactionCanceledException) throw translate(steps, error.CancellationReasons ?? []);
    if (error instanceof Error && error.name === 'TransactionConflictException') throw new TransactionConflict();
    throw error;
  }
}

function withOldValues(item: TransactItem): TransactItem {
  for (const kind of ['Put', 'Update', 'Delete', 'ConditionCheck'] as const) {
    const op = item[kind];
    if (op && op.ConditionExpression) {
      return { [kind]: { ReturnValuesOnConditionCheckFailure: 'ALL_OLD', ...op } };
    }
  }
  return item;
}

function translate(steps: TxStep[], reasons: CancellationReason[]): Error {
  reasons.forEach((reason, index) => {
    if (reason.Code === 'ConditionalCheckFailed') {
      const step = steps[index];
      const current = reason.Item ? unmarshall(reason.Item) : undefined;
      throw step?.onConditionFailed?.(current) ?? new DomainError('invalid_state', 'The request conflicts with the current state');
    }
  });
  if (reasons.some((r) => r.Code === 'TransactionConflict')) return new TransactionConflict();
  if (reasons.some((r) => THROTTLING.has(r.Code ?? ''))) return new StoreThrottled();
  const codes = reasons.map((r) => r.Code ?? 'None').join(',');
  return new Error(`transaction cancelled: ${codes}`);
}

/**
 * Runs read → decide → transact again when another writer got in between (optimistic concurrency).
 * Conditions make the outcome exact; this loop only makes the caller see the final answer instead
 * of a spurious conflict.
 */
export async function retryOnConflict<T>(attempt: () => Promise<T>, attempts = 6): Promise<T> {
  // Full jitter, capped: many writers of one item spread out instead of colliding again in step.
  return retrying({ attempts, baseMs: 10, maxMs: MAX_BACKOFF_MS }, (error) => error instanceof TransactionConflict, attempt);
}

const MAX_BACKOFF_MS = 250;

/**
 * `retryOnConflict` whose first attempt reads the entities it decides on eventually consistent (half the read units),
 * the others consistently: `attempt(consistent)`. What a stale copy could cause never reaches the caller. A change
 * decided on it is refused by its condition (the version or status it was read in), and a refusal is a conflict:
 * read again, consistently. An answer it gives without a write (a 404, a 409, `repeat`: the use case throws
 * `ReadAgain`) is given only after a consistent read decided the same. Only for attempts that write nothing before
 * their transaction, and throw nothing once it has committed.
 */
export async function retryReadingLightly<T>(attempt: (consistent: boolean) => Promise<T>, attempts = 6): Promise<T> {
  let consistent = false;
  return retryOnConflict(async () => {
    const lightly = !consistent;
    consistent = true;
    try {
      return await attempt(!lightly);
    } catch (error) {
      // Decided on a copy that may lag: decided again on a consistent read (a conflict is retried anyway).
      if (lightly && error instanceof DomainError) throw new ReadAgain();
      throw error;
    }
  }, attempts);
}

/** An answer decided on a copy that may lag (see retryReadingLightly): decide it again on a consistent read. */
export class ReadAgain extends TransactionConflict {}

/**
 * Attempts for a use case that moves an allocation's ledger: every move of one allocation is ordered
 * by its `seq`, so concurrent moves of one county (a batch's settlements) commit one at a time and
 * the others read again. Each round commits at least one of them.
 */
export const LEDGER_ATTEMPTS = 40;

export interface VersionedChange {
  key: { pk: string; sk: string };
  /** Names the entity in a 404 (`Disbursement dsb_…`). */
  what: string;
  /** The version and status the change was decided on: the write happens only if both still hold. */
  version: number;
  status: string;
  now: Date;
  /** Attributes to set (besides `version` and `updatedAt`, which every change moves). */
  set: Record<string, unknown>;
  /** Lists to append to (`history`). */
  append?: Record<string, unknown[]>;
  /**
   * Decides again on the item as it is now; throwing gives the caller the definitive answer
   * (`duplicate_approval`, `invalid_state` …). When it decides the same, the item merely moved
   * meanwhile: a `TransactionConflict` makes `retryOnConflict` read and decide again.
   */
  redecide?: (current: Record<string, unknown>) => void;
}

/** Optimistic change of a versioned entity with a status (disbursements, batches, stations) as a step. */
export function versionedChangeStep(change: VersionedChange): TxStep {
  const names: Record<string, string> = { '#status': 'status' };
  const values: Record<string, unknown> = {
    ':version': change.version,
    ':next': change.version + 1,
    ':at': change.now.toISOString(),
    ':from': change.status,
  };
  const assignments = ['version = :next', 'updatedAt = :at'];
  Object.entries(change.set).forEach(([name, value], i) => {
    names[`#s${i}`] = name;
    values[`:s${i}`] = value;
    assignments.push(`#s${i} = :s${i}`);
  });
  Object.entries(change.append ?? {}).forEach(([name, value], i) => {
    names[`#l${i}`] = name;
    values[`:l${i}`] = value;
    assignments.push(`#l${i} = list_append(#l${i}, :l${i})`);
  });
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: change.key,
        UpdateExpression: `SET ${assignments.join(', ')}`,
        ConditionExpression: 'version = :version AND #status = :from',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    },
    onConditionFailed: (current) => {
      if (!current) return notFound(change.what);
      try {
        change.redecide?.(current);
      } catch (error) {
        return error as Error;
      }
      return new TransactionConflict();
    },
  };
}
