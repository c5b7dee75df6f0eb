/**
 * The outbox index is written across OUTBOX_SHARDS partitions (16 since the per-key arithmetic of docs/scale.md put
 * 8 over 1,000 write units/s at 2,000 payouts/s). The sweeper reads every shard, so an entry written when there
 * were 8 (in `OUTBOX#0..7`) is found as well as one in the new shards.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { newId, shardOf } from '#shared/ids';
import { useLocalServices, type LocalServices } from '#test/support/local-services';

let services: LocalServices;
let events: typeof import('#shared/data/platform/events');
let outbox: typeof import('#shared/data/platform/outbox');
let documents: typeof import('#shared/data/platform/clients').documents;

beforeAll(async () => {
  services = await useLocalServices();
  events = await import('#shared/data/platform/events');
  outbox = await import('#shared/data/platform/outbox');
  ({ documents } = await import('#shared/data/platform/clients'));
});

describe('the outbox shards', () => {
  it('sweep an entry of a new shard and one written when there were 8', async () => {
    expect(events.OUTBOX_SHARDS).toBe(16);
    let late = newId('message');
    while (shardOf(late, events.OUTBOX_SHARDS) < 8) late = newId('message');
    const before = newId('message');
    const due = new Date(Date.now() - 60_000);
    for (const [messageId, partition] of [
      [late, events.outboxShard(late)],
      [before, `OUTBOX#${shardOf(before, 8)}`],
    ] as const) {
      await documents.send(
        new PutCommand({
          TableName: services.tableName,
          Item: { pk: `EVT#${messageId}`, sk: 'EVT', type: 'event', gsi4pk: partition, gsi4sk: events.outboxSortKey(due, messageId) },
        }),
      );
    }
    expect(events.outboxShard(late)).toBe(`OUTBOX#${shardOf(late, 16)}`);
    const found: string[] = [];
    for await (const ids of outbox.overdueEvents(new Date())) found.push(...ids);
    expect(found.sort()).toEqual([late, before].sort());
  });
});
