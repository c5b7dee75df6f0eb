/**
 * One TransactWriteItems with named conditions. Each item may say which contract error its condition
 * stands for; a cancelled transaction is translated by reading its cancellation reasons (with the
 * item as it was, `ReturnValuesOnConditionCheckFailure: ALL_OLD`), never by guessing.
 */
import { randomUUID } from 'node:crypto';
import { TransactionCanceledException, type CancellationReason } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DomainError } from '../domain/errors.ts';
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
      return { [kind]: { ReturnValuesOnConditionCheckFailure: 'ALL_OLD', ...op } } as TransactItem;
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
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof TransactionConflict) || i >= attempts) throw error;
      await new Promise((r) => setTimeout(r, Math.random() * 20 * 2 ** i));
    }
  }
}
