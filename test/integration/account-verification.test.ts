/**
 * Account verification (API.md 1.2) on DynamoDB Local: the fund setting, one verification per distinct account at
 * creation (reused for 180 days, looked up under a secret key), the paying finance system's list and answer (404 to
 * anyone else), masking, pending blocking the final approval, non-match answers flagging every pending item that
 * uses the verification, batch counts, and an answer whose propagation was cut short reaching the item at its
 * final approval.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { asApprover, asFinance, asRequester, COUNTY, disbursementBody, useMoneyHarness, type Call } from './disbursement-harness.ts';

const h = useMoneyHarness();
let fundId: string;
let n = 0;
const admin = { sub: 'admin-2', roles: ['fund-admin'] };
const auditor = { sub: 'aud', roles: ['auditor'] };
const otherFinance = { sub: 'finance-2', roles: ['finance-system'] };

beforeAll(async () => {
  fundId = await h.fund({ accountVerification: 'required', allocations: { [COUNTY]: 100_000_000 } });
});

function account(i = ++n, name = `Cooperative ${i}`) {
  return { bankName: 'Agricultural Bank of China', accountName: name, accountNumber: `62228080${String(i).padStart(8, '0')}` };
}
const beneficiary = (acc: ReturnType<typeof account>) => ({ kind: 'cooperative', name: acc.accountName, account: acc });

async function request(acc: ReturnType<typeof account>, fund = fundId) {
  const res = await h.call('POST', '/v1/disbursements', {
    ...asRequester(),
    body: disbursementBody(fund, 10_000, { beneficiary: beneficiary(acc) }),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}
const approve = (id: string, who = 'approver-1') => h.call('POST', `/v1/disbursements/${id}/approve`, { ...asApprover(who), body: {} });
const answer = (id: string, body: unknown, who = asFinance) => h.call('POST', `/v1/account-verifications/${id}`, { ...who, body });
const getDsb = async (id: string) => (await h.call('GET', `/v1/disbursements/${id}`, auditor)).body;

async function listAll(who: Call, query: string) {
  const items: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  do {
    const res = await h.call('GET', `/v1/account-verifications?${query}&limit=100${cursor ? `&cursor=${cursor}` : ''}`, who);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return items;
}

describe('the fund setting', () => {
  it('is off by default: no verification, nothing blocks', async () => {
    const res = await h.call('POST', '/v1/funds', {
      ...admin,
      headers: { 'idempotency-key': `fund-${Date.now()}` },
      body: { name: 'No checks', currency: 'CNY', totalBudget: 1_000_000, financeSystem: 'finance-1' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.accountVerification).toBe('off');
    const off = await h.fund({ allocations: { [COUNTY]: 1_000_000 } });
    const d = await request(account(), off);
    expect(d.verification).toBeNull();
    expect((await approve(d.disbursementId)).status).toBe(200);
    expect(await listAll(asFinance, `fundId=${off}`)).toEqual([]);
  });

  it('is given at creation and read back', async () => {
    expect((await h.call('GET', `/v1/funds/${fundId}`, auditor)).body.accountVerification).toBe('required');
  });
});

describe('a disbursement of a fund that verifies', () => {
  it('gets a pending verification that blocks the final approval until the paying system answers match', async () => {
    const acc = account();
    const d = await request(acc);
    expect(d.verification).toMatchObject({ status: 'pending', bankAccountName: null, checkedAt: null });
    expect(d.verification.verificationId).toMatch(/^ver_/);
    const blocked = await approve(d.disbursementId);
    expect(blocked.status).toBe(409);
    expect(blocked.body.code).toBe('account_unverified');

    // The paying system reads the account in full; fund-admin and auditor masked; another system not at all.
    const mine = (await listAll(asFinance, `fundId=${fundId}&status=pending`)).find(
      (v) => v.verificationId === d.verification.verificationId,
    );
    expect(mine).toMatchObject({ fundId, status: 'pending', ...acc });
    for (const reader of [admin, auditor]) {
      const seen = (await listAll(reader, `fundId=${fundId}`)).find((v) => v.verificationId === d.verification.verificationId);
      expect(seen?.accountNumber).toBe(`****${acc.accountNumber.slice(-4)}`);
    }
    expect((await h.call('GET', `/v1/account-verifications?fundId=${fundId}`, otherFinance)).status).toBe(404);
    const polled = await listAll(asFinance, 'status=pending');
    expect(polled.some((v) => v.verificationId === d.verification.verificationId)).toBe(true);
    expect((await listAll(otherFinance, 'status=pending')).some((v) => v.fundId === fundId)).toBe(false);

    // Anyone but the paying system: 404 (another finance system) or 403 (other roles).
    const other = await answer(d.verification.verificationId, { result: 'match' }, otherFinance);
    expect(other.status).toBe(404);
    expect((await answer(d.verification.verificationId, { result: 'match' }, admin)).status).toBe(403);

    const ok = await answer(d.verification.verificationId, { result: 'match' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toMatchObject({ status: 'match', accountNumber: acc.accountNumber });
    expect((await getDsb(d.disbursementId)).verification).toMatchObject({ status: 'match', checkedAt: ok.body.checkedAt });
    expect((await getDsb(d.disbursementId)).flags).toEqual([]);
    expect((await approve(d.disbursementId)).status).toBe(200);
  });

  it('takes the same answer again as a no-op and refuses another (409 invalid_state); close_match needs the bank name', async () => {
    const d = await request(account());
    const id = d.verification.verificationId as string;
    const bad = await answer(id, { result: 'close_match' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
    const { halfOf } = await import('#shared/domain/half-year-report');
    const raised = async () =>
      ((await h.call('GET', `/v1/funds/${fundId}/reports/${halfOf(new Date())}`, auditor)).body.flags.find(
        (f: { code: string }) => f.code === 'account_no_match',
      )?.raised ?? 0) as number;
    const raisedBefore = await raised();
    expect((await answer(id, { result: 'no_match' })).status).toBe(200);
    const again = await answer(id, { result: 'no_match' });
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('no_match');
    const other = await answer(id, { result: 'match' });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('invalid_state');
    // Answered once: one flag, however often the answer came.
    expect((await getDsb(d.disbursementId)).flags.filter((f: { code: string }) => f.code === 'account_no_match')).toHaveLength(1);
    // And the half-year report counts it raised once.
    expect(await raised()).toBe(raisedBefore + 1);
  });

  it('reuses an answer for the same account (typed differently) without asking again', async () => {
    const acc = account();
    const first = await request(acc);
    await answer(first.verification.verificationId, { result: 'match' });
    const before = await listAll(asFinance, `fundId=${fundId}`);
    const second = await request({
      ...acc,
      accountName: ` ${acc.accountName.toUpperCase()}`,
      bankName: ` ${acc.bankName.toUpperCase()}`,
    });
    expect(second.verification).toMatchObject({ verificationId: first.verification.verificationId, status: 'match' });
    expect(await listAll(asFinance, `fundId=${fundId}`)).toHaveLength(before.length);
    // Another account name on the same number is another account to check.
    const renamed = await request({ ...acc, accountName: 'Someone else' });
    expect(renamed.verification.verificationId).not.toBe(first.verification.verificationId);
  });

  it('flags every pending item waiting for a non-match answer (high), clearable like any flag', async () => {
    const acc = account();
    const a = await request(acc);
    const b = await request(acc);
    expect(b.verification.verificationId).toBe(a.verification.verificationId);
    const res = await answer(a.verification.verificationId, { result: 'close_match', bankAccountName: 'Huangshui Coop Ltd' });
    expect(res.status).toBe(200);
    for (const d of [a, b]) {
      const now = await getDsb(d.disbursementId);
      expect(now.verification).toMatchObject({ status: 'close_match', bankAccountName: 'Huangshui Coop Ltd' });
      const flag = now.flags.find((f: { code: string }) => f.code === 'account_close_match');
      expect(flag).toMatchObject({ severity: 'high', matches: [a.verification.verificationId], clearedAt: null });
      expect(Date.parse(flag.dueAt) - Date.parse(res.body.checkedAt)).toBe(3 * 86_400_000);
    }
    const blocked = await approve(a.disbursementId);
    expect(blocked.body.code).toBe('flagged');
    const cleared = await h.call('POST', `/v1/disbursements/${a.disbursementId}/clear-flags`, {
      ...admin,
      body: { reason: 'the bank holds the registered name' },
    });
    expect(cleared.status, JSON.stringify(cleared.body)).toBe(200);
    expect((await approve(a.disbursementId)).status).toBe(200);
  });

  it('keys the account lookup under a secret key only: no key of the table holds the clear number', async () => {
    const acc = account();
    await request(acc);
    const { scanSegments, getItem } = await import('#shared/data/platform/query');
    const holding: unknown[] = [];
    await scanSegments(
      {
        filter: 'contains(pk, :n) OR contains(sk, :n) OR contains(gsi1pk, :n) OR contains(gsi2pk, :n)',
        values: { ':n': acc.accountNumber },
      },
      (item) => void holding.push(item.pk),
    );
    expect(holding).toEqual([]);
    // The lookup's key is the HMAC of the account under the app's secret key.
    const { appSecrets } = await import('#shared/secrets');
    const { verificationKey } = await import('#shared/domain/account-verification');
    const { verificationKeys } = await import('#shared/data/verifications/items');
    const key = verificationKey(acc, (await appSecrets()).screeningKey);
    expect(await getItem(verificationKeys.lookup(fundId, key))).toMatchObject({ status: 'pending' });
  });

  it('sends account.verification_requested with the account, masked in the event log', async () => {
    const acc = account();
    const d = await request(acc);
    const events = await h.call('GET', '/v1/events?type=account.verification_requested&limit=100', admin);
    expect(events.status).toBe(200);
    const event = events.body.items.find(
      (e: { data: { verificationId: string } }) => e.data.verificationId === d.verification.verificationId,
    );
    expect(event.data).toEqual({
      verificationId: d.verification.verificationId,
      fundId,
      bankName: acc.bankName,
      accountName: acc.accountName,
      accountNumber: `****${acc.accountNumber.slice(-4)}`,
    });
  });

  it('reaches its item at the final approval when the answer committed but its propagation was cut short', async () => {
    const d = await request(account());
    const items = await import('#shared/data/verifications/items');
    const { answered } = await import('#shared/domain/account-verification');
    const { transact } = await import('#shared/data/platform/transactions');
    const v = await items.readVerification(d.verification.verificationId);
    // The answer's own transaction only, as if its process died right after it.
    await transact(items.answerSteps(v, { ...v, ...answered(v, { result: 'match' }, new Date()) }, 'finance-1', new Date()));
    expect((await getDsb(d.disbursementId)).verification.status).toBe('pending');
    const res = await approve(d.disbursementId);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.verification.status).toBe('match');
  });
});

describe('a batch of a fund that verifies', () => {
  const getBatch = async (id: string) => (await h.call('GET', `/v1/disbursement-batches/${id}`, auditor)).body;
  const row = (acc: ReturnType<typeof account>) => ({ beneficiary: beneficiary(acc), amount: 1_000 });
  const createBatch = async (rows: unknown[]) => {
    const res = await h.call('POST', '/v1/disbursement-batches', {
      ...asRequester(),
      headers: { 'idempotency-key': `bat-${++n}` },
      body: { fundId, countyCode: COUNTY, purpose: 'produce-subsidy', items: rows },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    // Every row pending until the request job (queued after the commit) has looked at its account.
    expect(res.body.verifications).toEqual({ pending: rows.length, match: 0, closeMatch: 0, noMatch: 0, notPossible: 0 });
    const { requestBatchVerifications } = await import('#shared/data/verifications/request');
    await requestBatchVerifications(res.body.batchId);
    return { ...res.body, verifications: (await getBatch(res.body.batchId)).verifications };
  };
  const approveBatch = (id: string) => h.call('POST', `/v1/disbursement-batches/${id}/approve`, { ...asApprover('approver-1'), body: {} });

  it('counts its rows by verification, blocks while any is pending and flags the rows of a non-match answer', async () => {
    const known = account();
    const first = await request(known);
    await answer(first.verification.verificationId, { result: 'match' });
    const [x, y] = [account(), account()];
    const before = (await listAll(asFinance, `fundId=${fundId}`)).length;
    const batch = await createBatch([row(known), row(x), row(y), row(y)]);
    expect(batch.verifications).toEqual({ pending: 3, match: 1, closeMatch: 0, noMatch: 0, notPossible: 0 });
    // One verification per distinct account not answered in the last 180 days: x and y.
    const pending = (await listAll(asFinance, `fundId=${fundId}&status=pending`)).filter((v) =>
      [x.accountNumber, y.accountNumber].includes(v.accountNumber as string),
    );
    expect(pending).toHaveLength(2);
    expect((await listAll(asFinance, `fundId=${fundId}`)).length).toBe(before + 2);
    expect((await approveBatch(batch.batchId)).body.code).toBe('account_unverified');

    const flagsBefore = (await getBatch(batch.batchId)).flags.count;
    const idOf = (acc: ReturnType<typeof account>) => pending.find((v) => v.accountNumber === acc.accountNumber)!.verificationId as string;
    expect((await answer(idOf(x), { result: 'match' })).status).toBe(200);
    expect((await getBatch(batch.batchId)).verifications).toEqual({ pending: 2, match: 2, closeMatch: 0, noMatch: 0, notPossible: 0 });
    const { halfOf } = await import('#shared/domain/half-year-report');
    const reportFlag = async () =>
      (await h.call('GET', `/v1/funds/${fundId}/reports/${halfOf(new Date())}`, auditor)).body.flags.find(
        (f: { code: string }) => f.code === 'account_not_verified',
      ) ?? { raised: 0, cleared: 0 };
    const raisedBefore = (await reportFlag()).raised;
    expect((await answer(idOf(y), { result: 'not_possible' })).status).toBe(200);
    // The half-year report counts the answer's two row flags as raised, in the transaction that raised them.
    expect((await reportFlag()).raised).toBe(raisedBefore + 2);
    const after = await getBatch(batch.batchId);
    expect(after.verifications).toEqual({ pending: 0, match: 2, closeMatch: 0, noMatch: 0, notPossible: 2 });
    expect(after.flags).toEqual({ count: flagsBefore + 2, cleared: false });
    const flags = await h.call('GET', `/v1/disbursement-batches/${batch.batchId}/flags`, auditor);
    expect(flags.body.items.filter((f: { code: string }) => f.code === 'account_not_verified').map((f: { row: number }) => f.row)).toEqual([
      2, 3,
    ]);

    expect((await approveBatch(batch.batchId)).body.code).toBe('flagged');
    const cleared = await h.call('POST', `/v1/disbursement-batches/${batch.batchId}/clear-flags`, {
      ...admin,
      body: { reason: 'checked by phone' },
    });
    expect(cleared.status, JSON.stringify(cleared.body)).toBe(200);
    // The half-year report counts the cleared flags by their code, the answer's among them.
    expect(await reportFlag()).toMatchObject({ cleared: 2 });
    expect((await approveBatch(batch.batchId)).status).toBe(200);
  });

  it('applies answers whose propagation was cut short at the final approval', async () => {
    const acc = account();
    const batch = await createBatch([row(acc)]);
    const items = await import('#shared/data/verifications/items');
    const { answered } = await import('#shared/domain/account-verification');
    const { transact } = await import('#shared/data/platform/transactions');
    const [pending] = (await listAll(asFinance, `fundId=${fundId}&status=pending`)).filter((v) => v.accountNumber === acc.accountNumber);
    const v = await items.readVerification(pending!.verificationId as string);
    // A no_match (it flags the rows, so it needs the batch's head) committed, its propagation cut short.
    await transact(items.answerSteps(v, { ...v, ...answered(v, { result: 'no_match' }, new Date()) }, 'finance-1', new Date()));
    expect((await getBatch(batch.batchId)).verifications.pending).toBe(1);
    const res = await approveBatch(batch.batchId);
    expect(res.status, JSON.stringify(res.body)).toBe(409);
    expect(res.body.code).toBe('flagged');
    expect((await getBatch(batch.batchId)).verifications).toMatchObject({ pending: 0, noMatch: 1 });
  });

  it('moves the rows of the batch that asked with a match in the answer’s own transaction (nothing to cut short)', async () => {
    const acc = account();
    const batch = await createBatch([row(acc)]);
    const items = await import('#shared/data/verifications/items');
    const { answered } = await import('#shared/domain/account-verification');
    const { transact } = await import('#shared/data/platform/transactions');
    const [pending] = (await listAll(asFinance, `fundId=${fundId}&status=pending`)).filter((v) => v.accountNumber === acc.accountNumber);
    const v = await items.readVerification(pending!.verificationId as string);
    await transact(items.answerSteps(v, { ...v, ...answered(v, { result: 'match' }, new Date()) }, 'finance-1', new Date()));
    expect((await getBatch(batch.batchId)).verifications).toMatchObject({ pending: 0, match: 1 });
    const res = await approveBatch(batch.batchId);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  it('reaches a disbursement that joined the batch’s verification after the answer read it (that answer cannot commit)', async () => {
    const acc = account();
    const batch = await createBatch([row(acc)]);
    const items = await import('#shared/data/verifications/items');
    const { answered } = await import('#shared/domain/account-verification');
    const { transact, TransactionConflict } = await import('#shared/data/platform/transactions');
    const [pending] = (await listAll(asFinance, `fundId=${fundId}&status=pending`)).filter((v) => v.accountNumber === acc.accountNumber);
    const verificationId = pending!.verificationId as string;
    // An answer reads the verification (nothing but the batch waits for it yet)…
    const seen = await items.readVerification(verificationId);
    // …a disbursement of the same account joins it…
    const d = await request(acc);
    expect(d.verification).toMatchObject({ verificationId, status: 'pending' });
    // …and that answer, which would not look for the disbursement, cannot commit.
    const now = new Date();
    await expect(
      transact(items.answerSteps(seen, { ...seen, ...answered(seen, { result: 'no_match' }, now) }, 'finance-1', now)),
    ).rejects.toBeInstanceOf(TransactionConflict);
    // The answer made afresh reaches both: the disbursement and the batch's row, each flagged.
    expect((await answer(verificationId, { result: 'no_match' })).status).toBe(200);
    const joined = await getDsb(d.disbursementId);
    expect(joined.verification.status).toBe('no_match');
    expect(joined.flags.map((f: { code: string }) => f.code)).toContain('account_no_match');
    expect((await getBatch(batch.batchId)).verifications).toMatchObject({ pending: 0, noMatch: 1 });
    expect((await approveBatch(batch.batchId)).body.code).toBe('flagged');
  });
});
