/**
 * No single person can redirect a payment (API 1.2): whoever holds an endpoint's signing secret can sign an
 * instruction, so the reference receiver pays only what the API confirms. Against the local runtime, with the
 * receiver's real secret: an instruction for a payout that does not exist, and one for a real, open payout with
 * another account, are refused (non-2xx), never journaled and never paid; the real instruction is still paid and
 * settled. Nothing the receiver logs holds an account number or the beneficiary's name.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { startTestRuntime, type TestRuntime } from '#test/support/runtime';
import { eventually } from '#test/support/eventually';
import { journaledBank, startFinanceReceiver, type PayoutMessage } from '../../scripts/finance-receiver.ts';

const COUNTY = '530102';
const FINANCE_SYSTEM = 'ledger-bot';
const BENEFICIARY_NAME = 'Hani Terrace Tea Cooperative';
const ACCOUNT = { bankName: 'ABC Kunming', accountName: 'Hani Terrace Tea', accountNumber: '6228480012345678901' };
/** The attacker's own account. */
const ATTACKER_ACCOUNT = { bankName: 'Some Bank', accountName: 'Hani Terrace Tea', accountNumber: '6212260099998888777' };
const admin = { roles: 'fund-admin', sub: 'admin-wang' };

let rt: TestRuntime;
let dir: string;
let receiver: Awaited<ReturnType<typeof startFinanceReceiver>>;
const secrets: string[] = [];
const log: string[] = [];
/** Every transfer the bank was asked for: payout, account number and amount. */
const transfers: { payoutId: string; accountNumber: string; amount: number }[] = [];
/** The genuine payment waits here until the forged instructions have been answered. */
let releaseGenuine!: () => void;
const genuineMayPay = new Promise<void>((resolve) => (releaseGenuine = resolve));

beforeAll(async () => {
  rt = await startTestRuntime({ env: { WEBHOOK_RETRY_SCHEDULE: '1,1,1' } });
  dir = await mkdtemp(join(tmpdir(), 'receiver-forged-'));
  const bank = journaledBank(join(dir, 'bank.jsonl'));
  receiver = await startFinanceReceiver({
    secrets,
    apiUrl: rt.url,
    token: await rt.token('finance-system', FINANCE_SYSTEM),
    journalPath: join(dir, 'journal.jsonl'),
    log: (line) => log.push(line),
    pay: async (payout: PayoutMessage) => {
      if (payout.beneficiary.account.accountNumber === ACCOUNT.accountNumber) await genuineMayPay;
      transfers.push({ payoutId: payout.payoutId, accountNumber: payout.beneficiary.account.accountNumber, amount: payout.amount });
      return bank(payout);
    },
  });
});

afterAll(async () => {
  releaseGenuine();
  await receiver?.stop();
  await rt?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * The finance system's endpoint, and its secret. API 1.2: the finance system binds it to itself with its own token;
 * a runtime from before that change let only a fund-admin bind it.
 */
async function financeEndpoint(url: string): Promise<string> {
  const body = { url, events: ['payout.requested'], financeSystem: FINANCE_SYSTEM };
  let created = await rt.api('POST', '/v1/webhook-endpoints', { roles: 'finance-system', sub: FINANCE_SYSTEM, body });
  if (created.status === 403) created = await rt.api('POST', '/v1/webhook-endpoints', { ...admin, body });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.secret as string;
}

/** Posts `data` as a `payout.requested` signed with the endpoint's real secret, as whoever holds it could. */
async function sendSigned(data: unknown): Promise<number> {
  const messageId = `msg_${randomUUID()}`;
  const body = JSON.stringify({ type: 'payout.requested', timestamp: new Date().toISOString(), data });
  const at = new Date();
  const response = await fetch(`${receiver.url}/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': messageId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secrets[0]!).sign(messageId, at, body),
    },
    body,
  });
  await response.body?.cancel();
  return response.status;
}

const journal = async () => readFile(join(dir, 'journal.jsonl'), 'utf8').catch(() => '');
const bankStatement = async () => (await readFile(join(dir, 'bank.jsonl'), 'utf8').catch(() => '')).split('\n').filter(Boolean);

describe('the reference receiver pays only what the API confirms', () => {
  it('refuses signed instructions for a payout that does not exist and for a real payout with another account; pays the real one', async () => {
    expect((await rt.api('PUT', `/v1/counties/${COUNTY}`, { ...admin, body: { name: 'Wuhua', province: 'Yunnan' } })).status).toBe(201);
    const fund = await rt.api('POST', '/v1/funds', {
      ...admin,
      idempotencyKey: randomUUID(),
      body: { name: 'Tea terraces 2026', currency: 'CNY', totalBudget: 500_000_000, financeSystem: FINANCE_SYSTEM },
    });
    const fundId = fund.body.fundId as string;
    await rt.api('PUT', `/v1/funds/${fundId}/allocations/${COUNTY}`, { ...admin, body: { amount: 20_000_000 } });
    secrets.push(await financeEndpoint(`${receiver.url}/webhooks`));

    const disbursement = await rt.api('POST', '/v1/disbursements', {
      roles: 'requester',
      sub: 'requester-li',
      idempotencyKey: randomUUID(),
      body: {
        fundId,
        countyCode: COUNTY,
        amount: 1_234_567,
        currency: 'CNY',
        purpose: 'produce-subsidy',
        beneficiary: { kind: 'cooperative', name: BENEFICIARY_NAME, account: ACCOUNT },
      },
    });
    expect(disbursement.status).toBe(201);
    const approved = await rt.api('POST', `/v1/disbursements/${disbursement.body.disbursementId}/approve`, {
      roles: 'approver',
      sub: 'approver-zhao',
      body: {},
    });
    expect(approved.status).toBe(200);
    const payoutId = approved.body.payoutId as string;
    // The real instruction is taken (journaled, acknowledged); its payment waits, so the payout is still open.
    await eventually(
      async () => (await rt.api('GET', `/v1/payouts/${payoutId}`, admin)).body,
      (p) => p.status === 'sent',
    );
    const real = (await rt.api('GET', `/v1/payouts/${payoutId}`, { roles: 'finance-system', sub: FINANCE_SYSTEM })).body;
    expect(real.beneficiary.account.accountNumber).toBe(ACCOUNT.accountNumber);

    // 999,999 yuan to the attacker, for a payout that does not exist.
    const invented = { ...real, payoutId: 'pay_01KBZZZZZZZZZZZZZZZZZZZZZZ', amount: 99_999_900 };
    invented.beneficiary = { ...real.beneficiary, account: ATTACKER_ACCOUNT };
    // The real, open payout, redirected to the attacker's account.
    const redirected = { ...real, beneficiary: { ...real.beneficiary, account: ATTACKER_ACCOUNT } };
    for (const forged of [invented, redirected]) {
      const status = await sendSigned(forged);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).not.toBe(410); // a 410 would disable the paying system's endpoint
    }

    releaseGenuine();
    const settled = await eventually(
      async () => (await rt.api('GET', `/v1/payouts/${payoutId}`, admin)).body,
      (p) => p.status === 'settled',
    );
    await receiver.idle();
    expect(settled.amount).toBe(1_234_567);
    expect(transfers).toEqual([{ payoutId, accountNumber: ACCOUNT.accountNumber, amount: 1_234_567 }]);
    const statement = await bankStatement();
    expect(statement).toHaveLength(1);
    expect(JSON.parse(statement[0]!)).toMatchObject({ payoutId, amount: 1_234_567 });
    const journaled = await journal();
    expect(journaled).not.toContain(ATTACKER_ACCOUNT.accountNumber);
    expect(journaled).not.toContain(invented.payoutId);

    const lines = log.join('\n');
    expect(lines).toContain(`REFUSED instruction`);
    expect(lines).toMatch(new RegExp(`REFUSED instruction message=msg_\\S+ payout=${invented.payoutId}: no such payout`));
    expect(lines).toMatch(new RegExp(`REFUSED instruction message=msg_\\S+ payout=${payoutId}: differs .*account\\.accountNumber`));
    for (const secret of [ATTACKER_ACCOUNT.accountNumber, ACCOUNT.accountNumber, BENEFICIARY_NAME, ACCOUNT.accountName]) {
      expect(lines).not.toContain(secret);
    }
  }, 60_000);
});
