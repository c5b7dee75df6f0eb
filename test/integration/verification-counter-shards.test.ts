/**
 * A batch's `verifications` counts are spread over counter shards (`BAT#<id> / VERCOUNTS#nn`): an answer moves
 * its own shard, not the head, so that a batch's answers do not queue on one item. The batch's counts are the
 * head's plus every shard's; the final approval conditions on every shard as it read it. Here: answers and
 * final approvals at once never approve a batch with a pending row, and the counts are exact at the end.
 */
import { describe, expect, it } from 'vitest';
import { asApprover, asFinance, asRequester, COUNTY, useMoneyHarness } from './disbursement-harness.ts';

const h = useMoneyHarness();
let n = 0;
const auditor = { sub: 'aud', roles: ['auditor'] };

const verifyingFund = () => h.fund({ accountVerification: 'required', allocations: { [COUNTY]: 100_000_000 } });

function row() {
  const i = ++n;
  const account = {
    bankName: 'Agricultural Bank of China',
    accountName: `Shard grower ${i}`,
    accountNumber: `62228282${String(i).padStart(8, '0')}`,
  };
  return { beneficiary: { kind: 'cooperative', name: account.accountName, account }, amount: 1_000 };
}

async function verifiedBatch(rows: number) {
  const fundId = await verifyingFund();
  const res = await h.call('POST', '/v1/disbursement-batches', {
    ...asRequester(),
    headers: { 'idempotency-key': `vshard-${++n}` },
    body: { fundId, countyCode: COUNTY, purpose: 'produce-subsidy', items: Array.from({ length: rows }, row) },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const batchId = res.body.batchId as string;
  await h.data.verificationRequests.requestBatchVerifications(batchId);
  const listed = await h.call('GET', `/v1/account-verifications?fundId=${fundId}&limit=100`, asFinance);
  expect(listed.status).toBe(200);
  const ids = (listed.body.items as { verificationId: string }[]).map((v) => v.verificationId);
  expect(ids).toHaveLength(rows);
  return { batchId, ids };
}

const approve = (id: string) => h.call('POST', `/v1/disbursement-batches/${id}/approve`, { ...asApprover('approver-1'), body: {} });
const answer = (id: string, result: string) => h.call('POST', `/v1/account-verifications/${id}`, { ...asFinance, body: { result } });
const getBatch = async (id: string) => (await h.call('GET', `/v1/disbursement-batches/${id}`, auditor)).body;

describe('verification counts on counter shards', () => {
  it('never approves a batch with a pending row while answers and final approvals run at once; the counts end exact', async () => {
    const rows = 24;
    const { batchId, ids } = await verifiedBatch(rows);
    const last = ids.at(-1)!;

    // Every answer but one at once, with final approvals in between: each approval is refused.
    const answers = ids.slice(0, -1).map((id) => answer(id, 'match'));
    const approvals = Array.from({ length: 6 }, () => approve(batchId));
    const [answered, tried] = await Promise.all([Promise.all(answers), Promise.all(approvals)]);
    expect(answered.map((r) => r.status)).toEqual(answered.map(() => 200));
    for (const refused of tried) {
      expect(refused.status, JSON.stringify(refused.body)).toBe(409);
      expect(refused.body.code).toBe('account_unverified');
    }
    const before = await getBatch(batchId);
    expect(before.status).toBe('pending_approval');
    expect(before.verifications).toEqual({ pending: 1, match: rows - 1, closeMatch: 0, noMatch: 0, notPossible: 0 });

    // The last answer and approvals at once: an approval either saw it (and approves) or did not (and is refused).
    const [lastAnswer, ...racing] = await Promise.all([answer(last, 'match'), ...Array.from({ length: 4 }, () => approve(batchId))]);
    expect(lastAnswer.status).toBe(200);
    for (const r of racing) expect([200, 409], JSON.stringify(r.body)).toContain(r.status);
    if (!racing.some((r) => r.status === 200)) expect((await approve(batchId)).status).toBe(200);

    const after = await getBatch(batchId);
    expect(after.status).toBe('approved');
    expect(after.approvals).toHaveLength(1);
    expect(after.verifications).toEqual({ pending: 0, match: rows, closeMatch: 0, noMatch: 0, notPossible: 0 });
  });

  it('makes a final approval that read the shards before an answer moved one commit nothing', async () => {
    const { batchId, ids } = await verifiedBatch(2);
    const { readBatch } = await import('#shared/data/batches/items');
    const { verificationShardChecks } = await import('#shared/data/batches/counters');
    const { transact, TransactionConflict } = await import('#shared/data/platform/transactions');
    expect((await answer(ids[0]!, 'match')).status).toBe(200);
    const read = await readBatch(batchId);
    expect(read.verifications).toEqual({ pending: 1, match: 1, closeMatch: 0, noMatch: 0, notPossible: 0 });
    expect((await answer(ids[1]!, 'no_match')).status).toBe(200);
    await expect(transact(verificationShardChecks(batchId, read.verificationShards!))).rejects.toBeInstanceOf(TransactionConflict);
    const fresh = await readBatch(batchId);
    expect(fresh.verifications).toEqual({ pending: 0, match: 1, closeMatch: 0, noMatch: 1, notPossible: 0 });
    expect(fresh.flags).toMatchObject({ count: 1, blocking: 1, byCode: { account_no_match: 1 } });
    await expect(transact(verificationShardChecks(batchId, fresh.verificationShards!))).resolves.toBeUndefined();
  });

  it("spreads a batch's verification flags over the half-year report's shards, and the report counts each once", async () => {
    const rows = 12;
    const { batchId, ids } = await verifiedBatch(rows);
    const fundId = (await getBatch(batchId)).fundId as string;
    for (const id of ids) expect((await answer(id, 'no_match')).status).toBe(200);
    const { readReportStats } = await import('#shared/data/reports/stats');
    const { keys, REPORT_STATS_SHARDS } = await import('#shared/data/platform/keys');
    const { getItem } = await import('#shared/data/platform/query');
    const { halfOf } = await import('#shared/domain/half-year-report');
    const half = halfOf(new Date());
    expect((await readReportStats(fundId, half)).flags).toContainEqual({ code: 'account_no_match', raised: rows, cleared: 0 });
    // Not one shard for the whole batch (every answer of a batch on one item): the answers pick their shards.
    const shards = await Promise.all(Array.from({ length: REPORT_STATS_SHARDS }, (_, n) => getItem(keys.fundReportStats(fundId, half, n))));
    expect(shards.filter((item) => item?.['flag.account_no_match.raised']).length).toBeGreaterThan(1);
  });

  it('keeps a head stored before the shards working: its own moves stay on it, the shards add to them', async () => {
    const { batchId, ids } = await verifiedBatch(2);
    const { documents } = await import('#shared/data/platform/clients');
    const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    const { config } = await import('#shared/config');
    const { keys } = await import('#shared/data/platform/keys');
    // As an answer moved a head before the shards: the first row counted match on the head itself.
    await documents.send(
      new UpdateCommand({
        TableName: config().TABLE_NAME,
        Key: keys.batch(batchId),
        UpdateExpression: 'SET verifications = :v',
        ExpressionAttributeValues: { ':v': { pending: 1, match: 1, closeMatch: 0, noMatch: 0, notPossible: 0 } },
      }),
    );
    expect((await getBatch(batchId)).verifications).toEqual({ pending: 1, match: 1, closeMatch: 0, noMatch: 0, notPossible: 0 });
    expect((await approve(batchId)).body.code).toBe('account_unverified');
    expect((await answer(ids[1]!, 'match')).status).toBe(200);
    expect((await getBatch(batchId)).verifications).toEqual({ pending: 0, match: 2, closeMatch: 0, noMatch: 0, notPossible: 0 });
    expect((await approve(batchId)).status).toBe(200);
  });
});
