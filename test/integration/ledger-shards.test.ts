/**
 * A fund's ledger is written across LEDGER_SHARDS partitions (one county's entries all in one) so that no
 * partition takes the whole fund's entries (docs/scale.md). The fund-wide listing merges the shards and the
 * partition of entries stored before them (`LEDGER#<fundId>`) by sort key: the same order a single partition gave,
 * with cursors whose page boundaries fall inside a shard. The ledger check reads every entry wherever it is.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchWriteCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { newId, shardOf } from '#shared/ids';
import type { LedgerEntry } from '#shared/data/ledger/items';
import { asFinance, COUNTY, OTHER_COUNTY, useMoneyHarness } from './disbursement-harness.ts';

const h = useMoneyHarness();
let documents: typeof import('#shared/data/platform/clients').documents;
let ledger: typeof import('#shared/data/ledger/items');
let entryPutStep: typeof import('#shared/data/ledger/move').entryPutStep;
let listLedger: typeof import('#shared/data/ledger/list').listLedger;

beforeAll(async () => {
  ({ documents } = await import('#shared/data/platform/clients'));
  ledger = await import('#shared/data/ledger/items');
  ({ entryPutStep } = await import('#shared/data/ledger/move'));
  ({ listLedger } = await import('#shared/data/ledger/list'));
});

async function writeAll(items: Record<string, unknown>[]) {
  for (let i = 0; i < items.length; i += 25) {
    const RequestItems = { [h.services.tableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) };
    await documents.send(new BatchWriteCommand({ RequestItems }));
  }
}

/** Every page of a listing, `limit` at a time, following the cursors. */
async function allPages(fundId: string, filter: { countyCode?: string; from?: string; to?: string }, limit: number) {
  const seen: LedgerEntry[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await listLedger(fundId, { ...filter, limit, ...(cursor ? { cursor } : {}) });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    seen.push(...page.items);
    cursor = page.nextCursor ?? undefined;
    pages++;
  } while (cursor && pages < 200);
  return seen;
}

const sortKeyOf = (e: { at: string; countyCode: string; seq: number }) => `${e.at}#${e.countyCode}#${String(e.seq).padStart(12, '0')}`;

describe('the sharded ledger', () => {
  it('lists the shards and the entries stored before them in one time order, by pages that split a shard', async () => {
    const fundId = newId('fund');
    // Twelve counties over several shards, two of them sharing one; entries interleaved in time.
    const counties = Array.from({ length: 12 }, (_, i) => `5101${String(i + 1).padStart(2, '0')}`);
    expect(new Set(counties.map((c) => shardOf(c, ledger.LEDGER_SHARDS))).size).toBeGreaterThan(4);
    expect(new Set(counties.map((c) => shardOf(c, ledger.LEDGER_SHARDS))).size).toBeLessThan(counties.length);
    const base = Date.parse('2026-03-01T00:00:00.000Z');
    const items: Record<string, unknown>[] = [];
    const written: (LedgerEntry & { seq: number })[] = [];
    for (let round = 0; round < 4; round++) {
      counties.forEach((countyCode, c) => {
        const seq = round + 1;
        // Rounds 0 and 1 were stored before the shards, in the fund's one partition.
        const at = new Date(base + (round * counties.length + c) * 1_000 + (c % 3)).toISOString();
        const entry: LedgerEntry = {
          entryId: `${countyCode}-${seq}`,
          at,
          countyCode,
          kind: seq === 1 ? 'allocation_set' : 'reserved',
          amount: 100 * seq,
          ref: {},
          actor: 'admin-1',
          balance: { allocated: 10_000, reserved: 0, paid: 0, available: 10_000 },
        };
        const item = entryPutStep(fundId, entry, seq).item.Put!.Item!;
        items.push({ ...item, pk: round < 2 ? ledger.ledgerPartition(fundId) : ledger.ledgerShard(fundId, countyCode) });
        written.push({ ...entry, seq });
      });
    }
    await writeAll(items);
    const expected = [...written].sort((a, b) => (sortKeyOf(a) < sortKeyOf(b) ? -1 : 1)).map((e) => e.entryId);

    // Pages of 5 over 48 entries in 16 + 1 partitions: boundaries fall inside shards and inside the old partition.
    for (const limit of [5, 7, 100]) {
      expect((await allPages(fundId, {}, limit)).map((e) => e.entryId)).toEqual(expected);
    }
    // A cursor issued by the listing before the shards (its one partition's last key) goes on after that entry.
    const { encodeCursor } = await import('#shared/data/platform/cursor');
    const last = items.find((i) => i.entryId === expected[6])!;
    const plain = await encodeCursor({ pk: last.pk, sk: last.sk }, `ledger|${fundId}|||`);
    const resumed = await listLedger(fundId, { limit: 100, cursor: plain! });
    expect(resumed.items.map((e) => e.entryId)).toEqual(expected.slice(7));
    // One county: its shard and the old partition, in `seq` order.
    const county = counties[4]!;
    const ofCounty = await allPages(fundId, { countyCode: county }, 1);
    expect(ofCounty.map((e) => e.entryId)).toEqual([1, 2, 3, 4].map((seq) => `${county}-${seq}`));
    // A time range [from, to) across the moment the shards began.
    const from = written[counties.length + 3]!.at;
    const to = written[3 * counties.length + 5]!.at;
    const ranged = await allPages(fundId, { from, to }, 4);
    expect(ranged.map((e) => e.entryId)).toEqual(
      written
        .filter((e) => e.at >= from && e.at < to)
        .sort((a, b) => (sortKeyOf(a) < sortKeyOf(b) ? -1 : 1))
        .map((e) => e.entryId),
    );
  });

  it("writes a county's entries to its shard, and the ledger check and listings read them there and where they were before", async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 100_000, [OTHER_COUNTY]: 100_000 } });
    expect(shardOf(COUNTY, ledger.LEDGER_SHARDS)).not.toBe(shardOf(OTHER_COUNTY, ledger.LEDGER_SHARDS));
    for (const countyCode of [COUNTY, OTHER_COUNTY, COUNTY]) {
      const p = await h.approvedPayout(fundId, 1_000, { ownAccount: true, overrides: { countyCode } });
      expect((await h.settle(p.payoutId, { outcome: 'succeeded', bankReference: `BR-${p.payoutId}` })).status).toBe(200);
    }
    const stored = (await h.services.scanTable()).filter((i) => i.type === 'ledger-entry' && i.fundId === fundId);
    expect(stored.length).toBe(2 + 3 * 2);
    for (const item of stored) expect(item.pk).toBe(ledger.ledgerShard(fundId, item.countyCode as string));
    const before = await h.call('GET', `/v1/funds/${fundId}/ledger`, { ...asFinance, query: { limit: '100' } });
    expect(before.body.items).toHaveLength(stored.length);
    expect(await h.checkLedger()).toMatchObject({ differences: [] });

    // The county's first entries as an earlier version stored them: in the fund's one partition.
    const moved = stored.filter((i) => i.countyCode === COUNTY && (i.seq as number) <= 2);
    await documents.send(
      new TransactWriteCommand({
        TransactItems: moved.flatMap((i) => [
          { Delete: { TableName: h.services.tableName, Key: { pk: i.pk, sk: i.sk } } },
          { Put: { TableName: h.services.tableName, Item: { ...i, pk: ledger.ledgerPartition(fundId) } } },
        ]),
      }),
    );
    const after = await h.call('GET', `/v1/funds/${fundId}/ledger`, { ...asFinance, query: { limit: '100' } });
    expect(after.body).toEqual(before.body);
    const paged = await allPages(fundId, {}, 3);
    expect(paged).toEqual(before.body.items);
    const ofCounty = await allPages(fundId, { countyCode: COUNTY }, 2);
    expect(ofCounty.map((e) => e.kind)).toEqual(['allocation_set', 'reserved', 'paid', 'reserved', 'paid']);
    expect(await h.checkLedger()).toMatchObject({ differences: [] });
  });
});
