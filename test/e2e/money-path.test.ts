/**
 * The money path end to end over HTTP on the local runtime (JWT authorizer, the API functions, the
 * delivery worker polling SQS): fund → allocation → webhook endpoint → disbursement → approval →
 * `payout.requested` received and verified by the reference finance receiver → settlement reported
 * through the API → payout settled, disbursement paid, allocation reserved → paid.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { startTestRuntime, type TestRuntime } from '#test/support/runtime';
import { startFinanceReceiver } from '../../scripts/finance-receiver.ts';
import { eventually } from '#test/support/eventually';

const COUNTY = '530102';
const ACCOUNT_NUMBER = '6228480012345678901';
const AMOUNT = 1_234_567; // 12,345.67 yuan

let rt: TestRuntime;
let finance: Awaited<ReturnType<typeof startFinanceReceiver>>;
const financeLog: string[] = [];
/** The finance team's copy of the endpoint secret, given to the receiver once the endpoint exists. */
const financeSecrets: string[] = [];

const admin = { roles: 'fund-admin', sub: 'admin-wang' };
const requester = { roles: 'requester', sub: 'requester-li' };
const approver = { roles: 'approver', sub: 'approver-zhao' };

beforeAll(async () => {
  rt = await startTestRuntime({ env: { WEBHOOK_RETRY_SCHEDULE: '1,1,1' } });
  const financeToken = await rt.token('finance-system', 'ledger-bot');
  finance = await startFinanceReceiver({
    secrets: financeSecrets,
    apiUrl: rt.url,
    token: financeToken,
    log: (line) => financeLog.push(line),
  });
});

afterAll(async () => {
  await finance?.stop();
  await rt?.stop();
});

describe('money path', () => {
  it("pays a disbursement through a signed webhook and the finance system's settlement", async () => {
    expect((await rt.api('PUT', `/v1/counties/${COUNTY}`, { ...admin, body: { name: 'Wuhua', province: 'Yunnan' } })).status).toBe(201);
    const fund = await rt.api('POST', '/v1/funds', {
      ...admin,
      idempotencyKey: randomUUID(),
      body: { name: 'Tea terraces 2026', currency: 'CNY', totalBudget: 500_000_000, financeSystem: 'ledger-bot' },
    });
    expect(fund.status).toBe(201);
    const fundId = fund.body.fundId as string;
    const allocation = await rt.api('PUT', `/v1/funds/${fundId}/allocations/${COUNTY}`, { ...admin, body: { amount: 20_000_000 } });
    expect(allocation.status).toBe(200);

    const endpoint = await rt.api('POST', '/v1/webhook-endpoints', {
      roles: 'finance-system',
      sub: 'ledger-bot',
      body: { url: `${finance.url}/webhooks`, events: ['payout.requested'], description: 'finance' },
    });
    expect(endpoint.status).toBe(201);
    financeSecrets.push(endpoint.body.secret as string);

    const disbursement = await rt.api('POST', '/v1/disbursements', {
      ...requester,
      idempotencyKey: randomUUID(),
      body: {
        fundId,
        countyCode: COUNTY,
        amount: AMOUNT,
        currency: 'CNY',
        purpose: 'produce-subsidy',
        beneficiary: {
          kind: 'cooperative',
          name: 'Hani Tea Cooperative',
          account: { bankName: 'ABC Kunming', accountName: 'Hani Tea Coop', accountNumber: ACCOUNT_NUMBER },
        },
      },
    });
    expect(disbursement.status).toBe(201);
    const disbursementId = disbursement.body.disbursementId as string;

    const approved = await rt.api('POST', `/v1/disbursements/${disbursementId}/approve`, { ...approver, body: { comment: 'ok' } });
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('approved');
    const payoutId = approved.body.payoutId as string;
    expect(payoutId).toMatch(/^pay_/);

    const payout = await eventually(
      async () => (await rt.api('GET', `/v1/payouts/${payoutId}`, admin)).body,
      (p) => p.status === 'settled',
    );
    await finance.idle(); // the receiver notes the report once the API has answered it
    expect(payout).toMatchObject({ amount: AMOUNT, currency: 'CNY', status: 'settled', attempts: 1 });
    expect(payout.bankReference).toMatch(/^FIN-\d{8}-[0-9A-F]{10}$/);
    expect(payout.bankReference).toBe((finance.settled.get(payoutId) as { bankReference: string }).bankReference);
    expect(payout.beneficiary.account.accountNumber).toBe('****8901');

    // The receiver took exactly one message, verified with the endpoint secret, and logged no full account number.
    expect(finance.seen.size).toBe(1);
    const [messageId] = [...finance.seen];
    // Nor the beneficiary's name: its first character only.
    expect(financeLog.join('\n')).toContain(`paying payout=${payoutId} 12,345.67 CNY to H******************* ABC Kunming ****8901`);
    expect(financeLog.join('\n')).not.toContain(ACCOUNT_NUMBER);
    expect(financeLog.join('\n')).not.toContain('Hani Tea');

    const deliveries = await rt.api('GET', `/v1/webhook-endpoints/${endpoint.body.endpointId}/deliveries`, admin);
    expect(deliveries.status).toBe(200);
    expect(deliveries.body.items).toEqual([
      expect.objectContaining({ messageId, eventType: 'payout.requested', attempt: 1, outcome: 'succeeded', responseStatus: 202 }),
    ]);

    const paid = await rt.api('GET', `/v1/disbursements/${disbursementId}`, admin);
    expect(paid.body.status).toBe('paid');
    const allocations = await rt.api('GET', `/v1/funds/${fundId}/allocations`, admin);
    expect(allocations.body.items).toEqual([
      expect.objectContaining({ countyCode: COUNTY, allocated: 20_000_000, reserved: 0, paid: AMOUNT, available: 20_000_000 - AMOUNT }),
    ]);
    const fundAfter = await rt.api('GET', `/v1/funds/${fundId}`, admin);
    expect(fundAfter.body).toMatchObject({ allocated: 20_000_000, reserved: 0, paid: AMOUNT });
  });

  it('the receiver refuses forged or replayed-too-late messages and acknowledges a duplicate without paying twice', async () => {
    const secret = financeSecrets[0]!;
    const body = JSON.stringify({ type: 'payout.requested', timestamp: new Date().toISOString(), data: { payoutId: 'pay_X', amount: 1 } });
    const post = (headers: Record<string, string>) =>
      fetch(`${finance.url}/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

    const forged = new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`);
    const now = new Date();
    const forgedResponse = await post({
      'webhook-id': 'msg_forged',
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': forged.sign('msg_forged', now, body),
    });
    expect(forgedResponse.status).toBe(401);

    const old = new Date(Date.now() - 10 * 60_000);
    const oldResponse = await post({
      'webhook-id': 'msg_old',
      'webhook-timestamp': String(Math.floor(old.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign('msg_old', old, body),
    });
    expect(oldResponse.status).toBe(401);

    const [seenId] = [...finance.seen];
    const dup = await post({
      'webhook-id': seenId!,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(seenId!, now, body),
    });
    expect(dup.status).toBe(200);
    expect(await dup.json()).toEqual({ duplicate: true });
    expect(finance.seen.size).toBe(1);
    expect(finance.settled.size).toBe(1);
  });
});
