/**
 * GET /v1/disbursement-batches (API.md 1.2) on DynamoDB Local: an approver finds the batches waiting for them
 * without typing an id. Newest first, filtered by status, fund and county, paged without skipping or repeating,
 * a finance system only its funds' batches, and the roles and filters the contract allows.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { asApprover, asFinance, asRequester, batchBody, useBatchHarness, COUNTY, OTHER_COUNTY, type Call } from './batch-harness.ts';

const h = useBatchHarness();
let fundId: string;
let otherFund: string;
/** Created oldest first: [0] and [1] in COUNTY, [2] in OTHER_COUNTY, [3] of the other fund. */
const ids: string[] = [];
const auditor = { sub: 'aud', roles: ['auditor'] };

type BatchPage = {
  items: { batchId: string; status: string; fundId: string; countyCode: string; counts: { queued: number } }[];
  nextCursor: string | null;
};
const list = async (query: string, who: Call = auditor) => {
  const reply = await h.call('GET', `/v1/disbursement-batches${query}`, who);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body as BatchPage;
};

beforeAll(async () => {
  fundId = await h.fund({ allocations: { [COUNTY]: 10_000_000, [OTHER_COUNTY]: 10_000_000 } });
  const created = await h.data.funds.createFund(
    {
      name: 'Another fund',
      financeSystem: 'finance-2',
      noticePeriod: 'P0D',
      totalBudget: 1_000_000_000,
      dualApprovalThreshold: 100_000_000,
    },
    { sub: 'admin-1' },
    new Date(),
  );
  otherFund = created.fundId;
  await h.data.funds.setAllocation(otherFund, COUNTY, 1_000_000, { sub: 'admin-1' }, new Date());
  const bodies = [
    batchBody(fundId, [100, 200]),
    batchBody(fundId, [300]),
    batchBody(fundId, [400], { countyCode: OTHER_COUNTY }),
    batchBody(otherFund, [500]),
  ];
  for (const body of bodies) {
    const reply = await h.call('POST', '/v1/disbursement-batches', { ...asRequester(), body });
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    ids.push((reply.body as { batchId: string }).batchId);
  }
  // The oldest is approved: it leaves the approver's queue.
  expect((await h.call('POST', `/v1/disbursement-batches/${ids[0]}/approve`, { ...asApprover('approver-1'), body: {} })).status).toBe(200);
});

describe('GET /v1/disbursement-batches', () => {
  it('lists every batch newest first, each as GET /v1/disbursement-batches/{id} shows it', async () => {
    const page = await list('');
    expect(page.items.map((b) => b.batchId)).toEqual([...ids].reverse());
    expect(page.nextCursor).toBeNull();
    for (const batch of page.items) {
      const one = await h.call('GET', `/v1/disbursement-batches/${batch.batchId}`, auditor);
      expect(batch).toEqual(one.body);
    }
  });

  it('an approver finds the batches waiting for approval', async () => {
    const page = await list('?status=pending_approval', { sub: 'approver-2', roles: ['approver'] });
    expect(page.items.map((b) => b.batchId)).toEqual([ids[3], ids[2], ids[1]]);
    expect(page.items.every((b) => b.status === 'pending_approval')).toBe(true);
    expect((await list('?status=approved')).items.map((b) => b.batchId)).toEqual([ids[0]]);
  });

  it('filters by fund and by county, together with status', async () => {
    expect((await list(`?fundId=${otherFund}`)).items.map((b) => b.batchId)).toEqual([ids[3]]);
    expect((await list(`?countyCode=${OTHER_COUNTY}`)).items.map((b) => b.batchId)).toEqual([ids[2]]);
    expect((await list(`?fundId=${fundId}&countyCode=${COUNTY}&status=pending_approval`)).items.map((b) => b.batchId)).toEqual([ids[1]]);
    expect((await list('?countyCode=500299')).items).toEqual([]);
  });

  it('pages without skipping or repeating a batch', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: BatchPage = await list(`?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items.map((b) => b.batchId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });

  it('a finance system sees only the batches of the funds it pays', async () => {
    expect((await list('', asFinance)).items.map((b) => b.batchId)).toEqual([ids[2], ids[1], ids[0]]);
    expect((await list('', { sub: 'finance-2', roles: ['finance-system'] })).items.map((b) => b.batchId)).toEqual([ids[3]]);
    expect((await list(`?fundId=${otherFund}`, asFinance)).items).toEqual([]);
  });

  it('refuses other roles, unknown filters, bad values and forged cursors', async () => {
    expect((await h.call('GET', '/v1/disbursement-batches', { sub: 'op', roles: ['campaign-operator'] })).status).toBe(403);
    for (const query of ['?status=paid', '?owner=me', '?limit=0', '?limit=101', '?countyCode=12', '?fundId=dsb_1', '?cursor=forged']) {
      const reply = await h.call('GET', `/v1/disbursement-batches${query}`, auditor);
      expect(reply.status, query).toBe(400);
      expect((reply.body as { code: string }).code, query).toBe('validation_failed');
    }
  });
});
