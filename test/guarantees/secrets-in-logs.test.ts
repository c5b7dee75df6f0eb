/**
 * Every log line of a full run, at DEBUG: fund → endpoint (and a secret rotation) → disbursement →
 * approval → webhook delivery → settlement → station application. No bearer token, webhook secret,
 * full account number, phone or national ID may appear in any of it.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
});

import { startTestRuntime, type TestRuntime } from '#test/support/runtime';
import { startReceiver, type Receiver } from '#test/support/receiver';
import { captureLogs, type LogCapture } from '#test/support/log-capture';

let rt: TestRuntime;
let receiver: Receiver;
let logs: LogCapture;
const secrets: string[] = [];

const ACCOUNT = '6228481234567890123';
const PHONE = '13987654321';
const NATIONAL_ID = '11010519491231002X';
const OBJECTOR_PHONE = '13722223333';
const OBJECTOR_FORM_CONTACT = 'villager-contact-4471';

beforeAll(async () => {
  logs = captureLogs();
  receiver = await startReceiver();
  rt = await startTestRuntime();
});

afterAll(async () => {
  await rt?.stop();
  await receiver?.stop();
  logs?.restore();
});

async function tokenFor(roles: string, sub: string): Promise<string> {
  const token = await rt.token(roles, sub);
  secrets.push(token);
  return token;
}

describe('a full run leaves no secret or personal data in the logs', () => {
  it('runs the money path and an onboarding', async () => {
    const admin = await tokenFor('fund-admin', 'admin');
    const maker = await tokenFor('requester', 'maker');
    const checker = await tokenFor('approver', 'checker');
    const finance = await tokenFor('finance-system', 'ledger');
    const officer = await tokenFor('station-officer', 'officer');

    await rt.api('PUT', '/v1/counties/110105', { token: admin, body: { name: 'Chaoyang', province: 'Beijing' } });
    const fund = await rt.api('POST', '/v1/funds', {
      token: admin,
      idempotencyKey: 'f1',
      body: { name: 'F', currency: 'CNY', totalBudget: 1_000_000, financeSystem: 'ledger' },
    });
    await rt.api('PUT', `/v1/funds/${fund.body.fundId}/allocations/110105`, { token: admin, body: { amount: 500_000 } });
    const endpoint = await rt.api('POST', '/v1/webhook-endpoints', { token: admin, body: { url: `${receiver.url}/hook`, events: ['*'] } });
    secrets.push(endpoint.body.secret);
    const rotated = await rt.api('POST', `/v1/webhook-endpoints/${endpoint.body.endpointId}/rotate-secret`, { token: admin });
    secrets.push(rotated.body.secret);

    const created = await rt.api('POST', '/v1/disbursements', {
      token: maker,
      idempotencyKey: 'd1',
      body: {
        fundId: fund.body.fundId,
        countyCode: '110105',
        amount: 12_345,
        currency: 'CNY',
        purpose: 'training',
        beneficiary: { kind: 'farmer', name: 'Zhang San', account: { bankName: 'ABC', accountName: 'Zhang San', accountNumber: ACCOUNT } },
      },
    });
    expect(created.status).toBe(201);
    const approved = await rt.api('POST', `/v1/disbursements/${created.body.disbursementId}/approve`, { token: checker, body: {} });
    expect(approved.status).toBe(200);
    const deadline = Date.now() + 30_000;
    while (!receiver.requests.some((r) => (r.json as any)?.type === 'payout.requested') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(
      receiver.requests.some((r) => (r.json as any)?.type === 'payout.requested'),
      'payout.requested delivered',
    ).toBe(true);
    const settled = await rt.api('POST', `/v1/payouts/${approved.body.payoutId}/settlement`, {
      token: finance,
      body: { outcome: 'succeeded', bankReference: 'BR-1' },
    });
    expect(settled.status).toBe(200);

    const station = await rt.api('POST', '/v1/stations', {
      token: officer,
      idempotencyKey: 's1',
      body: {
        countyCode: '110105',
        village: 'Wangjing',
        name: 'Wangjing station',
        kind: 'village-service-station',
        operator: { name: 'Wang Fang', phone: PHONE, nationalId: NATIONAL_ID },
      },
    });
    expect(station.status).toBe(201);
    // A refused request whose body carries the same data must not echo it into a log either.
    await rt.api('POST', '/v1/stations', {
      token: officer,
      idempotencyKey: 's2',
      body: { operator: { phone: PHONE, nationalId: NATIONAL_ID } },
    });

    // A public notice (公示) and objections from the public: the objector's contact is never logged.
    const noticeFund = await rt.api('POST', '/v1/funds', {
      token: admin,
      idempotencyKey: 'f2',
      body: { name: 'N', currency: 'CNY', totalBudget: 1_000_000, financeSystem: 'ledger', noticePeriod: 'PT10M' },
    });
    await rt.api('PUT', `/v1/funds/${noticeFund.body.fundId}/allocations/110105`, { token: admin, body: { amount: 500_000 } });
    const noticed = await rt.api('POST', '/v1/disbursements', {
      token: maker,
      idempotencyKey: 'd2',
      body: {
        fundId: noticeFund.body.fundId,
        countyCode: '110105',
        amount: 1_000,
        currency: 'CNY',
        purpose: 'other',
        beneficiary: { kind: 'farmer', name: 'Li Si', account: { bankName: 'ABC', accountName: 'Li Si', accountNumber: ACCOUNT } },
      },
    });
    const inNotice = await rt.api('POST', `/v1/disbursements/${noticed.body.disbursementId}/approve`, { token: checker, body: {} });
    expect(inNotice.body.status).toBe('in_notice');
    const objectionPath = `/public/notices/${inNotice.body.notice.noticeId}/objections`;
    const objection = { itemRef: noticed.body.disbursementId, reason: 'He moved away last year', contact: OBJECTOR_PHONE };
    expect((await rt.api('POST', objectionPath, { body: objection })).status).toBe(202);
    // Refused ones too: a reason too short, an unknown field.
    expect((await rt.api('POST', objectionPath, { body: { ...objection, reason: 'short' } })).status).toBe(400);
    expect((await rt.api('POST', objectionPath, { body: { ...objection, extra: OBJECTOR_PHONE } })).status).toBe(400);
    const form = new URLSearchParams({
      itemRef: noticed.body.disbursementId,
      reason: 'Form objection text',
      contact: OBJECTOR_FORM_CONTACT,
    }).toString();
    expect(
      (
        await rt.api('POST', `/notices/${inNotice.body.notice.noticeId}/objections`, {
          body: form,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        })
      ).status,
    ).toBe(202);
    const listed = await rt.api('GET', `/v1/objections?noticeId=${inNotice.body.notice.noticeId}`, { token: admin });
    expect(JSON.stringify(listed.body)).not.toContain(OBJECTOR_PHONE);
  });

  it('found none of them in any log line', () => {
    const text = logs.text();
    expect(text, 'the capture must see the handlers').toMatch(/"operation":"approveDisbursement"/);
    expect(text).toMatch(/"operation":"applyStation"/);
    for (const secret of secrets) {
      expect(text.includes(secret), 'a token or webhook secret').toBe(false);
      // The signature part of a JWT and the key of a whsec_ secret on their own.
      const tail = secret.startsWith('whsec_') ? secret.slice(6) : secret.split('.')[2]!;
      expect(text.includes(tail), 'part of a token or webhook secret').toBe(false);
    }
    expect(text).not.toContain(ACCOUNT);
    expect(text).not.toContain(PHONE);
    expect(text).not.toContain(NATIONAL_ID);
    expect(text).toMatch(/"operation":"fileObjection"/);
    expect(text).not.toContain(OBJECTOR_PHONE);
    expect(text).not.toContain(OBJECTOR_FORM_CONTACT);
    expect(text).not.toMatch(/Bearer\s+ey/);
  });
});
