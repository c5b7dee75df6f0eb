/**
 * The every-disbursement (`gsi1`) and by-status (`gsi2`) listings are written across DISBURSEMENT_LIST_SHARDS
 * partitions each, so no index partition takes every disbursement of the deployment (docs/scale.md). Listings merge
 * the shards and the partitions of items stored before them (`DSBS`, `DSB#STATUS#<status>`), newest first, with
 * cursors whose page boundaries fall inside a shard; a transition moves an item stored before into its status shard.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { shardOf } from '#shared/ids';
import { asApprover, asRequester, COUNTY, disbursementBody, useMoneyHarness, type Call } from './disbursement-harness.ts';

const h = useMoneyHarness();
const auditor: Call = { sub: 'aud', roles: ['auditor'] };
let documents: typeof import('#shared/data/platform/clients').documents;
let items: typeof import('#shared/data/disbursements/items');

beforeAll(async () => {
  ({ documents } = await import('#shared/data/platform/clients'));
  items = await import('#shared/data/disbursements/items');
});

/** Every page of `GET /v1/disbursements` with `query`, `limit` at a time, following the cursors. */
async function allPages(query: Record<string, string>, limit: number): Promise<Record<string, unknown>[]> {
  const seen: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await h.call('GET', '/v1/disbursements', {
      ...auditor,
      query: { ...query, limit: String(limit), ...(cursor ? { cursor } : {}) },
    });
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    expect(page.body.items.length).toBeLessThanOrEqual(limit);
    seen.push(...page.body.items);
    cursor = page.body.nextCursor;
    pages++;
  } while (cursor && pages < 100);
  return seen;
}

const ids = (list: Record<string, unknown>[]) => list.map((d) => d.disbursementId as string);

describe('the sharded disbursement listings', () => {
  it('list every shard and the partitions of items stored before, newest first, by pages that split a shard', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 10_000_000 } });
    const otherFund = await h.fund({ allocations: { [COUNTY]: 10_000_000 } });
    const created: string[] = [];
    for (let i = 0; i < 14; i++) {
      const body = disbursementBody(i % 4 === 3 ? otherFund : fundId, 1_000 + i, { beneficiary: h.nextBeneficiary() });
      const reply = await h.call('POST', '/v1/disbursements', { ...asRequester(), body });
      expect(reply.status, JSON.stringify(reply.body)).toBe(201);
      created.push(reply.body.disbursementId as string);
    }
    expect(new Set(created.map((id) => shardOf(id, items.DISBURSEMENT_LIST_SHARDS))).size).toBeGreaterThan(4);
    // Every third one as an earlier version stored it: in `DSBS` and `DSB#STATUS#pending_approval`.
    const before = created.filter((_, i) => i % 3 === 0);
    for (const id of before) {
      await documents.send(
        new UpdateCommand({
          TableName: h.services.tableName,
          Key: { pk: `DSB#${id}`, sk: 'DSB' },
          UpdateExpression: 'SET gsi1pk = :all, gsi2pk = :status',
          ExpressionAttributeValues: { ':all': 'DSBS', ':status': 'DSB#STATUS#pending_approval' },
        }),
      );
    }
    const newestFirst = [...created].reverse();
    const whole = await allPages({}, 100);
    expect(ids(whole)).toEqual(newestFirst);
    for (const limit of [1, 4]) expect(await allPages({}, limit)).toEqual(whole);
    expect(ids(await allPages({ status: 'pending_approval' }, 3))).toEqual(newestFirst);
    // A cursor issued by the listing before the shards (the one partition's last key) goes on after that item.
    const { encodeCursor } = await import('#shared/data/platform/cursor');
    const at = newestFirst.indexOf(before[2]!);
    const plain = await encodeCursor({ pk: `DSB#${before[2]}`, sk: 'DSB', gsi1pk: 'DSBS', gsi1sk: before[2] }, 'disbursements||||');
    const resumed = await h.call('GET', '/v1/disbursements', { ...auditor, query: { limit: '100', cursor: plain! } });
    expect(ids(resumed.body.items)).toEqual(newestFirst.slice(at + 1));
    const ofFund = newestFirst.filter((_, i) => (created.length - 1 - i) % 4 !== 3);
    expect(ids(await allPages({ fundId }, 2))).toEqual(ofFund);
    expect(ids(await allPages({ fundId, status: 'pending_approval' }, 5))).toEqual(ofFund);

    // Approving an item stored before moves its status entry into its shard: listed under its new status only.
    const moved = before.find((id) => ofFund.includes(id))!;
    const approved = await h.call('POST', `/v1/disbursements/${moved}/approve`, { ...asApprover('approver-1'), body: {} });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(ids(await allPages({ status: 'approved' }, 2))).toEqual([moved]);
    expect(ids(await allPages({ status: 'pending_approval' }, 3))).toEqual(newestFirst.filter((id) => id !== moved));
    const stored = (await h.services.scanTable()).find((i) => i.pk === `DSB#${moved}` && i.sk === 'DSB')!;
    expect(stored.gsi2pk).toBe(items.statusIndexKey('approved', moved));
    expect(stored.gsi1pk).toBe('DSBS');
    expect(ids(await allPages({}, 3))).toEqual(newestFirst);
    expect(await h.checkLedger()).toMatchObject({ differences: [] });
  });
});
