import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { newWebhookSecret } from '#shared/data/webhook-endpoints/items';
import { signWebhook, webhookBody } from '#shared/webhooks/signing';

const event = {
  eventType: 'payout.requested' as const,
  timestamp: '2026-03-01T08:00:00.000Z',
  data: { payoutId: 'pay_01JTEST', amount: 123456, beneficiary: { account: { accountNumber: '6222020200112233445' } } },
};

describe('Standard Webhooks signing', () => {
  it('produces headers that the standardwebhooks library verifies with the same secret', () => {
    const secret = newWebhookSecret();
    const body = webhookBody(event);
    const headers = signWebhook('msg_01JABC', body, [secret], new Date());

    expect(headers['webhook-id']).toBe('msg_01JABC');
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(headers['content-type']).toBe('application/json');
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual({
      type: event.eventType,
      timestamp: event.timestamp,
      data: event.data,
    });
  });

  it('signs with both secrets during a rotation, so either one verifies', () => {
    const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
    const body = webhookBody(event);
    const headers = signWebhook('msg_01JROT', body, [current, previous], new Date());

    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(current).verify(body, { ...headers })).not.toThrow();
    expect(() => new Webhook(previous).verify(body, { ...headers })).not.toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, { ...headers })).toThrow(WebhookVerificationError);
  });

  it('is rejected when the body, the id or the timestamp was changed, or the message is old', () => {
    const secret = newWebhookSecret();
    const body = webhookBody(event);
    const now = new Date();
    const headers = signWebhook('msg_01JTAMPER', body, [secret], now);
    const verifier = new Webhook(secret);

    expect(() => verifier.verify(body.replace('123456', '923456'), { ...headers })).toThrow(WebhookVerificationError);
    expect(() => verifier.verify(body, { ...headers, 'webhook-id': 'msg_01JOTHER' })).toThrow(WebhookVerificationError);
    expect(() => verifier.verify(body, { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) + 1) })).toThrow();
    const old = signWebhook('msg_01JTAMPER', body, [secret], new Date(now.getTime() - 10 * 60_000));
    expect(() => verifier.verify(body, { ...old })).toThrow(/too old/);
  });

  it('verifies for any body and message id (property)', () => {
    const secret = newWebhookSecret();
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.jsonValue(), (suffix, data) => {
        const body = JSON.stringify({ type: 'campaign.launched', timestamp: '2026-01-01T00:00:00Z', data });
        const id = `msg_${suffix}`;
        const headers = signWebhook(id, body, [secret], new Date());
        new Webhook(secret).verify(body, { ...headers }, { jsonParse: false });
      }),
      { numRuns: 100 },
    );
  });

  it('refuses to send unsigned', () => {
    expect(() => signWebhook('msg_1', '{}', [], new Date())).toThrow();
  });
});
