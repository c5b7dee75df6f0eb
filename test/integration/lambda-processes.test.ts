/**
 * `npm start` with LAMBDA_CONCURRENCY=N: the API's functions run in up to N worker processes each, one
 * request at a time per process, with the same events and answers as in one process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '#test/support/runtime';

const CONCURRENCY = 2;
let rt: TestRuntime;
let single: TestRuntime;

beforeAll(async () => {
  [rt, single] = await Promise.all([
    startTestRuntime({ lambdaConcurrency: CONCURRENCY, pollers: false }),
    startTestRuntime({ pollers: false }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([rt?.stop(), single?.stop()]);
});

describe('LAMBDA_CONCURRENCY', () => {
  it('serves requests at once from up to N processes of each function, none of them the runtime itself', async () => {
    const token = await rt.token('fund-admin', 'admin-1');
    const created = await Promise.all(
      Array.from({ length: 6 }, (_, n) =>
        rt.api('POST', '/v1/funds', {
          token,
          idempotencyKey: `fund-${n}`,
          body: { name: `Fund ${n}`, currency: 'CNY', totalBudget: 1_000_000, financeSystem: 'finance-1' },
        }),
      ),
    );
    expect(created.map((r) => r.status)).toEqual(created.map(() => 201));
    const listed = await rt.api('GET', '/v1/funds', { token });
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(6);
    const pids = rt.servedBy!()['http/funds'] ?? [];
    expect(new Set(pids).size).toBe(CONCURRENCY);
    expect(pids).not.toContain(process.pid);
  }, 90_000);

  it('answers as the one-process runtime does, problems included', async () => {
    for (const runtime of [rt, single]) {
      const token = await runtime.token('auditor', 'auditor-1');
      const missing = await runtime.api('GET', '/v1/funds/fund_01JZZZZZZZZZZZZZZZZZZZZZZZ', { token });
      expect([missing.status, missing.headers.get('content-type'), missing.body.code]).toEqual([
        404,
        'application/problem+json',
        'not_found',
      ]);
      const bad = await runtime.api('POST', '/v1/funds', { roles: 'fund-admin', idempotencyKey: 'bad', body: { name: '' } });
      expect([bad.status, bad.headers.get('content-type')]).toEqual([400, 'application/problem+json']);
    }
    expect(single.servedBy).toBeUndefined();
  }, 90_000);
});
