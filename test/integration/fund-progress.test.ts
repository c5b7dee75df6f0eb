/**
 * A fund's period and where its money stands, through the funds handler on DynamoDB Local: the period given or
 * defaulted, a bad one refused; the progress figures equal the allocations' balances; a reservation stamps its time
 * on the allocation (idle money counts from it), and an allocation set long ago with no reservation since is idle.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { chinaDate, defaultPeriod } from '#shared/domain/fund-period';
import { fundProgress } from '#shared/domain/progress';
import { keys } from '#shared/data/platform/keys';
import { asApprover, asRequester, beneficiaryNo, COUNTY, disbursementBody, useMoneyHarness, OTHER_COUNTY } from './disbursement-harness.ts';

const h = useMoneyHarness();
let documents: typeof import('#shared/data/platform/clients').documents;
const admin = { sub: 'admin-1', roles: ['fund-admin'] };

beforeAll(async () => {
  ({ documents } = await import('#shared/data/platform/clients'));
});

function fundBody(extra: Record<string, unknown> = {}) {
  return { name: 'Progress fund', currency: 'CNY', totalBudget: 10_000_000, financeSystem: 'finance-1', ...extra };
}

describe('the fund period', () => {
  it('is kept as given, and defaults to the calendar year of creation in China time', async () => {
    const given = await h.call('POST', '/v1/funds', {
      ...admin,
      body: fundBody({ period: { startsOn: '2026-03-01', endsOn: '2027-02-28' } }),
    });
    expect(given.status, JSON.stringify(given.body)).toBe(201);
    expect(given.body.period).toEqual({ startsOn: '2026-03-01', endsOn: '2027-02-28' });
    const read = await h.call('GET', `/v1/funds/${given.body.fundId}`, admin);
    expect(read.body.period).toEqual({ startsOn: '2026-03-01', endsOn: '2027-02-28' });
    const defaulted = await h.call('POST', '/v1/funds', { ...admin, body: fundBody() });
    expect(defaulted.body.period).toEqual(defaultPeriod(new Date(defaulted.body.createdAt as string)));
  });

  it('refuses an end not after the start, more than five years, or a date that does not exist, as 400', async () => {
    for (const period of [
      { startsOn: '2026-03-01', endsOn: '2026-03-01' },
      { startsOn: '2026-01-01', endsOn: '2031-01-01' },
      { startsOn: '2026-02-30', endsOn: '2026-12-31' },
      { startsOn: '2026-01-01' },
    ]) {
      const reply = await h.call('POST', '/v1/funds', { ...admin, body: fundBody({ period }) });
      expect(reply.status, JSON.stringify(period)).toBe(400);
      expect(reply.body.code).toBe('validation_failed');
    }
  });
});

describe('GET /v1/funds/{fundId}/progress', () => {
  it('reads the allocations as they stand, stamps each reservation, and finds money idle for over 90 days', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000, [OTHER_COUNTY]: 2_000_000 } });
    // Both allocations were set 120 days ago (seeded history); COUNTY then has a reservation today, OTHER_COUNTY none.
    const longAgo = new Date(Date.now() - 120 * 86_400_000).toISOString();
    for (const county of [COUNTY, OTHER_COUNTY]) {
      await documents.send(
        new UpdateCommand({
          TableName: h.services.tableName,
          Key: keys.allocation(fundId, county),
          UpdateExpression: 'SET createdAt = :t',
          ExpressionAttributeValues: { ':t': longAgo },
        }),
      );
    }
    const created = await h.call('POST', '/v1/disbursements', {
      ...asRequester(),
      body: disbursementBody(fundId, 250_000, { beneficiary: beneficiaryNo(901) }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const approved = await h.call('POST', `/v1/disbursements/${created.body.disbursementId}/approve`, {
      ...asApprover('checker-1'),
      body: {},
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);

    const ledger = await h.call('GET', `/v1/funds/${fundId}/ledger`, { ...admin, query: { countyCode: COUNTY } });
    const reservedAt = (ledger.body.items as { kind: string; at: string }[]).filter((e) => e.kind === 'reserved').at(-1)!.at;

    const reply = await h.call('GET', `/v1/funds/${fundId}/progress`, { sub: 'auditor-1', roles: ['auditor'] });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    const allocations = await h.call('GET', `/v1/funds/${fundId}/allocations`, admin);
    const byCounty = new Map(
      (allocations.body.items as { countyCode: string; allocated: number; paid: number; available: number }[]).map((a) => [
        a.countyCode,
        a,
      ]),
    );
    expect(reply.body.asOf).toBe(chinaDate(new Date()));
    expect(reply.body.counties.map((c: { countyCode: string }) => c.countyCode)).toEqual([COUNTY, OTHER_COUNTY]);
    for (const c of reply.body.counties as { countyCode: string; allocated: number; paid: number }[]) {
      expect({ allocated: c.allocated, paid: c.paid }).toEqual({
        allocated: byCounty.get(c.countyCode)!.allocated,
        paid: byCounty.get(c.countyCode)!.paid,
      });
    }
    const [reservedCounty, idleCounty] = reply.body.counties as { idle: unknown; lagPoints: number }[];
    expect(reservedCounty!.idle).toBeNull();
    expect(idleCounty!.idle).toEqual({ amount: 2_000_000, since: longAgo });
    expect(reply.body.alerts).toContainEqual(expect.objectContaining({ countyCode: OTHER_COUNTY, code: 'idle' }));
    // the same figures as the pure rules over what the allocation items hold
    const fund = await h.call('GET', `/v1/funds/${fundId}`, admin);
    const expected = fundProgress(fund.body.period, reply.body.asOf, new Date(), [
      { ...byCounty.get(COUNTY)!, createdAt: longAgo, lastReservedAt: reservedAt },
      { ...byCounty.get(OTHER_COUNTY)!, createdAt: longAgo },
    ]);
    expect(reply.body.timeElapsed).toBe(expected.timeElapsed);
    expect(reply.body.counties.map((c: { lagPoints: number }) => c.lagPoints)).toEqual(expected.counties.map((c) => c.lagPoints));

    // an earlier asOf counts less time gone by; a later one is refused
    const earlier = await h.call('GET', `/v1/funds/${fundId}/progress`, { ...admin, query: { asOf: fund.body.period.startsOn } });
    expect(earlier.body.timeElapsed).toBeLessThan(reply.body.timeElapsed);
    const future = await h.call('GET', `/v1/funds/${fundId}/progress`, { ...admin, query: { asOf: '2099-01-01' } });
    expect(future.status).toBe(400);
  });

  it('is 404 for an unknown fund', async () => {
    const reply = await h.call('GET', '/v1/funds/fund_01M8MB7QKGZ7EXTNFH95G3P5TD/progress', admin);
    expect(reply.status).toBe(404);
  });
});
