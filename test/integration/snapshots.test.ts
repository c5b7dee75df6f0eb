/**
 * Snapshots of a fund's books through the funds handler on DynamoDB Local: a hash recomputed from the snapshot as
 * served, each chained to the one before (also when two are taken at once), a second snapshot of the same month
 * refused, and a snapshot edited directly in the table caught by the ledger check's chain check.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { snapshotHash, monthJustEnded } from '#shared/domain/snapshots';
import { lambdaContext, type LambdaHandler } from '#local/invoke';
import { scheduledEvent } from '#local/scheduler';
import { captureLogs } from '#test/support/log-capture';
import { useMoneyHarness, COUNTY, OTHER_COUNTY } from './disbursement-harness.ts';

const h = useMoneyHarness();
let documents: typeof import('#shared/data/platform/clients').documents;
let verify: typeof import('#shared/data/snapshots/verify');
let monthly: typeof import('#shared/data/snapshots/take');
const admin = { sub: 'admin-1', roles: ['fund-admin'] };
const auditor = { sub: 'auditor-1', roles: ['auditor'] };

beforeAll(async () => {
  ({ documents } = await import('#shared/data/platform/clients'));
  verify = await import('#shared/data/snapshots/verify');
  monthly = await import('#shared/data/snapshots/take');
});

async function differencesOf(fundId: string) {
  return (await verify.checkSnapshotChains()).differences.filter((d) => d.fundId === fundId);
}

describe('snapshots', () => {
  it('hash their canonical JSON and chain each to the one before', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000, [OTHER_COUNTY]: 500_000 } });
    const first = await h.call('POST', `/v1/funds/${fundId}/snapshots`, { ...admin, body: {} });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({ fundId, kind: 'on_demand', month: null, previousHash: null });
    expect(first.body.totals).toMatchObject({ allocated: 1_500_000, reserved: 0, paid: 0, available: 1_500_000 });
    expect(first.body.allocations.map((a: { countyCode: string; ledger: { seq: number } }) => [a.countyCode, a.ledger.seq])).toEqual([
      [COUNTY, 1],
      [OTHER_COUNTY, 1],
    ]);
    const read = await h.call('GET', `/v1/funds/${fundId}/snapshots/${first.body.snapshotId}`, auditor);
    expect(read.body).toEqual(first.body);
    // anyone can recompute the hash from what the API serves
    expect(snapshotHash(read.body)).toBe(read.body.hash);

    const second = await h.call('POST', `/v1/funds/${fundId}/snapshots`, { ...admin, body: {} });
    expect(second.body.previousHash).toBe(first.body.hash);
    const list = await h.call('GET', `/v1/funds/${fundId}/snapshots`, auditor);
    expect(list.body.items.map((s: { snapshotId: string }) => s.snapshotId)).toEqual([second.body.snapshotId, first.body.snapshotId]);
    expect(await differencesOf(fundId)).toEqual([]);
  });

  it('taken at once still form one chain, never a fork', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000 } });
    const replies = await Promise.all([1, 2, 3].map(() => h.call('POST', `/v1/funds/${fundId}/snapshots`, { ...admin, body: {} })));
    expect(replies.map((r) => r.status)).toEqual([201, 201, 201]);
    const previous = replies.map((r) => r.body.previousHash as string | null);
    expect(new Set(previous).size).toBe(3);
    expect(await differencesOf(fundId)).toEqual([]);
  });

  it('take a missed monthly one once, and refuse a month not ended or one before the fund', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000 } });
    // The fund was created now, so the only month it lived through the end of is none yet: backdate its creation.
    await documents.send(
      new UpdateCommand({
        TableName: h.services.tableName,
        Key: { pk: `FUND#${fundId}`, sk: 'FUND' },
        UpdateExpression: 'SET createdAt = :t',
        ExpressionAttributeValues: { ':t': new Date(Date.now() - 70 * 86_400_000).toISOString() },
      }),
    );
    const month = monthJustEnded(new Date());
    const taken = await h.call('POST', `/v1/funds/${fundId}/snapshots`, { ...admin, body: { month } });
    expect(taken.status, JSON.stringify(taken.body)).toBe(201);
    expect(taken.body).toMatchObject({ kind: 'monthly', month });
    const again = await h.call('POST', `/v1/funds/${fundId}/snapshots`, { ...admin, body: { month } });
    expect({ status: again.status, code: again.body.code }).toEqual({ status: 409, code: 'invalid_state' });
    const current = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 7);
    expect((await h.call('POST', `/v1/funds/${fundId}/snapshots`, { ...admin, body: { month: current } })).status).toBe(409);
    expect((await h.call('POST', `/v1/funds/${fundId}/snapshots`, { ...admin, body: { month: '2020-01' } })).status).toBe(409);
    expect((await h.call('POST', `/v1/funds/${fundId}/snapshots`, { ...admin, body: { month: '2020-13' } })).status).toBe(400);
    expect((await h.call('POST', `/v1/funds/${fundId}/snapshots`, { ...auditor, body: {} })).status).toBe(403);
  });

  it('edited directly in the table, break the chain check', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000 } });
    const first = await h.call('POST', `/v1/funds/${fundId}/snapshots`, { ...admin, body: {} });
    await h.call('POST', `/v1/funds/${fundId}/snapshots`, { ...admin, body: {} });
    const key = { pk: `FUND#${fundId}`, sk: `SNAP#${first.body.snapshotId}` };
    const { Item } = await documents.send(new GetCommand({ TableName: h.services.tableName, Key: key }));
    const edited = (Item!.body as string).replace('"paid":0', '"paid":1');
    expect(edited).not.toBe(Item!.body);
    await documents.send(
      new UpdateCommand({
        TableName: h.services.tableName,
        Key: key,
        UpdateExpression: 'SET body = :b',
        ExpressionAttributeValues: { ':b': edited },
      }),
    );
    const differences = await differencesOf(fundId);
    expect(differences).toEqual([expect.objectContaining({ what: `snapshot ${first.body.snapshotId} hash` })]);
    // the deployed, scheduled ledger check sees it too, and counts it in the metric its alarm watches
    const ledgerCheck = (await import('#functions/schedule/ledger-check')).handler as LambdaHandler;
    const logs = captureLogs();
    try {
      const result = (await ledgerCheck(scheduledEvent('ledger-check'), lambdaContext('relief-fund-ledger-check', 60_000))) as {
        differences: number;
      };
      expect(result.differences).toBeGreaterThanOrEqual(1);
      expect(logs.text()).toContain(`snapshot ${first.body.snapshotId} hash`);
    } finally {
      logs.restore();
    }
  });

  it('are taken for every fund at 00:00 China time on the 1st, once, however often the schedule runs', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 1_000 } });
    // The schedule's next firing: the start of next month in China (the fund exists at the end of this month).
    const china = new Date(Date.now() + 8 * 3_600_000);
    const next = new Date(Date.UTC(china.getUTCFullYear(), china.getUTCMonth() + 1, 1) - 8 * 3_600_000);
    const month = monthJustEnded(next);
    const first = await monthly.takeMonthlySnapshots(next);
    expect(first.month).toBe(month);
    expect(first.taken).toContain(fundId);
    expect(first.failed).toEqual([]);
    const again = await monthly.takeMonthlySnapshots(new Date(next.getTime() + 60_000));
    expect(again.taken).toEqual([]);
    expect(again.alreadyTaken).toContain(fundId);
    const list = await h.call('GET', `/v1/funds/${fundId}/snapshots`, auditor);
    expect(list.body.items).toEqual([expect.objectContaining({ kind: 'monthly', month, takenAt: next.toISOString(), previousHash: null })]);
    // a fund created after that month ended gets none of it
    const lastMonth = await monthly.takeMonthlySnapshots(new Date(next.getTime() - 40 * 86_400_000));
    expect(lastMonth.tooYoung).toContain(fundId);
  });
});
