/**
 * Issue 10, "Money cannot leak": the whole money system as a fast-check model against DynamoDB Local
 * and the SQS emulator. Random sequences of disbursements (plain and drawing on a campaign subsidy),
 * approvals, rejections, cancellations, batches, campaigns launched / cancelled / ended, webhook
 * endpoints of the paying finance system added, answering 410, deleted and re-created, delivery rounds
 * against real HTTP receivers (the paying system's and an observer subscribed to `*`), redeliveries
 * and settlements at any moment, and the settlement roll-up (API 1.2: a settled payout's reserved → paid move
 * reaches its allocation later) swept at arbitrary points: settlements here leave it to the sweep
 * (SETTLEMENT_ROLLUP=sweep), so every step also runs with roll-ups pending. After EVERY step:
 * - the ledger check finds no difference;
 * - no payout is `sent` unless the paying receiver acknowledged its instruction;
 * - nobody receives a `payout.requested` for a payout after its settlement;
 * - the observer never receives a full account number (the paying system always does);
 * - payouts, disbursements, allocations, subsidies and endpoints are as the model has them;
 * - each county's report counts its disbursements by status exactly (issue 21: a payment's figures reach it with
 *   its roll-up, as its `paid` reaches the allocation, so until then it counts as approved).
 *
 * A second model (issue 23) runs a fund with `accountVerification: required` over a few shared accounts: items
 * and batches created, batch request jobs run late or (until the last step) never, answers match / close_match /
 * no_match / not_possible in any order or never, approvals, flag clearances, settlements and corrections at random.
 * After every step: the ledger check is clean, every approval was refused while a verification it needs was
 * pending (or not yet requested) or a high flag was uncleared, counts and statuses are as the model has them, one
 * verification per account, and a failed payout stays failed, corrected at most once.
 *
 * Delivery jobs are run here, not by a poller: a delivery step sweeps the outbox and runs the queued
 * jobs (oldest event first) until the queue is empty, or for one pass only. The retry schedule is
 * 0,0,0, so nothing waits on the clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { useLocalServices, type LocalServices } from '#test/support/local-services';
import { handlerCaller, type Reply } from '#test/support/handler-call';
import { handlerProcesses, httpHandlers } from '#test/support/lambda-processes';
import { startReceiver, type ReceivedRequest, type Receiver, type ReceiverReply } from '#test/support/receiver';
import type { PayoutStatus } from '#shared/domain/payouts';
import { CHANNELS } from '#shared/domain/campaigns';
import { ACCOUNT_NUMBER, asFinance, disbursementBody, FINANCE_SYSTEM } from '../integration/disbursement-harness.ts';
import { accountOf, batchRow } from '../integration/batch-harness.ts';
import {
  batchesContext,
  payoutsContext,
  BatchesContext,
  PayoutsContext,
  campaignsContext,
  type CampaignsContext,
} from '../support/contexts.ts';
import { fundsContext, type FundsContext } from '#test/support/contexts';

const THRESHOLD = 30_000;
const REQUESTERS = ['maker-1', 'maker-2'] as const;
const APPROVERS = ['checker-1', 'checker-2', 'maker-1'] as const;
const ADMIN = { sub: 'admin-1', roles: ['fund-admin'] };
const OPERATOR = { sub: 'operator-1', roles: ['campaign-operator'] };
const AUDITOR = { sub: 'auditor-1', roles: ['auditor'] };
const MAX_PAYING_ENDPOINTS = 3;
const MINUTE = 60_000;
/** Every full account number a payout of this file can carry. */
const FULL_ACCOUNTS = [ACCOUNT_NUMBER, ...Array.from({ length: 4 }, (_, n) => accountOf(n))];
/**
 * The model has no screening steps: each disbursement and batch row pays an account of its own, so duplicate
 * screening flags nothing. Every account it uses joins FULL_ACCOUNTS for the instruction checks.
 */
let accountsUsed = 0;
function freshAccount(): string {
  const account = accountOf(1_000_000 + accountsUsed++);
  FULL_ACCOUNTS.push(account);
  return account;
}

let services: LocalServices;
let call: (method: string, path: string, options?: Parameters<ReturnType<typeof handlerCaller>>[2]) => Promise<Reply>;
let data: {
  funds: FundsContext;
  payouts: PayoutsContext;
  campaigns: CampaignsContext;
  counties: typeof import('#shared/data/counties/items');
  batches: BatchesContext;
  endpoints: typeof import('#shared/data/webhook-endpoints/items');
  outbox: typeof import('#shared/data/platform/outbox');
  subsidies: typeof import('#shared/data/campaigns/subsidies');
  checkLedger: typeof import('#shared/data/ledger/check').checkLedger;
  rollUps: typeof import('#shared/data/ledger/roll-up');
  processDeliveryJob: typeof import('#shared/webhooks/delivery').processDeliveryJob;
};

// ---------------------------------------------------------------------------------------------
// The receivers: they answer as the model says and record what nobody should ever have received.

type Mode = 'ok' | 'down' | 'gone';
interface ModelEndpoint {
  id: string;
  path: string;
  mode: Mode;
  enabled: boolean;
}

let paying: Receiver;
let observer: Receiver;
const payingModes = new Map<string, Mode>();
let observerStatus = 200;
/** Payouts whose instruction the paying receiver acknowledged (answered 2xx). */
const acknowledged = new Set<string>();
/** Settled or failed payouts: no instruction for them may arrive any more. */
const closed = new Set<string>();
let violations: string[] = [];
/** This run's payouts: what an earlier run left behind is not this run's counterexample. */
let runPayouts = new Set<string>();

function instructionOf(req: ReceivedRequest): string | undefined {
  const body = req.json as { type?: string; data?: { payoutId?: string } } | undefined;
  return body?.type === 'payout.requested' ? body.data?.payoutId : undefined;
}

function payingReply(req: ReceivedRequest): ReceiverReply {
  const mode = payingModes.get(req.path) ?? 'gone';
  const status = mode === 'ok' ? 200 : mode === 'down' ? 500 : 410;
  const payoutId = instructionOf(req);
  if (payoutId && runPayouts.has(payoutId)) {
    if (closed.has(payoutId)) violations.push(`paying system received payout.requested for closed payout ${payoutId}`);
    if (!FULL_ACCOUNTS.some((a) => req.body.includes(a))) violations.push(`paying system received a masked account for ${payoutId}`);
    if (status === 200) acknowledged.add(payoutId);
  }
  return { status };
}

function observerReply(req: ReceivedRequest): ReceiverReply {
  const payoutId = instructionOf(req);
  if (payoutId && runPayouts.has(payoutId) && closed.has(payoutId))
    violations.push(`observer received payout.requested for closed payout ${payoutId}`);
  if (FULL_ACCOUNTS.some((a) => req.body.includes(a)))
    violations.push(`observer received a full account number (${(req.json as { type?: string })?.type})`);
  return { status: observerStatus };
}

beforeAll(async () => {
  // Sweeps are steps of the model, not a schedule: an hour between sweeps, so a subsidy past its claim period is
  // the model's to release (and to check), not a ledger-check difference yet.
  services = await useLocalServices({
    env: {
      WEBHOOK_RETRY_SCHEDULE: '0,0,0',
      WEBHOOK_TIMEOUT_MS: '10000',
      SUBSIDY_CLAIM_PERIOD: 'PT1S',
      OUTBOX_SWEEP_SECONDS: '3600',
      SETTLEMENT_ROLLUP: 'sweep',
    },
  });
  const handlers = await httpHandlers(['disbursements', 'payouts', 'batches', 'campaigns', 'webhook-endpoints', 'counties']);
  call = handlerCaller(handlers, { sub: 'maker-1', roles: ['requester'] });
  data = {
    funds: await fundsContext(),
    payouts: await payoutsContext(),
    campaigns: await campaignsContext(),
    counties: await import('#shared/data/counties/items'),
    batches: await batchesContext(),
    endpoints: await import('#shared/data/webhook-endpoints/items'),
    outbox: await import('#shared/data/platform/outbox'),
    subsidies: await import('#shared/data/campaigns/subsidies'),
    checkLedger: (await import('#shared/data/ledger/check')).checkLedger,
    rollUps: await import('#shared/data/ledger/roll-up'),
    processDeliveryJob: (await import('#shared/webhooks/delivery')).processDeliveryJob,
  };
  paying = await startReceiver({ respond: payingReply });
  observer = await startReceiver({ respond: observerReply });
});

afterAll(async () => {
  await paying?.stop();
  await observer?.stop();
});

/**
 * Runs the delivery jobs as the worker would, oldest event first (so the model knows which instruction
 * meets a 410 first): until the queue is empty, or one pass. Optionally the outbox sweep first, which
 * queues every pending event (waiting instructions included).
 */
async function runDeliveries(rounds: 'all' | 'one', sweep: boolean): Promise<void> {
  if (sweep) await data.outbox.runSweep([data.outbox.outboxEventsSource], new Date());
  for (let pass = 0; pass < 40; pass++) {
    const messages = await services.drainQueue(services.queueUrls.delivery);
    if (messages.length === 0) return;
    const jobs = messages.map((m) => JSON.parse(m.Body!) as Parameters<typeof data.processDeliveryJob>[0]);
    jobs.sort((a, b) => (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0));
    for (const job of jobs) await data.processDeliveryJob(job);
    if (rounds === 'one') return;
  }
  throw new Error('the delivery queue did not come to rest');
}

// ---------------------------------------------------------------------------------------------
// The model

interface ModelCampaign {
  id: string;
  county: string;
  /** Launched with its window already over: the next sweep releases its subsidy. */
  ended: boolean;
  cancelled: boolean;
  amount: number;
  drawn: number;
  released: number;
  status: 'reserved' | 'released';
}

interface ModelDisbursement {
  id: string;
  county: string;
  amount: number;
  requestedBy: string;
  required: number;
  approvals: Set<string>;
  status: string;
  campaign: ModelCampaign | null;
  payout: ModelPayout | null;
  /** The correction that replaced it after its payout failed (1.2). */
  correctedBy: string | null;
}

interface ModelPayout {
  id: string;
  messageId: string;
  county: string;
  amount: number;
  status: PayoutStatus;
  disbursement: ModelDisbursement | null;
  campaign: ModelCampaign | null;
  /** The batch of a batch payout, and the batch that corrects it once it failed (1.2). */
  batchId: string | null;
  correctedBy: string | null;
  /** A paying endpoint failed it in the current round and it is still pending (losing them all fails it). */
  tried: boolean;
  /** After a one-pass delivery round against a failing endpoint: queued or delivery_failed both fit. */
  loose: boolean;
}

interface ModelLine {
  allocated: number;
  /** With the settled payouts not rolled up yet: they still count as reserved. */
  reserved: number;
  paid: number;
  /** Settled, not rolled up yet. */
  pending: number;
}

type Action =
  | { kind: 'create'; county: 0 | 1; amount: number; requester: 0 | 1; campaign: number | null }
  | { kind: 'approve'; target: number; approver: number }
  | { kind: 'reject'; target: number; approver: number }
  | { kind: 'cancel'; target: number; byAdmin: boolean; requester: 0 | 1 }
  | { kind: 'settle'; target: number; outcome: 'succeeded' | 'failed' }
  | { kind: 'redeliver'; target: number }
  | { kind: 'addEndpoint' }
  | { kind: 'gone'; target: number }
  | { kind: 'deleteEndpoint'; target: number }
  | { kind: 'deliver'; paying: 'ok' | 'down'; observer: 200 | 500; rounds: 'all' | 'one' }
  | { kind: 'launch'; county: 0 | 1; amount: number; ended: boolean }
  | { kind: 'cancelCampaign'; target: number }
  | { kind: 'endCampaigns' }
  | { kind: 'batch'; county: 0 | 1; amounts: number[] }
  | { kind: 'correct'; target: number; twice: boolean }
  | { kind: 'correctBatch'; target: number; twice: boolean; late: boolean }
  | { kind: 'rollUp' };

const side = fc.constantFrom(0 as const, 1 as const);
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('create' as const),
      county: side,
      amount: fc.integer({ min: 1, max: 45_000 }),
      requester: side,
      campaign: fc.option(fc.nat(), { freq: 2 }),
    }),
  },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('approve' as const), target: fc.nat(), approver: fc.nat(APPROVERS.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reject' as const), target: fc.nat(), approver: fc.nat(APPROVERS.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), target: fc.nat(), byAdmin: fc.boolean(), requester: side }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('settle' as const),
      target: fc.nat(),
      outcome: fc.constantFrom('succeeded' as const, 'failed' as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('redeliver' as const), target: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('addEndpoint' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('gone' as const), target: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteEndpoint' as const), target: fc.nat() }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('deliver' as const),
      paying: fc.constantFrom('ok' as const, 'down' as const),
      observer: fc.constantFrom(200 as const, 500 as const),
      rounds: fc.constantFrom('all' as const, 'one' as const),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('launch' as const),
      county: side,
      amount: fc.integer({ min: 1_000, max: 40_000 }),
      ended: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancelCampaign' as const), target: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('endCampaigns' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('batch' as const),
      county: side,
      amounts: fc.array(fc.integer({ min: 1, max: 15_000 }), { minLength: 1, maxLength: 3 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('correct' as const), target: fc.nat(), twice: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('correctBatch' as const), target: fc.nat(), twice: fc.boolean(), late: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rollUp' as const) }) },
);

/**
 * Every run ends with the claim periods over and one healthy delivery round, so whatever a run left
 * reserved or pending is looked at once more (released, delivered or, if closed, left alone).
 */
const FINALE: readonly Action[] = [
  { kind: 'endCampaigns' },
  { kind: 'deliver', paying: 'ok', observer: 200, rounds: 'all' },
  { kind: 'rollUp' },
];

const OPEN: ReadonlySet<PayoutStatus> = new Set(['queued', 'sent', 'delivery_failed']);
/** The statuses the county report counts, by its names. */
const REPORT_STEMS = {
  pending_approval: 'pendingApproval',
  in_notice: 'inNotice',
  approved: 'approved',
  paid: 'paid',
  payout_failed: 'payoutFailed',
};
let runNumber = 0;

function campaignBody(countyCode: string, channel: string, fundId: string, amount: number, ended: boolean) {
  const now = Date.now();
  // An ended campaign: a window already over (startsAt within the 5-minute grace), released by the next sweep.
  const startsAt = ended ? now - 4 * MINUTE : now + 60 * MINUTE;
  const endsAt = ended ? now - 3 * MINUTE : now + 120 * MINUTE;
  return {
    countyCode,
    title: 'Kiwi harvest week',
    channel,
    products: [{ sku: 'KIWI-5KG', name: 'Red-heart kiwi 5 kg', unitPrice: 9_900, promoPrice: 6_900 }],
    startsAt: new Date(startsAt).toISOString(),
    endsAt: new Date(endsAt).toISOString(),
    subsidy: { fundId, amount },
  };
}

const answer = (reply: Reply) => ({ status: reply.status, code: reply.body?.code as string | undefined });

describe('the money system under random interleavings', () => {
  it('keeps the ledger, the payment rules and the model after every step', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(fc.integer({ min: 40_000, max: 150_000 }), fc.integer({ min: 40_000, max: 150_000 })),
        fc.array(action, { minLength: 10, maxLength: 22 }),
        async ([allocA, allocB], actions) => {
          runNumber += 1;
          violations = [];
          runPayouts = new Set();
          observerStatus = 200;
          // Fresh counties and fund per run: campaign windows and allocations of earlier runs stay out of the way.
          const counties = [String(510_100 + runNumber * 2), String(510_101 + runNumber * 2)] as const;
          const now = new Date();
          for (const c of counties)
            await data.counties.putCounty({ countyCode: c, name: `County ${c}`, province: 'Test', modelCounty: false }, now);
          const fund = await data.funds.createFund(
            {
              name: 'Relief fund',
              financeSystem: FINANCE_SYSTEM,
              noticePeriod: 'P0D',
              totalBudget: 1_000_000_000,
              dualApprovalThreshold: THRESHOLD,
            },
            { sub: 'admin-1' },
            now,
          );
          const fundId = fund.fundId;
          await data.funds.setAllocation(fundId, counties[0], allocA, { sub: 'admin-1' }, new Date());
          await data.funds.setAllocation(fundId, counties[1], allocB, { sub: 'admin-1' }, new Date());
          const observerEndpoint = await data.endpoints.createEndpoint(
            { url: `${observer.url}/hooks/r${runNumber}`, events: ['*'] },
            { sub: 'admin-1' },
            new Date(),
          );

          const lines: Record<string, ModelLine> = {
            [counties[0]]: { allocated: allocA, reserved: 0, paid: 0, pending: 0 },
            [counties[1]]: { allocated: allocB, reserved: 0, paid: 0, pending: 0 },
          };
          const available = (county: string) => lines[county]!.allocated - lines[county]!.reserved - lines[county]!.paid;
          const ds: ModelDisbursement[] = [];
          const ps: ModelPayout[] = [];
          const cs: ModelCampaign[] = [];
          const es: ModelEndpoint[] = [];
          const endpointsCreated: string[] = [observerEndpoint.endpointId];

          const newPayout = async (
            payoutId: string,
            county: string,
            amount: number,
            d: ModelDisbursement | null,
            campaign: ModelCampaign | null,
          ) => {
            const stored = await data.payouts.getPayout(payoutId);
            const p: ModelPayout = {
              id: payoutId,
              messageId: stored.requestedMessageId,
              county,
              amount,
              status: 'queued',
              disbursement: d,
              campaign,
              batchId: null,
              correctedBy: null,
              tried: false,
              loose: false,
            };
            ps.push(p);
            runPayouts.add(payoutId);
            return p;
          };

          /** The model's delivery round: pending instructions, oldest first, against the enabled paying endpoints. */
          const predictDeliveries = (rounds: 'all' | 'one') => {
            const pending = ps.filter((p) => p.status === 'queued').sort((a, b) => (a.messageId < b.messageId ? -1 : 1));
            for (const p of pending) {
              const targets = es.filter((e) => e.enabled);
              if (targets.some((e) => e.mode === 'ok')) p.status = 'sent';
              else if (targets.some((e) => e.mode === 'down')) {
                p.tried = true;
                if (rounds === 'all') p.status = 'delivery_failed';
                else p.loose = true;
              } else if (targets.length > 0)
                p.status = 'delivery_failed'; // every paying endpoint answers 410
              else if (p.tried) p.status = 'delivery_failed'; // every endpoint it was meant for is gone
              // A 410 disables the endpoint in the round of the first instruction that meets it.
              for (const e of targets) if (e.mode === 'gone') e.enabled = false;
              if (p.status !== 'queued') p.tried = false;
            }
          };

          const checkEverything = async (step: number, a: Action) => {
            const where = `step ${step} ${JSON.stringify(a)}`;
            expect(violations, where).toEqual([]);
            const stored = new Map<string, PayoutStatus>();
            for (const p of ps) stored.set(p.id, (await data.payouts.getPayout(p.id)).status);
            for (const p of ps) {
              if (stored.get(p.id) === 'sent')
                expect(acknowledged.has(p.id), `${where}: payout ${p.id} is sent, but the paying system never acknowledged it`).toBe(true);
            }
            const ledger = await data.checkLedger();
            expect(ledger.differences, where).toEqual([]);

            for (const p of ps) {
              const actual = stored.get(p.id)!;
              if (p.loose && p.status === 'queued' && (actual === 'queued' || actual === 'delivery_failed')) {
                p.status = actual;
                if (actual !== 'queued') p.tried = false;
              }
              p.loose = false;
              expect(actual, `${where}: payout ${p.id}`).toBe(p.status);
            }
            for (const county of counties) {
              const m = lines[county]!;
              const a = (await data.funds.findAllocation(fundId, county))!;
              expect(
                { allocated: a.allocated, reserved: a.reserved, paid: a.paid, available: a.available },
                `${where}: allocation ${county}`,
              ).toEqual({
                allocated: m.allocated,
                reserved: m.reserved,
                paid: m.paid,
                available: m.allocated - m.reserved - m.paid,
              });
            }
            for (const county of counties) {
              const figures = Object.fromEntries(
                Object.entries(REPORT_STEMS).map(([status, stem]) => {
                  const mine = ds.filter((d) => d.county === county && reportStatus(d) === status);
                  return [stem, { count: mine.length, amount: mine.reduce((sum, d) => sum + d.amount, 0) }];
                }),
              );
              const got = (await call('GET', `/v1/counties/${county}/report`, AUDITOR)).body.disbursements;
              expect(got, `${where}: county report ${county}`).toEqual(figures);
            }
            // The failures summary counts exactly the failed payouts no correction links yet.
            const uncorrected = ps.filter((p) => p.status === 'failed' && (p.disbursement?.correctedBy ?? p.correctedBy) === null);
            expect((await call('GET', `/v1/payouts/failures?fundId=${fundId}`, AUDITOR)).body.total, `${where}: failures`).toEqual({
              count: uncorrected.length,
              amount: uncorrected.reduce((s, p) => s + p.amount, 0),
            });
            for (const p of ps) {
              if (p.batchId === null) continue;
              const got = (await call('GET', `/v1/payouts/${p.id}`, AUDITOR)).body;
              expect(got.correctedBy, `${where}: correction of payout ${p.id}`).toBe(p.correctedBy);
            }
            for (const d of ds) {
              const got = (await call('GET', `/v1/disbursements/${d.id}`, AUDITOR)).body;
              expect(got.status, `${where}: disbursement ${d.id}`).toBe(d.status);
              expect(got.correctedBy, `${where}: correction of ${d.id}`).toBe(d.correctedBy);
            }
            for (const c of cs) {
              const got = await data.campaigns.getCampaign(c.id, new Date());
              expect(got.subsidy, `${where}: subsidy of ${c.id}`).toEqual({
                fundId,
                amount: c.amount,
                drawn: c.drawn,
                released: c.released,
                status: c.status,
              });
            }
            for (const e of es) {
              expect((await data.endpoints.getEndpoint(e.id)).status, `${where}: endpoint ${e.id}`).toBe(
                e.enabled ? 'enabled' : 'disabled',
              );
            }
          };

          /** Disbursements whose payment waits for its roll-up: the county report still counts them as approved. */
          const awaitingRollUp = new Set<ModelDisbursement>();
          const reportStatus = (d: ModelDisbursement) => (awaitingRollUp.has(d) ? 'approved' : d.status);
          const settleModel = (p: ModelPayout, to: 'settled' | 'failed') => {
            const line = lines[p.county]!;
            if (to === 'settled' && p.disbursement) awaitingRollUp.add(p.disbursement);
            // A payment reaches the allocation at the roll-up: until then it stays reserved (available is the same).
            if (to === 'settled') line.pending += p.amount;
            else if (p.campaign?.status === 'reserved') {
              // Back to the subsidy, which still holds it on the allocation.
              p.campaign.drawn -= p.amount;
            } else line.reserved -= p.amount;
            p.status = to;
            p.tried = false;
            if (p.disbursement) p.disbursement.status = to === 'settled' ? 'paid' : 'payout_failed';
            closed.add(p.id);
          };

          try {
            for (const [step, a] of [...actions, ...FINALE].entries()) {
              if (a.kind === 'create') {
                const county = counties[a.county];
                const mine = cs.filter((c) => c.county === county);
                const campaign = a.campaign !== null && mine.length > 0 ? mine[a.campaign % mine.length]! : null;
                const requester = REQUESTERS[a.requester];
                const reply = await call('POST', '/v1/disbursements', {
                  sub: requester,
                  roles: ['requester'],
                  body: disbursementBody(fundId, a.amount, {
                    countyCode: county,
                    beneficiary: {
                      kind: 'cooperative',
                      name: 'Cooperative',
                      account: { bankName: 'ABC', accountName: 'Cooperative', accountNumber: freshAccount() },
                    },
                    ...(campaign ? { campaignId: campaign.id } : {}),
                  }),
                });
                const expected =
                  campaign?.status === 'released' ? { status: 409, code: 'invalid_state' } : { status: 201, code: undefined };
                expect(answer(reply), `step ${step}`).toEqual(expected);
                if (reply.status === 201) {
                  ds.push({
                    id: reply.body.disbursementId,
                    county,
                    amount: a.amount,
                    requestedBy: requester,
                    required: a.amount >= THRESHOLD ? 2 : 1,
                    approvals: new Set(),
                    status: 'pending_approval',
                    campaign,
                    payout: null,
                    correctedBy: null,
                  });
                }
              } else if (a.kind === 'approve' || a.kind === 'reject' || a.kind === 'cancel') {
                if (ds.length === 0) continue;
                const d = ds[a.target % ds.length]!;
                let expected: { status: number; code?: string };
                if (a.kind === 'cancel') {
                  const caller = a.byAdmin ? ADMIN : { sub: REQUESTERS[a.requester], roles: ['requester'] };
                  if (!a.byAdmin && caller.sub !== d.requestedBy) expected = { status: 403, code: 'forbidden' };
                  else if (d.status !== 'pending_approval') expected = { status: 409, code: 'invalid_state' };
                  else expected = { status: 200 };
                  const reply = await call('POST', `/v1/disbursements/${d.id}/cancel`, { ...caller, body: { reason: 'model cancels' } });
                  expect(answer(reply), `step ${step}`).toEqual({ code: undefined, ...expected });
                  if (reply.status === 200) d.status = 'cancelled';
                } else {
                  const approver = APPROVERS[a.approver]!;
                  if (approver === d.requestedBy) expected = { status: 403, code: 'self_approval' };
                  else if (d.status !== 'pending_approval') expected = { status: 409, code: 'invalid_state' };
                  else if (a.kind === 'reject') expected = { status: 200 };
                  else if (d.approvals.has(approver)) expected = { status: 409, code: 'duplicate_approval' };
                  else if (d.approvals.size + 1 < d.required) expected = { status: 200 };
                  else if (d.campaign) {
                    const c = d.campaign;
                    expected =
                      c.status === 'reserved' && c.amount - c.drawn - c.released >= d.amount
                        ? { status: 200 }
                        : { status: 409, code: 'insufficient_allocation' };
                  } else expected = available(d.county) >= d.amount ? { status: 200 } : { status: 409, code: 'insufficient_allocation' };
                  const reply =
                    a.kind === 'reject'
                      ? await call('POST', `/v1/disbursements/${d.id}/reject`, {
                          sub: approver,
                          roles: ['approver'],
                          body: { reason: 'model says no' },
                        })
                      : await call('POST', `/v1/disbursements/${d.id}/approve`, { sub: approver, roles: ['approver'], body: {} });
                  expect(answer(reply), `step ${step}`).toEqual({ code: undefined, ...expected });
                  if (reply.status === 200 && a.kind === 'reject') d.status = 'rejected';
                  else if (reply.status === 200) {
                    d.approvals.add(approver);
                    if (d.approvals.size >= d.required) {
                      d.status = 'approved';
                      // A subsidised one takes money its campaign already holds; any other reserves on the allocation.
                      if (d.campaign) d.campaign.drawn += d.amount;
                      else lines[d.county]!.reserved += d.amount;
                      d.payout = await newPayout(reply.body.payoutId, d.county, d.amount, d, d.campaign);
                    }
                  }
                }
              } else if (a.kind === 'rollUp') {
                await data.rollUps.sweepRollUps(new Date());
                awaitingRollUp.clear();
                for (const line of Object.values(lines)) {
                  line.reserved -= line.pending;
                  line.paid += line.pending;
                  line.pending = 0;
                }
              } else if (a.kind === 'settle') {
                if (ps.length === 0) continue;
                const p = ps[a.target % ps.length]!;
                const to = a.outcome === 'succeeded' ? 'settled' : 'failed';
                const expected = OPEN.has(p.status) || p.status === to ? { status: 200 } : { status: 409, code: 'invalid_state' };
                const body =
                  a.outcome === 'succeeded'
                    ? { outcome: a.outcome, bankReference: 'BR-1' }
                    : { outcome: a.outcome, failureReason: 'bounced' };
                const reply = await call('POST', `/v1/payouts/${p.id}/settlement`, { ...asFinance, body });
                expect(answer(reply), `step ${step}`).toEqual({ code: undefined, ...expected });
                if (reply.status === 200 && OPEN.has(p.status)) settleModel(p, to);
              } else if (a.kind === 'redeliver') {
                if (ps.length === 0) continue;
                const p = ps[a.target % ps.length]!;
                const reply = await call('POST', `/v1/payouts/${p.id}/redeliver`, { ...ADMIN, body: {} });
                expect(answer(reply), `step ${step}`).toEqual(
                  p.status === 'delivery_failed' ? { status: 202, code: undefined } : { status: 409, code: 'invalid_state' },
                );
                if (reply.status === 202) {
                  p.status = 'queued';
                  p.tried = false; // a new round: endpoints lost in the old one do not count
                }
              } else if (a.kind === 'addEndpoint') {
                // Also how a finance system comes back after a 410 (there is no PATCH to re-enable yet).
                if (es.length >= MAX_PAYING_ENDPOINTS) continue;
                const path = `/hooks/r${runNumber}/p${es.length}`;
                const created = await data.endpoints.createEndpoint(
                  { url: `${paying.url}${path}`, events: ['payout.requested'], financeSystem: FINANCE_SYSTEM },
                  { sub: 'admin-1' },
                  new Date(),
                );
                endpointsCreated.push(created.endpointId);
                payingModes.set(path, 'ok');
                es.push({ id: created.endpointId, path, mode: 'ok', enabled: true });
              } else if (a.kind === 'gone') {
                const live = es.filter((e) => e.enabled);
                if (live.length === 0) continue;
                const e = live[a.target % live.length]!;
                e.mode = 'gone';
                payingModes.set(e.path, 'gone');
              } else if (a.kind === 'deleteEndpoint') {
                if (es.length === 0) continue;
                const e = es[a.target % es.length]!;
                const reply = await call('DELETE', `/v1/webhook-endpoints/${e.id}`, ADMIN);
                expect(reply.status, `step ${step}`).toBe(204);
                es.splice(es.indexOf(e), 1);
                payingModes.delete(e.path);
                // The deletion queued a review of every pending event: run it now, as the worker would.
                predictDeliveries('one');
                await runDeliveries('one', false);
              } else if (a.kind === 'deliver') {
                for (const e of es) {
                  if (e.mode !== 'gone') {
                    e.mode = a.paying;
                    payingModes.set(e.path, a.paying);
                  }
                }
                observerStatus = a.observer;
                predictDeliveries(a.rounds);
                await runDeliveries(a.rounds, true);
              } else if (a.kind === 'launch') {
                const county = counties[a.county];
                const mine = cs.filter((c) => c.county === county).length;
                // One channel per campaign of a county: windows never overlap.
                if (mine >= CHANNELS.length) continue;
                const reply = await call('POST', '/v1/campaigns', {
                  ...OPERATOR,
                  body: campaignBody(county, CHANNELS[mine]!, fundId, a.amount, a.ended),
                });
                const expected =
                  available(county) >= a.amount ? { status: 201, code: undefined } : { status: 409, code: 'insufficient_allocation' };
                expect(answer(reply), `step ${step}`).toEqual(expected);
                if (reply.status === 201) {
                  lines[county]!.reserved += a.amount;
                  cs.push({
                    id: reply.body.campaignId,
                    county,
                    ended: a.ended,
                    cancelled: false,
                    amount: a.amount,
                    drawn: 0,
                    released: 0,
                    status: 'reserved',
                  });
                }
              } else if (a.kind === 'cancelCampaign') {
                if (cs.length === 0) continue;
                const c = cs[a.target % cs.length]!;
                const reply = await call('POST', `/v1/campaigns/${c.id}/cancel`, { ...OPERATOR, body: { reason: 'flooding' } });
                const expected = c.ended || c.cancelled ? { status: 409, code: 'invalid_state' } : { status: 200, code: undefined };
                expect(answer(reply), `step ${step}`).toEqual(expected);
                if (reply.status === 200) {
                  c.cancelled = true;
                  const rest = c.amount - c.drawn - c.released;
                  c.released += rest;
                  c.status = 'released';
                  lines[c.county]!.reserved -= rest;
                }
              } else if (a.kind === 'endCampaigns') {
                await data.subsidies.subsidyReleaseSource.sweep(new Date());
                for (const c of cs) {
                  if (c.ended && c.status === 'reserved') {
                    const rest = c.amount - c.drawn - c.released;
                    c.released += rest;
                    c.status = 'released';
                    lines[c.county]!.reserved -= rest;
                  }
                }
              } else if (a.kind === 'correct') {
                // A failed payout is corrected by a new request, at most once, even when two corrections come at once.
                if (ds.length === 0) continue;
                // Mostly a failed one (the interesting case; when there is none, an open payout fails first), sometimes any.
                let failedOnes = ds.filter((x) => x.status === 'payout_failed' && x.correctedBy === null);
                const open = ds.find((x) => x.payout !== null && OPEN.has(x.payout.status));
                if (failedOnes.length === 0 && open) {
                  const body = { outcome: 'failed', failureReason: 'account closed' };
                  const reply = await call('POST', `/v1/payouts/${open.payout!.id}/settlement`, { ...asFinance, body });
                  expect(answer(reply), `step ${step}`).toEqual({ status: 200, code: undefined });
                  settleModel(open.payout!, 'failed');
                  failedOnes = [open];
                }
                const pool = failedOnes.length > 0 && a.target % 4 !== 0 ? failedOnes : ds;
                const d = pool[a.target % pool.length]!;
                const attempt = () =>
                  call('POST', `/v1/disbursements/${d.id}/corrections`, {
                    sub: REQUESTERS[0],
                    roles: ['requester'],
                    body: {
                      beneficiary: {
                        kind: 'cooperative',
                        name: 'Cooperative',
                        account: { bankName: 'ABC', accountName: 'Cooperative', accountNumber: freshAccount() },
                      },
                      reason: 'model corrects',
                    },
                  });
                const replies = await Promise.all(a.twice ? [attempt(), attempt()] : [attempt()]);
                const correctable = d.status === 'payout_failed' && d.correctedBy === null && d.campaign?.status !== 'released';
                const refused = { status: 409, code: 'invalid_state' };
                expect(
                  replies.map(answer).sort((x, y) => x.status - y.status),
                  `step ${step}`,
                ).toEqual(correctable ? [{ status: 201, code: undefined }, ...(a.twice ? [refused] : [])] : replies.map(() => refused));
                const made = replies.find((r) => r.status === 201);
                if (made) {
                  d.correctedBy = made.body.disbursementId as string;
                  ds.push({
                    id: d.correctedBy,
                    county: d.county,
                    amount: d.amount,
                    requestedBy: REQUESTERS[0],
                    required: d.required,
                    approvals: new Set(),
                    status: 'pending_approval',
                    campaign: d.campaign,
                    payout: null,
                    correctedBy: null,
                  });
                }
              } else if (a.kind === 'correctBatch') {
                // A failed batch payout is corrected by a new batch, at most once, even when two corrections come at once;
                // a late "succeeded" for it is refused and moves no money.
                const ofBatches = ps.filter((x) => x.batchId !== null);
                let failedOnes = ofBatches.filter((x) => x.status === 'failed' && x.correctedBy === null);
                const open = ofBatches.find((x) => OPEN.has(x.status));
                if (failedOnes.length === 0 && open) {
                  const body = { outcome: 'failed', failureCode: 'account_closed' };
                  const reply = await call('POST', `/v1/payouts/${open.id}/settlement`, { ...asFinance, body });
                  expect(answer(reply), `step ${step}`).toEqual({ status: 200, code: undefined });
                  settleModel(open, 'failed');
                  failedOnes = [open];
                }
                const pool = failedOnes.length > 0 && a.target % 4 !== 0 ? failedOnes : ofBatches;
                if (pool.length === 0) continue;
                const p = pool[a.target % pool.length]!;
                const attempt = () =>
                  call('POST', `/v1/disbursement-batches/${p.batchId}/corrections`, {
                    sub: REQUESTERS[0],
                    roles: ['requester'],
                    body: {
                      items: [
                        {
                          payoutId: p.id,
                          beneficiary: {
                            kind: 'farmer',
                            name: 'Farmer',
                            account: { bankName: 'ABC', accountName: 'Farmer', accountNumber: freshAccount() },
                          },
                        },
                      ],
                      reason: 'model corrects a row',
                    },
                  });
                const replies = await Promise.all(a.twice ? [attempt(), attempt()] : [attempt()]);
                const correctable = p.status === 'failed' && p.correctedBy === null;
                const refused = { status: 409, code: 'invalid_state' };
                expect(
                  replies.map(answer).sort((x, y) => x.status - y.status),
                  `step ${step}`,
                ).toEqual(correctable ? [{ status: 201, code: undefined }, ...(a.twice ? [refused] : [])] : replies.map(() => refused));
                const made = replies.find((r) => r.status === 201);
                if (made) p.correctedBy = made.body.batchId as string;
                if (a.late && p.status === 'failed') {
                  const late = await call('POST', `/v1/payouts/${p.id}/settlement`, {
                    ...asFinance,
                    body: { outcome: 'succeeded', bankReference: 'BR-LATE' },
                  });
                  expect(answer(late), `step ${step}`).toEqual(refused);
                }
              } else if (a.kind === 'batch') {
                const county = counties[a.county];
                const total = a.amounts.reduce((s, x) => s + x, 0);
                const created = await call('POST', '/v1/disbursement-batches', {
                  sub: 'maker-2',
                  roles: ['requester'],
                  body: {
                    fundId,
                    countyCode: county,
                    purpose: 'produce-subsidy',
                    items: a.amounts.map((x, n) => {
                      const row = batchRow(n, x);
                      return {
                        ...row,
                        beneficiary: { ...row.beneficiary, account: { ...row.beneficiary.account, accountNumber: freshAccount() } },
                      };
                    }),
                  },
                });
                expect(created.status, `step ${step}`).toBe(201);
                const batchId = created.body.batchId as string;
                const required = total >= THRESHOLD ? 2 : 1;
                const fits = available(county) >= total;
                let reply: Reply | undefined;
                for (let n = 0; n < required; n++) {
                  reply = await call('POST', `/v1/disbursement-batches/${batchId}/approve`, {
                    sub: APPROVERS[n]!,
                    roles: ['approver'],
                    body: {},
                  });
                }
                expect(answer(reply!), `step ${step}`).toEqual(
                  fits ? { status: 200, code: undefined } : { status: 409, code: 'insufficient_allocation' },
                );
                if (fits) {
                  lines[county]!.reserved += total;
                  await data.batches.expandBatch(batchId);
                  const listed = await data.batches.listBatchPayouts(batchId, { limit: 10 }, { sub: 'auditor-1', roles: ['auditor'] });
                  expect(listed.items).toHaveLength(a.amounts.length);
                  for (const item of listed.items) (await newPayout(item.payoutId, county, item.amount, null, null)).batchId = batchId;
                }
              }
              await checkEverything(step, a);
            }
          } finally {
            // Close what this run left open, so no later run delivers its instructions.
            for (const p of ps.filter((x) => OPEN.has(x.status))) {
              await data.payouts
                .settlePayout(p.id, { outcome: 'failed', failureReason: 'end of run' }, { sub: FINANCE_SYSTEM }, new Date())
                .catch(() => undefined);
              closed.add(p.id);
            }
            for (const id of endpointsCreated)
              await data.endpoints.deleteEndpoint(id, { sub: 'admin-1' }, new Date()).catch(() => undefined);
            await services.drainQueue(services.queueUrls.delivery);
          }
        },
      ),
      // Across processes (money-model-processes.test.ts) at most 3 runs: the same steps, another place to run them.
      { numRuns: handlerProcesses() > 1 ? 3 : 12 },
    );
    // A pass takes well under a minute; the rest is room for shrinking a counterexample.
  }, 300_000);
});

// ---------------------------------------------------------------------------------------------
// Account verification (issue 23): answers in any order, or never.

type VerificationResult = 'match' | 'close_match' | 'no_match' | 'not_possible';
type VerifyAction =
  | { kind: 'create'; account: number }
  | { kind: 'batch'; accounts: number[] }
  | { kind: 'requestJob'; target: number }
  | { kind: 'answer'; account: number; result: VerificationResult }
  | { kind: 'approve'; target: number }
  | { kind: 'clear'; target: number }
  | { kind: 'settle'; target: number; outcome: 'succeeded' | 'failed' }
  | { kind: 'correct'; target: number; account: number; twice: boolean };

const ACCOUNTS_PER_RUN = 4;
const accountIndex = fc.nat(ACCOUNTS_PER_RUN - 1);
const verifyAction: fc.Arbitrary<VerifyAction> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('create' as const), account: accountIndex }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('batch' as const), accounts: fc.array(accountIndex, { minLength: 1, maxLength: 4 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('requestJob' as const), target: fc.nat() }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('answer' as const),
      account: accountIndex,
      result: fc.constantFrom('match' as const, 'match' as const, 'close_match' as const, 'no_match' as const, 'not_possible' as const),
    }),
  },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('approve' as const), target: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('clear' as const), target: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('settle' as const),
      target: fc.nat(),
      outcome: fc.constantFrom('succeeded' as const, 'failed' as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('correct' as const), target: fc.nat(), account: accountIndex, twice: fc.boolean() }),
  },
);

const COUNT_FIELD = {
  pending: 'pending',
  match: 'match',
  close_match: 'closeMatch',
  no_match: 'noMatch',
  not_possible: 'notPossible',
} as const;

describe('account verification under random interleavings', () => {
  it('approves nothing pending verification or flagged high, keeps the ledger, and pays no failed payout twice', async () => {
    const { requestBatchVerifications } = await import('#shared/data/verifications/request');
    const ADMIN_CALL = { sub: 'admin-1', roles: ['fund-admin'] };
    await fc.assert(
      fc.asyncProperty(fc.array(verifyAction, { minLength: 8, maxLength: 18 }), async (actions) => {
        runNumber += 1;
        const county = String(520_100 + runNumber);
        await data.counties.putCounty({ countyCode: county, name: `County ${county}`, province: 'Test', modelCounty: false }, new Date());
        const fund = await data.funds.createFund(
          {
            name: 'Verified relief',
            financeSystem: FINANCE_SYSTEM,
            noticePeriod: 'P0D',
            totalBudget: 1_000_000_000,
            dualApprovalThreshold: THRESHOLD,
            accountVerification: 'required',
          },
          { sub: 'admin-1' },
          new Date(),
        );
        const fundId = fund.fundId;
        await data.funds.setAllocation(fundId, county, 10_000_000, { sub: 'admin-1' }, new Date());
        // A few accounts per run, shared by items: verifications are reused, and answers reach several items.
        const accounts = Array.from({ length: ACCOUNTS_PER_RUN }, () => ({
          bankName: 'Agricultural Bank of China',
          accountName: `Grower ${runNumber}`,
          accountNumber: freshAccount(),
        }));
        const beneficiary = (n: number) => ({ kind: 'cooperative', name: `Grower ${n}`, account: accounts[n]! });

        /** Per account: not asked yet, or its verification (pending until answered; an answer is final). */
        const verifs = new Map<number, { id: string; status: 'pending' | VerificationResult }>();
        interface Item {
          id: string;
          kind: 'dsb' | 'batch';
          accounts: number[];
          amount: number;
          status: string;
          /** A batch: its request job has run (its rows' verifications exist). */
          requested: boolean;
          /** An uncleared high flag (screening, or an answer but `match`). */
          flagged: boolean;
          payoutId: string | null;
          payout: 'queued' | 'settled' | 'failed' | null;
          correctedBy: string | null;
        }
        const items: Item[] = [];
        const line = { reserved: 0, paid: 0 };
        const pick = <T>(list: T[], n: number) => (list.length === 0 ? undefined : list[n % list.length]);

        /** An account's verification as an item that uses it finds it: reuse, or a new request. */
        const verificationFor = (account: number, id: () => string) => {
          const known = verifs.get(account);
          if (known) return known;
          const made = { id: id(), status: 'pending' as const };
          verifs.set(account, made);
          return made;
        };
        const rowStatus = (item: Item, account: number) =>
          item.kind === 'batch' && !item.requested ? 'pending' : verifs.get(account)!.status;
        const waiting = (item: Item) => item.accounts.some((a) => rowStatus(item, a) === 'pending');

        const afterCreation = async (item: Item, reply: Reply) => {
          // Screening flags are not this model's: what the creation raised for a repeated account is read back.
          const flags =
            item.kind === 'dsb'
              ? (reply.body.flags as { code: string; severity: string }[])
              : ((await call('GET', `/v1/disbursement-batches/${item.id}/flags`, AUDITOR)).body.items as { code: string }[]);
          const blocking = (f: { code: string; severity?: string }) => !f.code.startsWith('account_') && (f.severity ?? 'high') === 'high';
          if ((flags as { code: string; severity?: string }[]).some(blocking)) item.flagged = true;
        };

        const check = async (step: number, a: VerifyAction) => {
          const where = `verification step ${step} ${JSON.stringify(a)}`;
          expect((await data.checkLedger()).differences, where).toEqual([]);
          const alloc = (await data.funds.findAllocation(fundId, county))!;
          expect({ reserved: alloc.reserved, paid: alloc.paid }, `${where}: allocation`).toEqual(line);
          for (const item of items) {
            if (item.kind === 'dsb') {
              const got = (await call('GET', `/v1/disbursements/${item.id}`, AUDITOR)).body;
              expect(got.status, `${where}: ${item.id}`).toBe(item.status);
              expect(got.verification.status, `${where}: verification of ${item.id}`).toBe(rowStatus(item, item.accounts[0]!));
            } else {
              const got = (await call('GET', `/v1/disbursement-batches/${item.id}`, AUDITOR)).body;
              expect(got.status, `${where}: ${item.id}`).toBe(item.status);
              if (item.status !== 'pending_approval') continue;
              const counts = { pending: 0, match: 0, closeMatch: 0, noMatch: 0, notPossible: 0 };
              for (const account of item.accounts) counts[COUNT_FIELD[rowStatus(item, account)]] += 1;
              expect(got.verifications, `${where}: verifications of ${item.id}`).toEqual(counts);
            }
          }
          // A failed payout stays failed, corrected at most once; its amount is never paid.
          for (const item of items.filter((i) => i.payout === 'failed')) {
            const got = (await call('GET', `/v1/payouts/${item.payoutId}`, AUDITOR)).body;
            expect({ status: got.status, correctedBy: got.correctedBy }, `${where}: payout ${item.payoutId}`).toEqual({
              status: 'failed',
              correctedBy: item.correctedBy,
            });
          }
        };

        const createDsb = async (account: number, correctionOf?: Item) => {
          const path = correctionOf ? `/v1/disbursements/${correctionOf.id}/corrections` : '/v1/disbursements';
          const body = correctionOf
            ? { beneficiary: beneficiary(account), reason: 'new account' }
            : disbursementBody(fundId, 1_000 + items.length, { countyCode: county, beneficiary: beneficiary(account) });
          return call('POST', path, { sub: 'maker-1', roles: ['requester'], body });
        };
        const addDsb = async (reply: Reply, account: number) => {
          const item: Item = {
            id: reply.body.disbursementId,
            kind: 'dsb',
            accounts: [account],
            amount: reply.body.amount,
            status: 'pending_approval',
            requested: true,
            flagged: false,
            payoutId: null,
            payout: null,
            correctedBy: null,
          };
          const v = verificationFor(account, () => reply.body.verification.verificationId);
          expect(reply.body.verification.verificationId).toBe(v.id);
          if (v.status !== 'pending' && v.status !== 'match') item.flagged = true;
          await afterCreation(item, reply);
          items.push(item);
        };

        for (const [step, a] of [...actions, { kind: 'requestJob', target: 0 } as const].entries()) {
          if (a.kind === 'create') {
            const reply = await createDsb(a.account);
            expect(reply.status, `step ${step}`).toBe(201);
            await addDsb(reply, a.account);
          } else if (a.kind === 'batch') {
            const reply = await call('POST', '/v1/disbursement-batches', {
              sub: 'maker-1',
              roles: ['requester'],
              body: {
                fundId,
                countyCode: county,
                purpose: 'produce-subsidy',
                items: a.accounts.map((n) => ({ beneficiary: beneficiary(n), amount: 500 })),
              },
            });
            expect(reply.status, `step ${step}`).toBe(201);
            const item: Item = {
              id: reply.body.batchId,
              kind: 'batch',
              accounts: a.accounts,
              amount: 500 * a.accounts.length,
              status: 'pending_approval',
              requested: false,
              flagged: false,
              payoutId: null,
              payout: null,
              correctedBy: null,
            };
            await afterCreation(item, reply);
            items.push(item);
          } else if (a.kind === 'requestJob') {
            // Run for one batch, or (the last step) for every batch not yet requested: some never are before then.
            const targets =
              step === actions.length
                ? items.filter((i) => i.kind === 'batch')
                : [
                    pick(
                      items.filter((i) => i.kind === 'batch'),
                      a.target,
                    ),
                  ];
            for (const item of targets) {
              if (!item) continue;
              await requestBatchVerifications(item.id);
              if (item.requested) continue;
              item.requested = true;
              const listed = (await call('GET', `/v1/account-verifications?fundId=${fundId}&limit=100`, asFinance)).body.items as {
                verificationId: string;
                accountNumber: string;
              }[];
              for (const account of new Set(item.accounts)) {
                const v = verificationFor(
                  account,
                  () => listed.find((l) => l.accountNumber === accounts[account]!.accountNumber)!.verificationId,
                );
                if (item.status === 'pending_approval' && v.status !== 'pending' && v.status !== 'match') item.flagged = true;
              }
            }
            // Exactly one verification per account asked about, however many items use it.
            const all = (await call('GET', `/v1/account-verifications?fundId=${fundId}&limit=100`, asFinance)).body.items;
            expect(all.length, `step ${step}: verifications`).toBe(verifs.size);
          } else if (a.kind === 'answer') {
            const v = verifs.get(a.account);
            if (!v) continue;
            const reply = await call('POST', `/v1/account-verifications/${v.id}`, {
              ...asFinance,
              body: { result: a.result, ...(a.result === 'close_match' ? { bankAccountName: 'GROWER' } : {}) },
            });
            const expected = v.status === 'pending' || v.status === a.result ? 200 : 409;
            expect(reply.status, `step ${step}`).toBe(expected);
            if (v.status === 'pending') {
              v.status = a.result;
              for (const item of items) {
                const hears = item.accounts.includes(a.account) && (item.kind === 'dsb' || item.requested);
                if (hears && item.status === 'pending_approval' && a.result !== 'match') item.flagged = true;
              }
            }
          } else if (a.kind === 'approve') {
            const item = pick(items, a.target);
            if (!item) continue;
            const path = item.kind === 'dsb' ? `/v1/disbursements/${item.id}/approve` : `/v1/disbursement-batches/${item.id}/approve`;
            const reply = await call('POST', path, { sub: 'checker-1', roles: ['approver'], body: {} });
            const expected =
              item.status !== 'pending_approval'
                ? { status: 409, code: 'invalid_state' }
                : waiting(item)
                  ? { status: 409, code: 'account_unverified' }
                  : item.flagged
                    ? { status: 409, code: 'flagged' }
                    : { status: 200, code: undefined };
            expect(answer(reply), `step ${step} ${item.id}`).toEqual(expected);
            if (reply.status === 200) {
              item.status = 'approved';
              line.reserved += item.amount;
              if (item.kind === 'dsb') {
                item.payoutId = reply.body.payoutId;
                item.payout = 'queued';
              }
            }
          } else if (a.kind === 'clear') {
            const item = pick(
              items.filter((i) => i.flagged && i.status === 'pending_approval'),
              a.target,
            );
            if (!item) continue;
            const path =
              item.kind === 'dsb' ? `/v1/disbursements/${item.id}/clear-flags` : `/v1/disbursement-batches/${item.id}/clear-flags`;
            const reply = await call('POST', path, { ...ADMIN_CALL, body: { reason: 'checked with the grower' } });
            expect(reply.status, `step ${step}: ${JSON.stringify(reply.body)}`).toBe(200);
            item.flagged = false;
          } else if (a.kind === 'settle') {
            const item = pick(
              items.filter((i) => i.payout === 'queued'),
              a.target,
            );
            if (!item) continue;
            const reply = await call('POST', `/v1/payouts/${item.payoutId}/settlement`, {
              ...asFinance,
              body:
                a.outcome === 'succeeded'
                  ? { outcome: 'succeeded', bankReference: `BR-${step}` }
                  : { outcome: 'failed', failureCode: 'name_mismatch' },
            });
            expect(reply.status, `step ${step}`).toBe(200);
            // SETTLEMENT_ROLLUP=sweep here: a payment reaches its allocation at the roll-up's sweep (API 1.2, within one
            // OUTBOX_SWEEP_SECONDS), which this model runs at once; a failure releases in its own transaction.
            if (a.outcome === 'succeeded') await data.rollUps.sweepRollUps(new Date());
            line.reserved -= item.amount;
            if (a.outcome === 'succeeded') {
              line.paid += item.amount;
              item.payout = 'settled';
              item.status = 'paid';
            } else {
              item.payout = 'failed';
              item.status = 'payout_failed';
            }
          } else {
            const item = pick(
              items.filter((i) => i.payout === 'failed'),
              a.target,
            );
            if (!item) continue;
            const replies = await Promise.all(Array.from({ length: a.twice ? 2 : 1 }, () => createDsb(a.account, item)));
            const made = replies.filter((r) => r.status === 201);
            expect(made.length, `step ${step}`).toBe(item.correctedBy === null ? 1 : 0);
            for (const r of replies.filter((x) => x.status !== 201))
              expect(answer(r), `step ${step}`).toEqual({ status: 409, code: 'invalid_state' });
            if (made[0]) {
              item.correctedBy = made[0].body.disbursementId;
              await addDsb(made[0], a.account);
            }
            // However the correction goes, the failed payout is never paid.
            const late = await call('POST', `/v1/payouts/${item.payoutId}/settlement`, {
              ...asFinance,
              body: { outcome: 'succeeded', bankReference: 'BR-LATE' },
            });
            expect(answer(late), `step ${step}`).toEqual({ status: 409, code: 'invalid_state' });
          }
          await check(step, a);
        }
        // Close what this run left open, so that no later run delivers its instructions.
        for (const item of items.filter((i) => i.payout === 'queued')) {
          await data.payouts.settlePayout(
            item.payoutId!,
            { outcome: 'failed', failureReason: 'end of run' },
            { sub: FINANCE_SYSTEM },
            new Date(),
          );
          closed.add(item.payoutId!);
        }
      }),
      { numRuns: handlerProcesses() > 1 ? 2 : 6 },
    );
  }, 300_000);
});
