/**
 * Idempotency-Key as the contract states it, through the real handlers on DynamoDB Local: no personal
 * data recoverable from idempotency records, and one key scope whatever the function is called.
 */
import { createHash, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { useLocalServices, type LocalServices } from '#test/support/local-services';
import { handlerCaller, type Call, type HttpHandler as Handler, type Reply } from '#test/support/handler-call';
import { nationalIdCheckCharacter } from '#shared/domain/personal-data';
import type { HttpFunctionName } from '#shared/routes';
import { disbursementBody } from './disbursement-harness.ts';

const COUNTY = '500241';

let services: LocalServices;
let call: (method: string, path: string, options?: Call) => Promise<Reply>;
let fundId: string;

/** Fresh imports after `vi.resetModules()` give another copy of the code, as another Lambda function has. */
async function loadHandlers(): Promise<Partial<Record<HttpFunctionName, Handler>>> {
  const handlerOf = (m: unknown) => (m as { handler: Handler }).handler;
  return {
    funds: handlerOf(await import('#functions/http/funds')),
    disbursements: handlerOf(await import('#functions/http/disbursements')),
    batches: handlerOf(await import('#functions/http/batches')),
    campaigns: handlerOf(await import('#functions/http/campaigns')),
    stations: handlerOf(await import('#functions/http/stations')),
  };
}

let sequence = 0;
function stationApplication() {
  sequence += 1;
  const first17 = `51342219750314${String(sequence).padStart(3, '0')}`;
  return {
    countyCode: COUNTY,
    village: 'Zhongyi',
    name: 'Zhongyi village service station',
    kind: 'village-service-station',
    operator: { name: 'Li Hua', phone: `1391234${String(1000 + sequence)}`, nationalId: first17 + nationalIdCheckCharacter(first17) },
  };
}

/** Powertools' records and the creates' claims: everything the idempotency layer keeps. */
const isIdempotencyItem = (item: Record<string, unknown>) => String(item.pk).startsWith('IDEM');

async function idempotencyItems() {
  return (await services.scanTable()).filter(isIdempotencyItem);
}

/** Object keys sorted at every depth, as Powertools does before hashing. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, sortedKeys(v)]));
  }
  return value;
}

/** Every unkeyed digest anyone would try first to confirm a guessed body, phone or national ID. */
function unkeyedDigests(inputs: string[]): string[] {
  return inputs.flatMap((input) =>
    ['md5', 'sha1', 'sha256'].flatMap((algorithm) =>
      (['hex', 'base64', 'base64url'] as const).map((encoding) => createHash(algorithm).update(input).digest(encoding)),
    ),
  );
}

beforeAll(async () => {
  services = await useLocalServices();
  call = handlerCaller(await loadHandlers(), { sub: 'admin-1', roles: ['fund-admin'] });
  const { putCounty } = await import('#shared/data/counties');
  const funds = await import('#shared/data/funds');
  await putCounty({ countyCode: COUNTY, name: 'Shizhu', province: 'Chongqing', modelCounty: true }, new Date());
  fundId = (await funds.createFund({ name: 'Relief fund', totalBudget: 100_000_000_000, dualApprovalThreshold: 100_000_000 }, { sub: 'admin-1' }, new Date())).fundId;
  await funds.setAllocation(fundId, COUNTY, 10_000_000_000, { sub: 'admin-1' }, new Date());
});

describe('personal data in idempotency records', () => {
  const officer: Call = { sub: 'officer-a', roles: ['station-officer'] };

  it('keeps no unkeyed hash of a station application, and still tells a replay from a reused key', async () => {
    const body = stationApplication();
    const key = randomUUID();
    const first = await call('POST', '/v1/stations', { ...officer, body, idempotencyKey: key });
    expect(first.status).toBe(201);

    const records = JSON.stringify(await idempotencyItems());
    expect(records).not.toContain(body.operator.phone);
    expect(records).not.toContain(body.operator.nationalId);
    // The reply kept for replays names the operator: it is kept encrypted.
    expect(records).not.toContain(body.operator.name);
    const guesses = unkeyedDigests([
      JSON.stringify(body),
      JSON.stringify(sortedKeys(body)),
      JSON.stringify(sortedKeys(['POST', '/v1/stations', body])),
      JSON.stringify(sortedKeys({ method: 'POST', path: '/v1/stations', body })),
      body.operator.phone,
      body.operator.nationalId,
    ]);
    for (const digest of guesses) expect(records).not.toContain(digest);

    const again = await call('POST', '/v1/stations', { ...officer, body, idempotencyKey: key });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    const otherBody = { ...body, operator: { ...body.operator, phone: '13900001111' } };
    const reused = await call('POST', '/v1/stations', { ...officer, body: otherBody, idempotencyKey: key });
    expect([reused.status, reused.body.code]).toEqual([422, 'idempotency_key_reuse']);
    expect((await services.scanTable()).filter((i) => i.type === 'station' && i.countyCode === COUNTY && i.stationId === first.body.stationId)).toHaveLength(1);
  });
});

describe('the scope of a key', () => {
  const admin = { sub: 'admin-2', roles: ['fund-admin'] };

  it.each([
    { where: 'locally (one function name for every route)', funds: 'relief-fund-local', disbursements: 'relief-fund-local' },
    { where: 'deployed (one function per context)', funds: 'relief-fund-funds', disbursements: 'relief-fund-disbursements' },
  ])('$where: the same caller and key on another route is 422', async (names) => {
    const key = randomUUID();
    const previous = process.env.AWS_LAMBDA_FUNCTION_NAME;
    try {
      process.env.AWS_LAMBDA_FUNCTION_NAME = names.funds;
      vi.resetModules();
      const funds = handlerCaller(await loadHandlers(), admin);
      const fund = await funds('POST', '/v1/funds', { body: { name: 'Scoped', currency: 'CNY', totalBudget: 1_000 }, idempotencyKey: key });
      expect(fund.status).toBe(201);

      process.env.AWS_LAMBDA_FUNCTION_NAME = names.disbursements;
      vi.resetModules();
      const disbursements = handlerCaller(await loadHandlers(), admin);
      const before = (await services.scanTable()).filter((i) => i.type === 'disbursement').length;
      const other = await disbursements('POST', '/v1/disbursements', { body: disbursementBody(fundId, 300), idempotencyKey: key });
      expect([other.status, other.body.code]).toEqual([422, 'idempotency_key_reuse']);
      expect((await services.scanTable()).filter((i) => i.type === 'disbursement')).toHaveLength(before);
      // Another caller's identical key is another key, wherever it is used.
      const otherCaller = await disbursements('POST', '/v1/disbursements', { sub: 'admin-3', body: disbursementBody(fundId, 300), idempotencyKey: key });
      expect(otherCaller.status).toBe(201);
    } finally {
      if (previous === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME;
      else process.env.AWS_LAMBDA_FUNCTION_NAME = previous;
    }
  });
});
