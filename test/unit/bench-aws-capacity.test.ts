import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DynamoDBClient, PutItemCommand, TransactWriteItemsCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  conditionCheckReadUnits,
  failedWriteCharge,
  itemSize,
  partitionShape,
  unitsPerKb,
  writeCharge,
  type Item,
  type TableShape,
  type UnitsByPartition,
} from '../../bench/aws-capacity.ts';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { busiestPartitions, unitsByShape } from '../../bench/capacity.ts';
import { Meter } from '../../bench/meter.ts';

const table: TableShape = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [
    { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projects: ['status'] },
    { name: 'gsi4', partitionKey: 'gsi4pk', sortKey: 'gsi4sk', projects: 'KEYS_ONLY' },
  ],
};
const S = (s: string): AttributeValue => ({ S: s });
/** An item of exactly `bytes` bytes by AWS's rule: pk 'P' (2 + 1), sk 'S' (2 + 1), and a padding attribute `x`. */
const sized = (bytes: number, extra: Item = {}): Item => {
  const base: Item = { pk: S('P'), sk: S('S'), ...extra };
  return { ...base, x: S('a'.repeat(bytes - itemSize(base) - 1)) };
};

/** A client whose requests never leave the process: each answers `reply`, and an inspector that reads `stored`. */
function metered(stored: Map<string, Item>, reply: (command: string) => unknown) {
  const client = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  client.middlewareStack.add(
    (_next, context) => async () => ({ output: { $metadata: {}, ...(reply(context.commandName!) as object) } as never, response: {} }),
    {
      step: 'finalizeRequest',
      name: 'stub',
    },
  );
  const inspector = {
    send: async (command: { input: { Key: Item } }) => ({ Item: stored.get(command.input.Key.pk!.S!) }),
  } as unknown as DynamoDBClient;
  const meter = new Meter();
  meter.instrumentDynamo(client, inspector);
  return { client, meter };
}

describe("an item's size by AWS's rule (attribute names + values)", () => {
  it('counts strings as UTF-8 bytes of name and value', () => {
    expect(itemSize({ pk: S('FUND#1') })).toBe(2 + 6);
    expect(itemSize({ name: S('农户') })).toBe(4 + 6);
  });

  it('counts numbers as one byte per two significant digits plus one', () => {
    expect(itemSize({ amount: { N: '250000' } })).toBe(6 + 2); // '25': 1 + 1
    expect(itemSize({ n: { N: '-12.50' } })).toBe(1 + 3); // '125': 2 + 1
    expect(itemSize({ n: { N: '0' } })).toBe(1 + 2);
  });

  it('counts booleans and nulls as one byte, binaries by their raw length', () => {
    expect(itemSize({ ok: { BOOL: true }, none: { NULL: true }, b: { B: new Uint8Array(10) } })).toBe(2 + 1 + 4 + 1 + 1 + 10);
  });

  it('adds 3 bytes per list or map and one per element', () => {
    expect(itemSize({ m: { M: { a: S('x') } } })).toBe(1 + 3 + (1 + 1 + 1));
    expect(itemSize({ l: { L: [S('ab'), { BOOL: false }] } })).toBe(1 + 3 + (2 + 1) + (1 + 1));
    expect(itemSize({ l: { L: [] } })).toBe(1 + 3);
    expect(itemSize({ ss: { SS: ['a', 'bc'] } })).toBe(2 + 3);
  });

  it('helper builds items of the size asked', () => {
    expect(itemSize(sized(1024))).toBe(1024);
    expect(itemSize(sized(1025))).toBe(1025);
  });
});

describe('write units by the rule', () => {
  it('rounds each item up per KB, at least one', () => {
    expect([0, 1, 1024, 1025, 4096].map(unitsPerKb)).toEqual([1, 1, 1, 2, 4]);
  });

  it('bills a transactional item twice, a plain write once', () => {
    expect(writeCharge(undefined, sized(1025), table, false).tableUnits).toBe(2);
    expect(writeCharge(undefined, sized(1025), table, true).tableUnits).toBe(4);
    expect(writeCharge(undefined, sized(100), table, true).tableUnits).toBe(2);
  });

  it('bills an update or a delete by the larger of the item before and after', () => {
    expect(writeCharge(sized(3000), sized(100), table, false).tableUnits).toBe(3);
    expect(writeCharge(sized(100), sized(2100), table, false).tableUnits).toBe(3);
    expect(writeCharge(sized(2100), undefined, table, false).tableUnits).toBe(3);
  });

  it('puts the units on the partition key written', () => {
    expect(writeCharge(undefined, sized(10), table, true).byPartition).toEqual({ P: 2 });
  });

  it('holds as a property: table units are the larger size per KB, doubled in a transaction, and every unit lands on a key', () => {
    fc.assert(
      fc.property(fc.integer({ min: 20, max: 10_000 }), fc.integer({ min: 20, max: 10_000 }), fc.boolean(), (a, b, transactional) => {
        const charge = writeCharge(sized(a), sized(b), table, transactional);
        expect(charge.tableUnits).toBe(Math.ceil(Math.max(a, b) / 1024) * (transactional ? 2 : 1));
        const landed = Object.values(charge.byPartition).reduce((sum, u) => sum + u, 0);
        expect(landed).toBe(charge.tableUnits + charge.indexUnits);
      }),
    );
  });
});

describe('index writes', () => {
  const listed = (status: string, extra: Item = {}, bytes = 300) =>
    sized(bytes, { gsi1pk: S('DSB#ALL'), gsi1sk: S('2026'), status: S(status), ...extra });

  it('a new item in an index is one index write on the index partition', () => {
    const charge = writeCharge(undefined, listed('pending'), table, true);
    expect(charge.indexUnits).toBe(1);
    expect(charge.byPartition).toEqual({ P: 2, 'gsi1:DSB#ALL': 1 });
  });

  it('an update that changes no projected attribute costs no index write', () => {
    const before = listed('pending');
    expect(writeCharge(before, { ...before, x: S('b') }, table, false).indexUnits).toBe(0);
  });

  it('an update of a projected attribute is one index write, one whose index keys move is two', () => {
    expect(writeCharge(listed('pending'), listed('approved'), table, false).indexUnits).toBe(1);
    const moved = writeCharge(listed('pending'), listed('pending', { gsi1pk: S('DSB#OTHER') }), table, false);
    expect(moved.indexUnits).toBe(2);
    expect(moved.byPartition).toMatchObject({ 'gsi1:DSB#ALL': 1, 'gsi1:DSB#OTHER': 1 });
  });

  it('leaving a keys-only index is one write there, changing an attribute it does not carry none', () => {
    const outbox = sized(200, { gsi4pk: S('OUTBOX#3'), gsi4sk: S('t') });
    const { gsi4pk: _pk, gsi4sk: _sk, ...left } = outbox;
    expect(writeCharge(outbox, left, table, true).byPartition).toEqual({ P: 2, 'gsi4:OUTBOX#3': 1 });
    expect(writeCharge(outbox, { ...outbox, status: S('done') }, table, true).indexUnits).toBe(0);
  });

  it("sizes an index entry by what it projects, plus AWS's 100 bytes", () => {
    // Keys and status come to about 1,000 bytes: with the 100 bytes of overhead the entry takes two units.
    const big = listed('s'.repeat(980), {}, 2000);
    expect(writeCharge(undefined, big, table, false).indexUnits).toBe(2);
    // The same item without the projected status: the padding is not projected, one unit.
    expect(writeCharge(undefined, listed('', {}, 2000), table, false).indexUnits).toBe(1);
  });
});

describe('failed attempts', () => {
  it('a cancelled transaction pays its prepare phase: one unit per KB of each item, no index writes', () => {
    expect(failedWriteCharge(sized(2100, { gsi1pk: S('A'), gsi1sk: S('B') }), table)).toEqual({
      tableUnits: 3,
      indexUnits: 0,
      byPartition: { P: 3 },
    });
  });

  it('a ConditionCheck reads two units per 4 KB', () => {
    expect(conditionCheckReadUnits(sized(100))).toBe(2);
    expect(conditionCheckReadUnits(sized(5000))).toBe(4);
    expect(conditionCheckReadUnits(undefined)).toBe(2);
  });
});

describe('partition keys in the report', () => {
  it('keeps the literal segments of a key and elides its values', () => {
    expect(partitionShape('LEDGER#3f2c9a')).toBe('LEDGER#…');
    expect(partitionShape('COUNTY#110101')).toBe('COUNTY#…');
    expect(partitionShape('gsi4:OUTBOX#3')).toBe('gsi4:OUTBOX#…');
    expect(partitionShape('gsi2:EVT#TYPE#payout.requested#1')).toBe('gsi2:EVT#TYPE#…#…');
  });

  it('tells a key every lifecycle writes from a key of one entity', () => {
    const tallies: UnitsByPartition[] = [
      { 'LEDGER#f': 8, 'DSB#1': 4, 'DSB#2': 4 },
      { 'LEDGER#f': 8, 'COUNTY#1': 2 },
    ];
    const rounds = { 'LEDGER#f': 2, 'DSB#1': 1, 'DSB#2': 1, 'COUNTY#1': 2 };
    expect(busiestPartitions(tallies, rounds, 2)).toEqual([
      { shape: 'LEDGER#…', unitsPerLifecycle: 8, keys: 1, shared: true },
      { shape: 'COUNTY#…', unitsPerLifecycle: 1, keys: 1, shared: true },
      { shape: 'DSB#…', unitsPerLifecycle: 4, keys: 2, shared: false },
    ]);
    expect(unitsByShape({ 'DSB#1': 4, 'DSB#2': 4, 'LEDGER#f': 2 }, 2)).toEqual({ 'DSB#…': 4, 'LEDGER#…': 1 });
  });

  it('counts the rounds that wrote each key', async () => {
    const { client, meter } = metered(new Map(), () => ({}));
    meter.start({ awsRule: true });
    for (const id of ['1', '2']) {
      meter.nextRound();
      await client.send(new PutItemCommand({ TableName: 't', Item: sized(100, { pk: S(`DSB#${id}`) }) }));
      await client.send(new PutItemCommand({ TableName: 't', Item: sized(100, { pk: S('LEDGER#f') }) }));
      await client.send(new PutItemCommand({ TableName: 't', Item: sized(100, { pk: S('LEDGER#f') }) }));
    }
    expect(meter.stop().roundsByPartition).toEqual({ 'DSB#1': 1, 'DSB#2': 1, 'LEDGER#f': 2 });
  });
});

describe('the meter at the SDK client', () => {
  it('bills a transaction by its items, and DynamoDB Local beside it', async () => {
    const stored = new Map<string, Item>([['LEDGER#f', sized(200, { pk: S('LEDGER#f') })]]);
    const { client, meter } = metered(stored, () => ({
      ConsumedCapacity: [{ TableName: 't', CapacityUnits: 2, Table: { CapacityUnits: 2 } }],
    }));
    meter.start({ awsRule: true });
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: 't', Item: sized(1500, { pk: S('PAY#1') }) } },
          { Put: { TableName: 't', Item: sized(100, { pk: S('EVT#1'), gsi4pk: S('OUTBOX#1'), gsi4sk: S('a') }) } },
          { Delete: { TableName: 't', Key: { pk: S('LEDGER#f'), sk: S('S') } } },
          { ConditionCheck: { TableName: 't', Key: { pk: S('FUND#f'), sk: S('S') }, ConditionExpression: 'attribute_exists(pk)' } },
        ],
      }),
    );
    const totals = meter.stop();
    expect(totals.writeUnits).toBe(4 + 2 + 1 + 2);
    expect(totals.readUnits).toBe(2);
    expect(totals.localWriteUnits).toBe(2);
    expect(Object.values(totals.byOperation)[0]!.byPartition).toEqual({ 'PAY#1': 4, 'EVT#1': 2, 'gsi4:OUTBOX#1': 1, 'LEDGER#f': 2 });
  });

  it('charges a cancelled transaction and a failed condition, which DynamoDB Local reports as nothing', async () => {
    const stored = new Map<string, Item>([['ALLOC#1', sized(1500, { pk: S('ALLOC#1') })]]);
    const { client, meter } = metered(stored, (command) => {
      const name = command === 'TransactWriteItemsCommand' ? 'TransactionCanceledException' : 'ConditionalCheckFailedException';
      throw Object.assign(new Error('cancelled'), { name });
    });
    meter.start({ awsRule: true });
    await expect(
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Update: { TableName: 't', Key: { pk: S('ALLOC#1'), sk: S('S') }, UpdateExpression: 'SET a = :a' } },
            { Put: { TableName: 't', Item: sized(100, { pk: S('LEDGER#f') }) } },
          ],
        }),
      ),
    ).rejects.toThrow('cancelled');
    await expect(client.send(new PutItemCommand({ TableName: 't', Item: sized(100, { pk: S('IDEM#1') }) }))).rejects.toThrow();
    const totals = meter.stop();
    expect(totals.failedAttempts).toBe(2);
    // The allocation as stored (1,500 bytes: 2) and the ledger entry (1) prepared; the claim's Put (1).
    expect(totals.writeUnits).toBe(2 + 1 + 1);
    expect(totals.localWriteUnits).toBe(0);
  });

  it('reads the wire items of the document client, which marshals its input in its own middleware', async () => {
    const { client, meter } = metered(new Map(), () => ({}));
    meter.start({ awsRule: true });
    await DynamoDBDocumentClient.from(client).send(new PutCommand({ TableName: 't', Item: { pk: 'DSB#1', sk: 'DSB', amount: 250_000 } }));
    expect(meter.stop()).toMatchObject({
      writeUnits: 1,
      byOperation: { 'outside an invocation PutItem': { byPartition: { 'DSB#1': 1 } } },
    });
  });

  it('without the rule it reports what DynamoDB Local said, and reads nothing extra', async () => {
    const { client, meter } = metered(new Map(), () => ({ ConsumedCapacity: { TableName: 't', CapacityUnits: 1 } }));
    meter.start();
    await client.send(new PutItemCommand({ TableName: 't', Item: sized(3000) }));
    expect(meter.stop()).toMatchObject({ writeUnits: 1, localWriteUnits: 1, failedAttempts: 0 });
  });
});
