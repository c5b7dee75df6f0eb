/**
 * Paged queries behind every list route: a key condition on the table or a GSI, optional filters,
 * `limit` items per page and a signed cursor. With a filter, DynamoDB's own Limit counts items read,
 * not items kept, so pages are read until `limit` items are kept or the request's read budget
 * (`pageReadBudget`) is spent: a filter that matches little gets a short, possibly empty page whose
 * cursor resumes just past the last item READ, never a read of the whole partition in one request.
 */
import { BatchGetCommand, GetCommand, QueryCommand, type QueryCommandInput, ScanCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { notFound } from '../../domain/errors.ts';
import { decodeCursor, encodeCursor, invalidCursor } from './cursor.ts';
import { config } from '../../config.ts';
import { retrying, type RetryPolicy } from '../../retry.ts';
import { documents } from './clients.ts';
import { TABLE, type IndexName } from './table.ts';
import { StoreThrottled } from './transactions.ts';
import { inParallel } from './bulk.ts';

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

/**
 * How many index items one list request may read: a few pages' worth, at least 100 (small keys-and-filter
 * items, a few read units). Past it, the page is returned short and its cursor goes on from there.
 */
export function pageReadBudget(limit: number): number {
  return Math.max(4 * limit, 100);
}

interface KeptRead {
  kept: Record<string, unknown>[];
  more: boolean;
  /** Where the next page starts when `more`: the last item kept, or the last item read when the budget ran out. */
  resumeKey: Record<string, unknown> | undefined;
}

/**
 * A list's optional equality filters (`status`, `fundId`, …): the attributes given, each compared through an
 * attribute name (so reserved words like `status` need no care), as queryPage's `filter`, `names` and `values`.
 */
export function equalityFilter(attributes: Record<string, string | undefined>): {
  filter?: string;
  names?: Record<string, string>;
  values: Record<string, unknown>;
} {
  const given = Object.entries(attributes).filter((e): e is [string, string] => e[1] !== undefined);
  if (given.length === 0) return { values: {} };
  return {
    filter: given.map((_, i) => `#f${i} = :f${i}`).join(' AND '),
    names: Object.fromEntries(given.map(([name], i) => [`#f${i}`, name])),
    values: Object.fromEntries(given.map(([, value], i) => [`:f${i}`, value])),
  };
}

/** Items kept from one partition, from `startKey` on, until `limit` are kept, it runs out or `budget` items are read. */
async function readKept(q: PageQuery, startKey: Record<string, unknown> | undefined, budget: number): Promise<KeptRead> {
  const kept: Record<string, unknown>[] = [];
  let read = 0;
  let more = true;
  while (kept.length < q.limit && more && read < budget) {
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
      // With one, DynamoDB's Limit caps the items read (kept or not), so it also enforces the budget.
      Limit: q.filter ? Math.min(Math.max(q.limit * 2, 25), budget - read) : q.limit - kept.length + 1,
      ConsistentRead: q.index ? undefined : q.consistentRead,
    };
    const page = await documents.send(new QueryCommand(input));
    read += page.ScannedCount ?? 0;
    for (const item of page.Items ?? []) {
      if (kept.length === q.limit) break;
      kept.push(item);
    }
    startKey = page.LastEvaluatedKey;
    more = startKey !== undefined;
    if (kept.length === q.limit) {
      const readAll = (page.Items ?? []).at(-1) === kept.at(-1) && !more;
      more = !readAll;
      return { kept, more, resumeKey: more ? keyOf(kept.at(-1)!, q.index) : undefined };
    }
  }
  return { kept, more, resumeKey: more ? startKey : undefined };
}

function keyOf(item: Record<string, unknown>, index?: IndexName): Record<string, unknown> {
  return Object.fromEntries(keyAttributesOf(index).map((a) => [a, item[a]]));
}

export async function queryPage<T = Record<string, unknown>>(q: PageQuery): Promise<Page<T>> {
  const { kept, resumeKey } = await readKept(q, await decodeCursor(q.cursor, q.scope), pageReadBudget(q.limit));
  const items = q.index ? await hydrate(kept) : kept;
  return { items: items as T[], nextCursor: await encodeCursor(resumeKey, q.scope) };
}

export interface ShardedPageQuery extends Omit<PageQuery, 'keyCondition' | 'consistentRead'> {
  /** The index the listing is in; none: the table's own partitions (e.g. a fund's ledger shards), read as they are. */
  index?: IndexName;
  /** The partitions one listing is written across (write sharding); read together, merged by sort key. */
  partitions: readonly string[];
  /** A condition on the index's sort key for every partition, e.g. `gsi1sk > :after`. */
  sortCondition?: string;
  /** A key condition on the index's sort key: `from` ≤ sk ≤ `to` (either end open). Not with `sortCondition`. */
  sortRange?: { from?: string; to?: string };
  /**
   * The listing was one partition before (queryPage) under the same scope: a cursor issued then (that partition's
   * last key) goes on after its sort key in every partition, as it went on in the one.
   */
  unshardedBefore?: boolean;
}

/**
 * Where a sharded listing goes on, per partition in the query's order: 0 = not read yet, null = read to
 * its end, or the base-table key and the index sort key of the last item returned from it (the index's
 * partition key is the partition itself; on the table itself the sort key twice). Positional and compact: the
 * 17 positions of a fund's ledger fit a cursor of a few KB.
 */
const shardedCursorSchema = z.object({
  p: z.array(z.union([z.literal(0), z.null(), z.tuple([z.string(), z.string(), z.string()])])),
});
type ShardPosition = z.infer<typeof shardedCursorSchema>['p'][number];

/**
 * A page of a listing written across several index partitions (scatter-gather): each partition is read
 * from where it stopped for up to `limit` items (with a filter, within its share of the read budget),
 * the candidates are merged by the index's sort key and the first `limit` kept; the cursor holds every
 * partition's own position, so a page never skips or repeats an item. Costs one Query per partition per
 * page instead of one.
 */
export async function queryShardedPage<T = Record<string, unknown>>(q: ShardedPageQuery): Promise<Page<T>> {
  const { partitionKey, sortKey } = q.index ? TABLE.indexes.find((i) => i.name === q.index)! : TABLE;
  const decoded = await decodeCursor(q.cursor, q.scope);
  const parsed = decoded === undefined ? undefined : shardedCursorSchema.safeParse(decoded);
  const plain = q.unshardedBefore && parsed && !parsed.success && decoded ? plainCursorPosition(decoded, sortKey) : undefined;
  if (parsed && !plain && (!parsed.success || parsed.data.p.length !== q.partitions.length)) throw invalidCursor();
  const positions: ShardPosition[] = plain ? q.partitions.map(() => plain) : parsed?.success ? parsed.data.p : q.partitions.map(() => 0);
  const startKeyOf = (partition: string, position: [string, string, string]) => ({
    [TABLE.partitionKey]: position[0],
    [TABLE.sortKey]: position[1],
    [partitionKey]: partition,
    [sortKey]: position[2],
  });
  const positionOf = (key: Record<string, unknown>): [string, string, string] => [
    String(key[TABLE.partitionKey]),
    String(key[TABLE.sortKey]),
    String(key[sortKey]),
  ];
  const range = sortRangeCondition(sortKey, q.sortRange);
  // Unfiltered, each partition reads at most limit + 1 items anyway; filtered, they share one budget.
  const budget = q.filter ? Math.ceil(pageReadBudget(q.limit) / q.partitions.length) : q.limit + 1;

  const reads = await Promise.all(
    q.partitions.map(async (partition, n) => {
      const position = positions[n]!;
      if (position === null) return { n, kept: [] as Record<string, unknown>[], more: false, resumeKey: undefined };
      const read = await readKept(
        {
          ...q,
          keyCondition: `${partitionKey} = :partition${q.sortCondition ? ` AND ${q.sortCondition}` : ''}${range.condition}`,
          values: { ...q.values, ':partition': partition, ...range.values },
        },
        position === 0 ? undefined : startKeyOf(partition, position),
        budget,
      );
      return { n, ...read };
    }),
  );

  const direction = q.newestFirst ? -1 : 1;
  // Code-unit order, as DynamoDB orders the (ASCII) sort keys.
  const order = (a: string, b: string) => direction * (a < b ? -1 : a > b ? 1 : 0);
  // A partition that stopped with more to read may hold unread items just past where it stopped: only
  // candidates up to the nearest such stop surely come before every unread item, so pages stay in order.
  const stops = reads.filter((r) => r.more).map((r) => String(r.resumeKey![sortKey]));
  const frontier = stops.sort(order)[0];
  const candidates = reads
    .flatMap((r) => r.kept.map((item) => ({ n: r.n, item })))
    .filter((c) => frontier === undefined || order(String(c.item[sortKey]), frontier) <= 0);
  candidates.sort((a, b) => order(String(a.item[sortKey]), String(b.item[sortKey])));
  const taken = candidates.slice(0, q.limit);

  let unfinished = false;
  const next: ShardPosition[] = reads.map((r) => {
    const mine = taken.filter((t) => t.n === r.n);
    if (mine.length === r.kept.length) {
      // Everything it kept is on this page: go on from where it stopped reading.
      if (!r.more) return null;
      unfinished = true;
      return positionOf(r.resumeKey!);
    }
    unfinished = true;
    const last = mine.at(-1)?.item;
    return last ? positionOf(last) : positions[r.n]!;
  });
  const items = q.index ? await hydrate(taken.map((t) => t.item)) : taken.map((t) => t.item);
  return { items: items as T[], nextCursor: await encodeCursor(unfinished ? { p: next } : undefined, q.scope) };
}

/** A cursor of the unsharded listing (its one partition's last key) as a position every partition resumes from. */
function plainCursorPosition(key: Record<string, unknown>, sortKey: string): [string, string, string] | undefined {
  const [pk, sk, indexSk] = [key[TABLE.partitionKey], key[TABLE.sortKey], key[sortKey]];
  return typeof pk === 'string' && typeof sk === 'string' && typeof indexSk === 'string' ? [pk, sk, indexSk] : undefined;
}

function sortRangeCondition(sortKey: string, range: ShardedPageQuery['sortRange']): { condition: string; values: Record<string, string> } {
  const { from, to } = range ?? {};
  if (from !== undefined && to !== undefined)
    return { condition: ` AND ${sortKey} BETWEEN :sortFrom AND :sortTo`, values: { ':sortFrom': from, ':sortTo': to } };
  if (from !== undefined) return { condition: ` AND ${sortKey} >= :sortFrom`, values: { ':sortFrom': from } };
  if (to !== undefined) return { condition: ` AND ${sortKey} <= :sortTo`, values: { ':sortTo': to } };
  return { condition: '', values: {} };
}

/** The pages a query reads, one after the other (each resumes where the one before stopped), as DynamoDB gives them. */
export async function* queryPages<T = Record<string, unknown>>(
  input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
): AsyncGenerator<T[]> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(new QueryCommand({ ...input, TableName: config().TABLE_NAME, ExclusiveStartKey: startKey }));
    yield (page.Items ?? []) as T[];
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/**
 * Every item a query matches, page after page: for bounded collections read whole (a fund's
 * allocations, a county's aggregate shards, the endpoints subscribed to an event).
 */
export async function queryAll<T = Record<string, unknown>>(
  input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
  /**
   * On an index, how the items are read by key: only these attributes (a smaller read of big items); eventually
   * consistent (half the read units) where the index's own copy, itself eventually consistent, already decided.
   */
  hydrated?: { projection?: Projection; consistent?: boolean },
): Promise<T[]> {
  const items: T[] = [];
  for await (const page of queryPages<T>(input)) items.push(...page);
  return input.IndexName ? ((await hydrate(items as Record<string, unknown>[], hydrated?.projection, hydrated?.consistent)) as T[]) : items;
}

/**
 * The list indexes carry keys and the filterable attributes only (TABLE, LIST_INDEX_ATTRIBUTES):
 * the whole items are read by key, consistently, in the order the index gave them. An item deleted
 * between the query and the read is left out.
 */
async function hydrate(partial: Record<string, unknown>[], projection?: Projection, consistent = true): Promise<Record<string, unknown>[]> {
  if (partial.length === 0) return partial;
  const id = (item: Record<string, unknown>) => `${String(item[TABLE.partitionKey])}\u0000${String(item[TABLE.sortKey])}`;
  const found = new Map<string, Record<string, unknown>>();
  const keys = partial.map((item) => ({ [TABLE.partitionKey]: item[TABLE.partitionKey], [TABLE.sortKey]: item[TABLE.sortKey] }));
  const withKeys = projection
    ? { ...projection, expression: `${TABLE.partitionKey}, ${TABLE.sortKey}, ${projection.expression}` }
    : undefined;
  for (const item of await readByKeys(keys, withKeys, consistent)) found.set(id(item), item);
  return partial.map((item) => found.get(id(item))).filter((item): item is Record<string, unknown> => item !== undefined);
}

export interface Projection {
  expression: string;
  names?: Record<string, string>;
}

/** BatchGetItem requests in flight at once for one long list of keys. */
const READ_CONCURRENCY = 4;

/** Keys DynamoDB hands back unread (`UnprocessedKeys`, under throttling) are asked for again, this many times. */
const UNPROCESSED_KEYS_RETRY: RetryPolicy = { attempts: 8, baseMs: 20, maxMs: 1_000 };

/**
 * Items by key, read consistently (unless `consistent` is false: half the read units, for a caller whose writes
 * condition on what it read), 100 keys per BatchGetItem (a few at once), in no particular order; a missing item
 * is left out. Keys still unread after the retries make it `StoreThrottled`.
 */
export async function readByKeys(
  keys: readonly Record<string, unknown>[],
  projection?: Projection,
  consistent = true,
): Promise<Record<string, unknown>[]> {
  const table = config().TABLE_NAME;
  const found: Record<string, unknown>[] = [];
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < keys.length; i += 100) chunks.push(keys.slice(i, i + 100));
  await inParallel(chunks, READ_CONCURRENCY, async (chunk) => {
    let unread = chunk;
    await retrying(
      UNPROCESSED_KEYS_RETRY,
      (error) => error instanceof StoreThrottled,
      async () => {
        const result = await documents.send(
          new BatchGetCommand({
            RequestItems: {
              [table]: {
                Keys: [...unread],
                ConsistentRead: consistent,
                ...(projection ? { ProjectionExpression: projection.expression, ExpressionAttributeNames: projection.names } : {}),
              },
            },
          }),
        );
        found.push(...(result.Responses?.[table] ?? []));
        unread = (result.UnprocessedKeys?.[table]?.Keys ?? []) as Record<string, unknown>[];
        if (unread.length > 0) throw new StoreThrottled();
      },
    );
  });
  return found;
}

/** How an item is read: consistently (1 read unit per 4 KB), or eventually consistent (half). */
export interface ReadOptions {
  /**
   * False only where a stale copy cannot decide anything: what is decided on it is written under a condition that
   * refuses a copy that moved (then read again consistently), or it is settings a request may see as they were a
   * moment earlier. Default true: the record decides what happens next, so never a stale copy.
   */
  consistent?: boolean;
}

/** One item by its key, read consistently unless `options` says otherwise. */
export async function getItem<T = Record<string, unknown>>(
  key: { pk: string; sk: string },
  options: ReadOptions = {},
): Promise<T | undefined> {
  const ConsistentRead = options.consistent ?? true;
  const { Item } = await documents.send(new GetCommand({ TableName: config().TABLE_NAME, Key: key, ConsistentRead }));
  return Item as T | undefined;
}

/** One item by its key, or 404 `not_found` naming what was asked for (e.g. "Batch bat_…"); a miss is always read consistently. */
export async function requireItem<T = Record<string, unknown>>(
  key: { pk: string; sk: string },
  what: string,
  options: ReadOptions = {},
): Promise<T> {
  // A copy that may lag says nothing about absence: a miss is read again consistently before the 404.
  const item = (await getItem<T>(key, options)) ?? (options.consistent === false ? await getItem<T>(key) : undefined);
  if (!item) throw notFound(what);
  return item;
}

/**
 * Every item the filter keeps, by a parallel Scan in `segments` segments, page by page: for jobs that
 * must see the whole table (the ledger check, backfills), never for a request path.
 */
export async function scanSegments(
  scan: { filter: string; names?: Record<string, string>; values?: Record<string, unknown>; consistentRead?: boolean; segments?: number },
  onItem: (item: Record<string, unknown>) => void | Promise<void>,
): Promise<void> {
  const segments = scan.segments ?? 4;
  await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await documents.send(
          new ScanCommand({
            TableName: config().TABLE_NAME,
            Segment: segment,
            TotalSegments: segments,
            ConsistentRead: scan.consistentRead,
            FilterExpression: scan.filter,
            ExpressionAttributeNames: scan.names,
            ExpressionAttributeValues: scan.values,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) await onItem(item);
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }),
  );
}
