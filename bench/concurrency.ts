/**
 * Issue 21, the `concurrency` section: the money path's hot writes with every function in worker
 * processes (LAMBDA_CONCURRENCY), one request at a time per process, as Lambda runs them. Four runs, each as a one-county run and a
 * spread run with the same work:
 * - settle a batch's payouts with `settlers` parallel finance-system callbacks (one county's batch, vs one
 *   batch per county over as many counties as callbacks);
 * - approve single disbursements from `approvers` processes (one county, vs as many counties as processes).
 * For each: ops/s, failed TransactWriteItems attempts per success (counted in the workers by
 * bench/attempts-probe.ts: conditions that failed because another writer got in, and DynamoDB's own
 * transaction conflicts), the refused takes of an allocation's turn and the wait for it (apart: a refused take
 * is a 1-unit UpdateItem), p50, p99 and the slowest request, and one county ÷ spread.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { loadInStore } from '#local/invoke';
import type { StepProgress } from '../scripts/lib/progress.ts';
import { noAttempts, type AttemptCounts } from './attempt-counts.ts';
import { beneficiary, expectStatus, roles, type Phase, type PhaseOptions } from './stack.ts';
import { percentile, perSecond, ratio, runConcurrently } from './stats.ts';

export interface ConcurrencyOptions {
  /** Payouts settled per settlement run (the batch's rows, split over the counties in the spread run). */
  settlements: number;
  /** Parallel settlement callbacks (and counties in the spread run). */
  settlers: number;
  /** Single disbursements approved per approval run. */
  approvals: number;
  /** Processes approving at once (and counties in the spread run). */
  approvers: number;
}

export interface ConcurrencyRun {
  name: string;
  counties: number;
  inFlight: number;
  ops: number;
  failures: number;
  opsPerSecond: number;
  failedAttemptsPerSuccess: number | undefined;
  /**
   * Refused takes of an allocation's turn per success (a conditional UpdateItem of a small item: 1 write unit each,
   * where a failed transaction is charged 2 per item), and the mean wait for the turn per success.
   */
  refusedTurnsPerSuccess: number | undefined;
  turnWaitMsPerSuccess: number | undefined;
  attempts: Omit<AttemptCounts, 'transactions'> & { transactions: number };
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  slowestMs: number | undefined;
  /** Worker processes that served the measured function. */
  processes: number;
}

export interface ConcurrencyResult {
  settle: { oneCounty: ConcurrencyRun; spread: ConcurrencyRun; ratios: RunRatios };
  approve: { oneCounty: ConcurrencyRun; spread: ConcurrencyRun; ratios: RunRatios };
}

/** One county ÷ spread: throughput (1 is as fast), p99 (1 is as quick), failed attempts per success (absolute). */
export interface RunRatios {
  throughput: number | undefined;
  p99: number | undefined;
  slowest: number | undefined;
}

const PROBE = fileURLToPath(new URL('./attempts-probe.ts', import.meta.url));
const AMOUNT = 10_000;
/** Counties the bench creates: 532530, 532531, … */
const countyCode = (n: number) => String(532_530 + n);

type PhaseStarter = (name: string, extra: Partial<PhaseOptions>) => Promise<Phase>;

export async function benchConcurrency(
  startPhaseFor: PhaseStarter,
  show: StepProgress,
  options: ConcurrencyOptions,
): Promise<ConcurrencyResult> {
  const processes = Math.max(options.settlers, options.approvers);
  const run = async <T>(name: string, body: (phase: Phase) => Promise<T>): Promise<T> => {
    const phase = await startPhaseFor(name, { lambdaConcurrency: processes, lambdaPreload: [PROBE] });
    try {
      return await body(phase);
    } finally {
      await phase.stop();
    }
  };
  const settleOne = await run('conc-settle-1', (p) => settleRun(p, show, options.settlements, options.settlers, 1));
  const settleSpread = await run('conc-settle-n', (p) => settleRun(p, show, options.settlements, options.settlers, options.settlers));
  const approveOne = await run('conc-approve-1', (p) => approveRun(p, show, options.approvals, options.approvers, 1));
  const approveSpread = await run('conc-approve-n', (p) => approveRun(p, show, options.approvals, options.approvers, options.approvers));
  return {
    settle: { oneCounty: settleOne, spread: settleSpread, ratios: ratios(settleOne, settleSpread) },
    approve: { oneCounty: approveOne, spread: approveSpread, ratios: ratios(approveOne, approveSpread) },
  };
}

function ratios(one: ConcurrencyRun, spread: ConcurrencyRun): RunRatios {
  return {
    throughput: ratio(one.opsPerSecond, spread.opsPerSecond),
    p99: ratio(one.p99Ms, spread.p99Ms),
    slowest: ratio(one.slowestMs, spread.slowestMs),
  };
}

interface Setup {
  tokens: { admin: string; requester: string; approver: string; finance: string };
  fundId: string;
  counties: string[];
}

async function setup(phase: Phase, counties: number, perCounty: number): Promise<Setup> {
  const tokens = {
    admin: await phase.token(roles.admin.roles, roles.admin.sub),
    requester: await phase.token(roles.requester.roles, roles.requester.sub),
    approver: await phase.token(roles.approver.roles, roles.approver.sub),
    finance: await phase.token(roles.finance.roles, roles.finance.sub),
  };
  const fund = expectStatus(
    await phase.api('POST', '/v1/funds', {
      token: tokens.admin,
      idempotencyKey: randomUUID(),
      body: { name: 'Bench fund', currency: 'CNY', totalBudget: 1_000_000_000_000, financeSystem: roles.finance.sub },
    }),
    201,
    'fund',
  );
  const fundId = fund.body.fundId as string;
  const codes = Array.from({ length: counties }, (_, n) => countyCode(n));
  for (const [n, code] of codes.entries()) {
    expectStatus(
      await phase.api('PUT', `/v1/counties/${code}`, { token: tokens.admin, body: { name: `County ${n}`, province: 'Yunnan' } }),
      201,
      'county',
    );
    expectStatus(
      await phase.api('PUT', `/v1/funds/${fundId}/allocations/${code}`, {
        token: tokens.admin,
        body: { amount: (perCounty + 1) * AMOUNT },
      }),
      200,
      'allocation',
    );
  }
  return { tokens, fundId, counties: codes };
}

/** Spreads `total` over `parts` as evenly as whole numbers allow. */
const shares = (total: number, parts: number) =>
  Array.from({ length: parts }, (_, n) => Math.floor(total / parts) + (n < total % parts ? 1 : 0));

async function settleRun(phase: Phase, show: StepProgress, total: number, inFlight: number, counties: number): Promise<ConcurrencyRun> {
  const name = `settle ${total} payouts, ${inFlight} callbacks, ${counties} ${counties === 1 ? 'county' : 'counties'}`;
  const per = shares(total, counties);
  const s = await setup(phase, counties, Math.max(...per));
  // Imported in a context: its modules set up their metrics at import, as in Lambda's init phase.
  const { expandBatch } = await loadInStore(() => import('#shared/data/batches/expand'));
  const { listBatchPayouts } = await loadInStore(() => import('#shared/data/payouts/list'));
  const payoutIds: string[] = [];
  let row = 0;
  for (const [c, code] of s.counties.entries()) {
    show.update(`${name}: batch ${c + 1}/${counties}`);
    const items = Array.from({ length: per[c]! }, () => ({ beneficiary: beneficiary(row++), amount: AMOUNT }));
    const created = expectStatus(
      await phase.api('POST', '/v1/disbursement-batches', {
        token: s.tokens.requester,
        idempotencyKey: randomUUID(),
        body: { fundId: s.fundId, countyCode: code, purpose: 'produce-subsidy', items },
      }),
      201,
      'batch',
    );
    const batchId = created.body.batchId as string;
    expectStatus(
      await phase.api('POST', `/v1/disbursement-batches/${batchId}/approve`, { token: s.tokens.approver, body: {} }),
      200,
      'approve batch',
    );
    // In this process, inside an invocation context of its own as the batch consumer would run it.
    await loadInStore(() => expandBatch(batchId));
    let cursor: string | undefined;
    do {
      const page = await loadInStore(() => listBatchPayouts(batchId, { limit: 100, cursor }, { sub: 'bench-auditor', roles: ['auditor'] }));
      payoutIds.push(...page.items.map((p) => p.payoutId));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  // Interleaved, so every moment has callbacks of every county in flight.
  const order = interleave(payoutIds, counties);
  await warm(phase, inFlight, () => ({ path: `/v1/payouts/${order[0]}`, token: s.tokens.finance }));
  return measure(phase, name, 'http/payouts', counties, inFlight, order, show, async (payoutId, n) =>
    phase.api('POST', `/v1/payouts/${payoutId}/settlement`, {
      token: s.tokens.finance,
      idempotencyKey: randomUUID(),
      body: { outcome: 'succeeded', bankReference: `CMB${String(n).padStart(12, '0')}` },
    }),
  );
}

async function approveRun(phase: Phase, show: StepProgress, total: number, inFlight: number, counties: number): Promise<ConcurrencyRun> {
  const name = `approve ${total} disbursements, ${inFlight} processes, ${counties} ${counties === 1 ? 'county' : 'counties'}`;
  const per = shares(total, counties);
  const s = await setup(phase, counties, Math.max(...per));
  const created: string[] = [];
  // An unknown disbursement is a 404 from the function: enough to start and warm its environments.
  await warm(phase, inFlight, () => ({ path: '/v1/disbursements/dsb_01JZZZZZZZZZZZZZZZZZZZZZZZ', token: s.tokens.approver }));
  const inputs = s.counties.flatMap((code, c) => Array.from({ length: per[c]! }, () => code));
  await runConcurrently(
    inputs.map((code, n) => ({ code, n })),
    inFlight,
    async ({ code, n }) => {
      const reply = expectStatus(
        await phase.api('POST', '/v1/disbursements', {
          token: s.tokens.requester,
          idempotencyKey: randomUUID(),
          body: {
            fundId: s.fundId,
            countyCode: code,
            amount: AMOUNT,
            currency: 'CNY',
            purpose: 'produce-subsidy',
            beneficiary: beneficiary(n),
          },
        }),
        201,
        'create disbursement',
      );
      created[n] = reply.body.disbursementId as string;
    },
    (done) => show.update(`${name}: created ${done}/${total}`),
  );
  // Interleaved as the settlements are, so every moment has approvals of every county in flight (in creation
  // order, the spread run approved one county after another, 8 at a time, as the one-county run does).
  const ids = interleave(created, counties);
  // Creation already warmed the disbursements function's processes.
  return measure(phase, name, 'http/disbursements', counties, inFlight, ids, show, (id) =>
    phase.api('POST', `/v1/disbursements/${id}/approve`, { token: s.tokens.approver, body: {} }),
  );
}

/** Rounds of warming before the bench gives up on a function whose environments never get warm. */
const WARM_ROUNDS = 20;

/**
 * `inFlight` requests at once, again until every one of a round is answered by the function (not API Gateway's
 * 503 while an environment still imports its handler): that many worker processes are warm before the clock runs,
 * so the figures are the money path's, not cold starts on a loaded machine.
 */
async function warm(phase: Phase, inFlight: number, request: () => { path: string; token: string }): Promise<void> {
  for (let round = 0; round < WARM_ROUNDS; round++) {
    const answers = await Promise.all(Array.from({ length: inFlight }, () => phase.api('GET', request().path, { token: request().token })));
    if (answers.every((a) => a.status < 500)) return;
  }
  throw new Error(`the function's ${inFlight} environments did not get warm in ${WARM_ROUNDS} rounds`);
}

function interleave<T>(items: readonly T[], groups: number): T[] {
  const size = Math.ceil(items.length / groups);
  const out: T[] = [];
  for (let i = 0; i < size; i++) for (let g = 0; g < groups; g++) if (g * size + i < items.length) out.push(items[g * size + i]!);
  return out;
}

async function attemptTotals(phase: Phase, fn: string): Promise<AttemptCounts> {
  const reports = (await phase.runtime.workerReports?.())?.[fn] ?? [];
  const sum = noAttempts();
  for (const { value } of reports) {
    for (const key of Object.keys(sum) as (keyof AttemptCounts)[]) sum[key] += (value as AttemptCounts | undefined)?.[key] ?? 0;
  }
  return sum;
}

async function measure<T>(
  phase: Phase,
  name: string,
  fn: string,
  counties: number,
  inFlight: number,
  inputs: readonly T[],
  show: StepProgress,
  request: (input: T, n: number) => Promise<{ status: number }>,
): Promise<ConcurrencyRun> {
  const before = await attemptTotals(phase, fn);
  let failures = 0;
  const indexed = inputs.map((input, n) => ({ input, n }));
  const { durationsMs, wallMs } = await runConcurrently(
    indexed,
    inFlight,
    async ({ input, n }) => {
      const reply = await request(input, n);
      if (reply.status !== 200) failures++;
    },
    (done) => show.update(`${name}: ${done}/${inputs.length}`),
  );
  const after = await attemptTotals(phase, fn);
  const attempts = {
    transactions: after.transactions - before.transactions,
    succeeded: after.succeeded - before.succeeded,
    conditionFailed: after.conditionFailed - before.conditionFailed,
    conflicted: after.conflicted - before.conflicted,
    otherFailures: after.otherFailures - before.otherFailures,
    turnTakes: after.turnTakes - before.turnTakes,
    turnRefused: after.turnRefused - before.turnRefused,
    turnWaitMs: after.turnWaitMs - before.turnWaitMs,
  };
  const ops = inputs.length - failures;
  const failed = attempts.transactions - attempts.succeeded;
  return {
    name,
    counties,
    inFlight,
    ops,
    failures,
    opsPerSecond: perSecond(ops, wallMs),
    failedAttemptsPerSuccess: ops > 0 ? failed / ops : undefined,
    refusedTurnsPerSuccess: ops > 0 ? attempts.turnRefused / ops : undefined,
    turnWaitMsPerSuccess: ops > 0 ? attempts.turnWaitMs / ops : undefined,
    attempts,
    p50Ms: percentile(durationsMs, 50),
    p99Ms: percentile(durationsMs, 99),
    slowestMs: percentile(durationsMs, 100),
    processes: new Set(phase.runtime.servedBy?.()[fn] ?? []).size,
  };
}
