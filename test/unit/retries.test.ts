/**
 * Reading items by key when DynamoDB keeps handing keys back (`UnprocessedKeys`, its answer under
 * throttling): the read tries again a bounded number of times, then gives up as `StoreThrottled` (a 503
 * to the caller) instead of spinning for ever.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchGetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { useMockedDynamo } from '#test/support/mocked-dynamo';

const ddb = useMockedDynamo();
let query: typeof import('#shared/data/platform/query');
let tx: typeof import('#shared/data/platform/transactions');

beforeAll(async () => {
  query = await import('#shared/data/platform/query');
  tx = await import('#shared/data/platform/transactions');
});

const KEYS = [
  { pk: 'FUND#f1', sk: 'ALLOCATION#500241' },
  { pk: 'FUND#f1', sk: 'ALLOCATION#500242' },
];
const byIndex = { IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': 'x' } };

describe('reading index results by key', () => {
  it('asks again for the keys DynamoDB handed back, and returns every item', async () => {
    ddb.on(QueryCommand).resolves({ Items: KEYS });
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { 'unit-table': [{ ...KEYS[0], amount: 1 }] }, UnprocessedKeys: { 'unit-table': { Keys: [KEYS[1]!] } } })
      .resolves({ Responses: { 'unit-table': [{ ...KEYS[1], amount: 2 }] } });
    const items = await query.queryAll<{ amount: number }>(byIndex);
    expect(items.map((i) => i.amount)).toEqual([1, 2]);
    expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(2);
  });

  it('gives up as StoreThrottled after a bounded number of tries when keys keep coming back', { timeout: 20_000 }, async () => {
    ddb.on(QueryCommand).resolves({ Items: KEYS });
    ddb.on(BatchGetCommand).resolves({ Responses: { 'unit-table': [] }, UnprocessedKeys: { 'unit-table': { Keys: KEYS } } });
    const outcome = await Promise.race([
      query.queryAll(byIndex).then(
        () => 'returned',
        (error: unknown) => error,
      ),
      new Promise((resolve) => setTimeout(() => resolve('still retrying after 15 s'), 15_000)),
    ]);
    expect(outcome).toBeInstanceOf(tx.StoreThrottled);
    expect(ddb.commandCalls(BatchGetCommand).length).toBeLessThanOrEqual(10);
  });
});
