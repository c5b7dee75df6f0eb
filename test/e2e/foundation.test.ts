/**
 * The foundation routes through the local runtime (API Gateway v2 adapter + JWT authorizer + real
 * DynamoDB Local): counties, funds, allocations and webhook endpoints, with the contract's errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '#test/support/runtime';
import { ALLOCATION, commitMoney } from '#shared/data/ledger/move';

let rt: TestRuntime;
const admin = { roles: 'fund-admin', sub: 'admin-1' };

beforeAll(async () => {
  rt = await startTestRuntime({ pollers: false });
});
afterAll(async () => rt?.stop());

const expectProblem = (res: { status: number; headers: Headers; body: any }, status: number, code: string) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
};

async function county(code: string, extra: Record<string, unknown> = {}) {
  const res = await rt.api('PUT', `/v1/counties/${code}`, { ...admin, body: { name: `County ${code}`, province: 'Gansu', ...extra } });
  expect([200, 201]).toContain(res.status);
  return res.body;
}

let keyCounter = 0;
async function fund(totalBudget: number, extra: Record<string, unknown> = {}) {
  const res = await rt.api('POST', '/v1/funds', {
    ...admin,
    idempotencyKey: `fund-${++keyCounter}-${Date.now()}`,
    body: { name: 'Rural revitalisation', currency: 'CNY', totalBudget, financeSystem: 'ledger-bot', ...extra },
  });
  expect(res.status).toBe(201);
  return res.body;
}

describe('counties', () => {
  it('PUT creates (201) then replaces (200); GET and the list show it', async () => {
    const first = await rt.api('PUT', '/v1/counties/620821', {
      ...admin,
      body: { name: 'Jingchuan', province: 'Gansu', modelCounty: true },
    });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ countyCode: '620821', name: 'Jingchuan', province: 'Gansu', modelCounty: true });
    const second = await rt.api('PUT', '/v1/counties/620821', { ...admin, body: { name: 'Jingchuan County', province: 'Gansu' } });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ name: 'Jingchuan County', modelCounty: false, createdAt: first.body.createdAt });
    const got = await rt.api('GET', '/v1/counties/620821', { roles: 'auditor' });
    expect(got.body.name).toBe('Jingchuan County');
  });

  it('lists with filters and tamper-evident cursors', async () => {
    for (const code of ['530000', '530001', '530002', '530003', '530004']) {
      await county(code, { province: 'Yunnan', modelCounty: code.endsWith('2') });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/v1/counties?province=Yunnan&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await rt.api('GET', q, { roles: 'requester' });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((c: { countyCode: string }) => c.countyCode));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['530000', '530001', '530002', '530003', '530004']);

    const model = await rt.api('GET', '/v1/counties?province=Yunnan&modelCounty=true', { roles: 'requester' });
    expect(model.body.items.map((c: { countyCode: string }) => c.countyCode)).toEqual(['530002']);

    const page = await rt.api('GET', '/v1/counties?province=Yunnan&limit=1', { roles: 'requester' });
    const forged = page.body.nextCursor.replace(/^./, (c: string) => (c === 'e' ? 'f' : 'e'));
    expectProblem(await rt.api('GET', `/v1/counties?province=Yunnan&cursor=${forged}`, { roles: 'requester' }), 400, 'validation_failed');
    // A genuine cursor replayed against another query is refused too.
    expectProblem(
      await rt.api('GET', `/v1/counties?province=Gansu&cursor=${page.body.nextCursor}`, { roles: 'requester' }),
      400,
      'validation_failed',
    );
  });

  it('answers the contract errors', async () => {
    expectProblem(await rt.api('GET', '/v1/counties/999999', { roles: 'auditor' }), 404, 'not_found');
    expectProblem(await rt.api('PUT', '/v1/counties/12345', { ...admin, body: { name: 'x', province: 'y' } }), 400, 'validation_failed');
    const unknownField = await rt.api('PUT', '/v1/counties/620822', { ...admin, body: { name: 'x', province: 'y', mayor: 'z' } });
    expectProblem(unknownField, 400, 'validation_failed');
    expect(unknownField.body.errors[0].message).toContain('mayor');
    expectProblem(await rt.api('PUT', '/v1/counties/620822', { ...admin, body: '{"name": ' }), 400, 'validation_failed');
    expectProblem(await rt.api('PUT', '/v1/counties/620822', { roles: 'auditor', body: { name: 'x', province: 'y' } }), 403, 'forbidden');
    expectProblem(await rt.api('GET', '/v1/counties'), 401, 'unauthenticated');
    expectProblem(await rt.api('GET', '/v1/counties?limit=0', { roles: 'auditor' }), 400, 'validation_failed');
    expectProblem(await rt.api('GET', '/v1/counties?colour=red', { roles: 'auditor' }), 400, 'validation_failed');
    const big = await rt.api('PUT', '/v1/counties/620822', { ...admin, body: { name: 'x'.repeat(70_000), province: 'y' } });
    expectProblem(big, 413, 'payload_too_large');
  });
});

describe('funds and allocations', () => {
  it('creates a fund with the default dual-approval threshold and derived totals', async () => {
    const f = await fund(1_000_000_000_00);
    expect(f).toMatchObject({
      fundId: expect.stringMatching(/^fund_[0-9A-Z]{26}$/),
      currency: 'CNY',
      totalBudget: 100_000_000_000,
      allocated: 0,
      reserved: 0,
      paid: 0,
      unallocated: 100_000_000_000,
      dualApprovalThreshold: 100_000_000,
    });
    const got = await rt.api('GET', `/v1/funds/${f.fundId}`, { roles: 'campaign-operator' });
    expect(got.body).toEqual(f);
  });

  it('requires an Idempotency-Key, replays the same request and refuses a reused key', async () => {
    const body = { name: 'Idempotent fund', currency: 'CNY', totalBudget: 500, financeSystem: 'ledger-bot' };
    expectProblem(await rt.api('POST', '/v1/funds', { ...admin, body }), 400, 'idempotency_key_missing');
    const first = await rt.api('POST', '/v1/funds', { ...admin, body, idempotencyKey: 'same-key' });
    const again = await rt.api('POST', '/v1/funds', { ...admin, body, idempotencyKey: 'same-key' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expectProblem(
      await rt.api('POST', '/v1/funds', { ...admin, body: { ...body, totalBudget: 501 }, idempotencyKey: 'same-key' }),
      422,
      'idempotency_key_reuse',
    );
    // Keys are scoped to the caller: another admin's identical key is another key.
    const other = await rt.api('POST', '/v1/funds', { roles: 'fund-admin', sub: 'admin-2', body, idempotencyKey: 'same-key' });
    expect(other.status).toBe(201);
    expect(other.body.fundId).not.toBe(first.body.fundId);
  });

  it('runs concurrent requests with one key once', async () => {
    const body = { name: 'Raced fund', currency: 'CNY', totalBudget: 700, financeSystem: 'ledger-bot' };
    const results = await Promise.all(
      Array.from({ length: 8 }, () => rt.api('POST', '/v1/funds', { ...admin, body, idempotencyKey: 'raced-key' })),
    );
    const ids = new Set(results.filter((r) => r.status === 201).map((r) => r.body.fundId));
    expect(ids.size).toBe(1);
    for (const r of results.filter((r) => r.status !== 201)) expectProblem(r, 409, 'idempotency_key_in_flight');
  });

  it('rejects amounts outside 1 .. 10^13 and floats', async () => {
    for (const totalBudget of [0, -5, 1.5, 10_000_000_000_001, '100']) {
      const res = await rt.api('POST', '/v1/funds', {
        ...admin,
        idempotencyKey: `bad-${String(totalBudget)}`,
        body: { name: 'x', currency: 'CNY', totalBudget, financeSystem: 'ledger-bot' },
      });
      expectProblem(res, 400, 'validation_failed');
    }
    const usd = await rt.api('POST', '/v1/funds', {
      ...admin,
      idempotencyKey: 'usd',
      body: { name: 'x', currency: 'USD', totalBudget: 5, financeSystem: 'ledger-bot' },
    });
    expectProblem(usd, 400, 'validation_failed');
  });

  it('holds Σ allocated ≤ totalBudget and allocated ≥ reserved + paid, with fund totals equal to the sums', async () => {
    await county('622921');
    await county('622922');
    const f = await fund(1_000_000);
    const put = (code: string, amount: number) =>
      rt.api('PUT', `/v1/funds/${f.fundId}/allocations/${code}`, { ...admin, body: { amount } });

    const a = await put('622921', 600_000);
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ fundId: f.fundId, countyCode: '622921', allocated: 600_000, reserved: 0, paid: 0, available: 600_000 });
    expectProblem(await put('622922', 400_001), 409, 'insufficient_fund_budget');
    expect((await put('622922', 400_000)).status).toBe(200);

    // Reserve 250,000 on the first county the way an approval does, then try to lower below it.
    await commitMoney(
      {
        source: ALLOCATION,
        fundId: f.fundId,
        countyCode: '622921',
        move: 'reserve',
        amount: 250_000,
        ref: {},
        actor: 'test',
        now: new Date(),
      },
      (money) => money,
    );
    expectProblem(await put('622921', 249_999), 409, 'allocation_below_commitments');
    const lowered = await put('622921', 250_000);
    expect(lowered.body).toMatchObject({ allocated: 250_000, reserved: 250_000, available: 0 });

    const got = await rt.api('GET', `/v1/funds/${f.fundId}`, { roles: 'auditor' });
    expect(got.body).toMatchObject({ allocated: 650_000, reserved: 250_000, paid: 0, unallocated: 350_000 });
    const list = await rt.api('GET', `/v1/funds/${f.fundId}/allocations`, { roles: 'auditor' });
    expect(list.body.items.map((x: { countyCode: string }) => x.countyCode)).toEqual(['622921', '622922']);

    expectProblem(await put('999998', 1), 404, 'not_found');
    expectProblem(
      await rt.api('PUT', `/v1/funds/fund_01M8MB7QKGZ7EXTNFH95G3P5TD/allocations/622921`, { ...admin, body: { amount: 1 } }),
      404,
      'not_found',
    );
  });

  it('never lets concurrent allocation changes exceed the budget', async () => {
    const codes = ['623001', '623002', '623003', '623004', '623005', '623006', '623007', '623008'];
    await Promise.all(codes.map((c) => county(c)));
    const f = await fund(3_000);
    const results = await Promise.all(
      codes.map((c) => rt.api('PUT', `/v1/funds/${f.fundId}/allocations/${c}`, { ...admin, body: { amount: 1_000 } })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(3);
    for (const r of results.filter((r) => r.status !== 200)) expectProblem(r, 409, 'insufficient_fund_budget');
    const got = await rt.api('GET', `/v1/funds/${f.fundId}`, { roles: 'auditor' });
    expect(got.body).toMatchObject({ allocated: 3_000, unallocated: 0 });
  });
});

describe('webhook endpoints', () => {
  it('shows the whsec_ secret once, rotates it, lists deliveries, deletes', async () => {
    const created = await rt.api('POST', '/v1/webhook-endpoints', {
      ...admin,
      body: { url: 'http://127.0.0.1:9/hook', events: ['payout.requested', 'payout.settled'], description: 'Finance' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ endpointId: expect.stringMatching(/^whe_/), status: 'enabled', description: 'Finance' });
    expect(Buffer.from(created.body.secret.replace(/^whsec_/, ''), 'base64').length).toBeGreaterThanOrEqual(24);
    const id = created.body.endpointId;

    const got = await rt.api('GET', `/v1/webhook-endpoints/${id}`, { roles: 'auditor' });
    expect(got.body).not.toHaveProperty('secret');
    const list = await rt.api('GET', '/v1/webhook-endpoints', { roles: 'auditor' });
    expect(JSON.stringify(list.body)).not.toContain(created.body.secret);

    const rotated = await rt.api('POST', `/v1/webhook-endpoints/${id}/rotate-secret`, admin);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.body.secret);

    const deliveries = await rt.api('GET', `/v1/webhook-endpoints/${id}/deliveries`, { roles: 'auditor' });
    expect(deliveries.body).toEqual({ items: [], nextCursor: null });

    expectProblem(await rt.api('GET', `/v1/webhook-endpoints/${id}`, { roles: 'requester' }), 403, 'forbidden');
    expect((await rt.api('DELETE', `/v1/webhook-endpoints/${id}`, admin)).status).toBe(204);
    expectProblem(await rt.api('GET', `/v1/webhook-endpoints/${id}`, { roles: 'auditor' }), 404, 'not_found');
    expectProblem(await rt.api('DELETE', `/v1/webhook-endpoints/${id}`, admin), 404, 'not_found');
  });

  it('validates events and urls', async () => {
    const bad = [
      { url: 'http://127.0.0.1:9/hook', events: [] },
      { url: 'http://127.0.0.1:9/hook', events: ['payout.exploded'] },
      { url: 'http://127.0.0.1:9/hook', events: ['payout.settled', 'payout.settled'] },
      { url: 'ftp://127.0.0.1/hook', events: ['*'] },
    ];
    for (const body of bad) expectProblem(await rt.api('POST', '/v1/webhook-endpoints', { ...admin, body }), 400, 'validation_failed');
  });
});

describe('public routes', () => {
  it('serves health, the OpenAPI document and the docs page without a token', async () => {
    expect((await rt.api('GET', '/health')).body).toEqual({ status: 'ok' });
    const doc = await rt.api('GET', '/v1/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(doc.body.paths['/v1/funds'].post.operationId).toBe('createFund');
    const docs = await fetch(`${rt.url}/docs`);
    expect(docs.headers.get('content-type')).toContain('text/html');
    const script = /<script src="(\/docs\/reference\.js\?v=[0-9a-f]+)">/.exec(await docs.text())?.[1];
    expect(script).toBeDefined();
    // The renderer's bundle: gzip to a client that takes it (fetch unzips it), cached for a year.
    const reference = await fetch(`${rt.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(reference.status).toBe(200);
    expect(reference.headers.get('content-type')).toContain('text/javascript');
    expect(reference.headers.get('content-encoding')).toBe('gzip');
    expect(reference.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await reference.text()).length).toBeGreaterThan(1_000_000);
  });
});
