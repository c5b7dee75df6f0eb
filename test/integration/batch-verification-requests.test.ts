/**
 * A batch's account verifications are requested after it commits, off the request path (API.md 1.2, Account
 * verification; the 5,000-row path at 30 to 40 rows, two chunks where it matters): the batch is created with every row pending and is refused at
 * its final approval until its verifications have been requested and answered; the request job (queued on the
 * expansion queue, swept when it stalls) reuses answers of the last 180 days at once, makes one verification
 * per distinct account, commits each chunk once under duplicate jobs and redelivery, and is finished after a
 * crash between chunks.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '#test/support/receiver';
import { asApprover, asFinance, asRequester, COUNTY, useMoneyHarness } from './disbursement-harness.ts';

const h = useMoneyHarness();
let finance: Receiver | undefined;
afterAll(async () => {
  await finance?.stop();
});
let n = 0;
const admin = { sub: 'admin-2', roles: ['fund-admin'] };
const auditor = { sub: 'aud', roles: ['auditor'] };

const verifyingFund = () => h.fund({ accountVerification: 'required', allocations: { [COUNTY]: 100_000_000 } });

function account(i = ++n) {
  return { bankName: 'Agricultural Bank of China', accountName: `Grower ${i}`, accountNumber: `62228181${String(i).padStart(8, '0')}` };
}
type Account = ReturnType<typeof account>;
const row = (acc: Account) => ({ beneficiary: { kind: 'cooperative', name: acc.accountName, account: acc }, amount: 1_000 });

async function createBatch(fundId: string, accounts: Account[]) {
  const res = await h.call('POST', '/v1/disbursement-batches', {
    ...asRequester(),
    headers: { 'idempotency-key': `vbat-${++n}` },
    body: { fundId, countyCode: COUNTY, purpose: 'produce-subsidy', items: accounts.map(row) },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { batchId: string; verifications: Record<string, number> };
}
const approveBatch = (id: string) => h.call('POST', `/v1/disbursement-batches/${id}/approve`, { ...asApprover('approver-1'), body: {} });
const getBatch = async (id: string) => (await h.call('GET', `/v1/disbursement-batches/${id}`, auditor)).body;
const answer = (id: string, result: string) => h.call('POST', `/v1/account-verifications/${id}`, { ...asFinance, body: { result } });

async function verificationsOf(fundId: string) {
  const items: { verificationId: string; accountNumber: string; status: string }[] = [];
  let cursor: string | null = null;
  do {
    const res = await h.call('GET', `/v1/account-verifications?fundId=${fundId}&limit=100${cursor ? `&cursor=${cursor}` : ''}`, asFinance);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return items;
}

/** Every `account.verification_requested` event of the fund: one per verification, never two. */
async function requestEvents(fundId: string) {
  return (await h.services.scanTable()).filter(
    (i) => i.type === 'event' && i.eventType === 'account.verification_requested' && (i.data as { fundId?: string }).fundId === fundId,
  );
}

const distinct = (count: number) => Array.from({ length: count }, () => account());
/** More distinct accounts than one request chunk takes (33): two chunks. */
const TWO_CHUNKS = 40;
const FIRST_CHUNK = 33;

describe('a batch of a fund that verifies, requested after it commits', () => {
  it('is refused at its final approval while its verifications have not even been requested', async () => {
    const fundId = await verifyingFund();
    const batch = await createBatch(fundId, distinct(30));
    expect(batch.verifications).toEqual({ pending: 30, match: 0, closeMatch: 0, noMatch: 0, notPossible: 0 });
    // Nothing requested on the request path.
    expect(await verificationsOf(fundId)).toEqual([]);
    const refused = await approveBatch(batch.batchId);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('account_unverified');
    expect((await getBatch(batch.batchId)).status).toBe('pending_approval');
  });

  it('refuses a batch whose every account was answered before until the job has looked at them, then counts them at once', async () => {
    const fundId = await verifyingFund();
    const accounts = distinct(3);
    const earlier = await createBatch(fundId, accounts);
    await h.data.verificationRequests.requestBatchVerifications(earlier.batchId);
    for (const v of await verificationsOf(fundId)) expect((await answer(v.verificationId, 'match')).status).toBe(200);
    // Cancelled, so that screening does not flag the same accounts again.
    const cancelled = await h.call('POST', `/v1/disbursement-batches/${earlier.batchId}/cancel`, {
      ...asRequester(),
      body: { reason: 'split' },
    });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);

    const batch = await createBatch(fundId, accounts);
    expect((await approveBatch(batch.batchId)).body.code).toBe('account_unverified');
    await h.data.verificationRequests.requestBatchVerifications(batch.batchId);
    // Answers of the last 180 days count without asking again.
    expect((await getBatch(batch.batchId)).verifications).toEqual({ pending: 0, match: 3, closeMatch: 0, noMatch: 0, notPossible: 0 });
    expect(await verificationsOf(fundId)).toHaveLength(3);
    const approved = await approveBatch(batch.batchId);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
  });

  it('flags at once the rows of an account answered no_match before, and counts the flags in the half-year report', async () => {
    const fundId = await verifyingFund();
    const [acc] = distinct(1);
    const earlier = await createBatch(fundId, [acc!]);
    await h.data.verificationRequests.requestBatchVerifications(earlier.batchId);
    const [v] = await verificationsOf(fundId);
    expect((await answer(v!.verificationId, 'no_match')).status).toBe(200);
    const cancelled = await h.call('POST', `/v1/disbursement-batches/${earlier.batchId}/cancel`, {
      ...asRequester(),
      body: { reason: 'split' },
    });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);

    const batch = await createBatch(fundId, [acc!, acc!]);
    await h.data.verificationRequests.requestBatchVerifications(batch.batchId);
    const after = await getBatch(batch.batchId);
    expect(after.verifications).toEqual({ pending: 0, match: 0, closeMatch: 0, noMatch: 2, notPossible: 0 });
    // Counted by code on the head too (what clearing them counts in the report).
    const { readBatch } = await import('#shared/data/batches/items');
    const flags = (await readBatch(batch.batchId)).flags;
    expect(flags).toMatchObject({ count: 4, blocking: 4 });
    expect(flags.byCode).toEqual({ duplicate_beneficiary: 2, account_no_match: 2 });
    expect((await approveBatch(batch.batchId)).body.code).toBe('flagged');
    const { halfOf } = await import('#shared/domain/half-year-report');
    const half = halfOf(new Date());
    const report = (await h.call('GET', `/v1/funds/${fundId}/reports/${half}`, auditor)).body;
    // The earlier batch's row took the answer's flag when it came (1); the new batch's two rows took the reused
    // answer's flag at the request (2): each raised flag counted once.
    expect(report.flags).toContainEqual(expect.objectContaining({ code: 'account_no_match', raised: 3 }));
  });

  it('queues its request job once committed; verifications appear when it runs, and approval waits for every answer', async () => {
    const fundId = await verifyingFund();
    const accounts = distinct(29);
    // Two rows share one account: 29 distinct accounts, 30 rows.
    const batch = await createBatch(fundId, [...accounts, { ...accounts[0]!, accountName: ` ${accounts[0]!.accountName.toUpperCase()} ` }]);
    const { config } = await import('#shared/config');
    const jobs = (await h.services.drainQueue(config().EXPANSION_QUEUE_URL)).map((m) => JSON.parse(m.Body!));
    expect(jobs).toContainEqual({ kind: 'batch-verification', batchId: batch.batchId });

    expect(await h.data.verificationRequests.requestBatchVerifications(batch.batchId)).toMatchObject({ outcome: 'requested', skipped: 0 });
    const listed = await verificationsOf(fundId);
    expect(listed.map((v) => v.accountNumber).sort()).toEqual(accounts.map((a) => a.accountNumber).sort());
    expect(listed.every((v) => v.status === 'pending')).toBe(true);
    expect(await requestEvents(fundId)).toHaveLength(29);

    const first = listed.find((v) => v.accountNumber === accounts[0]!.accountNumber);
    for (const v of listed.filter((x) => x !== first)) expect((await answer(v.verificationId, 'match')).status).toBe(200);
    expect((await getBatch(batch.batchId)).verifications).toEqual({ pending: 2, match: 28, closeMatch: 0, noMatch: 0, notPossible: 0 });
    expect((await approveBatch(batch.batchId)).body.code).toBe('account_unverified');

    // no_match on the shared account: both of its rows take the high flag, which blocks until cleared.
    expect((await answer(first!.verificationId, 'no_match')).status).toBe(200);
    const after = await getBatch(batch.batchId);
    expect(after.verifications).toEqual({ pending: 0, match: 28, closeMatch: 0, noMatch: 2, notPossible: 0 });
    const flags = await h.call('GET', `/v1/disbursement-batches/${batch.batchId}/flags`, auditor);
    expect(flags.body.items.filter((f: { code: string }) => f.code === 'account_no_match').map((f: { row: number }) => f.row)).toEqual([
      0, 29,
    ]);
    expect((await approveBatch(batch.batchId)).body.code).toBe('flagged');
    const cleared = await h.call('POST', `/v1/disbursement-batches/${batch.batchId}/clear-flags`, {
      ...admin,
      body: { reason: 'bank called' },
    });
    expect(cleared.status, JSON.stringify(cleared.body)).toBe(200);
    const approved = await approveBatch(batch.batchId);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    // The job has nothing left to do once it finished.
    expect(await h.data.verificationRequests.requestBatchVerifications(batch.batchId)).toMatchObject({ outcome: 'nothing-to-do' });
  });

  it('creates nothing twice under duplicate jobs and redelivery, even two batches asking for the same new accounts at once', async () => {
    const fundId = await verifyingFund();
    const accounts = distinct(TWO_CHUNKS);
    const a = await createBatch(fundId, accounts);
    const b = await createBatch(fundId, accounts.slice(10));
    await Promise.all([
      h.data.verificationRequests.requestBatchVerifications(a.batchId),
      h.data.verificationRequests.requestBatchVerifications(a.batchId, { concurrency: 1 }),
      h.data.verificationRequests.requestBatchVerifications(b.batchId),
    ]);
    await h.data.verificationRequests.requestBatchVerifications(a.batchId);
    const listed = await verificationsOf(fundId);
    expect(listed.map((v) => v.accountNumber).sort()).toEqual(accounts.map((x) => x.accountNumber).sort());
    expect(await requestEvents(fundId)).toHaveLength(TWO_CHUNKS);
    for (const v of listed) expect((await answer(v.verificationId, 'match')).status).toBe(200);
    // Every row of both batches heard its answer once.
    expect((await getBatch(a.batchId)).verifications).toEqual({ pending: 0, match: TWO_CHUNKS, closeMatch: 0, noMatch: 0, notPossible: 0 });
    expect((await getBatch(b.batchId)).verifications).toEqual({
      pending: 0,
      match: TWO_CHUNKS - 10,
      closeMatch: 0,
      noMatch: 0,
      notPossible: 0,
    });
  });

  it('asks nothing for a cancelled or rejected batch, stops asking when it is cancelled midway, and leaves the sweeper’s reach', async () => {
    const { overdueIn } = await import('#shared/data/platform/sweep');
    const { VERIFYING_INDEX } = await import('#shared/data/verifications/items');
    const stalled = async () => {
      const ids: string[] = [];
      for await (const page of overdueIn(VERIFYING_INDEX, new Date(Date.now() + 1000))) ids.push(...page);
      return ids;
    };
    const end = (batchId: string, action: 'cancel' | 'reject') =>
      h.call('POST', `/v1/disbursement-batches/${batchId}/${action}`, {
        ...(action === 'cancel' ? asRequester() : asApprover('approver-1')),
        body: { reason: 'not this season' },
      });

    for (const action of ['cancel', 'reject'] as const) {
      const fundId = await verifyingFund();
      const batch = await createBatch(fundId, distinct(3));
      expect((await end(batch.batchId, action)).status).toBe(200);
      expect(await h.data.verificationRequests.requestBatchVerifications(batch.batchId)).toMatchObject({
        outcome: 'stopped',
        committed: 0,
      });
      expect(await verificationsOf(fundId)).toEqual([]);
      expect(await requestEvents(fundId)).toEqual([]);
      expect(await stalled()).not.toContain(batch.batchId);
    }

    // Cancelled after its first chunk (33 accounts) committed: the second chunk is never asked for.
    const fundId = await verifyingFund();
    const batch = await createBatch(fundId, distinct(TWO_CHUNKS));
    const result = await h.data.verificationRequests.requestBatchVerifications(batch.batchId, {
      concurrency: 1,
      heartbeatMs: 0,
      onChunkCommitted: async () => {
        expect((await end(batch.batchId, 'cancel')).status).toBe(200);
      },
    });
    expect(result).toMatchObject({ outcome: 'stopped', committed: 1 });
    expect(await verificationsOf(fundId)).toHaveLength(FIRST_CHUNK);
    expect(await requestEvents(fundId)).toHaveLength(FIRST_CHUNK);
    expect(await stalled()).not.toContain(batch.batchId);
    expect(await h.data.verificationRequests.requestBatchVerifications(batch.batchId)).toMatchObject({ outcome: 'nothing-to-do' });
  });

  it('is finished by the sweeper and the next run after a crash between chunks; no account lost, none asked twice', async () => {
    const fundId = await verifyingFund();
    const accounts = distinct(TWO_CHUNKS);
    const batch = await createBatch(fundId, accounts);
    const crash = new Error('crashed after the first chunk');
    await expect(
      h.data.verificationRequests.requestBatchVerifications(batch.batchId, {
        concurrency: 1,
        onChunkCommitted: () => {
          throw crash;
        },
      }),
    ).rejects.toBe(crash);
    const half = await verificationsOf(fundId);
    expect(half.length).toBeGreaterThan(0);
    expect(half.length).toBeLessThan(TWO_CHUNKS);
    expect((await approveBatch(batch.batchId)).body.code).toBe('account_unverified');

    const { SWEEP_SOURCES } = await import('#functions/schedule/outbox-sweeper');
    expect(SWEEP_SOURCES).toContain(h.data.verificationRequests.batchVerificationSource);
    expect((await h.data.verificationRequests.batchVerificationSource.sweep(new Date(Date.now() + 1000))).found).toBeGreaterThanOrEqual(1);

    const resumed = await h.data.verificationRequests.requestBatchVerifications(batch.batchId);
    expect(resumed).toMatchObject({ outcome: 'requested', skipped: 1 });
    const listed = await verificationsOf(fundId);
    expect(listed.map((v) => v.accountNumber).sort()).toEqual(accounts.map((x) => x.accountNumber).sort());
    // The crashed chunk's events were committed with it (delivered by the outbox sweeper when someone subscribes); none is made twice.
    expect(await requestEvents(fundId)).toHaveLength(TWO_CHUNKS);
    // Done: out of the sweeper's reach.
    const { overdueIn } = await import('#shared/data/platform/sweep');
    const { VERIFYING_INDEX } = await import('#shared/data/verifications/items');
    const stalled: string[] = [];
    for await (const ids of overdueIn(VERIFYING_INDEX, new Date(Date.now() + 1000))) stalled.push(...ids);
    expect(stalled).not.toContain(batch.batchId);
    for (const v of listed) expect((await answer(v.verificationId, 'match')).status).toBe(200);
    expect((await approveBatch(batch.batchId)).status).toBe(200);
  });

  // Last in the file: the finance system subscribes here, and stays subscribed.
  it('writes its events dropped, listed and queued for nobody, while the paying system subscribes no endpoint; pending for delivery once it does', async () => {
    const { keys } = await import('#shared/data/platform/keys');
    const { getItem } = await import('#shared/data/platform/query');
    const fundId = await verifyingFund();
    const unheard = await createBatch(fundId, distinct(3));
    await h.data.verificationRequests.requestBatchVerifications(unheard.batchId);
    const dropped = await requestEvents(fundId);
    expect(dropped).toHaveLength(3);
    for (const e of dropped) {
      // As the delivery worker finishes an event nobody subscribes to: out of the outbox index, kept 30 days.
      expect(e).toMatchObject({ state: 'dropped', finishedAt: expect.any(String) });
      expect(e.gsi4pk).toBeUndefined();
      expect(typeof e.expiresAt).toBe('number');
    }
    // The event log lists them all the same (one per account: the contract), to the paying system as to an admin.
    const listedIds = async (call: typeof asFinance) => {
      const res = await h.call('GET', '/v1/events?type=account.verification_requested&limit=100', call);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return (res.body.items as { messageId: string }[]).map((e) => e.messageId);
    };
    for (const e of dropped) {
      expect(await listedIds(asFinance)).toContain(e.messageId);
      expect(await listedIds(admin)).toContain(e.messageId);
    }

    finance = await startReceiver();
    const bound = await h.call('POST', '/v1/webhook-endpoints', {
      ...asFinance,
      body: { url: `${finance.url}/finance`, events: ['account.verification_requested'], description: 'finance' },
    });
    expect(bound.status, JSON.stringify(bound.body)).toBe(201);
    const heard = await createBatch(fundId, distinct(2));
    await h.data.verificationRequests.requestBatchVerifications(heard.batchId);
    const fresh = (await requestEvents(fundId)).filter((e) => !dropped.some((d) => d.messageId === e.messageId));
    expect(fresh).toHaveLength(2);
    for (const e of fresh) {
      const stored = await getItem(keys.event(e.messageId as string));
      // Pending in the outbox until delivered (a poller may have delivered it already).
      expect(['pending', 'delivered']).toContain(stored?.state);
      if (stored?.state === 'pending') expect(stored.gsi4pk).toBeDefined();
    }
  });
});
