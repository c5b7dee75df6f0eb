/**
 * Reordered (and duplicated) SQS deliveries on DynamoDB Local with a real HTTP receiver: SQS may hand
 * out a payout's jobs in any order, more than once, late (after the finance system already settled
 * the payout, or carrying the due time of an earlier round), and mixed with other events' jobs. Whatever
 * the order, every event reaches the receiver exactly once, a settled or failed payout never moves
 * back to `sent`, and the ledger ends as the settlements say.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { startReceiver, type Receiver } from '#test/support/receiver';
import {
  asApprover,
  asRequester,
  beneficiaryNo,
  COUNTY,
  disbursementBody,
  FINANCE_SYSTEM,
  useMoneyHarness,
} from '../integration/disbursement-harness.ts';

const h = useMoneyHarness();
let receiver: Receiver;
let endpointId: string;
let processDeliveryJob: typeof import('#shared/webhooks/delivery').processDeliveryJob;

const ACTOR = { sub: 'admin-1', correlationId: 'reordered' };
const AMOUNT = 1_000_000;
const PAYOUTS = 3;

beforeAll(async () => {
  ({ processDeliveryJob } = await import('#shared/webhooks/delivery'));
  receiver = await startReceiver();
  const endpoints = await import('#shared/data/webhook-endpoints/items');
  const endpoint = await endpoints.createEndpoint(
    { url: `${receiver.url}/finance`, events: ['payout.requested', 'disbursement.approved'], financeSystem: FINANCE_SYSTEM },
    ACTOR,
    new Date(),
  );
  endpointId = endpoint.endpointId;
});

afterAll(async () => {
  const endpoints = await import('#shared/data/webhook-endpoints/items');
  await endpoints.deleteEndpoint(endpointId, ACTOR, new Date()).catch(() => undefined);
  await receiver?.stop();
});

interface Approved {
  fundId: string;
  disbursementId: string;
  payoutId: string;
  /** The approval's two outbox events: [`payout.requested`, `disbursement.approved`]. */
  messageIds: [string, string];
}

/** Approved disbursements of one fund, with the message ids their approval committed. */
async function approvedPayouts(): Promise<Approved[]> {
  const fundId = await h.fund({ allocations: { [COUNTY]: PAYOUTS * AMOUNT } });
  const approved: Omit<Approved, 'messageIds'>[] = [];
  for (let n = 0; n < PAYOUTS; n++) {
    const d = await h.call('POST', '/v1/disbursements', {
      ...asRequester(),
      body: disbursementBody(fundId, AMOUNT, { beneficiary: beneficiaryNo(n) }),
    });
    expect(d.status).toBe(201);
    const a = await h.call('POST', `/v1/disbursements/${d.body.disbursementId}/approve`, { ...asApprover('approver-1'), body: {} });
    expect(a.status).toBe(200);
    approved.push({ fundId, disbursementId: d.body.disbursementId, payoutId: a.body.payoutId });
  }
  const events = (await h.services.scanTable()).filter((i) => i.type === 'event');
  const messageOf = (eventType: string, subject: string) => {
    const found = events.filter((e) => e.eventType === eventType && e.subject === subject);
    expect(found).toHaveLength(1);
    return found[0]!.messageId as string;
  };
  return approved.map((a) => ({
    ...a,
    messageIds: [messageOf('payout.requested', a.payoutId), messageOf('disbursement.approved', a.disbursementId)],
  }));
}

type Step =
  { kind: 'job'; payout: number; event: 0 | 1 } | { kind: 'stale-job'; payout: number; event: 0 | 1 } | { kind: 'settle'; payout: number };

/** Per payout: each event's job one to three times, one job with an earlier round's due time, and zero to two settlement reports. */
const scenario = fc
  .record({
    copies: fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })), { minLength: PAYOUTS, maxLength: PAYOUTS }),
    settlements: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: PAYOUTS, maxLength: PAYOUTS }),
    outcomes: fc.array(fc.constantFrom('succeeded' as const, 'failed' as const), { minLength: PAYOUTS, maxLength: PAYOUTS }),
  })
  .chain(({ copies, settlements, outcomes }) => {
    const steps: Step[] = [];
    copies.forEach(([requested, approved], payout) => {
      for (let c = 0; c < requested; c++) steps.push({ kind: 'job', payout, event: 0 });
      for (let c = 0; c < approved; c++) steps.push({ kind: 'job', payout, event: 1 });
      steps.push({ kind: 'stale-job', payout, event: 0 });
      for (let s = 0; s < settlements[payout]!; s++) steps.push({ kind: 'settle', payout });
    });
    // Every step exactly once, in any order.
    return fc.record({
      order: fc.shuffledSubarray(steps, { minLength: steps.length, maxLength: steps.length }),
      outcomes: fc.constant(outcomes),
    });
  });

describe('reordered and duplicated delivery jobs', () => {
  it('deliver every event once and never undo a settlement, in any order', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ order, outcomes }) => {
        const payouts = await approvedPayouts();
        const mine = new Set(payouts.flatMap((p) => p.messageIds));
        expect(mine.size).toBe(PAYOUTS * 2);
        const before = receiver.requests.length;
        const settled = new Set<number>();
        // A payment instruction whose payout was settled before any job for it ran is never POSTed.
        const closedUnsent = new Set<string>();
        const jobRan = new Set<string>();

        for (const step of order) {
          const p = payouts[step.payout]!;
          if (step.kind === 'settle') {
            const outcome = outcomes[step.payout]!;
            const body =
              outcome === 'succeeded' ? { outcome, bankReference: `BR-${step.payout}` } : { outcome, failureReason: 'account closed' };
            const res = await h.settle(p.payoutId, body);
            // The first report settles; a repeat of the same outcome is a no-op 200.
            expect(res.status).toBe(200);
            if (!settled.has(step.payout) && !jobRan.has(p.messageIds[0])) closedUnsent.add(p.messageIds[0]);
            settled.add(step.payout);
          } else {
            const messageId = p.messageIds[step.event];
            jobRan.add(messageId);
            // A job from an earlier round carries a due time that is long past: it is just a job for the event.
            const notBefore = step.kind === 'stale-job' ? new Date(Date.now() - 3_600_000).toISOString() : undefined;
            await processDeliveryJob({ kind: 'event', messageId, ...(notBefore ? { notBefore } : {}) });
          }
          // Whatever came before, a settled payout stays settled (or failed).
          for (const n of settled) {
            const status = (await h.data.payouts.getPayout(payouts[n]!.payoutId)).status;
            expect(status).toBe(outcomes[n] === 'succeeded' ? 'settled' : 'failed');
          }
        }

        // Each event reached the receiver exactly once, but an instruction for a payout closed before it went out.
        const posted = receiver.requests.slice(before).map((r) => r.headers['webhook-id'] as string);
        expect(posted.filter((id) => mine.has(id)).sort()).toEqual([...mine].filter((id) => !closedUnsent.has(id)).sort());

        // Statuses and the ledger as the settlements say.
        for (const [n, p] of payouts.entries()) {
          const payout = await h.data.payouts.getPayout(p.payoutId);
          // Sent only on the paying system's acknowledgement; settled or failed whenever the report came.
          const expected = !settled.has(n) ? 'sent' : outcomes[n] === 'succeeded' ? 'settled' : 'failed';
          expect(payout.status).toBe(expected);
          const d = await h.call('GET', `/v1/disbursements/${p.disbursementId}`, { sub: 'aud', roles: ['auditor'] });
          expect(d.body.status).toBe({ sent: 'approved', settled: 'paid', failed: 'payout_failed' }[expected]);
        }
        const paid = payouts.filter((_, n) => settled.has(n) && outcomes[n] === 'succeeded').length * AMOUNT;
        const reserved = payouts.filter((_, n) => !settled.has(n)).length * AMOUNT;
        expect(await h.data.funds.findAllocation(payouts[0]!.fundId, COUNTY)).toMatchObject({
          reserved,
          paid,
          available: PAYOUTS * AMOUNT - reserved - paid,
        });
      }),
      { numRuns: 8 },
    );
  });
});
