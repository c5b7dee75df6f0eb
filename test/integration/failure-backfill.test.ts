/**
 * `npm run backfill -- --part failures` (shared/data/failures/backfill.ts): failed payouts written before the
 * failure counters existed (no `failureCounted` mark, no counter items) join the counters, so
 * GET /v1/payouts/failures counts them as it counts new ones; a second run counts nothing twice; a correction of a
 * backfilled payout takes it out again, and the ledger replays.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchWriteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { asApprover, asFinance, asRequester, batchBody, useBatchHarness, batchRow, COUNTY } from './batch-harness.ts';

const h = useBatchHarness();
let backfill: typeof import('#shared/data/failures/backfill').backfillFailureCounters;
let documents: typeof import('#shared/data/platform/clients').documents;
const auditor = { sub: 'aud', roles: ['auditor'] };

beforeAll(async () => {
  ({ backfillFailureCounters: backfill } = await import('#shared/data/failures/backfill'));
  ({ documents } = await import('#shared/data/platform/clients'));
});

const get = async (path: string) => (await h.call('GET', path, auditor)).body;
const settle = (payoutId: string, body: unknown) => h.call('POST', `/v1/payouts/${payoutId}/settlement`, { ...asFinance, body });

/** The table as the code before the failure counters left it: no counter items, no marks on the payouts. */
async function forgetCounters(payoutIds: readonly string[]): Promise<void> {
  const counters = (await h.services.scanTable()).filter((i) => String(i.pk).startsWith('FAILS#'));
  for (let i = 0; i < counters.length; i += 25) {
    await documents.send(
      new BatchWriteCommand({
        RequestItems: {
          [h.services.tableName]: counters.slice(i, i + 25).map((c) => ({ DeleteRequest: { Key: { pk: c.pk, sk: c.sk } } })),
        },
      }),
    );
  }
  for (const id of payoutIds) {
    await documents.send(
      new UpdateCommand({
        TableName: h.services.tableName,
        Key: { pk: `PAY#${id}`, sk: 'PAY' },
        UpdateExpression: 'REMOVE failureCounted',
      }),
    );
  }
}

describe('the failure counters backfill', () => {
  it('counts the payouts that failed before the counters, once, and their correction takes them out', async () => {
    const amounts = [41_001, 41_002, 41_003];
    const fundId = await h.fund({ dualApprovalThreshold: 10_000_000_000_000, allocations: { [COUNTY]: 10_000_000_000 } });
    const created = await h.call('POST', '/v1/disbursement-batches', { ...asRequester(), body: batchBody(fundId, amounts) });
    const batchId = created.body.batchId as string;
    await h.call('POST', `/v1/disbursement-batches/${batchId}/approve`, { ...asApprover('approver-1'), body: {} });
    await h.data.batches.expandBatch(batchId);
    const listed = (await get(`/v1/disbursement-batches/${batchId}/payouts?limit=100`)).items as { payoutId: string; amount: number }[];
    const payouts = amounts.map((a) => listed.find((p) => p.amount === a)!.payoutId);
    await settle(payouts[0]!, { outcome: 'failed', failureCode: 'account_closed' });
    await settle(payouts[1]!, { outcome: 'failed', failureCode: 'name_mismatch' });
    await settle(payouts[2]!, { outcome: 'succeeded', bankReference: 'BF-1' });
    const summary = await get(`/v1/payouts/failures?fundId=${fundId}`);
    expect(summary.total).toEqual({ count: 2, amount: 82_003 });

    await forgetCounters(payouts);
    expect((await get(`/v1/payouts/failures?fundId=${fundId}`)).total).toEqual({ count: 0, amount: 0 });

    expect(await backfill()).toEqual({ scanned: 2, updated: 2 });
    expect(await get(`/v1/payouts/failures?fundId=${fundId}`)).toEqual(summary);
    expect((await get(`/v1/payouts/failures`)).total).toEqual({ count: 2, amount: 82_003 });
    // Again, and twice at once: nothing to count.
    expect(await backfill()).toEqual({ scanned: 0, updated: 0 });
    await forgetCounters([]);
    await documents.send(
      new UpdateCommand({
        TableName: h.services.tableName,
        Key: { pk: `PAY#${payouts[0]}`, sk: 'PAY' },
        UpdateExpression: 'REMOVE failureCounted',
      }),
    );
    const both = await Promise.all([backfill(), backfill()]);
    expect(both.map((c) => c.updated).sort()).toEqual([0, 1]);
    expect((await get(`/v1/payouts/failures?fundId=${fundId}`)).total).toEqual({ count: 1, amount: 41_001 });

    // The correction takes the backfilled payout out of the counters it joined.
    const res = await h.call('POST', `/v1/disbursement-batches/${batchId}/corrections`, {
      ...asRequester(),
      body: { items: [{ payoutId: payouts[0]!, beneficiary: batchRow(9_500, 1).beneficiary }], reason: 'new account' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect((await get(`/v1/payouts/failures?fundId=${fundId}`)).total).toEqual({ count: 0, amount: 0 });
    expect((await h.checkLedger()).differences).toEqual([]);
  });

  it("spreads every fund's counters over FAILS#ALL#<n>, and still reads those written before the shards", async () => {
    const amounts = [42_001, 42_002, 42_003, 42_004, 42_005, 42_006, 42_007, 42_008];
    const fundId = await h.fund({ dualApprovalThreshold: 10_000_000_000_000, allocations: { [COUNTY]: 10_000_000_000 } });
    const created = await h.call('POST', '/v1/disbursement-batches', { ...asRequester(), body: batchBody(fundId, amounts) });
    const batchId = created.body.batchId as string;
    await h.call('POST', `/v1/disbursement-batches/${batchId}/approve`, { ...asApprover('approver-1'), body: {} });
    await h.data.batches.expandBatch(batchId);
    const before = (await get('/v1/payouts/failures')).total as { count: number; amount: number };
    const listed = (await get(`/v1/disbursement-batches/${batchId}/payouts?limit=100`)).items as { payoutId: string }[];
    for (const p of listed) expect((await settle(p.payoutId, { outcome: 'failed', failureCode: 'technical' })).status).toBe(200);
    const total = amounts.reduce((a, b) => a + b, 0);
    expect((await get('/v1/payouts/failures')).total).toEqual({ count: before.count + 8, amount: before.amount + total });
    const partitions = new Set((await h.services.scanTable()).map((i) => String(i.pk)).filter((pk) => pk.startsWith('FAILS#ALL')));
    expect([...partitions].every((pk) => /^FAILS#ALL#[0-3]$/.test(pk))).toBe(true);
    expect(partitions.size).toBeGreaterThan(1);

    // Counters as the code before the shards wrote them: one partition for every fund's.
    const today = new Date().toISOString().slice(0, 10);
    for (const sk of ['TOTAL#technical#0', `DAY#${today}#technical#0`]) {
      await documents.send(
        new PutCommand({
          TableName: h.services.tableName,
          Item: { pk: 'FAILS#ALL', sk, type: 'failure-counter', count: 2, amount: 500 },
        }),
      );
    }
    const summary = await get('/v1/payouts/failures');
    expect(summary.total).toEqual({ count: before.count + 10, amount: before.amount + total + 500 });
    expect(summary.byAge[0]).toMatchObject({ age: '0-7d' });
    expect(summary.byCode).toContainEqual(expect.objectContaining({ failureCode: 'technical' }));
  });
});
