/**
 * Issue 21: the half-year report's counters live in partitions of their own (`RSTATS#<fundId>#<n> / RSTATS#<half>`,
 * n by the counted entity's id), not in the fund's partition, which every failed payout and every flagged create
 * wrote. Figures stored before (`FUND#<fundId> / RSTATS#<half>#<n>`) stay where they are and still count: the
 * half's report and the public view's lifetime figures add them to the shards'.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { halfOf } from '#shared/domain/half-year-report';
import { asRequester, beneficiaryNo, COUNTY, disbursementBody, useMoneyHarness } from './disbursement-harness.ts';

const h = useMoneyHarness();
let documents: typeof import('#shared/data/platform/clients').documents;
const auditor = { sub: 'auditor-1', roles: ['auditor'] };
const half = halfOf(new Date());
const EARLIER = '2021-H1';
let fundId: string;

/** The report items of one partition, as stored. */
async function statsItems(pk: string): Promise<Record<string, unknown>[]> {
  const { Items } = await documents.send(
    new QueryCommand({
      TableName: h.services.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': 'RSTATS#' },
      ConsistentRead: true,
    }),
  );
  return Items ?? [];
}

/** Figures written by the code before the shards, at the keys it wrote them. */
const storedBefore = () => [
  {
    pk: `FUND#${fundId}`,
    sk: `RSTATS#${half}#2`,
    type: 'fund-report-stats',
    fundId,
    'failed.account_closed.count': 1,
    'failed.account_closed.amount': 900,
    'flag.duplicate_beneficiary.raised': 1,
    'objections.upheld': 1,
    'notices.published': 2,
  },
  { pk: `FUND#${fundId}`, sk: `RSTATS#${EARLIER}#0`, type: 'fund-report-stats', fundId, 'notices.published': 3 },
];

beforeAll(async () => {
  ({ documents } = await import('#shared/data/platform/clients'));
  fundId = await h.fund({ allocations: { [COUNTY]: 10_000_000 } });
  for (const Item of storedBefore()) await documents.send(new PutCommand({ TableName: h.services.tableName, Item }));
  // A shard item of an earlier half (as this code writes one in its own half): the lifetime figures read it too.
  await documents.send(
    new PutCommand({
      TableName: h.services.tableName,
      Item: { pk: `RSTATS#${fundId}#5`, sk: `RSTATS#${EARLIER}`, type: 'fund-report-stats', fundId, 'objections.upheld': 4 },
    }),
  );
  // After: a failed payout (account_closed, 500) and a flagged create (the second to one account).
  const overrides = { countyCode: COUNTY, beneficiary: beneficiaryNo(8_100) };
  const { payoutId } = await h.approvedPayout(fundId, 500, { overrides, approver: 'checker-1' });
  expect((await h.settle(payoutId, { outcome: 'failed', failureCode: 'account_closed' })).status).toBe(200);
  await h.call('POST', '/v1/disbursements', { ...asRequester(), body: disbursementBody(fundId, 100) });
  const flagged = await h.call('POST', '/v1/disbursements', { ...asRequester(), body: disbursementBody(fundId, 200) });
  expect(flagged.body.flags).toHaveLength(1);
});

describe("the report's counters out of the fund's partition", () => {
  it("writes new figures to the fund's report shards and leaves those stored before as they were", async () => {
    expect(await statsItems(`FUND#${fundId}`)).toEqual(expect.arrayContaining(storedBefore()));
    expect(await statsItems(`FUND#${fundId}`)).toHaveLength(2);
    const written = new Map<string, number>();
    for (let n = 0; n < 16; n++) {
      for (const item of await statsItems(`RSTATS#${fundId}#${n}`)) {
        if (item.sk !== `RSTATS#${half}`) continue;
        for (const [name, value] of Object.entries(item))
          if (name.includes('.')) written.set(name, (written.get(name) ?? 0) + Number(value));
      }
    }
    expect(Object.fromEntries(written)).toEqual({
      'failed.account_closed.count': 1,
      'failed.account_closed.amount': 500,
      'flag.duplicate_beneficiary.raised': 1,
    });
  });

  it("counts a figure stored before and one written after in the half's report, and no other half's", async () => {
    const report = await h.call('GET', `/v1/funds/${fundId}/reports/${half}`, auditor);
    expect(report.status, JSON.stringify(report.body)).toBe(200);
    expect(report.body.failures).toEqual([{ code: 'account_closed', count: 2, amount: 1_400 }]);
    expect(report.body.flags).toEqual([{ code: 'duplicate_beneficiary', raised: 2, cleared: 0 }]);
    expect(report.body.objections).toEqual({ upheld: 1, dismissed: 0 });
    expect(report.body.notices).toEqual({ published: 2 });
  });

  it("counts every half, stored before and in the shards, in the public view's lifetime figures", async () => {
    const view = await h.call('GET', `/public/funds/${fundId}`);
    expect(view.status, JSON.stringify(view.body)).toBe(200);
    expect(view.body).toMatchObject({ notices: { published: 5 }, objections: { upheld: 5 } });
  });
});
