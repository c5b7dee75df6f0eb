/**
 * Fuzzing every route of shared/routes.ts through the local runtime with fast-check: arbitrary and
 * near-valid bodies, path ids, query strings and headers. Whatever arrives, the answer is never a
 * 5xx; every error is problem+json with a contract code; and a rejected request changes nothing
 * (the table is snapshotted around each one). Then every date a route takes, at the edges (before 1970, year 9999,
 * 30 February, offsets up to ±24:00, leap seconds, five-digit years): never a 5xx, a rejection changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { startTestRuntime, type TestRuntime } from '#test/support/runtime';
import { routes, routeKey, type RouteDefinition } from '#shared/routes';
import { ROLES } from '#shared/domain/roles';
import { ERROR_STATUS } from '#shared/domain/errors';
import { contracts } from '#shared/schemas/index';

let rt: TestRuntime;
let token: string;
const fixtures: Record<string, string> = {};

const RUNS = Number(process.env.FUZZ_RUNS ?? 10);

beforeAll(async () => {
  rt = await startTestRuntime({ pollers: false });
  token = await rt.token([...ROLES], 'fuzzer');
  const admin = { roles: 'fund-admin', sub: 'fixture-admin' };
  await rt.api('PUT', '/v1/counties/620821', { ...admin, body: { name: 'Jingchuan', province: 'Gansu' } });
  const fund = await rt.api('POST', '/v1/funds', {
    ...admin,
    idempotencyKey: 'fixture-fund',
    body: { name: 'F', currency: 'CNY', totalBudget: 1_000_000_000, financeSystem: 'ledger-bot' },
  });
  fixtures.fundId = fund.body.fundId;
  fixtures.countyCode = '620821';
  await rt.api('PUT', `/v1/funds/${fixtures.fundId}/allocations/620821`, { ...admin, body: { amount: 100_000_000 } });
  // An open public notice (公示): objections are fuzzed against a real notice and item.
  const noticeFund = await rt.api('POST', '/v1/funds', {
    ...admin,
    idempotencyKey: 'fixture-notice-fund',
    body: { name: 'N', currency: 'CNY', totalBudget: 1_000_000_000, financeSystem: 'ledger-bot', noticePeriod: 'P7D' },
  });
  await rt.api('PUT', `/v1/funds/${noticeFund.body.fundId}/allocations/620821`, { ...admin, body: { amount: 100_000_000 } });
  const noticed = await rt.api('POST', '/v1/disbursements', {
    roles: 'requester',
    sub: 'fixture-maker',
    idempotencyKey: 'fixture-noticed',
    body: { fundId: noticeFund.body.fundId, countyCode: '620821', amount: 1_000, currency: 'CNY', purpose: 'other', beneficiary: farmer },
  });
  const inNotice = await rt.api('POST', `/v1/disbursements/${noticed.body.disbursementId}/approve`, {
    roles: 'approver',
    sub: 'fixture-checker',
    body: {},
  });
  fixtures.noticeId = inNotice.body.notice.noticeId;
  fixtures.itemRef = noticed.body.disbursementId;
});
afterAll(async () => rt?.stop());

const account = { bankName: 'Agricultural Bank of China', accountName: 'Li Wei', accountNumber: '6228480012345678' };
const farmer = { kind: 'farmer', name: 'Li Wei', account };
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();
const inADay = () => new Date(Date.now() + 86_400_000).toISOString();

/** A valid body per write operation: the seed the near-valid mutations start from. */
const validBodies = (): Record<string, unknown> => ({
  putCounty: { name: 'Huining', province: 'Gansu', modelCounty: true },
  createFund: { name: 'Fund', currency: 'CNY', totalBudget: 5_000, financeSystem: 'ledger-bot' },
  putAllocation: { amount: 1_000 },
  createDisbursement: {
    fundId: fixtures.fundId,
    countyCode: '620821',
    amount: 1_000,
    currency: 'CNY',
    purpose: 'training',
    beneficiary: farmer,
  },
  approveDisbursement: { comment: 'ok' },
  rejectDisbursement: { reason: 'no' },
  cancelDisbursement: { reason: 'no' },
  createBatch: { fundId: fixtures.fundId, countyCode: '620821', purpose: 'produce-subsidy', items: [{ beneficiary: farmer, amount: 500 }] },
  approveBatch: {},
  rejectBatch: { reason: 'no' },
  cancelBatch: { reason: 'no' },
  settlePayout: { outcome: 'succeeded', bankReference: 'ABC123' },
  redeliverPayout: {},
  createReconciliation: {
    statementDate: '2026-12-01',
    lines: [{ bankReference: 'ABC123', amount: 1_000, currency: 'CNY', valueDate: '2026-12-01' }],
  },
  createWebhookEndpoint: { url: 'https://finance.example.com/hook', events: ['payout.requested'] },
  rotateWebhookSecret: {},
  updateWebhookEndpoint: { description: 'Finance hook', status: 'enabled' },
  testWebhookEndpoint: {},
  resendWebhookMessage: {},
  launchCampaign: {
    countyCode: '620821',
    title: 'Apples',
    channel: 'taobao',
    products: [{ sku: 'A-1', name: 'Apple', unitPrice: 1_000, promoPrice: 800 }],
    startsAt: inAnHour(),
    endsAt: inADay(),
  },
  cancelCampaign: { reason: 'weather' },
  reportCampaignResults: { reportedAt: new Date().toISOString(), orders: 1, unitsSold: 2, grossSales: 1_600 },
  applyStation: {
    countyCode: '620821',
    village: 'Wangjia',
    name: 'Wangjia station',
    kind: 'village-service-station',
    operator: { name: 'Wang Fang', phone: '13812345678', nationalId: '11010519491231002X' },
  },
  recordStationTraining: { completedAt: new Date().toISOString(), course: 'Basics' },
  approveStation: {},
  rejectStation: { reason: 'no' },
  suspendStation: { reason: 'no' },
  reinstateStation: {},
  // Bodies whose shape is valid but whose reason is too short: a fuzzed objection that got through would change the table.
  fileObjection: { itemRef: fixtures.itemRef, reason: 'short', contact: '13812345678' },
  postNoticeObjectionForm: `itemRef=${fixtures.itemRef}&reason=short`,
  resolveObjection: { outcome: 'upheld', note: 'n' },
});
/** Routes that answer a person's form in HTML: their refusals may be a page instead of problem+json. */
const HTML_FORMS = new Set(['postNoticeObjectionForm']);

const jsonValue = fc.jsonValue({ maxDepth: 3 });

function nearValid(seed: unknown): fc.Arbitrary<unknown> {
  if (!seed || typeof seed !== 'object' || Array.isArray(seed)) return jsonValue;
  const obj = seed as Record<string, unknown>;
  const keys = Object.keys(obj);
  const variants: fc.Arbitrary<unknown>[] = [
    jsonValue,
    fc.record({ extra: jsonValue }).map((extra) => ({ ...obj, [`unknown_${Object.keys(extra).length}`]: extra.extra })),
  ];
  if (keys.length > 0) {
    const key = fc.constantFrom(...keys);
    variants.push(key.map((k) => Object.fromEntries(Object.entries(obj).filter(([name]) => name !== k))));
    variants.push(
      fc
        .tuple(
          key,
          fc.oneof(jsonValue, fc.constantFrom(-1, 0, 1.5, 1e13 + 1, Number.MAX_SAFE_INTEGER, '', ' ', 'x'.repeat(5_000), null, [], {})),
        )
        .map(([k, v]) => ({ ...obj, [k]: v })),
    );
    for (const k of keys) {
      const inner = obj[k];
      if (inner && typeof inner === 'object') variants.push(nearValid(inner).map((v) => ({ ...obj, [k]: v })));
    }
  }
  return fc.oneof(...variants);
}

const idLike = fc.oneof(
  fc.string({ minLength: 1, maxLength: 40 }),
  fc.constantFrom(
    'fund_',
    'dsb_0',
    'pay_01M8MB7QKGZ7EXTNFH95G3P5T',
    'PAY_01M8MB7QKGZ7EXTNFH95G3P5TD',
    '..',
    '%2e%2e',
    '620821',
    '0',
    'null',
  ),
);

function pathWith(route: RouteDefinition, id: string, useFixture: boolean): string {
  return route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(useFixture && fixtures[name] ? fixtures[name] : id));
}

const queryArb = fc.oneof(
  fc.constant(''),
  fc
    .dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 20 }), { maxKeys: 3 })
    .map((d) => new URLSearchParams(d).toString()),
  fc.constantFrom(
    'limit=0',
    'limit=101',
    'limit=abc',
    'limit=-1',
    'cursor=forged',
    'cursor=',
    'status=bogus',
    'modelCounty=yes',
    'limit=1&limit=2',
  ),
);

const headerArb = fc.record({
  idempotencyKey: fc.option(fc.string({ minLength: 0, maxLength: 300 }), { nil: undefined }),
  contentType: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'text/csv', ''),
});

/**
 * The table's items, but the access log's: the fuzzer's token carries every role, `observer` too, so each of its
 * requests is logged by design (test/integration/access-log.test.ts); a rejected request changes nothing else.
 */
async function snapshot(): Promise<string> {
  const items = (await rt.services.scanTable()).filter((i) => i.type !== 'access');
  return JSON.stringify(items.map((i) => JSON.stringify(i)).sort());
}

const KNOWN_CODES = new Set(Object.keys(ERROR_STATUS));

describe('fuzzing every route', () => {
  for (const route of routes) {
    it(`${routeKey(route)}`, async () => {
      const seeds = validBodies();
      const bodyArb =
        route.method === 'GET' || route.method === 'DELETE'
          ? fc.constant(undefined)
          : fc.oneof(nearValid(seeds[route.operationId] ?? {}), fc.string({ maxLength: 50 }));
      await fc.assert(
        fc.asyncProperty(idLike, fc.boolean(), queryArb, headerArb, bodyArb, async (id, useFixture, query, headers, body) => {
          const before = await snapshot();
          const path = pathWith(route, id, useFixture) + (query ? `?${query}` : '');
          const res = await rt.api(route.method, path, {
            token,
            idempotencyKey: headers.idempotencyKey,
            headers: headers.contentType ? { 'content-type': headers.contentType } : {},
            body,
          });
          expect(res.status, `${route.method} ${path} → ${JSON.stringify(res.body)}`).toBeLessThan(500);
          if (res.status >= 400 && HTML_FORMS.has(route.operationId) && res.headers.get('content-type')?.startsWith('text/html')) {
            expect(await snapshot(), `${route.method} ${path} answered ${res.status} but changed the table`).toBe(before);
          } else if (res.status >= 400) {
            expect(res.headers.get('content-type')).toContain('application/problem+json');
            expect(KNOWN_CODES.has(res.body.code), `unknown code ${res.body.code}`).toBe(true);
            expect(res.body.status).toBe(res.status);
            expect(JSON.stringify(res.body)).not.toMatch(/Exception|stack|at \w+ \(|dynamodb|sqs\./i);
            expect(await snapshot(), `${route.method} ${path} answered ${res.status} but changed the table`).toBe(before);
          }
        }),
        { numRuns: RUNS },
      );
    });
  }
});

/** Dates at the edges of what a calendar, a ULID and a sortable key can hold (pre-1970, year 9999, Feb 30, offsets). */
const DATE_EDGES = [
  '1969-12-31T23:59:59Z',
  '1969-12-31T23:59:59.999Z',
  '1969-12-31',
  '0000-01-01T00:00:00Z',
  '0000-01-01',
  '9999-12-31T23:59:59Z',
  '9999-12-31T23:59:59.999+00:00',
  '9999-12-31',
  '2026-02-30',
  '2026-02-30T00:00:00Z',
  '2026-12-01T08:00:00+08:00',
  '2026-12-01T08:00:00-12:00',
  '2026-12-01T08:00:00+14:00',
  '2026-12-01T08:00:00+24:00',
  '2026-12-01T24:00:00Z',
  '2026-12-31T23:59:60Z',
  '+275760-09-13T00:00:00Z',
  '2026-12-01T08:00:00.123456789Z',
];

const looksLikeDate = (value: unknown) => typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value);

/** Every place a route takes a date: query parameters whose schema takes one, and date fields of its valid body. */
function dateFields(route: RouteDefinition): { where: 'query' | 'body' | 'line'; name: string }[] {
  const contract = contracts.get(route.operationId);
  const fields: { where: 'query' | 'body' | 'line'; name: string }[] = [];
  const shape = (contract?.query as { shape?: Record<string, { safeParse(v: unknown): { success: boolean } }> } | undefined)?.shape ?? {};
  for (const [name, schema] of Object.entries(shape)) {
    const takesDate = schema.safeParse('2026-12-01T08:00:00Z').success || schema.safeParse('2026-12-01').success;
    if (takesDate && !schema.safeParse('not a date').success) fields.push({ where: 'query', name });
  }
  const seed = validBodies()[route.operationId];
  if (seed && typeof seed === 'object') {
    for (const [name, value] of Object.entries(seed)) if (looksLikeDate(value)) fields.push({ where: 'body', name });
    const line = (seed as { lines?: Record<string, unknown>[] }).lines?.[0];
    for (const [name, value] of Object.entries(line ?? {})) if (looksLikeDate(value)) fields.push({ where: 'line', name });
  }
  return fields;
}

describe('fuzzing the date edges of every route that takes a date', () => {
  const dated = routes.filter((route) => dateFields(route).length > 0);

  it('finds the routes that take dates (events, payouts, ledger, reconciliations, campaigns, stations)', () => {
    const ids = dated.map((r) => r.operationId);
    for (const id of ['listEvents', 'listPayouts', 'createReconciliation', 'launchCampaign', 'recordStationTraining'])
      expect(ids).toContain(id);
  });

  for (const route of dated) {
    it(`${routeKey(route)}: ${dateFields(route)
      .map((f) => f.name)
      .join(', ')}`, async () => {
      for (const field of dateFields(route)) {
        for (const value of DATE_EDGES) {
          const seed = validBodies()[route.operationId] as Record<string, unknown> | undefined;
          let body: unknown = seed;
          let query = '';
          if (field.where === 'query') query = `?${new URLSearchParams({ [field.name]: value }).toString()}`;
          else if (field.where === 'body') body = { ...seed, [field.name]: value };
          else body = { ...seed, lines: [{ ...(seed!.lines as Record<string, unknown>[])[0], [field.name]: value }] };
          const path = pathWith(route, 'x', true) + query;
          const before = await snapshot();
          const res = await rt.api(route.method, path, {
            token,
            idempotencyKey: `date-edge-${route.operationId}-${field.name}-${value}`,
            body: route.method === 'GET' ? undefined : body,
          });
          const what = `${route.method} ${path} ${field.where}.${field.name}=${value}`;
          expect(res.status, `${what} → ${JSON.stringify(res.body)}`).toBeLessThan(500);
          if (res.status >= 400) {
            expect(res.headers.get('content-type'), what).toContain('application/problem+json');
            expect(KNOWN_CODES.has(res.body.code), `${what}: unknown code ${res.body.code}`).toBe(true);
            expect(await snapshot(), `${what} answered ${res.status} but changed the table`).toBe(before);
          }
        }
      }
    }, 300_000);
  }
});
