/**
 * An endpoint's delivery log is written across DELIVERY_LOG_SHARDS partitions (a message's attempts in one), so a
 * finance system's endpoint, which logs every send of its fund, is not one hot partition (docs/scale.md). The
 * attempts listing merges the shards and the lines logged before them (`WHE#<id> / DLV#…`), newest first, by pages
 * that split a shard; the endpoint item in that partition is never listed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { newId, shardOf } from '#shared/ids';
import type { DeliveryAttempt } from '#shared/data/webhook-endpoints/items';
import { useMoneyHarness } from './disbursement-harness.ts';

const h = useMoneyHarness();
let documents: typeof import('#shared/data/platform/clients').documents;
let endpoints: typeof import('#shared/data/webhook-endpoints/items');

beforeAll(async () => {
  ({ documents } = await import('#shared/data/platform/clients'));
  endpoints = await import('#shared/data/webhook-endpoints/items');
});

async function allPages(endpointId: string, limit: number): Promise<DeliveryAttempt[]> {
  const seen: DeliveryAttempt[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await endpoints.listDeliveries(endpointId, { limit, ...(cursor ? { cursor } : {}) });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    seen.push(...page.items);
    cursor = page.nextCursor ?? undefined;
    pages++;
  } while (cursor && pages < 100);
  return seen;
}

describe("an endpoint's sharded delivery log", () => {
  it('lists the shards and the lines logged before them, newest first, by pages that split a shard', async () => {
    const endpoint = await endpoints.createEndpoint({ url: 'https://finance.example/hook', events: ['*'] }, { sub: 'admin-1' }, new Date());
    const messages = Array.from({ length: 10 }, () => newId('message'));
    expect(new Set(messages.map((m) => shardOf(m, endpoints.DELIVERY_LOG_SHARDS))).size).toBeGreaterThan(3);
    const base = Date.parse('2026-05-01T08:00:00.000Z');
    const attempts: DeliveryAttempt[] = [];
    const before: Record<string, unknown>[] = [];
    for (let round = 0; round < 3; round++) {
      for (const [m, messageId] of messages.entries()) {
        const at = new Date(base + (round * messages.length + m) * 1_000).toISOString();
        const attempt: DeliveryAttempt = {
          messageId,
          eventType: 'payout.requested',
          attempt: round + 1,
          outcome: round === 2 ? 'succeeded' : 'failed',
          responseStatus: round === 2 ? 200 : 503,
          error: null,
          durationMs: 10 + m,
          at,
        };
        attempts.push(attempt);
        // The first round as an earlier version logged it: in the endpoint's own partition.
        if (round === 0) {
          before.push({
            pk: `WHE#${endpoint.endpointId}`,
            sk: `DLV#${ulid(Date.parse(at))}`,
            type: 'webhook-delivery',
            endpointId: endpoint.endpointId,
            ...attempt,
          });
        } else {
          await endpoints.recordDeliveryAttempt(endpoint.endpointId, attempt);
        }
      }
    }
    await documents.send(
      new BatchWriteCommand({ RequestItems: { [h.services.tableName]: before.map((Item) => ({ PutRequest: { Item } })) } }),
    );
    const stored = (await h.services.scanTable()).filter((i) => i.type === 'webhook-delivery' && i.endpointId === endpoint.endpointId);
    expect(new Set(stored.map((i) => i.pk)).size).toBeGreaterThan(3);
    for (const line of stored.filter((i) => i.attempt !== 1)) {
      expect(line.pk).toBe(`WHE#${endpoint.endpointId}#${shardOf(line.messageId as string, endpoints.DELIVERY_LOG_SHARDS)}`);
    }

    const newestFirst = [...attempts].reverse();
    for (const limit of [1, 4, 100]) expect(await allPages(endpoint.endpointId, limit)).toEqual(newestFirst);
  });
});
