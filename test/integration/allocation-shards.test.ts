/**
 * Issue 21: a fund's allocations live in partitions of their own (`ALLOCS#<fundId>#<n>`, n by county code), not in
 * the fund's partition, which every approval and roll-up wrote. Allocations stored before (`FUND#<fundId> /
 * ALLOC#<countyCode>`) keep working: listed and read where they are, and moved to their key, as they are, by their
 * next write (a create's check, a move, an allocation set). The handlers run in 4 processes per function, as Lambda
 * runs them; the movers racing on one stored before each load the ledger's modules afresh (`vi.resetModules`).
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { runHandlersInProcesses } from '#test/support/lambda-processes';
import type { MoneyMove } from '#shared/data/ledger/move';
import {
  asApprover,
  asRequester,
  beneficiaryNo,
  COUNTY,
  disbursementBody,
  moneyHarness,
  OTHER_COUNTY,
  type MoneyHarness,
} from './disbursement-harness.ts';

runHandlersInProcesses(4);

let h: MoneyHarness;
let documents: typeof import('#shared/data/platform/clients').documents;

beforeAll(async () => {
  h = await moneyHarness();
  ({ documents } = await import('#shared/data/platform/clients'));
}, 120_000);

const before = (fundId: string, countyCode: string) => ({ pk: `FUND#${fundId}`, sk: `ALLOC#${countyCode}` });

/** The allocation items of a fund and county wherever they are stored: its shards and the fund's own partition. */
async function storedItems(fundId: string, countyCode: string): Promise<Record<string, unknown>[]> {
  const found: Record<string, unknown>[] = [];
  for (const pk of [`FUND#${fundId}`, ...Array.from({ length: 16 }, (_, n) => `ALLOCS#${fundId}#${n}`)]) {
    const { Items } = await documents.send(
      new QueryCommand({
        TableName: h.services.tableName,
        KeyConditionExpression: 'pk = :pk AND sk = :sk',
        ExpressionAttributeValues: { ':pk': pk, ':sk': `ALLOC#${countyCode}` },
        ConsistentRead: true,
      }),
    );
    found.push(...(Items ?? []));
  }
  return found;
}

/** Moves the county's allocation back to where it was stored before the shards, as it is. */
async function storeAsBefore(fundId: string, countyCode: string): Promise<void> {
  const [item] = await storedItems(fundId, countyCode);
  expect(item).toBeDefined();
  await documents.send(new PutCommand({ TableName: h.services.tableName, Item: { ...item, ...before(fundId, countyCode) } }));
  await documents.send(new DeleteCommand({ TableName: h.services.tableName, Key: { pk: item!.pk, sk: item!.sk } }));
}

/** The one item of the allocation: at its shard, none left in the fund's partition. */
async function expectOneItemAtItsKey(fundId: string, countyCode: string): Promise<Record<string, unknown>> {
  const items = await storedItems(fundId, countyCode);
  expect(items.map((i) => String(i.pk).replace(/#\d+$/, '#n'))).toEqual([`ALLOCS#${fundId}#n`]);
  const { Item } = await documents.send(
    new GetCommand({ TableName: h.services.tableName, Key: before(fundId, countyCode), ConsistentRead: true }),
  );
  expect(Item).toBeUndefined();
  return items[0]!;
}

const balances = (a: Record<string, unknown>) => ({ allocated: a.allocated, reserved: a.reserved, paid: a.paid, available: a.available });

describe('allocations in partitions of their own', () => {
  it('are written to their shard, never to the fund partition, by the allocation set, approvals and settlements', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000 } });
    await expectOneItemAtItsKey(fundId, COUNTY);
    const { payoutId } = await h.approvedPayout(fundId, 100_000, { ownAccount: true });
    expect((await h.settle(payoutId, { outcome: 'succeeded', bankReference: 'R-SHARD-1' })).status).toBe(200);
    expect(balances(await expectOneItemAtItsKey(fundId, COUNTY))).toEqual({
      allocated: 1_000_000,
      reserved: 0,
      paid: 100_000,
      available: 900_000,
    });
    expect((await h.checkLedger()).differences).toEqual([]);
  });

  it('stored before: listed once, in county order, by pages; moved by its first write; approved and settled exactly', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000, [OTHER_COUNTY]: 2_000_000 } });
    await storeAsBefore(fundId, COUNTY);
    // One stored before and one at its shard: both listed, in county order, one a page.
    const first = await h.call('GET', `/v1/funds/${fundId}/allocations`, { ...asRequester(), query: { limit: '1' } });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const second = await h.call('GET', `/v1/funds/${fundId}/allocations`, {
      ...asRequester(),
      query: { limit: '1', cursor: first.body.nextCursor },
    });
    expect([...first.body.items, ...second.body.items].map((a: { countyCode: string }) => a.countyCode)).toEqual([COUNTY, OTHER_COUNTY]);
    expect(second.body.nextCursor).toBeNull();
    // A cursor the listing issued before the shards (the last allocation's key in the fund's partition) goes on after it.
    const { encodeCursor } = await import('#shared/data/platform/cursor');
    const issuedBefore = await encodeCursor(before(fundId, COUNTY), `allocations|${fundId}`);
    const resumed = await h.call('GET', `/v1/funds/${fundId}/allocations`, {
      ...asRequester(),
      query: { limit: '5', cursor: issuedBefore! },
    });
    expect([resumed.body.items.map((a: { countyCode: string }) => a.countyCode), resumed.body.nextCursor]).toEqual([[OTHER_COUNTY], null]);
    const fund = await h.call('GET', `/v1/funds/${fundId}`, { ...asRequester() });
    expect(fund.body).toMatchObject({ allocated: 3_000_000, reserved: 0, paid: 0 });

    // A create's check finds it where it was and moves it, as it is (no ledger entry, the same `seq`).
    const stored = (await storedItems(fundId, COUNTY))[0]!;
    const created = await h.call('POST', '/v1/disbursements', {
      ...asRequester(),
      body: disbursementBody(fundId, 250_000, { beneficiary: beneficiaryNo(7101) }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const moved = await expectOneItemAtItsKey(fundId, COUNTY);
    expect({ ...moved, pk: stored.pk }).toEqual(stored);

    // Stored before again: the approval's move finds it there and moves it; the settlement rolls up on its key.
    await storeAsBefore(fundId, COUNTY);
    const approved = await h.call('POST', `/v1/disbursements/${created.body.disbursementId}/approve`, {
      ...asApprover('checker-1'),
      body: {},
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(balances(await expectOneItemAtItsKey(fundId, COUNTY))).toEqual({
      allocated: 1_000_000,
      reserved: 250_000,
      paid: 0,
      available: 750_000,
    });
    await storeAsBefore(fundId, COUNTY);
    expect((await h.settle(approved.body.payoutId, { outcome: 'succeeded', bankReference: 'R-BEFORE-1' })).status).toBe(200);
    const settled = await expectOneItemAtItsKey(fundId, COUNTY);
    expect(balances(settled)).toEqual({ allocated: 1_000_000, reserved: 0, paid: 250_000, available: 750_000 });
    // The allocation set, the reservation and the payment: three entries, and `seq` counts them.
    expect(settled.seq).toBe(3);
    expect((await h.checkLedger()).differences).toEqual([]);
  });

  it('lists a fund of many counties over its shards and the fund partition once each, in county order, by pages', async () => {
    const { putCounty } = await import('#shared/data/counties/items');
    const codes = Array.from({ length: 14 }, (_, n) => String(510101 + n));
    for (const code of codes)
      await putCounty({ countyCode: code, name: `County ${code}`, province: 'Sichuan', modelCounty: false }, new Date());
    const fundId = await h.fund({ allocations: Object.fromEntries(codes.map((code, n) => [code, 1_000 * (n + 1)])) });
    // Every third stored before: pages mix the fund's partition with the shards.
    for (const code of codes.filter((_, n) => n % 3 === 0)) await storeAsBefore(fundId, code);
    const listed: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await h.call('GET', `/v1/funds/${fundId}/allocations`, {
        ...asRequester(),
        query: { limit: '4', ...(cursor ? { cursor } : {}) },
      });
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      listed.push(...page.body.items.map((a: { countyCode: string }) => a.countyCode));
      cursor = page.body.nextCursor ?? undefined;
    } while (cursor);
    expect(listed).toEqual(codes);
    const fund = await h.call('GET', `/v1/funds/${fundId}`, { ...asRequester() });
    expect(fund.body.allocated).toBe(codes.reduce((sum, _, n) => sum + 1_000 * (n + 1), 0));
    const progress = await h.call('GET', `/v1/funds/${fundId}/progress`, { sub: 'auditor-1', roles: ['auditor'] });
    expect(progress.status, JSON.stringify(progress.body)).toBe(200);
    expect((progress.body.counties as { countyCode: string }[]).map((c) => c.countyCode).sort()).toEqual(codes);
  });

  it('stored before, moved by writers racing with module state of their own: one item, the books exact', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000 } });
    await storeAsBefore(fundId, COUNTY);
    const writers: { move: typeof import('#shared/data/ledger/move'); items: typeof import('#shared/data/ledger/items') }[] = [];
    for (let n = 0; n < 8; n++) {
      vi.resetModules();
      writers.push({ move: await import('#shared/data/ledger/move'), items: await import('#shared/data/ledger/items') });
    }
    const move = (w: (typeof writers)[number], n: number, kind: 'reserve' | 'release'): MoneyMove => ({
      source: w.move.ALLOCATION,
      fundId,
      countyCode: COUNTY,
      move: kind,
      amount: 1_000 + n,
      ref: { disbursementId: `dsb_before_${n}` },
      actor: `writer-${n}`,
      now: new Date(),
    });
    // Half read the allocation to write it (without the turn, as an allocation set does), half reserve and release
    // on it (in its turn): the books as they were, two entries each.
    const positions = await Promise.all(
      writers.map(async (w, n) => {
        if (n % 2 === 0) return w.items.readPosition(fundId, COUNTY);
        await w.move.commitMoney(move(w, n, 'reserve'), (money) => money);
        await w.move.commitMoney(move(w, n, 'release'), (money) => money);
        return undefined;
      }),
    );
    for (const p of positions.filter((p) => p !== undefined)) expect(p).toMatchObject({ fundId, countyCode: COUNTY, allocated: 1_000_000 });
    const item = await expectOneItemAtItsKey(fundId, COUNTY);
    expect(balances(item)).toEqual({ allocated: 1_000_000, reserved: 0, paid: 0, available: 1_000_000 });
    expect(item.seq).toBe(1 + 4 * 2);
    expect((await h.checkLedger()).differences).toEqual([]);
  });
});
