/**
 * Batch corrections (API.md 1.2) with the handlers in 4 processes per function, one request at a time in each,
 * as Lambda runs them: two corrections of the same failed payouts at once, and a correction racing a late
 * "succeeded" for a failed payout. Nothing in one process can make them take turns: only the claims' conditions
 * in DynamoDB do. Exactly one correction wins, the other is 409 `invalid_state`, a failed payout never settles,
 * and the ledger replays. Every run asserts that the requests were served by several processes, none this one.
 */
import { describe, expect, it } from 'vitest';
import { handlersServedBy, runHandlersInProcesses } from '#test/support/lambda-processes';
import { asApprover, asFinance, asRequester, batchBody, useBatchHarness, batchRow, COUNTY } from '../integration/batch-harness.ts';

const PROCESSES = 4;
runHandlersInProcesses(PROCESSES);

const h = useBatchHarness(120_000);
const auditor = { sub: 'aud', roles: ['auditor'] };
let fresh = 7_000;

const get = async (path: string) => (await h.call('GET', path, auditor)).body;
const settle = (payoutId: string, body: unknown) => h.call('POST', `/v1/payouts/${payoutId}/settlement`, { ...asFinance, body });
const correct = (batchId: string, payoutIds: string[], requester: string) =>
  h.call('POST', `/v1/disbursement-batches/${batchId}/corrections`, {
    ...asRequester(requester),
    body: { items: payoutIds.map((payoutId) => ({ payoutId, beneficiary: batchRow(++fresh, 1).beneficiary })), reason: 'new accounts' },
  });

/** A batch of `amounts`, approved and expanded, every payout failed; its payouts in row order. */
async function failedBatch(amounts: number[]): Promise<{ batchId: string; payouts: string[] }> {
  const fundId = await h.fund({ dualApprovalThreshold: 10_000_000_000_000, allocations: { [COUNTY]: 10_000_000_000 } });
  const created = await h.call('POST', '/v1/disbursement-batches', { ...asRequester(), body: batchBody(fundId, amounts) });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const batchId = created.body.batchId as string;
  expect((await h.call('POST', `/v1/disbursement-batches/${batchId}/approve`, { ...asApprover('approver-1'), body: {} })).status).toBe(200);
  await h.data.batches.expandBatch(batchId);
  const listed = (await get(`/v1/disbursement-batches/${batchId}/payouts?limit=100`)).items as { payoutId: string; amount: number }[];
  const payouts = amounts.map((a) => listed.find((p) => p.amount === a)!.payoutId);
  for (const id of payouts) expect((await settle(id, { outcome: 'failed', failureCode: 'invalid_account' })).status).toBe(200);
  return { batchId, payouts };
}

/** The processes that served `fn`: several, and never the test's own. */
function expectSeveralProcesses(fn: string): void {
  const pids = handlersServedBy()[`http/${fn}`] ?? [];
  expect(new Set(pids).size, `processes that served ${fn}`).toBeGreaterThanOrEqual(2);
  expect(pids).not.toContain(process.pid);
}

describe(`batch corrections with handlers in ${PROCESSES} processes per function`, () => {
  it('two corrections of the same failed payouts at once: exactly one wins, the other is invalid_state', async () => {
    for (let round = 0; round < 3; round++) {
      const { batchId, payouts } = await failedBatch([31_000, 31_001, 31_002, 31_003].map((a) => a + round * 10));
      const replies = await Promise.all([correct(batchId, payouts, 'requester-1'), correct(batchId, payouts, 'requester-2')]);
      const won = replies.filter((r) => r.status === 201);
      expect(won, JSON.stringify(replies.map((r) => r.body))).toHaveLength(1);
      const lost = replies.find((r) => r.status !== 201)!;
      expect([lost.status, lost.body.code]).toEqual([409, 'invalid_state']);
      const winner = won[0]!.body.batchId as string;
      for (const id of payouts) expect(await get(`/v1/payouts/${id}`)).toMatchObject({ status: 'failed', correctedBy: winner });
      // Corrected once: a third try is refused too.
      expect((await correct(batchId, payouts.slice(0, 1), 'requester-3')).body.code).toBe('invalid_state');
    }
    expectSeveralProcesses('batches');
    expect((await h.checkLedger()).differences).toEqual([]);
  });

  it('a correction racing a late "succeeded" for each failed payout: the payouts stay failed and are corrected once', async () => {
    for (let round = 0; round < 3; round++) {
      const { batchId, payouts } = await failedBatch([32_000, 32_001].map((a) => a + round * 10));
      const [correction, ...late] = await Promise.all([
        correct(batchId, payouts, 'requester-1'),
        ...payouts.map((id, n) => settle(id, { outcome: 'succeeded', bankReference: `LATE-${round}-${n}` })),
      ]);
      expect(correction.status, JSON.stringify(correction.body)).toBe(201);
      for (const r of late) expect([r.status, r.body.code]).toEqual([409, 'invalid_state']);
      for (const id of payouts)
        expect(await get(`/v1/payouts/${id}`)).toMatchObject({
          status: 'failed',
          correctedBy: correction.body.batchId,
          bankReference: null,
        });
    }
    expectSeveralProcesses('payouts');
    expect((await h.checkLedger()).differences).toEqual([]);
  });
});
