/**
 * GET /v1/account-verifications reads listings written across VERIFICATION_SHARDS index partitions
 * (shared/data/verifications/items.ts) and the unsharded partitions of items written before the shards: every
 * verification once, oldest first, page after page, by fund, by fund and status, and every fund's.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { asFinance, asRequester, COUNTY, disbursementBody, useMoneyHarness } from './disbursement-harness.ts';

const h = useMoneyHarness();
let documents: typeof import('#shared/data/platform/clients').documents;

beforeAll(async () => {
  ({ documents } = await import('#shared/data/platform/clients'));
});

async function listAll(query: string, limit: number): Promise<{ verificationId: string; status: string }[]> {
  const items: { verificationId: string; status: string }[] = [];
  let cursor: string | null = null;
  do {
    const res = await h.call('GET', `/v1/account-verifications?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, asFinance);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.items.length).toBeLessThanOrEqual(limit);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return items;
}

describe('the sharded verification listings', () => {
  it('list every verification once, oldest first, also those written before the shards', async () => {
    const fundId = await h.fund({ accountVerification: 'required', allocations: { [COUNTY]: 100_000_000 } });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const account = {
        bankName: 'Agricultural Bank of China',
        accountName: `Shard Co ${i}`,
        accountNumber: `62228099${String(i).padStart(8, '0')}`,
      };
      const res = await h.call('POST', '/v1/disbursements', {
        ...asRequester(),
        body: disbursementBody(fundId, 10_000, { beneficiary: { kind: 'cooperative', name: account.accountName, account } }),
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      ids.push(res.body.verification.verificationId as string);
    }
    const stored = (await h.services.scanTable()).filter((i) => i.type === 'account-verification' && i.fundId === fundId);
    // Spread over several shards of each listing.
    expect(new Set(stored.map((i) => i.gsi1pk)).size).toBeGreaterThan(1);
    expect(new Set(stored.map((i) => i.gsi3pk)).size).toBeGreaterThan(1);
    // Four of them as the code before the shards wrote them.
    for (const id of ids.slice(3, 7)) {
      await documents.send(
        new UpdateCommand({
          TableName: h.services.tableName,
          Key: { pk: `VER#${id}`, sk: 'VER' },
          UpdateExpression: 'SET gsi1pk = :fund, gsi2pk = :status, gsi3pk = :all',
          ExpressionAttributeValues: { ':fund': `VERS#${fundId}`, ':status': `VERS#${fundId}#pending`, ':all': 'VERS#ALL' },
        }),
      );
    }
    const sorted = [...ids].sort();
    for (const limit of [1, 5, 100]) {
      expect((await listAll(`fundId=${fundId}`, limit)).map((v) => v.verificationId)).toEqual(sorted);
      expect((await listAll(`fundId=${fundId}&status=pending`, limit)).map((v) => v.verificationId)).toEqual(sorted);
    }
    expect((await listAll('status=pending', 5)).map((v) => v.verificationId).filter((id) => ids.includes(id))).toEqual(sorted);

    // An answer moves an old item into its status's shard: it leaves the pending listing, joins the answered one.
    const answered = ids[4]!;
    expect((await h.call('POST', `/v1/account-verifications/${answered}`, { ...asFinance, body: { result: 'match' } })).status).toBe(200);
    expect((await listAll(`fundId=${fundId}&status=pending`, 5)).map((v) => v.verificationId)).toEqual(
      sorted.filter((id) => id !== answered),
    );
    expect((await listAll(`fundId=${fundId}&status=match`, 5)).map((v) => v.verificationId)).toEqual([answered]);
    expect((await listAll(`fundId=${fundId}`, 5)).map((v) => v.verificationId)).toEqual(sorted);
  });
});
