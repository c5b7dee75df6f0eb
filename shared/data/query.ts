/**
 * Paged queries behind every list route: a key condition on the table or a GSI, optional filters,
 * `limit` items per page and a signed cursor. With a filter, DynamoDB's own Limit counts items read,
 * not items kept, so pages are read until `limit` items are kept; the cursor then points just past
 * the last item returned, built from that item's own key attributes.
 */
import { BatchGetCommand, GetCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { decodeCursor, encodeCursor } from '../http/cursor.ts';
import { config } from '../config.ts';
import { documents } from './clients.ts';
import { TABLE, type IndexName } from './table.ts';

export interface PageQuery {
  index?: IndexName;
  /** e.g. `gsi1pk = :pk` or `pk = :pk AND begins_with(sk, :prefix)`. */
  keyCondition: string;
  filter?: string;
  names?: Record<string, string>;
  values: Record<string, unknown>;
  newestFirst?: boolean;
  limit: number;
  cursor?: string;
  /** Binds the cursor to this query: route plus every filter value. */
  scope: string;
  consistentRead?: boolean;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

function keyAttributesOf(index?: IndexName): string[] {
  const base = [TABLE.partitionKey, TABLE.sortKey];
  if (!index) return base;
  const def = TABLE.indexes.find((i) => i.name === index)!;
  return [...base, def.partitionKey, def.sortKey];
}

export async function queryPage<T = Record<string, unknown>>(q: PageQuery): Promise<Page<T>> {
  const keyAttributes = keyAttributesOf(q.index);
  let startKey = await decodeCursor(q.cursor, q.scope);
  const kept: Record<string, unknown>[] = [];
  let more = true;
  while (kept.length < q.limit && more) {
    const input: QueryCommandInput = {
      TableName: config().TABLE_NAME,
      IndexName: q.index,
      KeyConditionExpression: q.keyCondition,
      FilterExpression: q.filter,
      ExpressionAttributeNames: q.names,
      ExpressionAttributeValues: q.values,
      ScanIndexForward: !q.newestFirst,
      ExclusiveStartKey: startKey,
      // Without a filter every item read is kept: read one more than needed to know whether a next page exists.
      Limit: q.filter ? Math.max(q.limit * 2, 25) : q.limit - kept.length + 1,
      ConsistentRead: q.index ? undefined : q.consistentRead,
    };
    const page = await documents.send(new QueryCommand(input));
    for (const item of page.Items ?? []) {
      if (kept.length === q.limit) break;
      kept.push(item);
    }
    startKey = page.LastEvaluatedKey;
    more = startKey !== undefined;
    if (kept.length === q.limit) {
      const readAll = (page.Items ?? []).at(-1) === kept.at(-1) && !more;
      more = !readAll;
    }
  }
  const last = kept.at(-1);
  const nextKey =
    more && last ? Object.fromEntries(keyAttributes.map((a) => [a, last[a]])) : undefined;
  const items = q.index ? await hydrate(kept) : kept;
  return { items: items as T[], nextCursor: await encodeCursor(nextKey, q.scope) };
}

/**
 * Every item a query matches, page after page: for bounded collections read whole (a fund's
 * allocations, a county's aggregate shards, the endpoints subscribed to an event).
 */
export async function queryAll<T = Record<string, unknown>>(
  input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
): Promise<T[]> {
  const items: T[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new QueryCommand({ ...input, TableName: config().TABLE_NAME, ExclusiveStartKey: startKey }),
    );
    items.push(...((page.Items ?? []) as T[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return input.IndexName ? ((await hydrate(items as Record<string, unknown>[])) as T[]) : items;
}

/**
 * The list indexes carry keys and the filterable attributes only (TABLE, LIST_INDEX_ATTRIBUTES):
 * the whole items are read by key, consistently, in the order the index gave them. An item deleted
 * between the query and the read is left out.
 */
async function hydrate(partial: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
  if (partial.length === 0) return partial;
  const id = (item: Record<string, unknown>) => `${String(item[TABLE.partitionKey])}\u0000${String(item[TABLE.sortKey])}`;
  const found = new Map<string, Record<string, unknown>>();
  const table = config().TABLE_NAME;
  for (let i = 0; i < partial.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = partial
      .slice(i, i + 100)
      .map((item) => ({ [TABLE.partitionKey]: item[TABLE.partitionKey], [TABLE.sortKey]: item[TABLE.sortKey] }));
    for (let attempt = 0; keys && keys.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
      const result = await documents.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: true } } }));
      for (const item of result.Responses?.[table] ?? []) found.set(id(item), item);
      keys = result.UnprocessedKeys?.[table]?.Keys as Record<string, unknown>[] | undefined;
    }
  }
  return partial.map((item) => found.get(id(item))).filter((item): item is Record<string, unknown> => item !== undefined);
}

/** One item by its key, read consistently (the record decides what happens next, so never a stale copy). */
export async function getItem<T = Record<string, unknown>>(key: { pk: string; sk: string }): Promise<T | undefined> {
  const { Item } = await documents.send(new GetCommand({ TableName: config().TABLE_NAME, Key: key, ConsistentRead: true }));
  return Item as T | undefined;
}
