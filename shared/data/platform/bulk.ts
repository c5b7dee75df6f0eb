/**
 * Bulk work with bounded concurrency: many small reads at a few at a time, and Puts 25 per BatchWriteItem
 * with what comes back unprocessed asked for again (shared/retry.ts). For items written outside a
 * transaction: screening's index items, a batch's flags, a reconciliation's result parts.
 */
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../../config.ts';
import { retrying } from '../../retry.ts';
import { documents } from './clients.ts';
import { StoreThrottled } from './transactions.ts';

const WRITE_CONCURRENCY = 4;

/** Runs `work` for every item, at most `concurrency` at a time. */
export async function inParallel<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

type WriteRequest = { PutRequest: { Item: Record<string, unknown> } } | { DeleteRequest: { Key: Record<string, unknown> } };

/** Puts items 25 per BatchWriteItem, a few requests at once, asking again for what comes back unprocessed. */
export async function putAll(items: readonly Record<string, unknown>[]): Promise<void> {
  await writeAll(items.map((Item) => ({ PutRequest: { Item } })));
}

/** Deletes items by key, as putAll writes them. */
export async function deleteAll(keys: readonly Record<string, unknown>[]): Promise<void> {
  await writeAll(keys.map((Key) => ({ DeleteRequest: { Key } })));
}

async function writeAll(requests: readonly WriteRequest[]): Promise<void> {
  const table = config().TABLE_NAME;
  const groups: WriteRequest[][] = [];
  for (let i = 0; i < requests.length; i += 25) groups.push(requests.slice(i, i + 25));
  await inParallel(groups, WRITE_CONCURRENCY, async (group) => {
    let pending = group;
    await retrying(
      { attempts: 8, baseMs: 20, maxMs: 1_000 },
      (e) => e instanceof StoreThrottled,
      async () => {
        const result = await documents.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = (result.UnprocessedItems?.[table] ?? []) as WriteRequest[];
        if (pending.length > 0) throw new StoreThrottled();
      },
    );
  });
}
