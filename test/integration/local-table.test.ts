/**
 * `npm start` on a persistent DATA_DIR keeps the table of an older version: ensureTable brings its indexes in
 * line with shared/data/platform/table.ts. A missing index is added; an index whose projection changed (gsi5 gained
 * batchId and createdAt) is built again, and the items are in it afterwards.
 *
 * On a DynamoDB Local of its own, as `npm start` has: the suite's shared one builds an index behind every other
 * test file's writes (more than a minute under the full suite's load).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOCAL_CREDENTIALS, localRegion } from '#local/environment';
import { ensureTable } from '#local/resources';
import { startDynamoDbLocal, type RunningService } from '#local/services';
import { LIST_INDEX_ATTRIBUTES, projectedAttributes, TABLE } from '#shared/data/platform/table';

let store: RunningService | undefined;
let dynamo: DynamoDBClient;

beforeAll(async () => {
  store = await startDynamoDbLocal();
  dynamo = new DynamoDBClient({ region: localRegion(), credentials: LOCAL_CREDENTIALS, endpoint: store.endpoint });
});

afterAll(async () => {
  dynamo?.destroy();
  await store?.stop();
});

describe('ensureTable on a table from an older version', () => {
  it('adds the missing index and rebuilds the one whose projection changed, keeping the items', async () => {
    const old = 'relief-fund-old';
    const [gsi1, , , , gsi5] = TABLE.indexes;
    const index = (i: typeof gsi1 | typeof gsi5, attributes: string[]) => ({
      IndexName: i.name,
      KeySchema: [
        { AttributeName: i.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: i.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: attributes },
    });
    await dynamo.send(
      new CreateTableCommand({
        TableName: old,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi5pk', 'gsi5sk'].map((name) => ({
          AttributeName: name,
          AttributeType: 'S' as const,
        })),
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        // gsi5 as it was first written: the list attributes only; gsi2..4 not there yet.
        GlobalSecondaryIndexes: [index(gsi1, [...LIST_INDEX_ATTRIBUTES]), index(gsi5, [...LIST_INDEX_ATTRIBUTES])],
      }),
    );
    const documents = DynamoDBDocumentClient.from(dynamo);
    const item = {
      pk: 'PAY#pay_1',
      sk: 'PAY',
      type: 'payout',
      status: 'settled',
      batchId: 'bat_1',
      createdAt: '2026-11-01T00:00:00.000Z',
      gsi5pk: 'PAY#SETTLED#0',
      gsi5sk: '2026-11-02T00:00:00.000Z#pay_1',
    };
    await documents.send(new PutCommand({ TableName: old, Item: item }));

    await ensureTable(dynamo, old);
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: old }));
    const indexes = Table!.GlobalSecondaryIndexes ?? [];
    expect(indexes.map((i) => i.IndexName).sort()).toEqual(TABLE.indexes.map((i) => i.name).sort());
    expect(indexes.find((i) => i.IndexName === 'gsi5')!.Projection!.NonKeyAttributes!.sort()).toEqual(projectedAttributes(gsi5).sort());
    const found = await documents.send(
      new QueryCommand({
        TableName: old,
        IndexName: 'gsi5',
        KeyConditionExpression: 'gsi5pk = :p',
        ExpressionAttributeValues: { ':p': 'PAY#SETTLED#0' },
      }),
    );
    expect(found.Items).toEqual([expect.objectContaining({ batchId: 'bat_1', createdAt: item.createdAt })]);

    // Run again (every start does): nothing left to change.
    await ensureTable(dynamo, old);
    const again = await dynamo.send(new DescribeTableCommand({ TableName: old }));
    expect(again.Table!.GlobalSecondaryIndexes!.map((i) => i.IndexName).sort()).toEqual(TABLE.indexes.map((i) => i.name).sort());
  }, 150_000);
});
