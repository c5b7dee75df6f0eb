import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '#test/support/receiver';
import { sendWebhook } from '#shared/webhooks/delivery';

/** A resolver standing in for DNS: the names below exist only here. */
const fakeDns = (answers: Record<string, string>) => async (hostname: string) => {
  const address = answers[hostname];
  if (!address) throw new Error('ENOTFOUND');
  return [{ address, family: address.includes(':') ? 6 : 4 }];
};

describe('sending one webhook', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver({
      respond: (req) => (req.path === '/busy' ? { status: 429, headers: { 'retry-after': '42' } } : { status: 204 }),
    });
  });
  afterAll(() => receiver.stop());
  const port = () => new URL(receiver.url).port;

  it('refuses, at delivery time, a name that now resolves to a private address (insecure mode off)', async () => {
    const before = receiver.requests.length;
    const result = await sendWebhook(`https://finance.example:${port()}/hook`, {}, '{}', new Date(), {
      timeoutMs: 2_000,
      allowInsecure: false,
      resolve: fakeDns({ 'finance.example': '127.0.0.1' }),
    });
    expect(result).toMatchObject({ ok: false, status: null });
    expect(result.error).toMatch(/^refused: .*private/);
    expect(receiver.requests.length).toBe(before);
  });

  it('refuses plain http when insecure mode is off', async () => {
    const result = await sendWebhook(`http://finance.example:${port()}/hook`, {}, '{}', new Date(), {
      timeoutMs: 2_000,
      allowInsecure: false,
      resolve: fakeDns({ 'finance.example': '93.184.216.34' }),
    });
    expect(result.error).toMatch(/^refused: must use https/);
  });

  it('connects to the checked address while keeping the name as Host (no second DNS lookup)', async () => {
    const result = await sendWebhook(
      `http://finance.internal.test:${port()}/hook?x=1`,
      { 'webhook-id': 'msg_1', 'content-type': 'application/json' },
      '{"a":1}',
      new Date(),
      { timeoutMs: 2_000, allowInsecure: true, resolve: fakeDns({ 'finance.internal.test': '127.0.0.1' }) },
    );
    expect(result).toMatchObject({ ok: true, status: 204, error: null });
    const last = receiver.requests.at(-1)!;
    expect(last.headers.host).toBe(`finance.internal.test:${port()}`);
    expect(last.path).toBe('/hook?x=1');
    expect(last.body).toBe('{"a":1}');
    expect(last.headers['webhook-id']).toBe('msg_1');
  });

  it('reports a non-2xx with its Retry-After, and a dead port as a connection failure', async () => {
    const busy = await sendWebhook(`${receiver.url}/busy`, {}, '{}', new Date(), { timeoutMs: 2_000, allowInsecure: true });
    expect(busy).toMatchObject({ ok: false, status: 429, retryAfterSeconds: 42, error: 'HTTP 429' });

    const dead = await sendWebhook('http://127.0.0.1:1/hook', {}, '{}', new Date(), { timeoutMs: 2_000, allowInsecure: true });
    expect(dead).toMatchObject({ ok: false, status: null });
    expect(dead.error).toMatch(/^connection failed/);
  });

  it('gives up after the timeout', async () => {
    const slow = await startReceiver({ respond: () => ({ status: 200, delayMs: 2_000 }) });
    try {
      const result = await sendWebhook(slow.url, {}, '{}', new Date(), { timeoutMs: 200, allowInsecure: true });
      expect(result).toMatchObject({ ok: false, status: null, error: 'timeout after 200 ms' });
      expect(result.durationMs).toBeLessThan(1_500);
    } finally {
      await slow.stop();
    }
  });
});
