/**
 * POST /v1/disbursement-batches/{id}/corrections and GET /v1/payouts/failures (API.md 1.2) on DynamoDB Local:
 * failed payouts of a batch are corrected by a new batch (`correctionOf`) under every rule of a new batch; each
 * failed payout is corrected at most once (`correctedBy`), also when two corrections race, when a crashed one left
 * its claims behind, and never paid again; the failures summary counts exactly the failed payouts not yet corrected.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { newId } from '#shared/ids';
import { asApprover, asFinance, asRequester, batchBody, useBatchHarness, batchRow, COUNTY, type Call } from './batch-harness.ts';

const h = useBatchHarness();
let documents: typeof import('#shared/data/platform/clients').documents;
const auditor = { sub: 'aud', roles: ['auditor'] };
let fresh = 5000;

beforeAll(async () => {
  ({ documents } = await import('#shared/data/platform/clients'));
});

const get = async (path: string, who: Call = auditor) => (await h.call('GET', path, who)).body;
const settle = (payoutId: string, body: unknown) => h.call('POST', `/v1/payouts/${payoutId}/settlement`, { ...asFinance, body });
const correct = (batchId: string, payoutIds: string[], who = asRequester()) =>
  h.call('POST', `/v1/disbursement-batches/${batchId}/corrections`, {
    ...who,
    body: {
      items: payoutIds.map((payoutId) => ({ payoutId, beneficiary: batchRow(++fresh, 1).beneficiary })),
      reason: 'accounts closed; new accounts given by the village committee',
    },
  });

/** A fund's batch of `amounts`, approved and expanded; its payouts in row order. */
async function expandedBatch(amounts: number[]) {
  const fundId = await h.fund({ dualApprovalThreshold: 10_000_000_000_000, allocations: { [COUNTY]: 10_000_000_000 } });
  const created = await h.call('POST', '/v1/disbursement-batches', { ...asRequester(), body: batchBody(fundId, amounts) });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const batchId = created.body.batchId as string;
  expect((await h.call('POST', `/v1/disbursement-batches/${batchId}/approve`, { ...asApprover('approver-1'), body: {} })).status).toBe(200);
  await h.data.batches.expandBatch(batchId);
  const payouts = (await get(`/v1/disbursement-batches/${batchId}/payouts?limit=100`)).items as { payoutId: string; amount: number }[];
  // Amounts are distinct per row in these tests: row order by amount.
  const byRow = amounts.map((a) => payouts.find((p) => p.amount === a)!.payoutId);
  return { fundId, batchId, payouts: byRow };
}

const failures = (query: string, who: Call = auditor) => h.call('GET', `/v1/payouts/failures${query}`, who);

describe('correcting failed payouts of a batch', () => {
  it('creates a linked batch of the failed rows (amount and memo kept), links each payout once, and pays through it only', async () => {
    const { fundId, batchId, payouts } = await expandedBatch([1_001, 2_002, 3_003]);
    expect((await settle(payouts[0]!, { outcome: 'failed', failureCode: 'account_closed' })).status).toBe(200);
    expect((await settle(payouts[1]!, { outcome: 'failed', failureCode: 'name_mismatch', failureReason: 'name differs' })).status).toBe(
      200,
    );
    expect((await settle(payouts[2]!, { outcome: 'succeeded', bankReference: 'ABC-B-1' })).status).toBe(200);

    const summary = await failures(`?fundId=${fundId}`);
    expect(summary.status).toBe(200);
    expect(summary.body).toEqual({
      total: { count: 2, amount: 3_003 },
      byCode: [
        { failureCode: 'account_closed', count: 1, amount: 1_001 },
        { failureCode: 'name_mismatch', count: 1, amount: 2_002 },
      ],
      byAge: [
        { age: '0-7d', count: 2, amount: 3_003 },
        { age: '8-30d', count: 0, amount: 0 },
        { age: '31-90d', count: 0, amount: 0 },
        { age: '>90d', count: 0, amount: 0 },
      ],
    });
    expect((await failures(`?fundId=${fundId}&countyCode=${COUNTY}`)).body.total).toEqual({ count: 2, amount: 3_003 });

    const res = await correct(batchId, [payouts[1]!, payouts[0]!]);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      fundId,
      countyCode: COUNTY,
      purpose: 'produce-subsidy',
      itemCount: 2,
      totalAmount: 3_003,
      status: 'pending_approval',
      correctionOf: batchId,
    });
    const correction = res.body.batchId as string;
    for (const id of payouts.slice(0, 2))
      expect(await get(`/v1/payouts/${id}`)).toMatchObject({ status: 'failed', correctedBy: correction });
    expect((await get(`/v1/payouts/${payouts[2]}`)).correctedBy).toBeNull();
    expect((await get(`/v1/disbursement-batches/${batchId}`)).correctionOf).toBeNull();
    expect((await failures(`?fundId=${fundId}`)).body).toMatchObject({ total: { count: 0, amount: 0 }, byCode: [] });

    // Rows keep the request's order, with the failed rows' amounts and memos.
    const stored = await h.data.batches.readRows(await h.data.batches.readBatch(correction));
    expect(stored.map((r) => [r.amount, r.memo])).toEqual([
      [2_002, 'row 1'],
      [1_001, 'row 0'],
    ]);

    // Corrected once: again, a settled payout, another batch's payout, a payout named twice: 409 naming it.
    const again = await correct(batchId, [payouts[0]!]);
    expect([again.status, again.body.code]).toEqual([409, 'invalid_state']);
    expect(again.body.detail).toContain(payouts[0]);
    expect((await correct(batchId, [payouts[2]!])).body.detail).toContain(payouts[2]);
    expect((await correct(correction, [payouts[0]!])).body.code).toBe('invalid_state');

    // The failed payouts are never paid; the correction pays once, through its own payouts.
    expect((await settle(payouts[0]!, { outcome: 'succeeded', bankReference: 'ABC-LATE' })).body.code).toBe('invalid_state');
    expect((await h.call('POST', `/v1/disbursement-batches/${correction}/approve`, { ...asApprover('approver-1'), body: {} })).status).toBe(
      200,
    );
    await h.data.batches.expandBatch(correction);
    const newPayouts = (await get(`/v1/disbursement-batches/${correction}/payouts`)).items as { payoutId: string }[];
    expect(newPayouts).toHaveLength(2);
    for (const p of newPayouts)
      expect((await settle(p.payoutId, { outcome: 'succeeded', bankReference: `R-${p.payoutId}` })).status).toBe(200);
    expect((await h.checkLedger()).differences).toEqual([]);
  });

  it('refuses a wrong caller, body or batch, and names an unknown payout', async () => {
    const { batchId, payouts } = await expandedBatch([4_001, 4_002]);
    await settle(payouts[0]!, { outcome: 'failed', failureCode: 'account_frozen' });
    expect((await correct(batchId, [payouts[0]!], asApprover('approver-2'))).status).toBe(403);
    expect((await correct(batchId, [payouts[0]!], asFinance)).status).toBe(403);
    expect((await correct(newId('batch'), [payouts[0]!])).status).toBe(404);
    const unknown = newId('payout');
    expect((await correct(batchId, [unknown])).body).toMatchObject({ status: 409, code: 'invalid_state' });
    expect((await correct(batchId, [payouts[0]!, payouts[0]!])).body.code).toBe('invalid_state');
    for (const body of [{}, { items: [], reason: 'x' }, { items: [{ payoutId: payouts[0] }], reason: 'x' }]) {
      const res = await h.call('POST', `/v1/disbursement-batches/${batchId}/corrections`, { ...asRequester(), body });
      expect([res.status, res.body.code], JSON.stringify(body)).toEqual([400, 'validation_failed']);
    }
    // Nothing was claimed by the refused attempts: the payout is still correctable.
    expect((await correct(batchId, [payouts[0]!])).status).toBe(201);
  });
});

describe('races and crashes', () => {
  it('two corrections of overlapping payouts at once: each payout is corrected by at most one batch, and the loser leaves no claim', async () => {
    for (let round = 0; round < 3; round++) {
      const amounts = [11_000, 11_001, 11_002, 11_003].map((a) => a + round * 10);
      const { batchId, payouts } = await expandedBatch(amounts);
      for (const id of payouts) await settle(id, { outcome: 'failed', failureCode: 'invalid_account' });
      const replies = await Promise.all([correct(batchId, payouts.slice(0, 3)), correct(batchId, payouts.slice(1))]);
      const won = replies.filter((r) => r.status === 201);
      for (const r of replies) if (r.status !== 201) expect([r.status, r.body.code]).toEqual([409, 'invalid_state']);
      expect(won.length).toBeLessThanOrEqual(1);
      const linked = await Promise.all(payouts.map(async (id) => (await get(`/v1/payouts/${id}`)).correctedBy as string | null));
      const winner = won[0]?.body.batchId as string | undefined;
      const named = winner === undefined ? [] : replies[0].status === 201 ? payouts.slice(0, 3) : payouts.slice(1);
      expect(linked).toEqual(payouts.map((id) => (named.includes(id) ? winner : null)));
      // Whatever was not corrected can still be: no claim was left behind.
      const rest = payouts.filter((id) => !named.includes(id));
      expect((await correct(batchId, rest)).status).toBe(201);
    }
    expect((await h.checkLedger()).differences).toEqual([]);
  });

  it('a correction racing a late "succeeded" for a failed payout: the payout stays failed and is corrected once', async () => {
    const { batchId, payouts } = await expandedBatch([12_001, 12_002]);
    for (const id of payouts) await settle(id, { outcome: 'failed', failureCode: 'bank_rejected' });
    const [correction, late] = await Promise.all([
      correct(batchId, payouts),
      settle(payouts[0]!, { outcome: 'succeeded', bankReference: 'ABC-RACE' }),
    ]);
    expect(correction.status).toBe(201);
    expect([late.status, late.body.code]).toEqual([409, 'invalid_state']);
    expect(await get(`/v1/payouts/${payouts[0]}`)).toMatchObject({ status: 'failed', correctedBy: correction.body.batchId });
    expect((await h.checkLedger()).differences).toEqual([]);
  });

  it("a crashed correction's claim: refused while it may still run; taken over once stale and its batch id abandoned", async () => {
    const { batchId, payouts } = await expandedBatch([13_001]);
    await settle(payouts[0]!, { outcome: 'failed', failureCode: 'technical' });
    const ghost = newId('batch');
    const claimAt = async (at: Date) =>
      documents.send(
        new UpdateCommand({
          TableName: h.services.tableName,
          Key: { pk: `PAY#${payouts[0]}`, sk: 'PAY' },
          UpdateExpression: 'SET correctionClaim = :b, correctionClaimedAt = :at',
          ExpressionAttributeValues: { ':b': ghost, ':at': at.toISOString() },
        }),
      );
    await claimAt(new Date());
    const busy = await correct(batchId, payouts);
    expect([busy.status, busy.body.code]).toEqual([409, 'invalid_state']);
    expect(busy.body.detail).toContain(payouts[0]);

    await claimAt(new Date(Date.now() - 10 * 60_000));
    const res = await correct(batchId, payouts);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect((await get(`/v1/payouts/${payouts[0]}`)).correctedBy).toBe(res.body.batchId);
    // The crashed attempt can never create its batch now: its id is abandoned.
    const abandoned = (await h.services.scanTable()).filter((i) => i.pk === `BAT#${ghost}`);
    expect(abandoned.map((i) => i.type)).toEqual(['batch-abandoned']);
  });
});

describe('GET /v1/payouts/failures', () => {
  it('counts by age in days since the failure, and only for the readers of payouts', async () => {
    const { fundId, payouts } = await expandedBatch([14_001, 14_002, 14_003]);
    const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000);
    const settleAt = (id: string, at: Date) =>
      h.data.payouts.settlePayout(id, { outcome: 'failed', failureCode: 'limit_exceeded' }, { sub: asFinance.sub! }, at);
    await settleAt(payouts[0]!, daysAgo(10));
    await settleAt(payouts[1]!, daysAgo(45));
    await settleAt(payouts[2]!, daysAgo(200));
    expect((await failures(`?fundId=${fundId}`)).body.byAge).toEqual([
      { age: '0-7d', count: 0, amount: 0 },
      { age: '8-30d', count: 1, amount: 14_001 },
      { age: '31-90d', count: 1, amount: 14_002 },
      { age: '>90d', count: 1, amount: 14_003 },
    ]);
    // Every fund together counts them too.
    expect((await failures('')).body.total.count).toBeGreaterThanOrEqual(3);

    // The fund's finance system names its fund; another system's fund does not exist for it.
    expect((await failures(`?fundId=${fundId}`, asFinance)).status).toBe(200);
    expect((await failures('', asFinance)).body).toMatchObject({ status: 400, code: 'validation_failed' });
    expect((await failures(`?fundId=${fundId}`, { sub: 'finance-2', roles: ['finance-system'] })).status).toBe(404);
    expect((await failures(`?fundId=${fundId}`, asRequester())).status).toBe(403);
    expect((await failures('?countyCode=12')).status).toBe(400);
  });
});
