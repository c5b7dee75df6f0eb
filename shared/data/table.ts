/**
 * The single table, defined once: CDK (infra/stacks/data-stack.ts), the local runtime and the tests
 * all build the table from this definition, so keys and indexes cannot drift.
 *
 * Every item has `pk`/`sk`. Three generic, sparse GSIs (all attributes projected) serve the access
 * patterns; each repository documents which `gsiNpk`/`gsiNsk` values it writes.
 */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB TTL removes idempotency records and other short-lived items. */
  ttlAttribute: 'expiresAt',
  indexes: [
    { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    { name: 'gsi3', partitionKey: 'gsi3pk', sortKey: 'gsi3sk' },
  ],
} as const;

export type IndexName = (typeof TABLE.indexes)[number]['name'];

/** Every key attribute, all strings. */
export const KEY_ATTRIBUTES = [
  TABLE.partitionKey,
  TABLE.sortKey,
  ...TABLE.indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
] as const;
