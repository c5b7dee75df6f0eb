/**
 * The report of a half that has ended stands as the books stood at its end: allocated, paid and progress come from
 * the snapshot taken at the half's end (or the first after it), so payments made after it change nothing in it;
 * only paid in the half comes from its counter. Without such a snapshot the report keeps today's balances and says
 * so. History is written through the API with the local runtime's clock (X-Local-Clock, past instants only).
 */
import { describe, expect, it } from 'vitest';
import { halfOf, halfYear, halfYearEnd, halfYearStart } from '#shared/domain/half-year-report';
import {
  asApprover,
  asFinance,
  asRequester,
  beneficiaryNo,
  COUNTY,
  disbursementBody,
  useMoneyHarness,
  OTHER_COUNTY,
} from './disbursement-harness.ts';

const h = useMoneyHarness();
const admin = { sub: 'admin-1', roles: ['fund-admin'] };
const auditor = { sub: 'auditor-1', roles: ['auditor'] };
const DAY = 86_400_000;
// The half before the running one: it has ended.
const current = halfYear(halfOf(new Date()))!;
const past = halfYear(halfOf(new Date(halfYearStart(current).getTime() - DAY)))!;
const pastStart = halfYearStart(past).getTime();
const pastEnd = halfYearEnd(past);
const at = (ms: number) => ({ 'x-local-clock': new Date(ms).toISOString() });

let accounts = 0;
/** A payout of `amount` requested, approved and settled at `when` (or now). */
async function paid(fundId: string, countyCode: string, amount: number, when?: number): Promise<void> {
  const headers = when === undefined ? {} : at(when);
  const created = await h.call('POST', '/v1/disbursements', {
    ...asRequester(),
    headers,
    body: disbursementBody(fundId, amount, { countyCode, beneficiary: beneficiaryNo(8_000 + accounts++) }),
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const approved = await h.call('POST', `/v1/disbursements/${created.body.disbursementId}/approve`, {
    ...asApprover('checker-1'),
    headers,
    body: {},
  });
  expect(approved.status, JSON.stringify(approved.body)).toBe(200);
  const settled = await h.call('POST', `/v1/payouts/${approved.body.payoutId}/settlement`, {
    ...asFinance,
    headers,
    body: { outcome: 'succeeded', bankReference: `BR-${accounts}` },
  });
  expect(settled.status, JSON.stringify(settled.body)).toBe(200);
}

/** A fund created, and its allocations set, early in the past half. */
async function pastFund(): Promise<string> {
  const actor = { sub: 'admin-1' };
  const created = await h.data.funds.createFund(
    {
      name: 'Relief fund',
      financeSystem: 'finance-1',
      noticePeriod: 'P0D',
      totalBudget: 1_000_000_000_00,
      dualApprovalThreshold: 100_000_000,
    },
    actor,
    new Date(pastStart + DAY),
  );
  await h.data.funds.setAllocation(created.fundId, COUNTY, 10_000_000, actor, new Date(pastStart + DAY));
  await h.data.funds.setAllocation(created.fundId, OTHER_COUNTY, 4_000_000, actor, new Date(pastStart + DAY));
  return created.fundId;
}

const report = async (fundId: string) => {
  const reply = await h.call('GET', `/v1/funds/${fundId}/reports/${past.half}`, auditor);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  const { generatedAt: _, ...rest } = reply.body;
  return rest;
};

describe('the report of a half that has ended', () => {
  it("shows the books at the half's end from its snapshot: later payments leave it unchanged", async () => {
    const fundId = await pastFund();
    await paid(fundId, COUNTY, 2_500, pastStart + 10 * DAY);
    await paid(fundId, OTHER_COUNTY, 700, pastStart + 20 * DAY);
    // The monthly snapshot of the half's last month, taken at its end (00:00 China time on the 1st after it).
    const month = past.to.slice(0, 7);
    const taken = await h.call('POST', `/v1/funds/${fundId}/snapshots`, { ...admin, headers: at(pastEnd.getTime()), body: { month } });
    expect(taken.status, JSON.stringify(taken.body)).toBe(201);
    expect(taken.body.takenAt).toBe(pastEnd.toISOString());

    const before = await report(fundId);
    expect(before.figuresFrom).toEqual({
      source: 'snapshot',
      snapshot: { snapshotId: taken.body.snapshotId, takenAt: taken.body.takenAt, hash: taken.body.hash },
    });
    expect(before.budget).toMatchObject({ allocated: 14_000_000, paid: 3_200, paidInHalf: 3_200, available: 14_000_000 - 3_200 });
    expect(
      before.counties.map((c: { countyCode: string; paid: number; paidInHalf: number }) => [c.countyCode, c.paid, c.paidInHalf]),
    ).toEqual([
      [COUNTY, 2_500, 2_500],
      [OTHER_COUNTY, 700, 700],
    ]);

    // After the half: more paid, and more allocated, today.
    await paid(fundId, COUNTY, 1_000);
    await paid(fundId, OTHER_COUNTY, 300, pastEnd.getTime() + DAY);
    await h.data.funds.setAllocation(fundId, COUNTY, 12_000_000, { sub: 'admin-1' }, new Date());
    const progress = await h.call('GET', `/v1/funds/${fundId}/progress`, auditor);
    expect(progress.body.counties.map((c: { paid: number }) => c.paid)).toEqual([3_500, 1_000]);

    expect(await report(fundId)).toEqual(before);
  });

  it("keeps today's balances and says so when no snapshot was taken at or after the half's end", async () => {
    const fundId = await pastFund();
    await paid(fundId, COUNTY, 2_500, pastStart + 10 * DAY);
    await paid(fundId, COUNTY, 1_000);
    const r = await report(fundId);
    expect(r.figuresFrom).toEqual({ source: 'live_no_snapshot', snapshot: null });
    expect(r.budget).toMatchObject({ allocated: 14_000_000, paid: 3_500, paidInHalf: 2_500 });
  });
});

describe('the report of the half that runs', () => {
  it("shows today's balances", async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000 } });
    await paid(fundId, COUNTY, 400);
    const reply = await h.call('GET', `/v1/funds/${fundId}/reports/${current.half}`, auditor);
    expect(reply.body.figuresFrom).toEqual({ source: 'live', snapshot: null });
    expect(reply.body.budget).toMatchObject({ paid: 400, paidInHalf: 400 });
  });
});
