/**
 * The half-year report through its route on DynamoDB Local: its JSON figures equal the ledger's (paid, and paid in
 * the half, per county), failures and flags come from the counters kept in the transactions that made them, the
 * printable page and the PDF (read back with pdftotext) show the same figures, and a half that does not exist yet,
 * or is not one, is 404. The fund's public view and page: the same aggregates, a page of counties at a time, no
 * name or account anywhere.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { halfOf } from '#shared/domain/half-year-report';
import { formatYuan } from '#shared/report/half-year-document';
import {
  ACCOUNT_NUMBER,
  asRequester,
  beneficiaryNo,
  COUNTY,
  disbursementBody,
  useMoneyHarness,
  OTHER_COUNTY,
} from './disbursement-harness.ts';
import { htmlText, pdfText } from '#test/support/document-text';

const h = useMoneyHarness();
let fundId: string;
const admin = { sub: 'admin-1', roles: ['fund-admin'] };
const auditor = { sub: 'auditor-1', roles: ['auditor'] };
const half = halfOf(new Date());
let accounts = 0;
async function payout(countyCode: string, amount: number): Promise<string> {
  const overrides = { countyCode, beneficiary: beneficiaryNo(7_000 + accounts++) };
  return (await h.approvedPayout(fundId, amount, { overrides, approver: 'checker-1' })).payoutId;
}
const settle = (payoutId: string, body: unknown) => h.settle(payoutId, body);

beforeAll(async () => {
  fundId = await h.fund({ allocations: { [COUNTY]: 10_000_000, [OTHER_COUNTY]: 4_000_000 } });
  // Paid: 2,500 + 1,250 in one county, 700 in the other; failed: one account_closed (900), one unspecified (300).
  for (const [county, amount] of [
    [COUNTY, 2_500],
    [COUNTY, 1_250],
    [OTHER_COUNTY, 700],
  ] as const) {
    expect((await settle(await payout(county, amount), { outcome: 'succeeded', bankReference: `BR-${amount}` })).status).toBe(200);
  }
  expect((await settle(await payout(COUNTY, 900), { outcome: 'failed', failureCode: 'account_closed' })).status).toBe(200);
  expect((await settle(await payout(OTHER_COUNTY, 300), { outcome: 'failed', failureReason: 'returned' })).status).toBe(200);
  // Two disbursements to one account: the second is flagged, then cleared by a fund-admin.
  await h.call('POST', '/v1/disbursements', { ...asRequester(), body: disbursementBody(fundId, 100) });
  const flagged = await h.call('POST', '/v1/disbursements', { ...asRequester(), body: disbursementBody(fundId, 200) });
  expect(flagged.body.flags).toHaveLength(1);
  const cleared = await h.call('POST', `/v1/disbursements/${flagged.body.disbursementId}/clear-flags`, {
    ...admin,
    body: { reason: 'same co-op' },
  });
  expect(cleared.status, JSON.stringify(cleared.body)).toBe(200);
});

describe('the half-year report', () => {
  it("has the ledger's figures: paid and paid in the half per county, failures by code, flags raised and cleared", async () => {
    const reply = await h.call('GET', `/v1/funds/${fundId}/reports/${half}`, auditor);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    const report = reply.body;
    const ledger = await h.call('GET', `/v1/funds/${fundId}/ledger`, { ...admin, query: { limit: '100' } });
    const paidBy = new Map<string, number>();
    for (const e of ledger.body.items as { countyCode: string; kind: string; amount: number }[]) {
      if (e.kind === 'paid') paidBy.set(e.countyCode, (paidBy.get(e.countyCode) ?? 0) + e.amount);
    }
    expect(paidBy.get(COUNTY)).toBe(3_750);
    for (const c of report.counties as { countyCode: string; paid: number; paidInHalf: number }[]) {
      expect(c.paid).toBe(paidBy.get(c.countyCode) ?? 0);
      expect(c.paidInHalf).toBe(paidBy.get(c.countyCode) ?? 0);
    }
    expect(report.budget).toMatchObject({
      allocated: 14_000_000,
      paid: 4_450,
      paidInHalf: 4_450,
      unallocated: report.budget.totalBudget - 14_000_000,
    });
    expect(report.failures).toEqual([
      { code: 'account_closed', count: 1, amount: 900 },
      { code: 'unspecified', count: 1, amount: 300 },
    ]);
    expect(report.flags).toEqual([{ code: 'duplicate_beneficiary', raised: 1, cleared: 1 }]);
    expect(report.objections).toEqual({ upheld: 0, dismissed: 0 });
    expect(report.notices).toEqual({ published: 0 });
    expect(reply.text).not.toContain(ACCOUNT_NUMBER);
  });

  it('shows the same figures as a printable page and as a PDF', async () => {
    const json = (await h.call('GET', `/v1/funds/${fundId}/reports/${half}`, admin)).body;
    const page = await h.call('GET', `/v1/funds/${fundId}/reports/${half}`, { ...admin, headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.contentType).toMatch(/^text\/html/);
    const pdf = await h.call('GET', `/v1/funds/${fundId}/reports/${half}`, {
      ...admin,
      headers: { accept: 'application/pdf, text/html;q=0.5' },
    });
    expect(pdf.status).toBe(200);
    expect(pdf.contentType).toBe('application/pdf');
    expect(pdf.bytes!.subarray(0, 5).toString()).toBe('%PDF-');
    const texts = { html: htmlText(page.text), pdf: pdfText(pdf.bytes!) };
    const figures = [
      formatYuan(json.budget.allocated),
      formatYuan(json.budget.paid),
      formatYuan(json.budget.paidInHalf),
      formatYuan(900),
      formatYuan(300),
      'account_closed',
      COUNTY,
      OTHER_COUNTY,
    ];
    for (const [kind, text] of Object.entries(texts)) {
      for (const figure of figures) expect(text, `${kind} shows ${figure}`).toContain(figure);
    }
  });

  it("counts a batch's cleared row flags by their codes", async () => {
    const batchFund = await h.fund({ allocations: { [COUNTY]: 10_000_000 } });
    const rules = [
      { code: 'duplicate_beneficiary', severity: 'high', params: {} },
      { code: 'large_amount', severity: 'medium', params: { minAmount: 50_000 } },
    ];
    expect((await h.call('PUT', `/v1/funds/${batchFund}/warning-rules`, { ...admin, body: { rules } })).status).toBe(200);
    const twice = beneficiaryNo(7_900);
    const batch = await h.call('POST', '/v1/disbursement-batches', {
      ...asRequester(),
      body: {
        fundId: batchFund,
        countyCode: COUNTY,
        purpose: 'produce-subsidy',
        items: [
          { beneficiary: twice, amount: 1_000 },
          { beneficiary: twice, amount: 1_000 },
          { beneficiary: beneficiaryNo(7_901), amount: 80_000 },
        ],
      },
    });
    expect(batch.status, JSON.stringify(batch.body)).toBe(201);
    expect(batch.body.flags).toEqual({ count: 3, cleared: false });
    const cleared = await h.call('POST', `/v1/disbursement-batches/${batch.body.batchId}/clear-flags`, {
      ...admin,
      body: { reason: 'one household, two plots; the large one checked' },
    });
    expect(cleared.status, JSON.stringify(cleared.body)).toBe(200);
    const report = await h.call('GET', `/v1/funds/${batchFund}/reports/${half}`, auditor);
    expect(report.body.flags).toEqual([
      { code: 'duplicate_beneficiary', raised: 2, cleared: 2 },
      { code: 'large_amount', raised: 1, cleared: 1 },
    ]);
  });

  it('is 404 for a half not started yet, before the fund, or not a half at all', async () => {
    const year = Number(half.slice(0, 4));
    for (const name of [`${year + 1}-H1`, '2001-H2', `${year}-H3`, `${year}-h1`, 'latest']) {
      const reply = await h.call('GET', `/v1/funds/${fundId}/reports/${name}`, admin);
      expect({ name, status: reply.status, code: reply.body.code }).toEqual({ name, status: 404, code: 'not_found' });
    }
    expect((await h.call('GET', `/v1/funds/fund_01M8MB7QKGZ7EXTNFH95G3P5TD/reports/${half}`, admin)).status).toBe(404);
  });
});

describe("the fund's public view", () => {
  it('gives budget, allocation, paid and progress per county, a page at a time, and no person', async () => {
    const first = await h.call('GET', `/public/funds/${fundId}`, { query: { limit: '1' } });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ fundId, allocated: 14_000_000, paid: 4_450, unallocated: first.body.totalBudget - 14_000_000 });
    expect(first.body.counties).toEqual([
      { countyCode: COUNTY, countyName: 'Shizhu', province: 'Chongqing', allocated: 10_000_000, paid: 3_750, progress: 0.000375 },
    ]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await h.call('GET', `/public/funds/${fundId}`, { query: { limit: '1', cursor: first.body.nextCursor } });
    expect(second.body.counties.map((c: { countyCode: string }) => c.countyCode)).toEqual([OTHER_COUNTY]);
    expect(second.body.nextCursor).toBeNull();
    const forged = await h.call('GET', `/public/funds/${fundId}`, { query: { cursor: `${first.body.nextCursor}x` } });
    expect(forged.status).toBe(400);
    const page = await h.call('GET', `/transparency/${fundId}`);
    expect(page.status).toBe(200);
    expect(page.contentType).toMatch(/^text\/html/);
    expect(htmlText(page.text)).toContain(formatYuan(4_450));
    for (const text of [first.text, second.text, page.text]) {
      for (const personal of [ACCOUNT_NUMBER, 'Huangshui', 'Cooperative 70', 'requester-1', 'checker-1', 'finance-1']) {
        expect(text).not.toContain(personal);
      }
    }
    expect((await h.call('GET', '/public/funds/fund_01M8MB7QKGZ7EXTNFH95G3P5TD')).status).toBe(404);
  });

  it('counts snapshots: the latest hash is shown', async () => {
    const taken = await h.call('POST', `/v1/funds/${fundId}/snapshots`, { ...admin, body: {} });
    expect(taken.status).toBe(201);
    const view = await h.call('GET', `/public/funds/${fundId}`);
    expect(view.body.latestSnapshot).toEqual({
      snapshotId: taken.body.snapshotId,
      month: null,
      takenAt: taken.body.takenAt,
      hash: taken.body.hash,
    });
    const report = await h.call('GET', `/v1/funds/${fundId}/reports/${half}`, auditor);
    expect(report.body.snapshots).toEqual([
      { snapshotId: taken.body.snapshotId, kind: 'on_demand', month: null, takenAt: taken.body.takenAt, hash: taken.body.hash },
    ]);
  });
});
