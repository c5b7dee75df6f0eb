/**
 * A fund's settings (name, paying system, approval threshold, notice period) never change once it exists, so
 * each execution environment reads them once: approvals and creates then cost one read less. A fund from before
 * 1.1 that names no paying system yet is read again until it has one.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { useMoneyHarness } from './disbursement-harness.ts';
import { fundsContext, type FundsContext } from '#test/support/contexts';

const h = useMoneyHarness();
let funds: FundsContext;
let documents: typeof import('#shared/data/platform/clients').documents;

beforeAll(async () => {
  funds = await fundsContext();
  ({ documents } = await import('#shared/data/platform/clients'));
});

async function setOnItem(fundId: string, attribute: string, value: string) {
  await documents.send(
    new UpdateCommand({
      TableName: h.services.tableName,
      Key: { pk: `FUND#${fundId}`, sk: 'FUND' },
      UpdateExpression: 'SET #a = :v',
      ExpressionAttributeNames: { '#a': attribute },
      ExpressionAttributeValues: { ':v': value },
    }),
  );
}

describe('fund settings', () => {
  it('are read once per execution environment', async () => {
    const fundId = await h.fund({ allocations: {} });
    const first = await funds.getFundSettings(fundId);
    // Written behind the code's back: a second read would see it.
    await setOnItem(fundId, 'name', 'renamed');
    expect(await funds.getFundSettings(fundId)).toEqual(first);
    expect(first).not.toHaveProperty('allocated');
  });

  it('of a fund that names no paying system yet are read again, so the one it is given counts at once', async () => {
    const fundId = await h.fund({ allocations: {} });
    await documents.send(
      new UpdateCommand({
        TableName: h.services.tableName,
        Key: { pk: `FUND#${fundId}`, sk: 'FUND' },
        UpdateExpression: 'REMOVE financeSystem',
      }),
    );
    expect((await funds.getFundSettings(fundId)).financeSystem).toBe('');
    await setOnItem(fundId, 'financeSystem', 'finance-late');
    expect((await funds.getFundSettings(fundId)).financeSystem).toBe('finance-late');
  });
});
