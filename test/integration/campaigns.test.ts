/**
 * Campaigns on DynamoDB Local through the real handler: the overlap rule under concurrent launches,
 * the subsidy reservation and its release, results snapshots, the clock-driven county report, and
 * arbitrary bad bodies changing nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { invoke, loadInStore, type LambdaHandler } from '#local/invoke';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { LaunchCampaignBody } from '#shared/schemas/campaigns';
import { MAX_AMOUNT } from '#shared/schemas/common';
import { shardOf } from '#shared/ids';
import { useLocalServices, type LocalServices } from '#test/support/local-services';
import { campaignsContext, type CampaignsContext } from '../support/contexts.ts';
import { fundsContext, type FundsContext } from '#test/support/contexts';
import { captureLogs } from '#test/support/log-capture';

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;

let services: LocalServices;
let campaigns: LambdaHandler;
let counties: LambdaHandler;
let data: CampaignsContext;
let funds: FundsContext;
let countyData: typeof import('#shared/data/counties/items');

interface Call {
  roles?: string[];
  sub?: string;
  body?: unknown;
  idempotencyKey?: string;
  query?: Record<string, string>;
}

/** A payload v2 event as API Gateway would send after its JWT authorizer accepted the caller. */
async function call(handler: LambdaHandler, method: string, route: string, params: Record<string, string>, c: Call = {}) {
  const rawPath = route.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? '');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (c.idempotencyKey !== undefined) headers['idempotency-key'] = c.idempotencyKey;
  const event = {
    version: '2.0',
    routeKey: `${method} ${route}`,
    rawPath,
    rawQueryString: new URLSearchParams(c.query ?? {}).toString(),
    headers,
    queryStringParameters: c.query,
    pathParameters: Object.keys(params).length ? params : undefined,
    body: c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : JSON.stringify(c.body),
    isBase64Encoded: false,
    requestContext: {
      requestId: randomUUID(),
      routeKey: `${method} ${route}`,
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      authorizer: {
        jwt: {
          claims: { sub: c.sub ?? 'operator-1', 'cognito:groups': `[${(c.roles ?? ['campaign-operator']).join(' ')}]` },
          scopes: null,
        },
      },
    },
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
  const result = (await invoke(handler, event, { functionName: 'relief-fund-test', timeoutMs: 29_000 })) as {
    statusCode: number;
    headers: Record<string, string>;
    body: string;
  };
  return { status: result.statusCode, headers: result.headers, body: result.body ? JSON.parse(result.body) : undefined };
}

const launch = (body: unknown, c: Call = {}) => call(campaigns, 'POST', '/v1/campaigns', {}, { idempotencyKey: randomUUID(), ...c, body });
const cancel = (campaignId: string, reason = 'weather', c: Call = {}) =>
  call(campaigns, 'POST', '/v1/campaigns/{campaignId}/cancel', { campaignId }, { ...c, body: { reason } });
const results = (campaignId: string, body: unknown, c: Call = {}) =>
  call(campaigns, 'POST', '/v1/campaigns/{campaignId}/results', { campaignId }, { ...c, body });
const countyReport = (countyCode: string) =>
  call(counties, 'GET', '/v1/counties/{countyCode}/report', { countyCode }, { roles: ['auditor'] });

let countySeq = 0;
/** A fresh county per test, so tests do not see each other's windows and aggregates. */
async function newCounty(): Promise<string> {
  countySeq += 1;
  const code = String(510000 + countySeq * 7 + Math.floor(Math.random() * 6));
  await countyData.putCounty({ countyCode: code, name: `County ${code}`, province: 'Test', modelCounty: false }, new Date());
  return code;
}

function body(countyCode: string, overrides: Record<string, unknown> = {}) {
  const start = Date.now() + DAY;
  return {
    countyCode,
    title: 'Kiwi harvest week',
    channel: 'rural-taobao',
    products: [
      { sku: 'KIWI-5KG', name: 'Red-heart kiwi 5 kg', unitPrice: 9_900, promoPrice: 6_900 },
      { sku: 'TEA-250G', name: 'Alpine green tea 250 g', unitPrice: 12_800, promoPrice: 12_800 },
    ],
    startsAt: new Date(start).toISOString(),
    endsAt: new Date(start + 7 * DAY).toISOString(),
    ...overrides,
  };
}

const operator = { sub: 'operator-1' };

beforeAll(async () => {
  services = await useLocalServices();
  campaigns = await loadInStore(async () => (await import('#functions/http/campaigns')).handler as unknown as LambdaHandler);
  counties = await loadInStore(async () => (await import('#functions/http/counties')).handler as unknown as LambdaHandler);
  data = await campaignsContext();
  funds = await fundsContext();
  countyData = await import('#shared/data/counties/items');
});

afterAll(async () => {
  services?.dynamo.destroy();
  services?.sqs.destroy();
});

describe('launching', () => {
  it('stores the campaign with its audit entry, event and aggregate, and queues the event', async () => {
    const county = await newCounty();
    // Someone listens (an event nobody subscribes to is written finished, unqueued: test/integration/unheard-events.test.ts).
    const { createEndpoint } = await import('#shared/data/webhook-endpoints/items');
    await createEndpoint({ url: 'https://observer.example/hooks', events: ['campaign.launched'] }, operator, new Date());
    await services.drainQueue(services.queueUrls.delivery);
    const res = await launch(body(county));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      countyCode: county,
      channel: 'rural-taobao',
      status: 'scheduled',
      subsidy: null,
      createdBy: 'operator-1',
    });
    expect(res.body.results).toEqual({ orders: 0, unitsSold: 0, grossSales: 0, reportedAt: null });
    const id = res.body.campaignId as string;
    expect(id).toMatch(/^cmp_[0-9A-Z]{26}$/);

    const got = await call(campaigns, 'GET', '/v1/campaigns/{campaignId}', { campaignId: id }, { roles: ['auditor'] });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(res.body);

    const items = await services.scanTable();
    expect(items.filter((i) => i.pk === `CMP#${id}` && String(i.sk).startsWith('AUDIT#'))).toHaveLength(1);
    const events = items.filter((i) => i.type === 'event' && i.subject === id);
    expect(events.map((e) => e.eventType)).toEqual(['campaign.launched']);
    const queued = await services.drainQueue(services.queueUrls.delivery);
    expect(queued.map((m) => JSON.parse(m.Body!).messageId)).toContain(events[0]!.messageId);

    const report = await countyReport(county);
    expect(report.body.campaigns).toEqual({ scheduled: 1, active: 0, ended: 0, cancelled: 0, orders: 0, unitsSold: 0, grossSales: 0 });
  });

  it('normalises instants to UTC and names the field of every rule it breaks', async () => {
    const county = await newCounty();
    const ok = await launch(body(county, { startsAt: '2099-01-01T08:00:00+08:00', endsAt: '2099-01-02T08:00:00+08:00' }));
    expect(ok.status).toBe(201);
    expect(ok.body.startsAt).toBe('2099-01-01T00:00:00.000Z');

    const bad = await launch(
      body(county, {
        products: [
          { sku: 'A', name: 'a', unitPrice: 100, promoPrice: 200 },
          { sku: 'A', name: 'b', unitPrice: 100, promoPrice: 50 },
        ],
        startsAt: '2099-03-01T00:00:00Z',
        endsAt: '2099-06-01T00:00:00Z',
      }),
    );
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toBe('application/problem+json');
    expect(bad.body.code).toBe('validation_failed');
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'body.endsAt',
      'body.products.0.promoPrice',
      'body.products.1.sku',
    ]);

    const past = await launch(body(county, { channel: 'tmall', startsAt: new Date(Date.now() - 10 * 60 * 1000).toISOString() }));
    expect(past.status).toBe(400);
    expect(past.body.errors).toEqual([{ path: 'body.startsAt', message: 'startsAt must not be in the past' }]);

    const unknownCounty = await launch(body('659999'));
    expect(unknownCounty.status).toBe(404);
    expect(unknownCounty.body.code).toBe('not_found');
  });

  it('lets different channels and back-to-back windows of one county coexist', async () => {
    const county = await newCounty();
    const first = body(county);
    expect((await launch(first)).status).toBe(201);
    expect((await launch({ ...first, channel: 'livestream' })).status).toBe(201);
    const next = { ...first, startsAt: first.endsAt, endsAt: new Date(Date.parse(first.endsAt) + DAY).toISOString() };
    expect((await launch(next)).status).toBe(201);
    const clash = await launch({ ...first, startsAt: new Date(Date.parse(first.endsAt) - HOUR).toISOString() });
    expect(clash.status).toBe(409);
    expect(clash.body.code).toBe('campaign_overlap');
  });
});

describe('the overlap rule under concurrent launches', () => {
  it('two overlapping launches at once: exactly one 201, the other 409 campaign_overlap', async () => {
    const county = await newCounty();
    const start = Date.now() + DAY;
    const a = body(county, { startsAt: new Date(start).toISOString(), endsAt: new Date(start + 3 * DAY).toISOString() });
    const b = body(county, {
      title: 'Other',
      startsAt: new Date(start + DAY).toISOString(),
      endsAt: new Date(start + 5 * DAY).toISOString(),
    });
    const replies = await Promise.all([launch(a, { sub: 'op-a' }), launch(b, { sub: 'op-b' })]);
    expect(replies.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(replies.find((r) => r.status === 409)!.body.code).toBe('campaign_overlap');
    const listed = await call(campaigns, 'GET', '/v1/campaigns', {}, { roles: ['auditor'], query: { countyCode: county } });
    expect(listed.body.items).toHaveLength(1);
  });

  it('any set of concurrent launches commits pairwise disjoint windows and rejects only real overlaps', async () => {
    const base = Date.now() + 2 * DAY;
    const windows = fc.array(fc.record({ startHour: fc.integer({ min: 0, max: 48 }), hours: fc.integer({ min: 1, max: 24 }) }), {
      minLength: 2,
      maxLength: 7,
    });
    await fc.assert(
      fc.asyncProperty(windows, async (ws) => {
        const county = await newCounty();
        const bodies = ws.map((w, i) =>
          body(county, {
            title: `Window ${i}`,
            startsAt: new Date(base + w.startHour * HOUR).toISOString(),
            endsAt: new Date(base + (w.startHour + w.hours) * HOUR).toISOString(),
          }),
        );
        const replies = await Promise.all(bodies.map((b) => launch(b)));
        expect(replies.every((r) => r.status === 201 || (r.status === 409 && r.body.code === 'campaign_overlap'))).toBe(true);
        const span = (i: number) => ({ s: Date.parse(bodies[i]!.startsAt), e: Date.parse(bodies[i]!.endsAt) });
        const overlap = (i: number, j: number) => span(i).s < span(j).e && span(j).s < span(i).e;
        const won = replies.flatMap((r, i) => (r.status === 201 ? [i] : []));
        const lost = replies.flatMap((r, i) => (r.status === 409 ? [i] : []));
        expect(won.length).toBeGreaterThan(0);
        for (const i of won) for (const j of won) if (i < j) expect(overlap(i, j)).toBe(false);
        for (const j of lost) expect(won.some((i) => overlap(i, j))).toBe(true);
        const stored = (await services.scanTable()).filter((item) => item.type === 'campaign' && item.countyCode === county);
        expect(stored).toHaveLength(won.length);
      }),
      { numRuns: 6 },
    );
  });
});

describe('subsidies', () => {
  it('reserves on launch, releases on cancel, and frees the window for a new launch', async () => {
    const county = await newCounty();
    const now = new Date();
    const fund = await funds.createFund(
      {
        name: 'Subsidy fund',
        totalBudget: 10_000_000,
        dualApprovalThreshold: 100_000_000,
        financeSystem: 'finance-1',
        noticePeriod: 'P0D',
      },
      operator,
      now,
    );
    await funds.setAllocation(fund.fundId, county, 1_000_000, operator, now);

    const res = await launch(body(county, { subsidy: { fundId: fund.fundId, amount: 400_000 } }));
    expect(res.status).toBe(201);
    expect(await funds.findAllocation(fund.fundId, county)).toMatchObject({ allocated: 1_000_000, reserved: 400_000, available: 600_000 });

    const tooMuch = await launch(body(county, { channel: 'tmall', subsidy: { fundId: fund.fundId, amount: 600_001 } }));
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body.code).toBe('insufficient_allocation');
    const unknownFund = await launch(body(county, { channel: 'tmall', subsidy: { fundId: 'fund_01JZZZZZZZZZZZZZZZZZZZZZZZ', amount: 1 } }));
    expect(unknownFund.status).toBe(404);
    const stored = (await services.scanTable()).filter((i) => i.type === 'campaign' && i.countyCode === county);
    expect(stored).toHaveLength(1);

    const cancelled = await cancel(res.body.campaignId, 'Flooding closed the roads', { roles: ['fund-admin'], sub: 'admin-1' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancelReason: 'Flooding closed the roads' });
    expect(await funds.findAllocation(fund.fundId, county)).toMatchObject({ reserved: 0, available: 1_000_000 });

    const again = await cancel(res.body.campaignId);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('invalid_state');
    expect(await funds.findAllocation(fund.fundId, county)).toMatchObject({ reserved: 0, available: 1_000_000 });

    const relaunch = await launch(body(county, { subsidy: { fundId: fund.fundId, amount: 1_000_000 } }));
    expect(relaunch.status).toBe(201);
    expect((await countyReport(county)).body.campaigns).toMatchObject({ scheduled: 1, cancelled: 1 });
  });

  it('concurrent subsidised launches never overspend the allocation', async () => {
    const county = await newCounty();
    const now = new Date();
    const fund = await funds.createFund(
      { name: 'Tight fund', totalBudget: 1_000_000, dualApprovalThreshold: 100_000_000, financeSystem: 'finance-1', noticePeriod: 'P0D' },
      operator,
      now,
    );
    await funds.setAllocation(fund.fundId, county, 250_000, operator, now);
    const channels = ['taobao', 'tmall', 'rural-taobao', 'livestream'];
    const replies = await Promise.all(
      channels.map((channel) => launch(body(county, { channel, subsidy: { fundId: fund.fundId, amount: 100_000 } }))),
    );
    expect(replies.filter((r) => r.status === 201)).toHaveLength(2);
    expect(replies.filter((r) => r.status === 409).every((r) => r.body.code === 'insufficient_allocation')).toBe(true);
    const line = await funds.findAllocation(fund.fundId, county);
    expect(line).toMatchObject({ reserved: 200_000, available: 50_000 });
    expect(line!.available).toBe(line!.allocated - line!.reserved - line!.paid);
  });
});

describe('cancel and results', () => {
  it('refuses to cancel an ended campaign and ignores results older than the stored ones', async () => {
    const county = await newCounty();
    const past = new Date(Date.now() - 20 * DAY);
    const ended = await data.launchCampaign(
      {
        ...body(county),
        startsAt: new Date(past.getTime() + HOUR).toISOString(),
        endsAt: new Date(past.getTime() + 10 * DAY).toISOString(),
      } as Parameters<typeof data.launchCampaign>[0],
      operator,
      past,
    );
    const refused = await cancel(ended.campaignId);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('invalid_state');

    const at = (d: number) => new Date(past.getTime() + d * DAY).toISOString();
    const first = await results(ended.campaignId, { reportedAt: at(5), orders: 10, unitsSold: 30, grossSales: 207_000 });
    expect(first.status).toBe(200);
    expect(first.body.results).toEqual({ reportedAt: at(5), orders: 10, unitsSold: 30, grossSales: 207_000 });
    const older = await results(ended.campaignId, { reportedAt: at(4), orders: 99, unitsSold: 99, grossSales: 99 });
    expect(older.status).toBe(200);
    expect(older.body.results).toEqual(first.body.results);
    const newer = await results(ended.campaignId, { reportedAt: at(9), orders: 12, unitsSold: 33, grossSales: 227_700 });
    expect(newer.body.results.orders).toBe(12);
    expect((await countyReport(county)).body.campaigns).toEqual({
      scheduled: 0,
      active: 0,
      ended: 1,
      cancelled: 0,
      orders: 12,
      unitsSold: 33,
      grossSales: 227_700,
    });

    const early = await results(ended.campaignId, { reportedAt: at(-1), orders: 1, unitsSold: 1, grossSales: 1 });
    expect(early.status).toBe(400);
    const future = await results(ended.campaignId, {
      reportedAt: new Date(Date.now() + DAY).toISOString(),
      orders: 1,
      unitsSold: 1,
      grossSales: 1,
    });
    expect(future.status).toBe(400);
  });

  it('concurrent snapshots in any order leave the newest one, and the county totals equal it', async () => {
    const county = await newCounty();
    const past = new Date(Date.now() - 3 * DAY);
    const c = await data.launchCampaign(
      {
        ...body(county),
        startsAt: new Date(past.getTime() + HOUR).toISOString(),
        endsAt: new Date(Date.now() + DAY).toISOString(),
      } as Parameters<typeof data.launchCampaign>[0],
      operator,
      past,
    );
    const snapshots = fc.array(
      fc.record({
        minute: fc.integer({ min: 120, max: 2_000 }),
        orders: fc.nat(1_000),
        unitsSold: fc.nat(5_000),
        grossSales: fc.nat(10_000_000),
      }),
      { minLength: 1, maxLength: 6 },
    );
    let reported: { minute: number; orders: number; unitsSold: number; grossSales: number }[] = [];
    await fc.assert(
      fc.asyncProperty(snapshots, async (batch) => {
        await Promise.all(
          batch.map((s) =>
            results(c.campaignId, {
              reportedAt: new Date(past.getTime() + s.minute * 60_000).toISOString(),
              orders: s.orders,
              unitsSold: s.unitsSold,
              grossSales: s.grossSales,
            }),
          ),
        );
        reported = [...reported, ...batch];
        const newest = Math.max(...reported.map((s) => s.minute));
        const stored = (await data.getCampaign(c.campaignId, new Date())).results;
        expect(stored.reportedAt).toBe(new Date(past.getTime() + newest * 60_000).toISOString());
        const candidates = reported.filter((s) => s.minute === newest);
        expect(
          candidates.some((s) => s.orders === stored.orders && s.unitsSold === stored.unitsSold && s.grossSales === stored.grossSales),
        ).toBe(true);
        const totals = (await countyReport(county)).body.campaigns;
        expect({ orders: totals.orders, unitsSold: totals.unitsSold, grossSales: totals.grossSales }).toEqual({
          orders: stored.orders,
          unitsSold: stored.unitsSold,
          grossSales: stored.grossSales,
        });
      }),
      { numRuns: 8 },
    );
  });

  it('refuses results for a campaign that has not started', async () => {
    const county = await newCounty();
    const res = await launch(body(county));
    const r = await results(res.body.campaignId, { reportedAt: new Date().toISOString(), orders: 1, unitsSold: 1, grossSales: 100 });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('invalid_state');
  });
});

describe('the county report follows the clock without writes', () => {
  it('moves campaigns from scheduled to active to ended as time passes', async () => {
    const county = await newCounty();
    const now = new Date();
    const start = now.getTime() + DAY;
    const mk = (channel: string, s: number, e: number) =>
      data.launchCampaign(
        { ...body(county), channel, startsAt: new Date(s).toISOString(), endsAt: new Date(e).toISOString() } as Parameters<
          typeof data.launchCampaign
        >[0],
        operator,
        now,
      );
    await mk('taobao', start, start + 2 * DAY);
    await mk('tmall', start + DAY, start + 5 * DAY);
    const dropped = await mk('livestream', start, start + 10 * DAY);
    await data.cancelCampaign(dropped.campaignId, 'no host', operator, now);
    const stats = async () => (await (await import('#shared/data/counties/stats')).readCountyStats(county)).campaigns;
    const at = async (t: number) => data.countyCampaignReport(county, await stats(), new Date(t));
    expect(await at(now.getTime())).toMatchObject({ scheduled: 2, active: 0, ended: 0, cancelled: 1 });
    expect(await at(start + 1.5 * DAY)).toMatchObject({ scheduled: 0, active: 2, ended: 0, cancelled: 1 });
    expect(await at(start + 3 * DAY)).toMatchObject({ scheduled: 0, active: 1, ended: 1, cancelled: 1 });
    expect(await at(start + 30 * DAY)).toMatchObject({ scheduled: 0, active: 0, ended: 2, cancelled: 1 });
  });
});

describe('the county report under concurrent writes', () => {
  it('never shows a half-applied launch or cancel: with only future campaigns, ended stays 0', async () => {
    const county = await newCounty();
    const base = Date.now() + 2 * DAY;
    const channels = ['taobao', 'tmall', 'rural-taobao', 'livestream'];
    const launchedIds: string[] = [];
    let writing = true;
    const writes = (async () => {
      for (let round = 0; round < 4; round++) {
        const replies = await Promise.all(
          channels.map((channel) =>
            launch(
              body(county, {
                channel,
                startsAt: new Date(base + round * DAY).toISOString(),
                endsAt: new Date(base + round * DAY + HOUR).toISOString(),
              }),
            ),
          ),
        );
        launchedIds.push(...replies.filter((r) => r.status === 201).map((r) => r.body.campaignId as string));
        await Promise.all(launchedIds.splice(0, 2).map((id) => cancel(id)));
      }
      writing = false;
    })();
    const seen: Record<string, number>[] = [];
    while (writing) seen.push((await countyReport(county)).body.campaigns);
    await writes;
    seen.push((await countyReport(county)).body.campaigns);
    expect(seen.length).toBeGreaterThan(1);
    for (const c of seen) {
      expect(c.ended).toBe(0);
      expect(c.active).toBe(0);
      expect(c.scheduled).toBeGreaterThanOrEqual(0);
    }
    expect(seen.at(-1)).toMatchObject({ scheduled: 8, cancelled: 8 });
  });
});

describe('county totals near 2^53', () => {
  const MAX = Number.MAX_SAFE_INTEGER; // 9,007,199,254,740,991 fen
  const SHARDS = 10;
  const SHARD_ROOM = Math.floor(MAX / SHARDS);

  /** A county whose earlier campaigns summed grossSales to `figures[n]` on stats shard n, as statsStep leaves them. */
  async function seedGrossSales(county: string, figures: (number | string)[]) {
    await Promise.all(
      figures.map((value, shard) =>
        services.dynamo.send(
          new PutItemCommand({
            TableName: services.tableName,
            Item: {
              pk: { S: `COUNTY#${county}` },
              sk: { S: `STATS#campaigns#${shard}` },
              type: { S: 'county-stats' },
              topic: { S: 'campaigns' },
              grossSales: { N: String(value) },
            },
          }),
        ),
      ),
    );
  }

  async function runningCampaign(county: string, channel: string) {
    const past = new Date(Date.now() - 2 * DAY);
    return data.launchCampaign(
      {
        ...body(county, { channel }),
        startsAt: new Date(past.getTime() + HOUR).toISOString(),
        endsAt: new Date(past.getTime() + 10 * DAY).toISOString(),
      } as Parameters<typeof data.launchCampaign>[0],
      operator,
      past,
    );
  }

  it('refuses, with a 409 problem and no change, results that would take the county total past 2^53; up to it the report is exact', async () => {
    const county = await newCounty();
    const first = await runningCampaign(county, 'taobao');
    const second = await runningCampaign(county, 'tmall');
    const shard = shardOf(first.campaignId, SHARDS);
    // Every shard full but the first campaign's, which has room for exactly its 10^13.
    await seedGrossSales(
      county,
      Array.from({ length: SHARDS }, (_, n) => (n === shard ? SHARD_ROOM - MAX_AMOUNT : SHARD_ROOM)),
    );
    const seeded = SHARDS * SHARD_ROOM - MAX_AMOUNT;
    expect((await countyReport(county)).body.campaigns.grossSales).toBe(seeded);

    const reportedAt = new Date().toISOString();
    const fits = await results(first.campaignId, { reportedAt, orders: 1, unitsSold: 1, grossSales: MAX_AMOUNT });
    expect(fits.status).toBe(200);
    const exact = (await countyReport(county)).body.campaigns.grossSales;
    expect(exact).toBe(SHARDS * SHARD_ROOM);
    expect(Number.isSafeInteger(exact)).toBe(true);

    const beyond = await results(second.campaignId, { reportedAt, orders: 1, unitsSold: 1, grossSales: 1 });
    expect(beyond.status).toBe(409);
    expect(beyond.headers['content-type']).toBe('application/problem+json');
    expect(beyond.body.code).toBe('invalid_state');
    expect(beyond.body.detail).toMatch(/county/i);
    expect((await countyReport(county)).body.campaigns.grossSales).toBe(exact);
    expect((await data.getCampaign(second.campaignId, new Date())).results.grossSales).toBe(0);
  });

  it('never drops a stored figure it cannot carry exactly: the report fails loudly instead of leaving it out', async () => {
    const county = await newCounty();
    // Written before totals were bounded: one shard beyond 2^53 (the SDK reads it as a BigInt).
    await seedGrossSales(county, ['9007199254740993', 5]);
    // The operator's error line is captured and asserted, not printed on a passing run.
    const logs = captureLogs();
    let report: Awaited<ReturnType<typeof countyReport>>;
    try {
      report = await countyReport(county);
    } finally {
      logs.restore();
    }
    expect(logs.text()).toContain('hold a figure beyond 2^53 - 1');
    expect(report.status).toBe(500);
    expect(report.headers['content-type']).toBe('application/problem+json');
    expect(JSON.stringify(report.body)).not.toMatch(/9007199254740993|BigInt|grossSales/);
  });
});

describe('listing', () => {
  it('filters by county, channel and clock status, newest first, over signed cursors', async () => {
    const county = await newCounty();
    const ids: string[] = [];
    for (const channel of ['taobao', 'tmall', 'livestream']) ids.push((await launch(body(county, { channel }))).body.campaignId);
    await cancel(ids[1]!);
    const list = (query: Record<string, string>) => call(campaigns, 'GET', '/v1/campaigns', {}, { roles: ['station-officer'], query });
    const all = await list({ countyCode: county, limit: '2' });
    expect(all.body.items.map((c: { campaignId: string }) => c.campaignId)).toEqual([ids[2], ids[1]]);
    const rest = await list({ countyCode: county, limit: '2', cursor: all.body.nextCursor });
    expect(rest.body.items.map((c: { campaignId: string }) => c.campaignId)).toEqual([ids[0]]);
    expect(rest.body.nextCursor).toBeNull();
    expect((await list({ countyCode: county, status: 'cancelled' })).body.items.map((c: { campaignId: string }) => c.campaignId)).toEqual([
      ids[1],
    ]);
    expect((await list({ countyCode: county, status: 'scheduled', channel: 'taobao' })).body.items).toHaveLength(1);
    expect((await list({ countyCode: county, status: 'active' })).body.items).toHaveLength(0);
    const forged = await list({ countyCode: county, cursor: `${all.body.nextCursor}x` });
    expect(forged.status).toBe(400);
  });
});

describe('bad input', () => {
  it('arbitrary bodies and broken launches get a 4xx problem and change nothing', async () => {
    const county = await newCounty();
    const valid = body(county, { channel: 'taobao' });
    const broken = fc.oneof(
      fc.jsonValue(),
      fc.constantFrom<Record<string, unknown>>(
        { ...valid, channel: 'wechat' },
        { ...valid, products: [] },
        { ...valid, products: [{ sku: 'A', name: 'a', unitPrice: 10.5, promoPrice: 5 }] },
        { ...valid, products: [{ sku: 'A', name: 'a', unitPrice: 10, promoPrice: 11 }] },
        { ...valid, endsAt: valid.startsAt },
        { ...valid, endsAt: new Date(Date.parse(valid.startsAt) + 91 * DAY).toISOString() },
        { ...valid, startsAt: '2020-01-01T00:00:00Z' },
        { ...valid, countyCode: '000001' },
        { ...valid, countyCode: '659998' },
        { ...valid, subsidy: { fundId: 'fund_01JZZZZZZZZZZZZZZZZZZZZZZZ', amount: 100 } },
        { ...valid, subsidy: { fundId: 'fund_x', amount: 100 } },
        { ...valid, extra: true },
      ),
      fc
        .record({
          key: fc.constantFrom('countyCode', 'title', 'channel', 'products', 'startsAt', 'endsAt', 'subsidy'),
          value: fc.jsonValue(),
        })
        .map(({ key, value }) => ({ ...valid, [key]: value === undefined ? null : value }))
        .filter((b) => !LaunchCampaignBody.safeParse(b).success),
    );
    const snapshot = async () => (await services.scanTable()).filter((i) => !String(i.pk).startsWith('IDEM#'));
    const before = await snapshot();
    await fc.assert(
      fc.asyncProperty(broken, async (b) => {
        const res = await launch(b);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(res.headers['content-type']).toBe('application/problem+json');
        expect(typeof res.body.code).toBe('string');
      }),
      { numRuns: 60 },
    );
    expect(await snapshot()).toEqual(before);
  });

  it('only campaign-operators launch, and a launch needs an Idempotency-Key', async () => {
    const county = await newCounty();
    expect((await launch(body(county), { roles: ['fund-admin'] })).status).toBe(403);
    const noKey = await call(campaigns, 'POST', '/v1/campaigns', {}, { body: body(county) });
    expect(noKey.status).toBe(400);
    expect(noKey.body.code).toBe('idempotency_key_missing');
    const replayKey = randomUUID();
    const same = body(county);
    const first = await launch(same, { idempotencyKey: replayKey });
    const second = await launch(same, { idempotencyKey: replayKey });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body.campaignId).toBe(first.body.campaignId);
  });
});
