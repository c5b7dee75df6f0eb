/**
 * The whole local runtime killed with SIGKILL (node, pollers and the DynamoDB Local JVM at once)
 * right after approvals, then restarted on the same DATA_DIR. The SQS emulator keeps messages in
 * memory only, so every queued delivery job is lost with it: what brings the payouts out is the
 * outbox in DynamoDB and the sweeper. Every committed payout must reach the finance receiver, each
 * under exactly one webhook-id.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { killableRuntime, type KillableRuntime } from '#test/support/killable-runtime';
import { startReceiver, type Receiver } from '#test/support/receiver';

/** The finance system that pays the crash test's fund and owns its endpoint. */
const FINANCE_SYSTEM = 'ledger-bot';

let runtime: KillableRuntime | undefined;
let receiver: Receiver | undefined;

afterAll(async () => {
  await runtime?.dispose();
  await receiver?.stop();
});

describe('SIGKILL of the whole runtime right after approvals', () => {
  it('delivers every committed payout after a restart, one webhook-id each', async () => {
    // The receiver holds every delivery for a while, so jobs are still in flight when the runtime dies.
    receiver = await startReceiver({ respond: (_, n) => ({ status: 200, delayMs: n <= 12 ? 1_500 : 0 }) });
    const rt = (runtime = await killableRuntime('crash'));
    await rt.start();
    const admin = await rt.token('fund-admin', 'admin');
    const requester = await rt.token('requester', 'maker');
    const approver = await rt.token('approver', 'checker');

    expect((await rt.api(admin, 'PUT', '/v1/counties/522701', { name: 'Duyun', province: 'Guizhou' })).status).toBe(201);
    const fund = await rt.api(
      admin,
      'POST',
      '/v1/funds',
      { name: 'Crash fund', currency: 'CNY', totalBudget: 10_000_000, financeSystem: FINANCE_SYSTEM },
      'crash-fund',
    );
    await rt.api(admin, 'PUT', `/v1/funds/${fund.body.fundId}/allocations/522701`, { amount: 5_000_000 });
    // The finance system binds its own endpoint, with its own token.
    await rt.api(await rt.token('finance-system', FINANCE_SYSTEM), 'POST', '/v1/webhook-endpoints', {
      url: `${receiver.url}/finance`,
      events: ['payout.requested'],
    });

    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const created = await rt.api(
        requester,
        'POST',
        '/v1/disbursements',
        {
          fundId: fund.body.fundId,
          countyCode: '522701',
          amount: 10_000 + i,
          currency: 'CNY',
          purpose: 'produce-subsidy',
          beneficiary: {
            kind: 'farmer',
            name: `Farmer ${i}`,
            account: { bankName: 'ABC', accountName: `Farmer ${i}`, accountNumber: `62284800000000${String(i).padStart(2, '0')}` },
          },
        },
        `crash-${i}`,
      );
      expect(created.status).toBe(201);
      ids.push(created.body.disbursementId);
    }
    const approved = await Promise.all(ids.map((id) => rt.api(approver, 'POST', `/v1/disbursements/${id}/approve`, {})));
    expect(approved.map((a) => a.status)).toEqual(ids.map(() => 200));
    const payoutIds = new Set(approved.map((a) => a.body.payoutId as string));

    // DynamoDB Local may lose writes acknowledged in the last few hundred ms before a SIGKILL (its
    // own durability, not DynamoDB's): let them reach its file before pulling the plug.
    await sleep(500);
    await rt.crash();

    await rt.start();
    // A delivery the dead worker had leased is taken over once its lease runs out (function timeout
    // + margin), so recovery takes about a minute here; the records, not the queue, drive it.
    const deadline = Date.now() + 150_000;
    let statuses: string[] = [];
    do {
      await sleep(1_000);
      statuses = await Promise.all([...payoutIds].map(async (p) => (await rt.api(admin, 'GET', `/v1/payouts/${p}`)).body.status));
    } while (!statuses.every((s) => s === 'sent') && Date.now() < deadline);
    expect(statuses).toEqual([...payoutIds].map(() => 'sent'));

    const idsByPayout = new Map<string, Set<string>>();
    for (const request of receiver.requests) {
      const payoutId = (request.json as any).data.payoutId as string;
      idsByPayout.set(payoutId, (idsByPayout.get(payoutId) ?? new Set()).add(String(request.headers['webhook-id'])));
    }
    expect([...idsByPayout.keys()].sort()).toEqual([...payoutIds].sort());
    for (const [payoutId, webhookIds] of idsByPayout) expect(webhookIds.size, payoutId).toBe(1);
  }, 240_000);
});
