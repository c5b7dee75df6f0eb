/**
 * A batch correction whose process died after its batch was created and before its claims became links
 * (../../shared/data/corrections/items.ts): the payouts stay claimed, still failed, still counted as failures.
 * The outbox sweeper finishes the links from the marker the creation committed, once, however often it runs;
 * the failed payouts are never paid, the correction pays them once, and the ledger replays.
 *
 * The crash is injected where the request would link: the first transaction carrying a link step throws, and
 * nothing of the request runs after it, as when the Lambda process is killed there.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { captureLogs } from '#test/support/log-capture';
import type { TxStep } from '#shared/data/platform/transactions';
import { asApprover, asFinance, asRequester, batchBody, useBatchHarness, batchRow, COUNTY } from '../integration/batch-harness.ts';

const crash = vi.hoisted(() => ({ armed: false, fired: 0 }));

vi.mock('#shared/data/platform/transactions', async (importOriginal) => {
  const real = await importOriginal<typeof import('#shared/data/platform/transactions')>();
  const links = (steps: TxStep[]) => steps.some((s) => s.item.Update?.UpdateExpression?.startsWith('SET correctedBy = :batch') === true);
  return {
    ...real,
    transact: async (steps: TxStep[], token?: string) => {
      if (crash.armed && links(steps)) {
        crash.armed = false;
        crash.fired++;
        throw new Error('process killed before the link');
      }
      return real.transact(steps, token);
    },
  };
});

const h = useBatchHarness();
let sweep: () => Promise<Record<string, { found: number; queued: number } | 'failed'>>;
const auditor = { sub: 'aud', roles: ['auditor'] };

beforeAll(async () => {
  const { SWEEP_SOURCES } = await import('#functions/schedule/outbox-sweeper');
  const { runSweep } = await import('#shared/data/platform/outbox');
  // A sweep well after the crash: its cutoff has passed the correction's creation.
  sweep = () => runSweep(SWEEP_SOURCES, new Date(Date.now() + 60_000));
});

const get = async (path: string) => (await h.call('GET', path, auditor)).body;
const settle = (payoutId: string, body: unknown) => h.call('POST', `/v1/payouts/${payoutId}/settlement`, { ...asFinance, body });

describe('a batch correction killed between its creation and its links', () => {
  it('is linked by the outbox sweeper, once; the failed payouts are paid only through the correction', async () => {
    const amounts = [21_001, 21_002, 21_003];
    const fundId = await h.fund({ dualApprovalThreshold: 10_000_000_000_000, allocations: { [COUNTY]: 10_000_000_000 } });
    const created = await h.call('POST', '/v1/disbursement-batches', { ...asRequester(), body: batchBody(fundId, amounts) });
    const batchId = created.body.batchId as string;
    expect((await h.call('POST', `/v1/disbursement-batches/${batchId}/approve`, { ...asApprover('approver-1'), body: {} })).status).toBe(
      200,
    );
    await h.data.batches.expandBatch(batchId);
    const listed = (await get(`/v1/disbursement-batches/${batchId}/payouts?limit=100`)).items as { payoutId: string; amount: number }[];
    const payouts = amounts.map((a) => listed.find((p) => p.amount === a)!.payoutId);
    for (const id of payouts) expect((await settle(id, { outcome: 'failed', failureCode: 'account_closed' })).status).toBe(200);
    expect((await get(`/v1/payouts/failures?fundId=${fundId}`)).total).toEqual({ count: 3, amount: 63_006 });

    crash.armed = true;
    const logs = captureLogs();
    const died = await h.call('POST', `/v1/disbursement-batches/${batchId}/corrections`, {
      ...asRequester(),
      body: {
        items: payouts.map((payoutId, n) => ({ payoutId, beneficiary: batchRow(9_100 + n, 1).beneficiary })),
        reason: 'new accounts',
      },
    });
    logs.restore();
    expect(crash.fired).toBe(1);
    expect(died.status).toBe(500);
    expect(JSON.stringify(died.body)).not.toContain('process killed');
    expect(logs.text()).toContain('process killed before the link');
    // The batch exists, the payouts are not linked yet and still count as failures.
    const batches = (await get(`/v1/disbursement-batches?fundId=${fundId}&limit=100`)).items as {
      batchId: string;
      correctionOf: string | null;
    }[];
    const correction = batches.find((b) => b.correctionOf === batchId)!.batchId;
    for (const id of payouts) expect((await get(`/v1/payouts/${id}`)).correctedBy).toBeNull();
    expect((await get(`/v1/payouts/failures?fundId=${fundId}`)).total).toEqual({ count: 3, amount: 63_006 });

    const first = await sweep();
    expect(first['correction-links']).toEqual({ found: 1, queued: 1 });
    for (const id of payouts) expect(await get(`/v1/payouts/${id}`)).toMatchObject({ status: 'failed', correctedBy: correction });
    expect((await get(`/v1/payouts/failures?fundId=${fundId}`)).total).toEqual({ count: 0, amount: 0 });
    // Done once: the next sweep finds nothing, and the counters do not move again.
    expect((await sweep())['correction-links']).toEqual({ found: 0, queued: 0 });
    expect((await get(`/v1/payouts/failures?fundId=${fundId}`)).total).toEqual({ count: 0, amount: 0 });

    // Another correction of the same payouts is refused; a late "succeeded" for a failed payout too.
    const again = await h.call('POST', `/v1/disbursement-batches/${batchId}/corrections`, {
      ...asRequester(),
      body: { items: [{ payoutId: payouts[0]!, beneficiary: batchRow(9_200, 1).beneficiary }], reason: 'again' },
    });
    expect([again.status, again.body.code]).toEqual([409, 'invalid_state']);
    expect((await settle(payouts[0]!, { outcome: 'succeeded', bankReference: 'LATE-1' })).body.code).toBe('invalid_state');

    // The correction pays each failed row once, through its own payouts.
    expect((await h.call('POST', `/v1/disbursement-batches/${correction}/approve`, { ...asApprover('approver-1'), body: {} })).status).toBe(
      200,
    );
    await h.data.batches.expandBatch(correction);
    const paid = (await get(`/v1/disbursement-batches/${correction}/payouts?limit=100`)).items as { payoutId: string; amount: number }[];
    expect(paid.map((p) => p.amount).sort()).toEqual(amounts);
    for (const p of paid) expect((await settle(p.payoutId, { outcome: 'succeeded', bankReference: `R-${p.payoutId}` })).status).toBe(200);
    expect(await h.data.funds.findAllocation(fundId, COUNTY)).toMatchObject({ paid: 63_006, reserved: 0 });
    expect((await h.checkLedger()).differences).toEqual([]);
  });

  it('a correction that links in its own request leaves nothing for the sweeper', async () => {
    const fundId = await h.fund({ dualApprovalThreshold: 10_000_000_000_000, allocations: { [COUNTY]: 10_000_000_000 } });
    const created = await h.call('POST', '/v1/disbursement-batches', { ...asRequester(), body: batchBody(fundId, [22_001]) });
    const batchId = created.body.batchId as string;
    await h.call('POST', `/v1/disbursement-batches/${batchId}/approve`, { ...asApprover('approver-1'), body: {} });
    await h.data.batches.expandBatch(batchId);
    const [payout] = (await get(`/v1/disbursement-batches/${batchId}/payouts`)).items as { payoutId: string }[];
    await settle(payout!.payoutId, { outcome: 'failed', failureCode: 'technical' });
    const res = await h.call('POST', `/v1/disbursement-batches/${batchId}/corrections`, {
      ...asRequester(),
      body: { items: [{ payoutId: payout!.payoutId, beneficiary: batchRow(9_300, 1).beneficiary }], reason: 'new account' },
    });
    expect(res.status).toBe(201);
    expect((await sweep())['correction-links']).toEqual({ found: 0, queued: 0 });
  });
});
