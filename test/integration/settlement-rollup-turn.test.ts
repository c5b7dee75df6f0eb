/**
 * A settler's roll-up (SETTLEMENT_ROLLUP=now, the default) takes the allocation's turn as its only lease, without
 * waiting: a turn held by another settler's roll-up means that one rolls the payment up, a turn held by any other
 * move (an approval, a release) is waited for, so the settlement is still paid on its allocation when it answers.
 * A roll-up lease item left by the code before (`ROLLUP#<fundId>#<countyCode> / LEASE`) holds nothing up.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { COUNTY, useMoneyHarness } from './disbursement-harness.ts';

const h = useMoneyHarness();
let items: typeof import('#shared/data/ledger/items');
let documents: typeof import('#shared/data/platform/clients').documents;
let tableName: string;

beforeAll(async () => {
  items = await import('#shared/data/ledger/items');
  ({ documents } = await import('#shared/data/platform/clients'));
  tableName = (await import('#shared/config')).config().TABLE_NAME;
});

const allocation = async (fundId: string) => {
  const a = (await h.data.funds.findAllocation(fundId, COUNTY))!;
  return { reserved: a.reserved, paid: a.paid, available: a.available };
};

const settle = async (payoutId: string, ref: string) => {
  const reply = await h.settle(payoutId, { outcome: 'succeeded', bankReference: ref });
  expect(reply.status).toBe(200);
  expect(reply.body.status).toBe('settled');
};

describe("the settler's roll-up in the allocation's turn", () => {
  it('a lone settlement is paid on its allocation when it answers, and gives the turn back', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 100_000 } });
    const { payoutId } = await h.approvedPayout(fundId, 10_000, { ownAccount: true, approver: 'checker-1' });
    await settle(payoutId, 'TURN-1');
    expect(await allocation(fundId)).toEqual({ reserved: 0, paid: 10_000, available: 90_000 });
    expect(await items.readPendingSettlements(fundId, COUNTY, 10)).toEqual([]);
    expect(await items.allocationTurnHolder(fundId, COUNTY, new Date())).toBeUndefined();
    expect((await h.checkLedger()).differences).toEqual([]);
  }, 60_000);

  it('waits for a turn another move holds, then rolls up', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 100_000 } });
    const { payoutId } = await h.approvedPayout(fundId, 10_000, { ownAccount: true, approver: 'checker-1' });
    // An approval's turn, given back a little later (well before the turn's own 5 s run out).
    expect(await items.takeAllocationTurn(fundId, COUNTY, 'an-approval', new Date(), 4_000)).toBe(true);
    const released = new Promise<void>((resolve) =>
      setTimeout(() => void items.releaseAllocationTurn(fundId, COUNTY, 'an-approval').then(resolve), 300),
    );
    await settle(payoutId, 'TURN-2');
    await released;
    expect(await allocation(fundId)).toEqual({ reserved: 0, paid: 10_000, available: 90_000 });
    expect(await items.readPendingSettlements(fundId, COUNTY, 10)).toEqual([]);
    expect((await h.checkLedger()).differences).toEqual([]);
  }, 60_000);

  it("leaves its payment to another settler's roll-up that holds the turn", async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 100_000 } });
    const { payoutId } = await h.approvedPayout(fundId, 10_000, { ownAccount: true, approver: 'checker-1' });
    // Held for longer than a settlement takes here: a settler that waited for it would roll up after it ran out.
    expect(await items.takeAllocationTurn(fundId, COUNTY, 'rollup-another-settler', new Date(), 30_000)).toBe(true);
    try {
      await settle(payoutId, 'TURN-3');
      // Pending for the holder: still reserved, `available` exact, the check clean.
      expect(await allocation(fundId)).toEqual({ reserved: 10_000, paid: 0, available: 90_000 });
      expect((await items.readPendingSettlements(fundId, COUNTY, 10)).map((p) => p.payoutId)).toEqual([payoutId]);
      expect((await h.checkLedger()).differences).toEqual([]);
    } finally {
      await items.releaseAllocationTurn(fundId, COUNTY, 'rollup-another-settler');
    }
  }, 60_000);

  it('a roll-up lease stored by the code before holds nothing up', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 100_000 } });
    const { payoutId } = await h.approvedPayout(fundId, 10_000, { ownAccount: true, approver: 'checker-1' });
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    await documents.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: items.rollUpPartition(fundId, COUNTY),
          sk: 'LEASE',
          type: 'rollup-lease',
          leaseOwner: 'a-settler-before',
          leaseUntil: new Date(Date.now() + 60_000).toISOString(),
        },
      }),
    );
    await settle(payoutId, 'TURN-4');
    expect(await allocation(fundId)).toEqual({ reserved: 0, paid: 10_000, available: 90_000 });
    expect(await items.readPendingSettlements(fundId, COUNTY, 10)).toEqual([]);
    expect((await h.checkLedger()).differences).toEqual([]);
  }, 60_000);
});
