/**
 * Idempotency-Key as the contract states it, through the real handlers on DynamoDB Local: no personal
 * data recoverable from idempotency records, a create retried after a crash between its commit and its
 * reply finds what the first attempt created, and one key scope whatever the function is called.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { useLocalServices, type LocalServices } from '#test/support/local-services';
import { handlerCaller, type Call, type HttpHandler as Handler, type Reply } from '#test/support/handler-call';
import { nationalIdCheckCharacter } from '#shared/domain/personal-data';
import type { HttpFunctionName } from '#shared/routes';
import { batchBody } from './batch-harness.ts';
import { disbursementBody } from './disbursement-harness.ts';
import { fundsContext } from '#test/support/contexts';
import { captureLogs } from '#test/support/log-capture';

const COUNTY = '500241';
const DAY = 24 * 60 * 60 * 1000;

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

function campaignBody(overrides: Record<string, unknown> = {}) {
  const start = Date.now() + DAY + sequence++ * 30 * DAY;
  return {
    countyCode: COUNTY,
    title: 'Kiwi harvest week',
    channel: 'rural-taobao',
    products: [{ sku: 'KIWI-5KG', name: 'Red-heart kiwi 5 kg', unitPrice: 9_900, promoPrice: 6_900 }],
    startsAt: new Date(start).toISOString(),
    endsAt: new Date(start + 7 * DAY).toISOString(),
    subsidy: { fundId, amount: 50_000 },
    ...overrides,
  };
}

/** Powertools' records and the creates' claims: everything the idempotency layer keeps. */
const isIdempotencyItem = (item: Record<string, unknown>) => String(item.pk).startsWith('IDEM');

async function idempotencyItems() {
  return (await services.scanTable()).filter(isIdempotencyItem);
}

/** The table without idempotency items, in a stable order: the state a retry must not change. */
async function resourceState() {
  const items = (await services.scanTable()).filter((i) => !isIdempotencyItem(i));
  return items.map((i) => JSON.stringify(i)).sort();
}

/** Object keys sorted at every depth, as Powertools does before hashing. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, sortedKeys(v)]),
    );
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

/** An item's size as DynamoDB bills it (attribute names + values; numbers about one byte per two digits). */
function itemBytes(value: unknown): number {
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return Math.ceil(String(value).replace(/[-.]/g, '').length / 2) + 1;
  if (typeof value === 'boolean' || value === null) return 1;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + itemBytes(v), 0);
  if (value && typeof value === 'object') {
    return 3 + Object.entries(value).reduce((sum, [k, v]) => sum + 1 + Buffer.byteLength(k) + itemBytes(v), 0);
  }
  return 0;
}
const topLevelBytes = (item: Record<string, unknown>) => itemBytes(item) - 3 - Object.keys(item).length;

beforeAll(async () => {
  services = await useLocalServices();
  call = handlerCaller(await loadHandlers(), { sub: 'admin-1', roles: ['fund-admin'] });
  const { putCounty } = await import('#shared/data/counties/items');
  const funds = await fundsContext();
  await putCounty({ countyCode: COUNTY, name: 'Shizhu', province: 'Chongqing', modelCounty: true }, new Date());
  fundId = (
    await funds.createFund(
      {
        name: 'Relief fund',
        totalBudget: 100_000_000_000,
        dualApprovalThreshold: 100_000_000,
        financeSystem: 'finance-1',
        noticePeriod: 'P0D',
      },
      { sub: 'admin-1' },
      new Date(),
    )
  ).fundId;
  await funds.setAllocation(fundId, COUNTY, 10_000_000_000, { sub: 'admin-1' }, new Date());
});

afterEach(() => {
  vi.restoreAllMocks();
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
    expect(
      (await services.scanTable()).filter((i) => i.type === 'station' && i.countyCode === COUNTY && i.stationId === first.body.stationId),
    ).toHaveLength(1);
  });
});

describe('a create retried after a crash between its commit and its reply', () => {
  const creates = [
    {
      what: 'fund',
      type: 'fund',
      path: '/v1/funds',
      as: { sub: 'admin-1', roles: ['fund-admin'] },
      id: 'fundId',
      body: () => ({ name: 'Flood relief', currency: 'CNY', totalBudget: 1_000_000, financeSystem: 'finance-1' }),
      other: { name: 'Drought relief' },
    },
    {
      what: 'disbursement',
      type: 'disbursement',
      path: '/v1/disbursements',
      as: { sub: 'requester-1', roles: ['requester'] },
      id: 'disbursementId',
      body: () => disbursementBody(fundId, 2_000),
      other: { amount: 2_001 },
    },
    {
      what: 'batch',
      type: 'batch',
      path: '/v1/disbursement-batches',
      as: { sub: 'requester-1', roles: ['requester'] },
      id: 'batchId',
      body: () => batchBody(fundId, [100, 200]),
      other: { purpose: 'training' },
    },
    {
      what: 'campaign (with a subsidy reserved)',
      type: 'campaign',
      path: '/v1/campaigns',
      as: { sub: 'operator-1', roles: ['campaign-operator'] },
      id: 'campaignId',
      body: () => campaignBody(),
      other: { title: 'Tea week' },
    },
    {
      what: 'station',
      type: 'station',
      path: '/v1/stations',
      as: { sub: 'officer-a', roles: ['station-officer'] },
      id: 'stationId',
      body: () => stationApplication(),
      other: { village: 'Xinhua' },
    },
  ];

  /**
   * The first attempt commits, then dies before Powertools marks its record COMPLETED (that write is the
   * one that fails); its in-progress lock then runs out, as it does when the Lambda's time is up.
   */
  async function crashAfterCommit(path: string, options: Call): Promise<void> {
    vi.spyOn(DynamoDBPersistenceLayer.prototype as unknown as { _updateRecord(): Promise<void> }, '_updateRecord').mockRejectedValueOnce(
      new Error('Lambda runtime exited after the commit'),
    );
    // The crash is logged for operators: captured and asserted, not printed on a passing run.
    const logs = captureLogs();
    let crashed: Awaited<ReturnType<typeof call>>;
    try {
      crashed = await call('POST', path, options);
    } finally {
      logs.restore();
    }
    expect(crashed.status).toBe(500);
    expect(logs.text()).toContain('"message":"unhandled error"');
    const documents = DynamoDBDocumentClient.from(services.dynamo);
    for (const record of (await idempotencyItems()).filter((i) => i.status === 'INPROGRESS')) {
      await documents.send(
        new UpdateCommand({
          TableName: services.tableName,
          Key: { pk: record.pk, sk: record.sk },
          UpdateExpression: 'SET in_progress_expiration = :past',
          ExpressionAttributeValues: { ':past': Date.now() - 1_000 },
        }),
      );
    }
  }

  it.each(creates)('$what: the retry answers with what the first attempt created, and creates nothing', async (create) => {
    const key = randomUUID();
    const body = create.body();
    // A disbursement item keeps its id only in its key (DSB#<id>): it is stored without the field to stay under 1 KB.
    const idOf = (i: Record<string, unknown>) => (i[create.id] ?? (i.pk as string).slice((i.pk as string).indexOf('#') + 1)) as string;
    const idsOfType = async () => (await services.scanTable()).filter((i) => i.type === create.type).map(idOf);
    const before = new Set(await idsOfType());
    await crashAfterCommit(create.path, { ...create.as, body, idempotencyKey: key });
    const committed = (await idsOfType()).filter((id) => !before.has(id));
    expect(committed).toHaveLength(1);
    const state = await resourceState();

    const reused = await call('POST', create.path, { ...create.as, body: { ...body, ...create.other }, idempotencyKey: key });
    expect([reused.status, reused.body.code]).toEqual([422, 'idempotency_key_reuse']);
    const retry = await call('POST', create.path, { ...create.as, body, idempotencyKey: key });
    expect(retry.status).toBe(201);
    expect(retry.body[create.id]).toBe(committed[0]);
    const replay = await call('POST', create.path, { ...create.as, body, idempotencyKey: key });
    expect([replay.status, replay.body]).toEqual([201, retry.body]);

    // One resource, and nothing else moved: allocations, county counts, audit trail, events.
    expect(await resourceState()).toEqual(state);
  });
});

describe('what idempotency costs a disbursement', () => {
  it('its record and its claim fit in one write unit each (1 KB), and the replay is the same bytes', async () => {
    const key = randomUUID();
    const options: Call = { sub: 'requester-1', roles: ['requester'], body: disbursementBody(fundId, 3_000), idempotencyKey: key };
    const first = await call('POST', '/v1/disbursements', options);
    expect(first.status).toBe(201);
    const replay = await call('POST', '/v1/disbursements', options);
    expect(replay.text).toBe(first.text);
    const { idempotencyClaim } = await import('#shared/http/idempotency');
    const { keyHash } = await idempotencyClaim({ sub: 'requester-1', key, method: 'POST', path: '/v1/disbursements', body: options.body });
    const claim = (await idempotencyItems()).filter((i) => i.pk === `IDEM#CLAIM#${keyHash}`);
    // Powertools keys its record by a hash of what eventKeyJmesPath selects: the key hash.
    const recordKey = `IDEM#http#${createHash('sha256').update(JSON.stringify(keyHash)).digest('base64')}`;
    const record = (await idempotencyItems()).filter((i) => i.pk === recordKey && i.status === 'COMPLETED');
    expect(claim).toHaveLength(1);
    expect(topLevelBytes(claim[0] as Record<string, unknown>)).toBeLessThanOrEqual(1024);
    expect(record).toHaveLength(1);
    expect(topLevelBytes(record[0] as Record<string, unknown>)).toBeLessThanOrEqual(1024);
  });
});

describe('one claim per key, whatever the timing', () => {
  it('concurrent attempts with one key (a frozen first attempt resuming after the lock ran out) create one fund', async () => {
    const { createFund, getFund } = await fundsContext();
    const { idempotencyClaim } = await import('#shared/http/idempotency');
    const body = { name: 'Raced fund', currency: 'CNY', totalBudget: 7_000, financeSystem: 'finance-1' };
    const claim = await idempotencyClaim({ sub: 'admin-1', key: randomUUID(), method: 'POST', path: '/v1/funds', body });
    const input = {
      name: body.name,
      totalBudget: body.totalBudget,
      financeSystem: 'finance-1',
      dualApprovalThreshold: 100_000_000,
      noticePeriod: 'P0D',
    };
    const attempts = await Promise.allSettled(Array.from({ length: 6 }, () => createFund(input, { sub: 'admin-1' }, new Date(), claim)));
    const funds = (await services.scanTable()).filter((i) => i.type === 'fund' && i.name === 'Raced fund');
    expect(funds).toHaveLength(1);
    for (const attempt of attempts) {
      // The losers either saw the winner's claim or were told to run again (and then see it).
      if (attempt.status === 'fulfilled') expect(attempt.value.fundId).toBe(funds[0]?.fundId);
      else expect(['ClaimedMeanwhile', 'TransactionConflict']).toContain((attempt.reason as Error).name);
    }
    const again = await createFund(input, { sub: 'admin-1' }, new Date(), claim);
    expect(again).toEqual(await getFund(funds[0]?.fundId as string));
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
      const fund = await funds('POST', '/v1/funds', {
        body: { name: 'Scoped', currency: 'CNY', totalBudget: 1_000, financeSystem: 'finance-1' },
        idempotencyKey: key,
      });
      expect(fund.status).toBe(201);

      process.env.AWS_LAMBDA_FUNCTION_NAME = names.disbursements;
      vi.resetModules();
      const disbursements = handlerCaller(await loadHandlers(), admin);
      const before = (await services.scanTable()).filter((i) => i.type === 'disbursement').length;
      const other = await disbursements('POST', '/v1/disbursements', { body: disbursementBody(fundId, 300), idempotencyKey: key });
      expect([other.status, other.body.code]).toEqual([422, 'idempotency_key_reuse']);
      expect((await services.scanTable()).filter((i) => i.type === 'disbursement')).toHaveLength(before);
      // Another caller's identical key is another key, wherever it is used.
      const otherCaller = await disbursements('POST', '/v1/disbursements', {
        sub: 'admin-3',
        body: disbursementBody(fundId, 300),
        idempotencyKey: key,
      });
      expect(otherCaller.status).toBe(201);
    } finally {
      if (previous === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME;
      else process.env.AWS_LAMBDA_FUNCTION_NAME = previous;
    }
  });
});
