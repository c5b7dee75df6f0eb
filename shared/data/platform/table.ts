/**
 * The single table, defined once: CDK (infra/stacks/data-stack.ts), the local runtime and the tests
 * all build the table from this definition, so keys and indexes cannot drift.
 *
 * Every item has `pk`/`sk`. Three generic, sparse GSIs (keys + the filterable attributes) serve the list
 * routes; each repository documents which `gsiNpk`/`gsiNsk` values it writes. `gsi4` holds only keys:
 * it is the outbox of unfinished work (events, batch expansions), which its sweeper reads as keys, so
 * moving an item in or out of it costs one small index write instead of a copy of the whole item.
 */
/**
 * The attributes the list indexes carry besides keys: exactly what list filters test (a filter on a
 * GSI can only see projected attributes). Everything else is read from the table by key after the
 * query (`hydrate` in query.ts), so an update that changes none of these costs no index write, and
 * one that does costs a small one instead of a copy of the whole item.
 */
export const LIST_INDEX_ATTRIBUTES = [
  'type',
  'status',
  'province',
  'modelCounty',
  'fundId',
  'countyCode',
  'channel',
  'startsAt',
  'endsAt',
  'cancelledAt',
  'events',
  // A finance system lists only the payouts of the funds it pays.
  'payer',
] as const;

export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB TTL removes idempotency records and other short-lived items. */
  ttlAttribute: 'expiresAt',
  indexes: [
    { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: 'INCLUDE' },
    { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projection: 'INCLUDE' },
    { name: 'gsi3', partitionKey: 'gsi3pk', sortKey: 'gsi3sk', projection: 'INCLUDE' },
    { name: 'gsi4', partitionKey: 'gsi4pk', sortKey: 'gsi4sk', projection: 'KEYS_ONLY' },
    // Payouts by settlement time (`PAY#SETTLED#<n>`, sk `<settledAt>#<payoutId>`): settled-date filters, reconciliation.
    // A settled range is its key condition, so batch and creation time can only be filters here: it carries them too.
    { name: 'gsi5', partitionKey: 'gsi5pk', sortKey: 'gsi5sk', projection: 'INCLUDE', alsoProjects: ['batchId', 'createdAt'] },
  ],
} as const;

/** What an index copies from the item: the keys plus LIST_INDEX_ATTRIBUTES (and its own `alsoProjects`), or only the keys. */
export type IndexProjection = (typeof TABLE.indexes)[number]['projection'];

/** The non-key attributes an INCLUDE index carries: the list attributes every list index has, plus its own. */
export function projectedAttributes(index: (typeof TABLE.indexes)[number]): string[] {
  return [...LIST_INDEX_ATTRIBUTES, ...('alsoProjects' in index ? index.alsoProjects : [])];
}

export type IndexName = (typeof TABLE.indexes)[number]['name'];

/** Every key attribute, all strings. */
export const KEY_ATTRIBUTES = [TABLE.partitionKey, TABLE.sortKey, ...TABLE.indexes.flatMap((i) => [i.partitionKey, i.sortKey])] as const;
