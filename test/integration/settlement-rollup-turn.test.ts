/**
 * A settler's roll-up (SETTLEMENT_ROLLUP=now, the default) takes the allocation's turn as its only lease, without
 * waiting: a turn held by another settler's roll-up means that one rolls the payment up, a turn held by any other
 * move (an approval, a release) is waited for, so the settlement is still paid on its allocation when it answers.
 * A roll-up lease item left by the code before (`ROLLUP#<fundId>#<countyCode> / LEASE`) holds nothing up.
 * A settlement that finds the turn free moves its allocation reserved → paid in its own transaction, with its
 * `paid` entry: no pending roll-up item is written (nor deleted), and racing reports of one county stay exact.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { COUNTY, useMoneyHarness } from './disbursement-harness.ts';

const h = useMoneyHarness();
let items: typeof import('#shared/data/ledger/items');
let turns: typeof import('#shared/data/ledger/turn');
let documents: typeof import('#shared/data/platform/clients').documents;
let tableName: string;

beforeAll(async () => {
  items = await import('#shared/data/ledger/items');
  turns = await import('#shared/data/ledger/turn');
  ({ documents } = await import('#shared/data/platform/clients'));
  tableName = (await import('#shared/config')).config().TABLE_NAME;
});

const allocation = async (fundId: string) => {
  const a = (await h.data.funds.findAllocation(fundId, COUNTY))!;
  return { reserved: a.reserved, paid: a.paid, available: a.available };
};

/** A fund of 100,000 fen in COUNTY and one approved payout of 10,000 to an account of its own. */
async function onePayout(): Promise<{ fundId: string; payoutId: string }> {
  const fundId = await h.fund({ allocations: { [COUNTY]: 100_000 } });
  const { payoutId } = await h.approvedPayout(fundId, 10_000, { ownAccount: true, approver: 'checker-1' });
  return { fundId, payoutId };
}

/** The payout of `onePayout` paid on its allocation once, nothing pending, the ledger check clean. */
async function expectPaidOnce(fundId: string): Promise<void> {
  expect(await allocation(fundId)).toEqual({ reserved: 0, paid: 10_000, available: 90_000 });
  expect(await items.readPendingSettlements(fundId, COUNTY, 10)).toEqual([]);
  expect((await h.checkLedger()).differences).toEqual([]);
}

const settle = async (payoutId: string, ref: string) => {
  const reply = await h.settle(payoutId, { outcome: 'succeeded', bankReference: ref });
  expect(reply.status).toBe(200);
  expect(reply.body.status).toBe('settled');
};

describe("the settler's roll-up in the allocation's turn", () => {
  it('a lone settlement is paid on its allocation when it answers, and gives the turn back', async () => {
    const { fundId, payoutId } = await onePayout();
    await settle(payoutId, 'TURN-1');
    await expectPaidOnce(fundId);
    expect(await turns.allocationTurnHolder(fundId, COUNTY, new Date())).toBeUndefined();
  }, 60_000);

  it('a lone approval and a lone settlement write nothing to the turn: one read each, no turn item', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 100_000 } });
    const sent = vi.spyOn(documents, 'send');
    const turnRequests = () =>
      sent.mock.calls
        .filter(([command]) => String((command.input as { Key?: { pk?: unknown } }).Key?.pk).startsWith('LEASE#ALLOC#'))
        .map(([command]) => command.constructor.name);
    try {
      const { payoutId } = await h.approvedPayout(fundId, 10_000, { ownAccount: true, approver: 'checker-1' });
      expect(turnRequests()).toEqual(['GetCommand']);
      await settle(payoutId, 'TURN-LONE');
      expect(turnRequests()).toEqual(['GetCommand', 'GetCommand']);
    } finally {
      sent.mockRestore();
    }
    const { getItem } = await import('#shared/data/platform/query');
    expect(await getItem(turns.allocationTurnKey(fundId, COUNTY))).toBeUndefined();
    await expectPaidOnce(fundId);
  }, 60_000);

  it('with the turn free, the payment moves its allocation in its own transaction: no pending roll-up item', async () => {
    const { fundId, payoutId } = await onePayout();
    const sent = vi.spyOn(documents, 'send');
    try {
      await settle(payoutId, 'TURN-DIRECT');
      // Writes only: the settler still looks for other settlers' pending payments (a Query) after its turn.
      const written = sent.mock.calls
        .filter(([command]) => command.constructor.name !== 'QueryCommand' && command.constructor.name !== 'GetCommand')
        .map(([command]) => JSON.stringify(command.input));
      expect(written.filter((input) => input.includes(items.rollUpPartition(fundId, COUNTY)))).toEqual([]);
    } finally {
      sent.mockRestore();
    }
    expect(await turns.allocationTurnHolder(fundId, COUNTY, new Date())).toBeUndefined();
    await expectPaidOnce(fundId);
    // Reported again: nothing moves twice.
    await settle(payoutId, 'TURN-DIRECT');
    await expectPaidOnce(fundId);
  }, 60_000);

  it('reports of one county at once (the same payout twice among them) pay each payout once', async () => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 100_000 } });
    const ids: string[] = [];
    for (let n = 0; n < 8; n++) ids.push((await h.approvedPayout(fundId, 1_000, { ownAccount: true, approver: 'checker-1' })).payoutId);
    const reports = [...ids, ids[0]!, ids[1]!].map((id) => h.settle(id, { outcome: 'succeeded', bankReference: `TURN-RACE-${id}` }));
    for (const reply of await Promise.all(reports)) expect(reply.status).toBe(200);
    // Whatever a report left pending, its roll-up or the sweep's applies.
    const { sweepRollUps } = await import('#shared/data/ledger/roll-up');
    await sweepRollUps(new Date());
    expect(await allocation(fundId)).toEqual({ reserved: 0, paid: 8_000, available: 92_000 });
    const ledger = await h.call('GET', `/v1/funds/${fundId}/ledger?countyCode=${COUNTY}&limit=100`, {
      sub: 'auditor-1',
      roles: ['auditor'],
    });
    const paid = (ledger.body.items as { kind: string; ref: { payoutId?: string } }[]).filter((e) => e.kind === 'paid');
    expect(paid.map((e) => e.ref.payoutId).sort()).toEqual([...ids].sort());
    expect((await h.checkLedger()).differences).toEqual([]);
  }, 120_000);

  it('a lone settler met by another move takes no place in line: its payment waits pending, then is rolled up', async () => {
    const { fundId, payoutId } = await onePayout();
    const { dynamo } = await import('#shared/data/platform/clients');
    const transactions: string[] = [];
    let met = false;
    dynamo.middlewareStack.add(
      (next, context) => async (args) => {
        const input = JSON.stringify(args.input);
        if (context.commandName !== 'TransactWriteItemsCommand' || !input.includes(payoutId)) return next(args);
        transactions.push(input);
        if (!met) {
          // Between the settler's look (the county quiet) and its transaction: another move commits and holds the turn.
          met = true;
          await h.approvedPayout(fundId, 1_000, { ownAccount: true, approver: 'checker-1' });
          expect(await turns.takeAllocationTurn(fundId, COUNTY, 'an-approval', new Date(), 4_000)).toBe(true);
          setTimeout(() => void turns.releaseAllocationTurn(fundId, COUNTY, 'an-approval'), 1_500);
        }
        return next(args);
      },
      { step: 'initialize', name: 'meetTheSettler' },
    );
    try {
      await settle(payoutId, 'TURN-MET');
    } finally {
      dynamo.middlewareStack.remove('meetTheSettler');
    }
    // Its lone transaction was refused; the next one wrote the pending item, which its roll-up applied.
    expect(transactions.length).toBeGreaterThanOrEqual(3);
    expect(transactions[0]).not.toContain(items.rollUpPartition(fundId, COUNTY));
    expect(transactions[1]).toContain(items.rollUpPartition(fundId, COUNTY));
    const seen = await turns.readAllocationTurn(fundId, COUNTY, new Date());
    expect(seen.contendedUntil! > new Date().toISOString()).toBe(true);
    expect(await allocation(fundId)).toEqual({ reserved: 1_000, paid: 10_000, available: 89_000 });
    expect(await items.readPendingSettlements(fundId, COUNTY, 10)).toEqual([]);
    expect((await h.checkLedger()).differences).toEqual([]);
  }, 60_000);

  it('waits for a turn another move holds, then rolls up', async () => {
    const { fundId, payoutId } = await onePayout();
    // An approval's turn, given back a little later (well before the turn's own 5 s run out).
    expect(await turns.takeAllocationTurn(fundId, COUNTY, 'an-approval', new Date(), 4_000)).toBe(true);
    const released = new Promise<void>((resolve) =>
      setTimeout(() => void turns.releaseAllocationTurn(fundId, COUNTY, 'an-approval').then(resolve), 300),
    );
    await settle(payoutId, 'TURN-2');
    await released;
    await expectPaidOnce(fundId);
  }, 60_000);

  it("leaves its payment to another settler's roll-up that holds the turn", async () => {
    const { fundId, payoutId } = await onePayout();
    // Held for longer than a settlement takes here: a settler that waited for it would roll up after it ran out.
    expect(await turns.takeAllocationTurn(fundId, COUNTY, 'rollup-another-settler', new Date(), 30_000)).toBe(true);
    const sent = vi.spyOn(documents, 'send');
    try {
      await settle(payoutId, 'TURN-3');
      // Its own payment written pending is something pending: it asks for the turn without first querying for one.
      const queries = sent.mock.calls.filter(
        ([command]) =>
          command.constructor.name === 'QueryCommand' && JSON.stringify(command.input).includes(items.rollUpPartition(fundId, COUNTY)),
      );
      expect(queries).toEqual([]);
      // It reads the turn once, before its transaction: its refused take says who holds it, with no read after.
      const turnReads = sent.mock.calls.filter(
        ([command]) =>
          command.constructor.name === 'GetCommand' &&
          String((command.input as { Key?: { pk?: unknown } }).Key?.pk).startsWith('LEASE#ALLOC#'),
      );
      expect(turnReads).toHaveLength(1);
      sent.mockRestore();
      // Pending for the holder: still reserved, `available` exact, the check clean.
      expect(await allocation(fundId)).toEqual({ reserved: 10_000, paid: 0, available: 90_000 });
      expect((await items.readPendingSettlements(fundId, COUNTY, 10)).map((p) => p.payoutId)).toEqual([payoutId]);
      expect((await h.checkLedger()).differences).toEqual([]);
    } finally {
      sent.mockRestore();
      await turns.releaseAllocationTurn(fundId, COUNTY, 'rollup-another-settler');
    }
  }, 60_000);

  it('a roll-up lease stored by the code before holds nothing up', async () => {
    const { fundId, payoutId } = await onePayout();
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
    await expectPaidOnce(fundId);
  }, 60_000);
});
