/**
 * `settledFrom` / `settledTo` on `GET /v1/payouts`: read by the settlement-time index (gsi5, a key condition on
 * `<settledAt>#<payoutId>`), set by the settlement itself; newest settlement first; with status, fund and the
 * finance system's own funds as filters; the CSV export takes the same filters.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { asFinance, COUNTY, useMoneyHarness } from './disbursement-harness.ts';
import { parseCsv } from '#shared/csv';

const h = useMoneyHarness({}, 120_000);
const settled: { payoutId: string; fundId: string; settledAt: string; status: string }[] = [];
let before = '';
let after = '';

// Each to its own account: a repeated account would be flagged by screening and wait for a clearance.
const approvedPayout = async (fundId: string, amount: number) => (await h.approvedPayout(fundId, amount, { ownAccount: true })).payoutId;

beforeAll(async () => {
  const funds = [await h.fund({ allocations: { [COUNTY]: 10_000_000 } }), await h.fund({ allocations: { [COUNTY]: 10_000_000 } })];
  const unsettled = await approvedPayout(funds[0]!, 100);
  expect(unsettled).toMatch(/^pay_/);
  before = new Date().toISOString();
  for (let n = 0; n < 12; n++) {
    const fundId = funds[n % 2]!;
    const payoutId = await approvedPayout(fundId, 1_000 + n);
    const body = n % 4 === 3 ? { outcome: 'failed', failureReason: 'closed account' } : { outcome: 'succeeded', bankReference: `REF-${n}` };
    const reply = await h.settle(payoutId, body);
    expect(reply.status).toBe(200);
    settled.push({ payoutId, fundId, settledAt: reply.body.settledAt, status: reply.body.status });
  }
  after = new Date().toISOString();
}, 120_000);

const admin = { sub: 'admin-1', roles: ['fund-admin'] };
async function ids(query: Record<string, string>, as = admin): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await h.call('GET', '/v1/payouts', { ...as, query: { ...query, limit: '5', ...(cursor ? { cursor } : {}) } });
    expect(page.status).toBe(200);
    out.push(...page.body.items.map((p: { payoutId: string }) => p.payoutId));
    cursor = page.body.nextCursor ?? undefined;
  } while (cursor);
  return out;
}
const newestSettledFirst = (rows: typeof settled) =>
  [...rows].sort((a, b) => (a.settledAt + a.payoutId < b.settledAt + b.payoutId ? 1 : -1)).map((r) => r.payoutId);

describe('settled date filters', () => {
  it('list exactly the payouts settled in the range, newest settlement first, never an unsettled one', async () => {
    expect(await ids({ settledFrom: before, settledTo: after })).toEqual(newestSettledFirst(settled));
    const cut = settled[5]!.settledAt;
    expect(await ids({ settledFrom: cut })).toEqual(newestSettledFirst(settled.filter((s) => s.settledAt >= cut)));
    expect(await ids({ settledTo: cut })).toEqual(newestSettledFirst(settled.filter((s) => s.settledAt <= cut)));
    expect(await ids({ settledTo: before })).toEqual([]);
  });

  it('take bounds in any RFC 3339 form (no milliseconds, an offset)', async () => {
    const t = new Date(Date.parse(settled[0]!.settledAt) - 1000);
    const plus8 = new Date(t.getTime() + 8 * 3_600_000).toISOString().slice(0, 19) + '+08:00';
    expect(await ids({ settledFrom: plus8 })).toEqual(await ids({ settledFrom: t.toISOString() }));
  });

  it('combine with status and fund', async () => {
    const fundId = settled[1]!.fundId;
    expect(await ids({ settledFrom: before, status: 'failed' })).toEqual(newestSettledFirst(settled.filter((s) => s.status === 'failed')));
    expect(await ids({ settledFrom: before, fundId })).toEqual(newestSettledFirst(settled.filter((s) => s.fundId === fundId)));
  });

  it("show another finance system none of this system's payouts", async () => {
    expect(await ids({ settledFrom: before }, asFinance as typeof admin)).toHaveLength(settled.length);
    expect(await ids({ settledFrom: before }, { sub: 'finance-other', roles: ['finance-system'] })).toEqual([]);
  });

  it('refuse a range that ends before it starts', async () => {
    const bad = await h.call('GET', '/v1/payouts', { ...admin, query: { settledFrom: after, settledTo: before } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
  });

  it('apply to the CSV export too', async () => {
    const reply = await h.call('GET', '/v1/payouts', {
      ...admin,
      query: { settledFrom: before, status: 'settled' },
      headers: { accept: 'text/csv' },
    });
    const rows = parseCsv(reply.text)
      .slice(1)
      .map((r) => r.fields[0]);
    expect(rows).toEqual(newestSettledFirst(settled.filter((s) => s.status === 'settled')));
  });
});
