/**
 * The reference receiver's check of a signed instruction against the payout the API holds (API 1.2: the paying
 * system pays only what the API confirms): which differences refuse it, and what it answers when the API cannot be
 * asked (503, nothing taken, so that the sender retries) or answers masked (a token that is not the paying system's).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { confirmInstruction, instructionDifferences, startFinanceReceiver, type ConfirmedPayout } from '../../scripts/finance-receiver.ts';

const PAYOUT_ID = 'pay_01M8MB7QKGZ7EXTNFH95G3P5TD';
const confirmed: ConfirmedPayout = {
  payoutId: PAYOUT_ID,
  fundId: 'fund_01M8MB7QKGZ7EXTNFH95G3P5TD',
  amount: 250_000,
  currency: 'CNY',
  status: 'sent',
  beneficiary: {
    name: 'Xiushan Tea Cooperative',
    account: { bankName: 'ABC', accountName: 'Xiushan Tea', accountNumber: '6228480012345678' },
  },
};
const withAccount = (account: Partial<ConfirmedPayout['beneficiary']['account']>) => ({
  ...confirmed,
  beneficiary: { ...confirmed.beneficiary, account: { ...confirmed.beneficiary.account, ...account } },
});

describe('instructionDifferences', () => {
  it('none for the payout exactly as the API holds it, whatever its status before it closes', () => {
    for (const status of ['queued', 'sent', 'delivery_failed'])
      expect(instructionDifferences(confirmed, { ...confirmed, status })).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    ['another amount', { ...confirmed, amount: 99_999_900 }, 'amount'],
    ['another currency', { ...confirmed, currency: 'USD' }, 'currency'],
    ['another fund', { ...confirmed, fundId: 'fund_01M8MB7QKGZ7EXTNFH95G3P5TE' }, 'fundId'],
    ['another payout', { ...confirmed, payoutId: 'pay_01M8MB7QKGZ7EXTNFH95G3P5TE' }, 'payoutId'],
    ['another account number', withAccount({ accountNumber: '6212260099998888777' }), 'account.accountNumber'],
    ['another account name', withAccount({ accountName: 'Someone Else' }), 'account.accountName'],
    ['another bank', withAccount({ bankName: 'Other Bank' }), 'account.bankName'],
    ['the amount as a string', { ...confirmed, amount: '250000' }, 'amount'],
  ])('%s is refused, named by its field alone', (_what, instruction, field) => {
    expect(instructionDifferences(instruction, confirmed)).toEqual([field]);
  });

  it('a settled or failed payout is refused, and so is a body that is not a payout', () => {
    expect(instructionDifferences(confirmed, { ...confirmed, status: 'settled' })).toEqual(['status (the payout is settled)']);
    expect(instructionDifferences(confirmed, { ...confirmed, status: 'failed' })).toEqual(['status (the payout is failed)']);
    expect(instructionDifferences(null, confirmed)).toHaveLength(7);
    expect(instructionDifferences({ payoutId: PAYOUT_ID, beneficiary: 'x' }, confirmed)).toHaveLength(6);
  });
});

let api: Server;
let apiUrl: string;
/** What the stub API answers to the payout read. */
let answer: { status: number; body?: unknown } = { status: 200, body: confirmed };
let reads = 0;

beforeAll(async () => {
  api = createServer((req, res) => {
    reads++;
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body ?? {}));
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => api.close(resolve)));

describe('confirmInstruction', () => {
  it('confirmed: the payout as the API holds it', async () => {
    answer = { status: 200, body: confirmed };
    const check = await confirmInstruction(apiUrl, 't', confirmed);
    expect(check).toEqual({
      verdict: 'confirmed',
      payout: { payoutId: PAYOUT_ID, amount: 250_000, currency: 'CNY', beneficiary: confirmed.beneficiary },
    });
  });

  it('refused: 404 (no such payout, or one of a fund another system pays), a mismatch, or no valid payoutId (not even asked)', async () => {
    answer = { status: 404, body: { code: 'not_found' } };
    expect(await confirmInstruction(apiUrl, 't', confirmed)).toMatchObject({ verdict: 'refused' });
    answer = { status: 200, body: confirmed };
    const redirected = await confirmInstruction(apiUrl, 't', withAccount({ accountNumber: '6212260099998888777' }));
    expect(redirected).toEqual({ verdict: 'refused', reason: "differs from the API's payout in account.accountNumber" });
    const before = reads;
    for (const payoutId of [undefined, 42, '../../v1/funds', 'pay_x'])
      expect(await confirmInstruction(apiUrl, 't', { ...confirmed, payoutId })).toMatchObject({ verdict: 'refused' });
    expect(reads).toBe(before);
  });

  it('unavailable: the API down, erring, refusing the token, or answering the account masked', async () => {
    for (const status of [500, 503, 401, 403, 429]) {
      answer = { status };
      expect(await confirmInstruction(apiUrl, 't', confirmed), String(status)).toMatchObject({ verdict: 'unavailable' });
    }
    answer = { status: 200, body: withAccount({ accountNumber: '****5678' }) };
    expect(await confirmInstruction(apiUrl, 't', confirmed)).toMatchObject({
      verdict: 'unavailable',
      reason: expect.stringContaining('masked'),
    });
    expect(await confirmInstruction('http://127.0.0.1:9', 't', confirmed)).toMatchObject({ verdict: 'unavailable' });
  });
});

describe('the receiver when the API cannot confirm an instruction', () => {
  it('answers 503, takes nothing and pays nothing; the same message is taken once the API answers', async () => {
    const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
    const paid: string[] = [];
    const lines: string[] = [];
    const receiver = await startFinanceReceiver({
      secrets: [secret],
      apiUrl,
      token: 't',
      log: (l) => lines.push(l),
      pay: async (p) => {
        paid.push(p.payoutId);
        return { outcome: 'failed', failureReason: 'test' };
      },
    });
    const deliver = async () => {
      const body = JSON.stringify({ type: 'payout.requested', timestamp: new Date().toISOString(), data: confirmed });
      const at = new Date();
      const id = 'msg_01M8MB7QKGZ7EXTNFH95G3P5TD';
      const res = await fetch(`${receiver.url}/webhooks`, {
        method: 'POST',
        headers: {
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': new Webhook(secret).sign(id, at, body),
        },
        body,
      });
      await res.body?.cancel();
      return res.status;
    };
    try {
      answer = { status: 503 };
      expect(await deliver()).toBe(503);
      expect(receiver.seen.size).toBe(0);
      answer = { status: 200, body: confirmed };
      expect(await deliver()).toBe(202);
      await receiver.idle();
      expect(paid).toEqual([PAYOUT_ID]);
      expect(lines.join('\n')).not.toContain('6228480012345678');
      expect(lines.join('\n')).not.toContain('Xiushan Tea');
    } finally {
      await receiver.stop();
    }
  });
});
