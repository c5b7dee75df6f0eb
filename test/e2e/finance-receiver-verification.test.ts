/**
 * Account verification end to end over HTTP on the local runtime: a fund with `accountVerification: required`, the
 * reference finance receiver subscribed to `account.verification_requested` with its stand-in bank's accounts file;
 * a disbursement's verification is answered by the receiver (match for the account the bank holds under that name,
 * close_match under another name, no_match for an account it does not hold) and the final approval follows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestRuntime, type TestRuntime } from '#test/support/runtime';
import { startFinanceReceiver } from '../../scripts/finance-receiver.ts';
import { eventually } from '#test/support/eventually';
import { Journal } from '../../scripts/lib/journal.ts';

const COUNTY = '530102';
let rt: TestRuntime;
let dir: string;
let finance: Awaited<ReturnType<typeof startFinanceReceiver>>;
const financeLog: string[] = [];
const financeSecrets: string[] = [];
const admin = { roles: 'fund-admin', sub: 'admin-wang' };
const requester = { roles: 'requester', sub: 'requester-li' };
const approver = { roles: 'approver', sub: 'approver-zhao' };
const HELD = { bankName: 'ABC Kunming', accountNumber: '6228480012345678901', holderName: 'Hani Tea Coop' };

beforeAll(async () => {
  rt = await startTestRuntime({ env: { WEBHOOK_RETRY_SCHEDULE: '1,1,1' } });
  dir = await mkdtemp(join(tmpdir(), 'receiver-verify-'));
  await writeFile(join(dir, 'bank-accounts.jsonl'), `${JSON.stringify(HELD)}\n`);
  finance = await startFinanceReceiver({
    secrets: financeSecrets,
    apiUrl: rt.url,
    token: await rt.token('finance-system', 'ledger-bot'),
    log: (line) => financeLog.push(line),
    journalPath: join(dir, 'journal.jsonl'),
    bankAccountsPath: join(dir, 'bank-accounts.jsonl'),
  });
});

afterAll(async () => {
  await finance?.stop();
  await rt?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the reference receiver verifies accounts', () => {
  it('answers from its stand-in bank: match, close_match (with the name it holds), no_match; journaled first', async () => {
    await rt.api('PUT', `/v1/counties/${COUNTY}`, { ...admin, body: { name: 'Wuhua', province: 'Yunnan' } });
    const fund = await rt.api('POST', '/v1/funds', {
      ...admin,
      idempotencyKey: randomUUID(),
      body: {
        name: 'Tea terraces 2026',
        currency: 'CNY',
        totalBudget: 500_000_000,
        financeSystem: 'ledger-bot',
        accountVerification: 'required',
      },
    });
    expect(fund.status, JSON.stringify(fund.body)).toBe(201);
    const fundId = fund.body.fundId as string;
    expect((await rt.api('PUT', `/v1/funds/${fundId}/allocations/${COUNTY}`, { ...admin, body: { amount: 20_000_000 } })).status).toBe(200);
    const endpoint = await rt.api('POST', '/v1/webhook-endpoints', {
      roles: 'finance-system',
      sub: 'ledger-bot',
      body: { url: `${finance.url}/webhooks`, events: ['account.verification_requested'], description: 'finance' },
    });
    expect(endpoint.status, JSON.stringify(endpoint.body)).toBe(201);
    financeSecrets.push(endpoint.body.secret as string);

    const request = async (accountName: string, accountNumber: string) => {
      const res = await rt.api('POST', '/v1/disbursements', {
        ...requester,
        idempotencyKey: randomUUID(),
        body: {
          fundId,
          countyCode: COUNTY,
          amount: 100_000,
          currency: 'CNY',
          purpose: 'produce-subsidy',
          beneficiary: { kind: 'cooperative', name: accountName, account: { bankName: HELD.bankName, accountName, accountNumber } },
        },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.verification.status).toBe('pending');
      return res.body.disbursementId as string;
    };
    const matching = await request('Hani Tea Coop', HELD.accountNumber);
    const renamed = await request('Hani Tea Cooperative', HELD.accountNumber);
    const unknown = await request('Hani Tea Coop', '6228480099999999999');

    const verificationOf = (id: string) =>
      eventually(
        async () => (await rt.api('GET', `/v1/disbursements/${id}`, admin)).body.verification,
        (v) => v.status !== 'pending',
      );
    expect(await verificationOf(matching)).toMatchObject({ status: 'match' });
    expect(await verificationOf(renamed)).toMatchObject({ status: 'close_match', bankAccountName: 'Hani Tea Coop' });
    expect(await verificationOf(unknown)).toMatchObject({ status: 'no_match' });
    await finance.idle();

    const approved = await rt.api('POST', `/v1/disbursements/${matching}/approve`, { ...approver, body: {} });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    const flagged = await rt.api('POST', `/v1/disbursements/${unknown}/approve`, { ...approver, body: {} });
    expect(flagged.body.code).toBe('flagged');

    // Every request was on disk before it was acknowledged, and its answer after; no log line holds the account.
    const journal = Journal.read<{ kind: string }>(join(dir, 'journal.jsonl'));
    expect(journal.filter((r) => r.kind === 'verification')).toHaveLength(3);
    expect(journal.filter((r) => r.kind === 'verified')).toHaveLength(3);
    expect(financeLog.join('\n')).not.toContain(HELD.accountNumber);
  });
});
