/**
 * A filtered list reads a bounded amount of data per request (contract, Route permissions): with many
 * items that do not match, a request returns a short (possibly empty) page and a cursor that goes on
 * where the read stopped, and paging through still returns every match exactly once, in order. Items
 * read are counted from DynamoDB's own ScannedCount on every Query the handlers send.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BatchWriteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import type { Payout, PayoutStatus } from '#shared/domain/payouts';
import { newId } from '#shared/ids';
import { asRequester, COUNTY, disbursementBody, FINANCE_SYSTEM, useMoneyHarness } from './disbursement-harness.ts';
import { fixturePayout } from '#test/support/payout-fixture';

const h = useMoneyHarness();
let documents: typeof import('#shared/data/platform/clients').documents;
let pageReadBudget: typeof import('#shared/data/platform/query').pageReadBudget;
let fundId: string;
/** The fund's own disbursements, oldest first, among many of another fund. */
const matching: string[] = [];
const read = { sub: 'aud', roles: ['auditor'] };
const unknownFund = newId('fund');
/** Another fund's id, for items of funds the caller does not ask for. */
const OTHER_FUND = newId('fund');

/** Items DynamoDB read (kept by the filter or not) for each request made inside `during`. */
let scanned = 0;

async function writeAll(items: Record<string, unknown>[]) {
  for (let i = 0; i < items.length; i += 25) {
    const RequestItems = { [h.services.tableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) };
    await documents.send(new BatchWriteCommand({ RequestItems }));
  }
}

/** Another fund's disbursement, as the list index sees it: the filter rejects it, nothing else reads it. */
function otherFundDisbursement(): Record<string, unknown> {
  // A plain (not monotonic) ULID of this millisecond, so it sorts among the real disbursements created around it.
  const disbursementId = `dsb_${ulid(Date.now())}`;
  return {
    pk: `DSB#${disbursementId}`,
    sk: 'DSB',
    type: 'disbursement',
    status: 'pending_approval',
    fundId: OTHER_FUND,
    gsi1pk: 'DSBS',
    gsi1sk: disbursementId,
  };
}

const pause = () => new Promise((r) => setTimeout(r, 3));

beforeAll(async () => {
  ({ documents } = await import('#shared/data/platform/clients'));
  ({ pageReadBudget } = await import('#shared/data/platform/query'));
  fundId = await h.fund({ allocations: { [COUNTY]: 10_000_000 } });
  const others: Record<string, unknown>[] = Array.from({ length: 250 }, otherFundDisbursement);
  for (let i = 0; i < 4; i++) {
    await pause();
    const created = await h.call('POST', '/v1/disbursements', { ...asRequester(), body: disbursementBody(fundId, 1_000 + i) });
    expect(created.status).toBe(201);
    matching.push(created.body.disbursementId);
    await pause();
    others.push(...Array.from({ length: 250 }, otherFundDisbursement));
  }
  // The fund's disbursements lie among the others, not all at one end.
  expect(others.filter((o) => String(o.gsi1sk) > matching[0]! && String(o.gsi1sk) < matching.at(-1)!).length).toBeGreaterThan(500);
  await writeAll(others);

  const send = documents.send.bind(documents) as (command: unknown) => Promise<{ ScannedCount?: number }>;
  vi.spyOn(documents, 'send').mockImplementation((async (command: unknown) => {
    const output = await send(command);
    if (command instanceof QueryCommand) scanned += output.ScannedCount ?? 0;
    return output;
  }) as never);
});

afterEach(() => {
  scanned = 0;
});

/** Pages through a list, asserting each request's read stays within `bound`; returns the ids in order. */
async function pageThrough(list: (cursor?: string) => Promise<{ ids: string[]; nextCursor: string | null }>, bound: number) {
  const ids: string[] = [];
  let requests = 0;
  let cursor: string | undefined;
  do {
    scanned = 0;
    const page = await list(cursor);
    requests++;
    expect(scanned).toBeLessThanOrEqual(bound);
    ids.push(...page.ids);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return { ids, requests };
}

describe('a filter that matches little', () => {
  const listDisbursements = (query: Record<string, string>) => async (cursor?: string) => {
    const res = await h.call('GET', '/v1/disbursements', { ...read, query: { ...query, ...(cursor ? { cursor } : {}) } });
    expect(res.status).toBe(200);
    return { ids: res.body.items.map((d: { disbursementId: string }) => d.disbursementId), nextCursor: res.body.nextCursor };
  };

  it('an unknown fund: one request reads at most its budget and answers a short page with a cursor', async () => {
    const res = await h.call('GET', '/v1/disbursements', { ...read, query: { fundId: unknownFund } });
    expect(res.status).toBe(200);
    expect(scanned).toBeLessThanOrEqual(pageReadBudget(25));
    expect(res.body.items).toEqual([]);
    expect(res.body.nextCursor).toEqual(expect.any(String));
  });

  it('an unknown fund, paged to the end: never more than the budget per request, and nothing found', async () => {
    const { ids, requests } = await pageThrough(listDisbursements({ fundId: unknownFund, limit: '100' }), pageReadBudget(100));
    expect(ids).toEqual([]);
    expect(requests).toBeGreaterThan(1);
  });

  it.each([1, 2, 25])('the fund among 1,250 others, %i a page: each disbursement once, newest first', async (limit) => {
    const { ids } = await pageThrough(listDisbursements({ fundId, limit: String(limit) }), pageReadBudget(limit));
    expect(ids).toEqual([...matching].reverse());
  });

  it.each([1, 25])(
    "a finance system's own disbursements among 1,250 of funds it does not pay, %i a page: within the budget, each once, newest first",
    async (limit) => {
      const listed = (caller: { sub: string; roles: string[] }) => async (cursor?: string) => {
        const res = await h.call('GET', '/v1/disbursements', { ...caller, query: { limit: String(limit), ...(cursor ? { cursor } : {}) } });
        expect(res.status).toBe(200);
        return { ids: res.body.items.map((d: { disbursementId: string }) => d.disbursementId), nextCursor: res.body.nextCursor };
      };
      const mine = await pageThrough(listed({ sub: FINANCE_SYSTEM, roles: ['finance-system'] }), pageReadBudget(limit));
      expect(mine.ids).toEqual([...matching].reverse());
      const none = await pageThrough(listed({ sub: 'finance-none', roles: ['finance-system'] }), pageReadBudget(limit));
      expect(none.ids).toEqual([]);
      expect(none.requests).toBeGreaterThan(1);
    },
  );

  it('a cursor that stopped in the middle still belongs to its query', async () => {
    const first = await h.call('GET', '/v1/disbursements', { ...read, query: { fundId, limit: '1' } });
    const other = await h.call('GET', '/v1/disbursements', { ...read, query: { fundId: unknownFund, cursor: first.body.nextCursor } });
    expect([other.status, other.body.code]).toEqual([400, 'validation_failed']);
  });
});

describe('a batch payout filter that matches little (sharded listing)', () => {
  const batchId = newId('batch');
  const settled: string[] = [];

  beforeAll(async () => {
    const { payoutPutStep } = h.data.payouts;
    const items: Record<string, unknown>[] = [];
    const start = Date.now() - 60_000;
    for (let n = 0; n < 1_200; n++) {
      const at = new Date(start + n);
      const status: PayoutStatus = n % 200 === 100 ? 'settled' : 'queued';
      const payout: Payout = fixturePayout(n, {
        payoutId: newId('payout', at.getTime()),
        batchId,
        fundId: 'fund_lists',
        countyCode: COUNTY,
        status,
        createdAt: at.toISOString(),
      });
      if (status === 'settled') settled.push(payout.payoutId);
      items.push(payoutPutStep(payout, newId('message', at.getTime()), { payer: 'finance-1' }).item.Put!.Item as Record<string, unknown>);
    }
    await writeAll(items);
  });

  it.each([1, 3, 25])(
    '%i a page: each request within the budget (plus rounding per shard), every settled payout once, newest first',
    async (limit) => {
      const bound = pageReadBudget(limit) + h.data.payouts.PAYOUT_LIST_SHARDS;
      const { ids } = await pageThrough(async (cursor) => {
        const page = await h.data.payouts.listPayouts({ batchId, status: 'settled', limit, cursor });
        expect(page.items.length).toBeLessThanOrEqual(limit);
        return { ids: page.items.map((p) => p.payoutId), nextCursor: page.nextCursor };
      }, bound);
      expect(ids).toEqual([...settled].reverse());
    },
  );
});

describe('a created range among many payouts (a key condition, not a filter)', () => {
  const inRange: string[] = [];
  const fundId = newId('fund');
  const ofFund: string[] = [];
  let from = '';
  let to = '';

  beforeAll(async () => {
    const { payoutPutStep } = h.data.payouts;
    const items: Record<string, unknown>[] = [];
    const start = Date.parse('2026-06-01T00:00:00.000Z');
    for (let n = 0; n < 1_000; n++) {
      const at = new Date(start + n * 1_000);
      const payout: Payout = fixturePayout(n, {
        payoutId: newId('payout', at.getTime()),
        batchId: null,
        fundId: n % 50 === 0 ? fundId : OTHER_FUND,
        countyCode: COUNTY,
        status: 'queued',
        createdAt: at.toISOString(),
      });
      if (n >= 500 && n < 506) inRange.push(payout.payoutId);
      if (payout.fundId === fundId && n >= 500) ofFund.push(payout.payoutId);
      items.push(payoutPutStep(payout, newId('message', at.getTime()), { payer: 'finance-1' }).item.Put!.Item as Record<string, unknown>);
    }
    from = new Date(start + 500_000).toISOString();
    to = new Date(start + 505_000).toISOString();
    await writeAll(items);
  });

  it.each([1, 4])('%i a page: each request reads at most (limit + 1) index items a shard, the range newest first', async (limit) => {
    const bound = (limit + 1) * h.data.payouts.PAYOUT_LIST_SHARDS;
    const { ids } = await pageThrough(async (cursor) => {
      const res = await h.call('GET', '/v1/payouts', {
        ...read,
        query: { createdFrom: from, createdTo: to, limit: String(limit), ...(cursor ? { cursor } : {}) },
      });
      expect(res.status).toBe(200);
      return { ids: res.body.items.map((p: { payoutId: string }) => p.payoutId), nextCursor: res.body.nextCursor };
    }, bound);
    expect(ids).toEqual([...inRange].reverse());
  });

  it('with a fund filter over a wide range: within the read budget per request, every match in the range once', async () => {
    const bound = pageReadBudget(2) + h.data.payouts.PAYOUT_LIST_SHARDS;
    const { ids } = await pageThrough(async (cursor) => {
      const page = await h.data.payouts.listPayouts({ fundId, createdFrom: from, createdTo: '2026-12-31T23:59:59Z', limit: 2, cursor });
      return { ids: page.items.map((p) => p.payoutId), nextCursor: page.nextCursor };
    }, bound);
    expect(ids).toEqual([...ofFund].reverse());
  });
});
