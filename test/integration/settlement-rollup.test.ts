/**
 * API 1.2's settlement roll-up: a succeeded settlement's reserved → paid move reaches the allocation by a roll-up,
 * not in the settlement's transaction. Here settlements leave it to the sweep (SETTLEMENT_ROLLUP=sweep), as a
 * settler that crashed right after its commit would: the books are right at every instant (the payout counts as
 * reserved until the roll-up, `available` never moves), the ledger check is clean before and after, and two
 * sweeps at once apply each payment once.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { COUNTY, FINANCE_SYSTEM, useMoneyHarness } from './disbursement-harness.ts';

const h = useMoneyHarness({ env: { SETTLEMENT_ROLLUP: 'sweep' } });
let rollUps: typeof import('#shared/data/ledger/roll-up');
const AUDITOR = { sub: 'auditor-1', roles: ['auditor'] };

beforeAll(async () => {
  rollUps = await import('#shared/data/ledger/roll-up');
});

async function payouts(fundId: string, count: number, amount: number): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; n++) ids.push((await h.approvedPayout(fundId, amount, { ownAccount: true, approver: 'checker-1' })).payoutId);
  return ids;
}

const settle = (payoutId: string, n: number) => h.settle(payoutId, { outcome: 'succeeded', bankReference: `RU-${n}` });

const allocation = async (fundId: string) => {
  const a = (await h.data.funds.findAllocation(fundId, COUNTY))!;
  return { allocated: a.allocated, reserved: a.reserved, paid: a.paid, available: a.available };
};

async function paidEntries(fundId: string): Promise<string[]> {
  const reply = await h.call('GET', `/v1/funds/${fundId}/ledger?countyCode=${COUNTY}&limit=100`, AUDITOR);
  expect(reply.status).toBe(200);
  return (reply.body.items as { kind: string; ref: { payoutId?: string } }[]).filter((e) => e.kind === 'paid').map((e) => e.ref.payoutId!);
}

describe('the settlement roll-up', () => {
  it('settled but not rolled up (a crash after the commit): reserved until the sweep, the check clean before and after', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 100_000 } });
    const ids = await payouts(fundId, 3, 10_000);
    const before = await allocation(fundId);
    expect(before).toEqual({ allocated: 100_000, reserved: 30_000, paid: 0, available: 70_000 });

    for (const [n, id] of ids.entries()) expect((await settle(id, n)).body.status).toBe('settled');
    // Not rolled up yet: the payouts still count as reserved; available is what it was, exactly.
    expect(await allocation(fundId)).toEqual(before);
    expect(await paidEntries(fundId)).toEqual([]);
    expect((await h.checkLedger()).differences).toEqual([]);
    // Nothing may be reserved against the pending payments again: available has not grown.
    const more = await payouts(fundId, 7, 10_000);
    expect(more).toHaveLength(7);
    expect((await allocation(fundId)).available).toBe(0);

    await rollUps.sweepRollUps(new Date());
    expect(await allocation(fundId)).toEqual({ allocated: 100_000, reserved: 70_000, paid: 30_000, available: 0 });
    expect((await paidEntries(fundId)).sort()).toEqual([...ids].sort());
    expect((await h.checkLedger()).differences).toEqual([]);
    // A repeated report of a rolled-up settlement changes nothing.
    expect((await settle(ids[0]!, 0)).status).toBe(200);
    await rollUps.sweepRollUps(new Date());
    expect(await allocation(fundId)).toEqual({ allocated: 100_000, reserved: 70_000, paid: 30_000, available: 0 });
    expect((await h.checkLedger()).differences).toEqual([]);
  }, 120_000);

  it('two sweeps (and a roll-up of the county) at once apply each payment once', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 500_000 } });
    const ids = await payouts(fundId, 45, 1_000);
    await Promise.all(ids.map((id, n) => settle(id, n)));
    expect((await h.checkLedger()).differences).toEqual([]);

    const now = new Date();
    await Promise.all([rollUps.sweepRollUps(now), rollUps.sweepRollUps(now), rollUps.rollUpAllocation(fundId, COUNTY, now)]);
    expect(await allocation(fundId)).toEqual({ allocated: 500_000, reserved: 0, paid: 45_000, available: 455_000 });
    const entries = await paidEntries(fundId);
    expect(entries).toHaveLength(45);
    expect(new Set(entries)).toEqual(new Set(ids));
    expect((await h.checkLedger()).differences).toEqual([]);
  }, 120_000);

  it('the ledger check reports a settlement left out of a roll-up for longer than two sweeps', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 50_000 } });
    const [id] = await payouts(fundId, 1, 5_000);
    const longAgo = new Date(Date.now() - 3 * 60_000);
    await h.data.payouts.settlePayout(id!, { outcome: 'succeeded', bankReference: 'RU-OLD' }, { sub: FINANCE_SYSTEM }, longAgo);
    const found = (await h.checkLedger()).differences.filter((d) => d.fundId === fundId);
    expect(found).toEqual([
      expect.objectContaining({
        countyCode: COUNTY,
        what: `settlement of payout ${id} rolled up within one sweep`,
        actual: 'still pending',
      }),
    ]);
    await rollUps.sweepRollUps(new Date());
    expect((await h.checkLedger()).differences).toEqual([]);
    expect(await allocation(fundId)).toMatchObject({ reserved: 0, paid: 5_000, available: 45_000 });
  }, 60_000);
});
