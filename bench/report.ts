/**
 * The shape of bench/results/latest.json, the goals it is judged against and the table printed at the
 * end. Pure: goals and formatting are unit-tested without running anything.
 */
import type { PayoutExportResult } from './payout-export.ts';
import type { ConcurrencyResult, ConcurrencyRun } from './concurrency.ts';
import type { ReconciliationBenchResult } from './reconciliation.ts';
import type { VerificationResult } from './verification.ts';
import type { ProgressBenchResult } from './progress.ts';
import type { ReportPdfBenchResult } from './half-year-pdf.ts';
import { alignColumns } from '../scripts/lib/table.ts';
import type { CostBreakdown, LifecycleUsage } from './pricing.ts';

export interface ApprovalsResult {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  concurrency: number;
  storeBaselinePerSecond: number;
  ratioToStore: number | undefined;
  /** API ÷ raw store of each round (run back to back); ratioToStore is their median. */
  roundRatios: number[];
  approvals: number;
  storeBaselineP50Ms: number;
  storeBaselineP99Ms: number;
  /** Approvals that did not answer 200 (they would make the figure meaningless). */
  failures: number;
  /** SDK calls per API approval, by command: the first thing to read when the ratio is low. */
  sdkCallsPerApproval: Record<string, number>;
}

export interface BatchResult {
  items: number;
  secondsToAllSent: number | undefined;
  payoutsPerSecond: number | undefined;
  rawPerSecond: number;
  ratioToRaw: number | undefined;
  rawSeconds: number;
  /** The raw script without the writes that record each delivery (the claim and the record), for the profile. */
  rawWithoutDeliveryWritesPerSecond?: number;
  /** Set when the figure through the API could not be measured; says why. */
  missing?: string;
  /** Payouts sent when the run ended (less than items when it timed out). */
  sent?: number;
  /** SDK calls per payout by invocation and command, from approval to all sent (the profile). */
  sdkCallsPerPayout?: Record<string, number>;
  lambdaInvocations?: number;
  sqsRequests?: number;
  /** Duplicate screening at creation: a batch whose every row matches vs one without matches. */
  screening?: ScreeningResult;
}

export interface ScreeningResult {
  items: number;
  flaggedRows: number;
  baselineSeconds: number;
  baselineReadUnits: number;
  baselineWriteUnits: number;
  matchedSeconds: number;
  matchedReadUnits: number;
  matchedWriteUnits: number;
  timeRatio: number | undefined;
  readUnitsRatio: number | undefined;
  baselineReadUnitsByCommand: Record<string, number>;
  matchedReadUnitsByCommand: Record<string, number>;
}

export interface ColdStartEntry {
  function: string;
  bundleBytes: number;
  initMs: number | undefined;
  helloInitMs: number;
  ratioToHello: number | undefined;
  /** A bundle of just the SDK's DynamoDB document client (bench/sdk-only-function.ts), loaded the same way. */
  sdkOnlyInitMs?: number;
  ratioToSdkOnly?: number;
  /** The import failed: the function would not start at all. */
  error?: string;
}

/**
 * What the Powertools Tracer costs at init: one function's bundle imported with tracing on
 * (POWERTOOLS_TRACE_ENABLED=true, as deployed with active tracing) and off (false), interleaved.
 */
export interface TracerColdStartResult {
  function: string;
  tracingOnInitMs: number | undefined;
  tracingOffInitMs: number | undefined;
  /** on ÷ off: 1 means the Tracer costs nothing at init. */
  ratioOnToOff: number | undefined;
  /** Imports of each variant. */
  samples: number;
  error?: string;
}

/** One partition key shape's busiest key in the capacity run (bench/capacity.ts busiestPartitions). */
export interface PartitionLoad {
  /** `LEDGER#…`, `gsi4:OUTBOX#…`: literal segments kept, values elided. */
  shape: string;
  /** AWS-rule write units per lifecycle on the busiest key of this shape (a key of one entity: its units in its lifecycle). */
  unitsPerLifecycle: number;
  /** Distinct keys of this shape the run wrote. */
  keys: number;
  /** The busiest key was written by more than one lifecycle: its rate grows with the throughput of what shares it. */
  shared: boolean;
}

export interface CapacityResult {
  /** By AWS's rule (bench/aws-capacity.ts): item sizes per KB, 2 per transactional item, index writes, failed attempts. */
  writeUnitsPerLifecycle: number;
  readUnitsPerLifecycle: number;
  /** What DynamoDB Local reported for the same requests. */
  localWriteUnitsPerLifecycle?: number;
  localReadUnitsPerLifecycle?: number;
  /** Charged failed attempts (failed conditions, cancelled transactions) per lifecycle. */
  failedAttemptsPerLifecycle?: number;
  /** Shared keys first, busiest first. */
  partitions?: PartitionLoad[];
  usdPerMillionDisbursements: number;
  lifecycles: number;
  perLifecycle: LifecycleUsage;
  costPerMillion: CostBreakdown;
  prices: { region: string; asOf: string };
  /** Capacity units per lifecycle by operation and command, for the profile. */
  byOperation: Record<
    string,
    {
      calls: number;
      writeUnits: number;
      readUnits: number;
      indexWriteUnits: number;
      localWriteUnits?: number;
      failedAttempts?: number;
      /** AWS-rule write units per call on each partition key shape. */
      writeUnitsByKey?: Record<string, number>;
    }
  >;
}

/**
 * One row of a disbursement batch's lifecycle (bench/batch-row.ts): a batch of `rows` created, approved, every payout
 * delivered and settled, the roll-ups done; every figure per row, by the same meter and prices as the single lifecycle.
 */
export interface BatchRowCapacity {
  rows: number;
  /** Approvals the batch required (the fund's dualApprovalThreshold against the batch's total), all given. */
  requiredApprovals: number;
  /** Settlement callbacks in flight. */
  settlers: number;
  /** Settled payments the settlers left pending when all was idle (a sweep rolled them up, counted). */
  leftPendingBySettlers: number;
  sweeps: number;
  perRow: LifecycleUsage;
  localWriteUnitsPerRow: number;
  localReadUnitsPerRow: number;
  failedAttemptsPerRow: number;
  usdPerMillionRows: number;
  costPerMillion: CostBreakdown;
  prices: { region: string; asOf: string };
  /** Per row by operation and command; `writeUnitsByKey` per row too (a batch's create is one call for all its rows). */
  byOperation: CapacityResult['byOperation'];
  /** Per row by invocation label: invocations and wall seconds (overlapping in one process: see bench/batch-row.ts). */
  byInvocation?: Record<string, { calls: number; seconds: number }>;
  /** Single lifecycle ÷ batch row, when the run measured both. */
  singleToRow?: SingleToRow;
}

/** A single disbursement's lifecycle ÷ a batch row's: how many times a row is cheaper. */
export interface SingleToRow {
  writeUnits: number | undefined;
  readUnits: number | undefined;
  usdPerMillion: number | undefined;
  /** USD without Lambda's GB-s: what the counts decide (units, requests, invocations), not the bench's wall time. */
  usdPerMillionWithoutCompute: number | undefined;
}

const over = (a: number, b: number) => (b > 0 && Number.isFinite(a) ? a / b : undefined);

export function singleToRow(single: CapacityResult, row: BatchRowCapacity): SingleToRow {
  return {
    writeUnits: over(single.perLifecycle.writeUnits, row.perRow.writeUnits),
    readUnits: over(single.perLifecycle.readUnits, row.perRow.readUnits),
    usdPerMillion: over(single.usdPerMillionDisbursements, row.usdPerMillionRows),
    usdPerMillionWithoutCompute: over(
      single.costPerMillion.total - single.costPerMillion.lambdaCompute,
      row.costPerMillion.total - row.costPerMillion.lambdaCompute,
    ),
  };
}

export interface BenchResults {
  startedAt: string;
  finishedAt?: string;
  machine: { node: string; cpus: number; platform: string };
  /** DynamoDB Local reported a one-item transaction's write as 2 units (already doubled, as AWS bills it). */
  storeDoublesTransactionalWrites?: boolean;
  approvals?: ApprovalsResult | { missing: string };
  batch?: BatchResult | { missing: string };
  coldStart?: ColdStartEntry[];
  coldStartTracer?: TracerColdStartResult;
  capacity?: CapacityResult | { missing: string };
  /** The capacity section's batch row (BENCH_BATCH_ROWS rows), beside the single lifecycle; a figure, no goal. */
  capacityBatchRow?: BatchRowCapacity | { missing: string };
  payoutExport?: PayoutExportResult | { missing: string };
  reconciliation?: ReconciliationBenchResult | { missing: string };
  verification?: VerificationResult | { missing: string };
  concurrency?: ConcurrencyResult | { missing: string };
  progress?: ProgressBenchResult | { missing: string };
  reportPdf?: ReportPdfBenchResult | { missing: string };
  goals?: GoalResult[];
}

export interface GoalResult {
  goal: string;
  /** What was measured, in words and numbers. */
  actual: string;
  /** undefined: could not be judged (the figure is missing). */
  met: boolean | undefined;
}

export const GOALS = {
  approvalsRatioToStore: 0.6,
  batchRatioToRaw: 0.6,
  bundleMaxBytes: 1024 * 1024,
  coldStartRatioToHello: 3,
  /** By AWS's rule (issue 21: about 108 before the scale work). */
  writeUnitsPerLifecycle: 48,
  readUnitsPerLifecycle: 12,
  /** GET …/progress of 800 counties ÷ reading their 800 allocation items raw. */
  progressRatioToRaw: 1.5,
  /** The half-year report's PDF of 800 counties: peak memory inside Lambda's largest setting we deploy. */
  reportPdfMaxRssMiB: 1024,
  /** A 5,000-row batch with every account verified, until approvable ÷ the same batch not verifying (issue 23). */
  verificationTimeRatio: 2,
  /** The rules' and verification's reads per row of that batch. */
  verificationReadUnitsPerRow: 3,
} as const;

const fmt = (n: number | undefined, digits = 2) => (n === undefined ? 'n/a' : n.toFixed(digits));

function isMissing(value: object | undefined): value is { missing: string } | undefined {
  return value === undefined || ('missing' in value && typeof value.missing === 'string' && !('items' in value));
}

export function evaluateGoals(results: BenchResults): GoalResult[] {
  const goals: GoalResult[] = [];
  const a = results.approvals;
  goals.push(
    isMissing(a) || a.ratioToStore === undefined
      ? {
          goal: `approvals ratioToStore ≥ ${GOALS.approvalsRatioToStore}`,
          actual: a && 'missing' in a ? `missing: ${a.missing}` : 'missing',
          met: undefined,
        }
      : {
          goal: `approvals ratioToStore ≥ ${GOALS.approvalsRatioToStore}`,
          actual: fmt(a.ratioToStore),
          met: a.ratioToStore >= GOALS.approvalsRatioToStore,
        },
  );
  const b = results.batch;
  const batchRatio = b && 'ratioToRaw' in b ? b.ratioToRaw : undefined;
  goals.push(
    batchRatio === undefined
      ? { goal: `batch ratioToRaw ≥ ${GOALS.batchRatioToRaw}`, actual: `missing: ${b?.missing ?? 'not run'}`, met: undefined }
      : { goal: `batch ratioToRaw ≥ ${GOALS.batchRatioToRaw}`, actual: fmt(batchRatio), met: batchRatio >= GOALS.batchRatioToRaw },
  );
  const cold = results.coldStart;
  if (!cold || cold.length === 0) {
    goals.push({ goal: 'every bundle ≤ 1 MiB', actual: 'missing', met: undefined });
    goals.push({ goal: `every cold start ratioToHello ≤ ${GOALS.coldStartRatioToHello}`, actual: 'missing', met: undefined });
  } else {
    const biggest = cold.reduce((x, y) => (y.bundleBytes > x.bundleBytes ? y : x));
    goals.push({
      goal: 'every bundle ≤ 1 MiB',
      actual: `largest ${biggest.function} ${(biggest.bundleBytes / 1024).toFixed(0)} KiB`,
      met: cold.every((c) => c.bundleBytes <= GOALS.bundleMaxBytes),
    });
    const failed = cold.filter((c) => c.ratioToHello === undefined);
    const slowest = cold
      .filter((c) => c.ratioToHello !== undefined)
      .reduce<ColdStartEntry | undefined>((x, y) => (!x || y.ratioToHello! > x.ratioToHello! ? y : x), undefined);
    const over = cold.filter((c) => c.ratioToHello !== undefined && c.ratioToHello > GOALS.coldStartRatioToHello).map((c) => c.function);
    goals.push({
      goal: `every cold start ratioToHello ≤ ${GOALS.coldStartRatioToHello}`,
      actual: [
        slowest ? `slowest ${slowest.function} ${fmt(slowest.ratioToHello)}` : undefined,
        over.length ? `over: ${over.join(', ')}` : undefined,
        failed.length ? `failed to load: ${failed.map((c) => c.function).join(', ')}` : undefined,
      ]
        .filter(Boolean)
        .join('; '),
      met: failed.length === 0 && over.length === 0,
    });
  }
  const c = results.capacity;
  if (isMissing(c)) {
    goals.push({ goal: `≤ ${GOALS.writeUnitsPerLifecycle} write units per lifecycle`, actual: 'missing', met: undefined });
    goals.push({ goal: `≤ ${GOALS.readUnitsPerLifecycle} read units per lifecycle`, actual: 'missing', met: undefined });
  } else {
    goals.push({
      goal: `≤ ${GOALS.writeUnitsPerLifecycle} write units per lifecycle`,
      actual: fmt(c.writeUnitsPerLifecycle, 1),
      met: c.writeUnitsPerLifecycle <= GOALS.writeUnitsPerLifecycle,
    });
    goals.push({
      goal: `≤ ${GOALS.readUnitsPerLifecycle} read units per lifecycle`,
      actual: fmt(c.readUnitsPerLifecycle, 1),
      met: c.readUnitsPerLifecycle <= GOALS.readUnitsPerLifecycle,
    });
  }
  const p = results.progress;
  const progressGoal = `progress ratioToRaw ≤ ${GOALS.progressRatioToRaw}`;
  goals.push(
    isMissing(p)
      ? { goal: progressGoal, actual: `missing: ${p?.missing ?? 'not run'}`, met: undefined }
      : {
          goal: progressGoal,
          actual: `${fmt(p.ratioToRaw)} (${p.counties} counties, ${p.ledgerEntries} ledger entries)`,
          met: p.ratioToRaw <= GOALS.progressRatioToRaw,
        },
  );
  const v = results.verification;
  const vTime = `verification timeRatio < ${GOALS.verificationTimeRatio}`;
  const vReads = `verification ≤ ${GOALS.verificationReadUnitsPerRow} read units per row`;
  if (isMissing(v) || v.timeRatio === undefined) {
    const actual = v && 'missing' in v ? `missing: ${v.missing}` : 'missing';
    goals.push({ goal: vTime, actual, met: undefined }, { goal: vReads, actual, met: undefined });
  } else {
    goals.push(
      { goal: vTime, actual: `${fmt(v.timeRatio)} (${v.items} rows)`, met: v.timeRatio < GOALS.verificationTimeRatio },
      { goal: vReads, actual: fmt(v.readUnitsPerRow), met: v.readUnitsPerRow <= GOALS.verificationReadUnitsPerRow },
    );
  }
  const r = results.reportPdf;
  const pdfGoal = `report PDF peak memory ≤ ${GOALS.reportPdfMaxRssMiB} MiB`;
  goals.push(
    isMissing(r)
      ? { goal: pdfGoal, actual: `missing: ${r?.missing ?? 'not run'}`, met: undefined }
      : {
          goal: pdfGoal,
          actual: `${fmt(r.pdfMaxRssMiB, 0)} MiB, ${fmt(r.pdfSeconds, 1)} s (${r.counties} counties)`,
          met: r.pdfMaxRssMiB <= GOALS.reportPdfMaxRssMiB,
        },
  );
  return goals;
}

/** The verification section: the batch verifying and not, their ratio, and the units per row of each. */
export function renderVerification(v: BenchResults['verification']): string[] {
  const out = ['Account verification (a batch, every row a distinct account, created until approvable; verifying vs not)'];
  if (isMissing(v)) return [...out, `  missing: ${v?.missing ?? 'not run'}`];
  out.push(
    alignColumns([
      ['', 'seconds', 'read units/row', 'write units/row', ''],
      ['  not verifying', fmt(v.offSeconds, 1), fmt(v.offReadUnitsPerRow), fmt(v.offWriteUnitsPerRow), 'duplicate screening only'],
      [
        '  verifying',
        fmt(v.requiredSeconds, 1),
        fmt(v.readUnitsPerRow),
        fmt(v.writeUnitsPerRow),
        `every rule on; creation request ${fmt(v.createSeconds, 1)} s` +
          (v.requestedSeconds === undefined ? '' : `, all requested at ${fmt(v.requestedSeconds, 1)} s`) +
          (v.answeredSeconds === undefined ? '' : `, all answered at ${fmt(v.answeredSeconds, 1)} s`),
      ],
      ['  ratio', fmt(v.timeRatio), '', '', `${v.items} rows`],
      ...(v.floorSeconds === undefined
        ? []
        : [
            [
              '  floor',
              fmt(v.floorSeconds, 1),
              '',
              '',
              `${v.items} answers that find no verification (404, nothing written); least ratio reachable here ${fmt(v.floorRatio)}`,
            ],
          ]),
    ]),
  );
  if (v.phases?.length) {
    out.push('  verifying, by invocation (seconds summed over overlapping invocations: shares of the work, not wall time)');
    out.push(
      alignColumns([
        ['', 'invocations', 'seconds', 'read units/row', 'write units/row', 'failed attempts'],
        ...v.phases.map((p) => [
          `    ${p.invocation}`,
          fmt(p.calls, 0),
          fmt(p.seconds, 1),
          fmt(p.readUnitsPerRow),
          fmt(p.writeUnitsPerRow),
          fmt(p.failedAttempts ?? 0, 0),
        ]),
      ]),
    );
  }
  return out;
}

/** The progress section: API and raw seconds, their ratio, and the SDK calls of one read. */
export function renderProgress(p: BenchResults['progress']): string[] {
  const out = ['Fund progress (GET /v1/funds/{fundId}/progress vs reading its allocation items raw, median of interleaved reads)'];
  if (isMissing(p)) return [...out, `  missing: ${p?.missing ?? 'not run'}`];
  const calls = Object.entries(p.sdkCallsPerRead)
    .map(([command, n]) => `${command.replace(/Command$/, '')} ${fmt(n, 0)}`)
    .join(', ');
  out.push(
    alignColumns([
      ['', 'seconds', 'reads', ''],
      ['  API', fmt(p.apiSeconds, 3), String(p.reads), `SDK calls per read: ${calls || 'n/a'}`],
      ['  raw allocations', fmt(p.rawSeconds, 3), String(p.reads), ''],
      [
        '  ratio',
        fmt(p.ratioToRaw),
        '',
        `${p.counties} counties, ${p.ledgerEntries} ledger entries (seeded in ${fmt(p.seedSeconds, 0)} s)`,
      ],
    ]),
  );
  return out;
}

/** The report section: the PDF's seconds and peak memory in a child process, beside the JSON report alone. */
export function renderReportPdf(r: BenchResults['reportPdf']): string[] {
  const out = ["Half-year report (the report function's work in a child process: read, build, render; peak memory = maxRSS)"];
  if (isMissing(r)) return [...out, `  missing: ${r?.missing ?? 'not run'}`];
  const mb = (bytes: number) => `${(bytes / 1_000_000).toFixed(2)} MB`;
  out.push(
    alignColumns([
      ['', 'seconds', 'peak MiB', 'reply', 'counties'],
      ['  PDF', fmt(r.pdfSeconds, 2), fmt(r.pdfMaxRssMiB, 0), mb(r.pdfBytes), String(r.counties)],
      ['  JSON alone', fmt(r.jsonSeconds, 2), fmt(r.jsonMaxRssMiB, 0), mb(r.jsonBytes), String(r.counties)],
    ]),
  );
  return out;
}

function renderPayoutExport(e: BenchResults['payoutExport']): string[] {
  const out = ['Payout CSV export (Accept: text/csv vs the same listing read as JSON pages)'];
  if (isMissing(e)) return [...out, `  missing: ${e?.missing ?? 'not run'}`];
  out.push(
    alignColumns([
      ['', 'seconds', 'heap Δ MiB', 'RSS Δ MiB', 'n'],
      ['  CSV export', fmt(e.exportSeconds, 2), fmt(e.exportHeapDeltaMiB, 1), fmt(e.exportRssDeltaMiB, 1), String(e.payouts)],
      ['  JSON pages', fmt(e.baselineSeconds, 2), fmt(e.baselineHeapDeltaMiB, 1), fmt(e.baselineRssDeltaMiB, 1), String(e.payouts)],
      ['  ratio', fmt(e.ratioToBaseline), '', '', `CSV ${(e.csvBytes / 1024 / 1024).toFixed(2)} MiB (Lambda response limit 6 MB)`],
    ]),
  );
  return out;
}

/** The concurrency section: each run's figures, and one county ÷ spread. */
export function renderConcurrency(r: BenchResults['concurrency']): string[] {
  const out = ['Concurrency across processes (each function in worker processes, one request at a time each, as Lambda)'];
  if (r === undefined || 'missing' in r) return [...out, `  missing: ${r?.missing ?? 'not run'}`];
  const row = (label: string, x: ConcurrencyRun) => [
    `  ${label}`,
    String(x.ops),
    fmt(x.opsPerSecond, 1),
    fmt(x.failedAttemptsPerSuccess, 2),
    fmt(x.refusedTurnsPerSuccess, 2),
    fmt(x.turnWaitMsPerSuccess, 0),
    fmt(x.p50Ms, 0),
    fmt(x.p99Ms, 0),
    fmt(x.slowestMs, 0),
    `${x.inFlight} in flight, ${x.processes} processes${x.failures ? `, ${x.failures} FAILED` : ''}`,
  ];
  const ratios = (label: string, x: { throughput?: number; p99?: number; slowest?: number }) => [
    `  ${label}`,
    '',
    fmt(x.throughput),
    '',
    '',
    '',
    '',
    fmt(x.p99),
    fmt(x.slowest),
    'one county ÷ spread',
  ];
  out.push(
    alignColumns([
      [
        '',
        'ops',
        'ops/s',
        'failed attempts/success',
        'refused turns/success',
        'turn wait ms/success',
        'p50 ms',
        'p99 ms',
        'slowest ms',
        '',
      ],
      row(`settle, 1 county`, r.settle.oneCounty),
      row(`settle, ${r.settle.spread.counties} counties`, r.settle.spread),
      ratios('settle ratio', r.settle.ratios),
      row(`approve, 1 county`, r.approve.oneCounty),
      row(`approve, ${r.approve.spread.counties} counties`, r.approve.spread),
      ratios('approve ratio', r.approve.ratios),
    ]),
  );
  return out;
}

function renderReconciliation(r: BenchResults['reconciliation']): string[] {
  const out = ['Bank-statement reconciliation (POST /v1/reconciliations vs parsing and validating the same body alone)'];
  if (isMissing(r)) return [...out, `  missing: ${r?.missing ?? 'not run'}`];
  const mb = (bytes: number) => `${(bytes / 1_000_000).toFixed(2)} MB`;
  out.push(
    alignColumns([
      ['', 'seconds', 'heap Δ MiB', 'RSS Δ MiB', 'lines'],
      ['  reconciliation', fmt(r.seconds, 2), fmt(r.heapDeltaMiB, 1), fmt(r.rssDeltaMiB, 1), String(r.lines)],
      ['  parse + validate', fmt(r.baselineSeconds, 2), fmt(r.baselineHeapDeltaMiB, 1), fmt(r.baselineRssDeltaMiB, 1), String(r.lines)],
      [
        '  ratio',
        fmt(r.ratioToBaseline),
        '',
        '',
        `${r.matched} matched of ${r.settledPayouts} settled, ${r.unmatchedLines} unmatched; body ${mb(r.bodyBytes)}, reply ${mb(r.replyBytes)} (Lambda: 6 MB each way)`,
      ],
    ]),
  );
  return out;
}

/** The rate scale.md's goal is stated at: one fund paying 2,000 payouts per second. */
export const TARGET_PAYOUTS_PER_SECOND = 2000;
/** What one partition key takes in AWS: write units per second. */
export const PARTITION_WRITE_CEILING = 1000;

/**
 * Where the capacity run's write units land: each shared key shape's busiest key at the bench's
 * throughput (every lifecycle of the run is one fund and one county, so this is a county's worst case)
 * and at 2,000 lifecycles/s, and each operation's units per call by key shape.
 */
export function renderPartitions(c: CapacityResult, lifecyclesPerSecond: number | undefined): string[] {
  const out: string[] = [];
  const at = (units: number, rate: number | undefined) => {
    if (rate === undefined) return 'n/a';
    const perSecond = units * rate;
    return `${fmt(perSecond, 0)}${perSecond > PARTITION_WRITE_CEILING ? ' OVER' : ''}`;
  };
  if (c.partitions?.length) {
    out.push(`  Write units/s on the busiest key of each shape (AWS rule; a key takes ${PARTITION_WRITE_CEILING}/s)`);
    out.push(
      alignColumns([
        ['    key', 'units/lifecycle', `at ${fmt(lifecyclesPerSecond, 1)}/s (bench)`, `at ${TARGET_PAYOUTS_PER_SECOND}/s`, 'keys in run'],
        ...c.partitions.map((p) =>
          p.shared
            ? [
                `    ${p.shape}`,
                fmt(p.unitsPerLifecycle, 1),
                at(p.unitsPerLifecycle, lifecyclesPerSecond),
                at(p.unitsPerLifecycle, TARGET_PAYOUTS_PER_SECOND),
                String(p.keys),
              ]
            : [`    ${p.shape}`, fmt(p.unitsPerLifecycle, 1), 'one entity', 'one entity', String(p.keys)],
        ),
      ]),
    );
  }
  out.push(...renderOperations(c.byOperation, 'call'));
  return out;
}

/**
 * Each operation's write units: AWS rule, DynamoDB Local, failed attempts and by partition key shape, per call (the
 * single lifecycle: its calls are about one each) or per row (a batch row: a batch's create is one call for all rows).
 */
export function renderOperations(byOperation: CapacityResult['byOperation'], per: 'call' | 'row'): string[] {
  const operations = Object.entries(byOperation).filter(([, o]) => o.writeUnits > 0);
  if (!operations.length) return [];
  const divisor = (o: { calls: number }) => (per === 'call' ? o.calls : 1);
  return [
    `  Write units per ${per} by operation: AWS rule, DynamoDB Local, and by partition key shape`,
    alignColumns([
      ['    operation', per === 'call' ? 'calls' : 'calls/row', 'AWS', 'Local', 'failed', 'by key'],
      ...operations.map(([name, o]) => [
        `    ${name}`,
        fmt(o.calls, per === 'call' ? 1 : o.calls < 0.01 ? 5 : 3),
        fmt(o.writeUnits / divisor(o), 1),
        fmt(o.localWriteUnits === undefined ? undefined : o.localWriteUnits / divisor(o), 1),
        fmt(o.failedAttempts, per === 'call' ? 2 : 3),
        Object.entries(o.writeUnitsByKey ?? {})
          .map(([shape, units]) => `${shape} ${fmt(units, per === 'call' ? 1 : 2)}`)
          .join(', '),
      ]),
    ]),
  ];
}

/** The capacity section's batch row: the same figures per row, and single ÷ row. */
export function renderBatchRow(r: BenchResults['capacityBatchRow']): string[] {
  const out = ['Capacity per batch row (a batch created, approved, every payout delivered and settled, the roll-ups done; ÷ rows)'];
  if (isMissing(r)) return [...out, `  missing: ${r?.missing ?? 'not run'}`];
  const u = r.perRow;
  const x = r.singleToRow;
  out.push(
    alignColumns([
      ['  write units (AWS rule)', fmt(u.writeUnits, 2), 'read units', fmt(u.readUnits, 2)],
      ['  DynamoDB Local reported', fmt(r.localWriteUnitsPerRow, 2), 'failed attempts charged', fmt(r.failedAttemptsPerRow, 3)],
      ['  SQS requests', fmt(u.sqsRequests, 2), 'Lambda invocations', fmt(u.lambdaInvocations, 2)],
      ['  Lambda GB-s', fmt(u.lambdaGbSeconds, 3), 'HTTP API requests', fmt(u.httpApiRequests, 2)],
      [`  USD per million rows (${r.prices.region}, prices of ${r.prices.asOf})`, fmt(r.usdPerMillionRows, 2), '', ''],
      [
        '    of which',
        `DynamoDB ${fmt(r.costPerMillion.dynamodb)}`,
        `SQS ${fmt(r.costPerMillion.sqs)}  Lambda ${fmt(r.costPerMillion.lambda)}`,
        `HTTP API ${fmt(r.costPerMillion.httpApi)}`,
      ],
      [
        '  single ÷ row',
        `write units ${fmt(x?.writeUnits)}`,
        `read units ${fmt(x?.readUnits)}`,
        `USD ${fmt(x?.usdPerMillion)}, without Lambda GB-s ${fmt(x?.usdPerMillionWithoutCompute)}`,
      ],
    ]),
  );
  out.push(
    `  ${r.rows} rows, ${r.requiredApprovals} approval(s), settled ${r.settlers} at a time; ` +
      `${r.leftPendingBySettlers} payments left pending by the settlers, ${r.sweeps} sweep(s) counted`,
  );
  const invocations = Object.entries(r.byInvocation ?? {});
  if (invocations.length)
    out.push(
      `  Lambda seconds per row by invocation (overlapping in one process, so above Lambda's): ` +
        invocations.map(([label, t]) => `${label} ${fmt(t.seconds, 3)} (${fmt(t.calls, 3)} calls)`).join(', '),
    );
  out.push(...renderOperations(r.byOperation, 'row'));
  return out;
}

export function renderReport(results: BenchResults): string {
  const out: string[] = [];
  out.push(`relief-fund bench — ${results.startedAt} — node ${results.machine.node}, ${results.machine.cpus} CPUs`);
  out.push('');
  const a = results.approvals;
  out.push('Approvals (HTTP API vs raw DynamoDB + SQS, same calls, same concurrency)');
  if (isMissing(a)) out.push(`  missing: ${a?.missing ?? 'not run'}`);
  else {
    out.push(
      alignColumns([
        ['', 'per second', 'p50 ms', 'p99 ms', 'n'],
        ['  API', fmt(a.perSecond, 1), fmt(a.p50Ms, 1), fmt(a.p99Ms, 1), String(a.approvals)],
        ['  raw store', fmt(a.storeBaselinePerSecond, 1), fmt(a.storeBaselineP50Ms, 1), fmt(a.storeBaselineP99Ms, 1), String(a.approvals)],
        [
          '  ratio',
          fmt(a.ratioToStore),
          '',
          '',
          `median of ${a.roundRatios.length} rounds, concurrency ${a.concurrency}${a.failures ? `, ${a.failures} failed` : ''}`,
        ],
      ]),
    );
  }
  out.push('');
  const b = results.batch;
  out.push('Batch (approval → every payout.requested acknowledged, vs raw writes + queue + POSTs + delivery writes)');
  if (!b) out.push('  missing: not run');
  else {
    const rows = [['', 'seconds', 'payouts/s']];
    if ('items' in b) {
      rows.push(['  API', fmt(b.secondsToAllSent, 1), fmt(b.payoutsPerSecond, 1)]);
      rows.push(['  raw', fmt(b.rawSeconds, 1), fmt(b.rawPerSecond, 1)]);
      rows.push(['  ratio', '', fmt(b.ratioToRaw)]);
      if (b.rawWithoutDeliveryWritesPerSecond !== undefined) {
        rows.push([
          '  raw, no delivery writes',
          fmt(b.items / b.rawWithoutDeliveryWritesPerSecond, 1),
          fmt(b.rawWithoutDeliveryWritesPerSecond, 1),
        ]);
      }
      out.push(alignColumns(rows));
      if (b.missing) out.push(`  API figure missing: ${b.missing}`);
      const sc = b.screening;
      if (sc) {
        const by = (r: Record<string, number>) =>
          Object.entries(r)
            .map(([k, v]) => `${k.replace(/Command$/, '')} ${fmt(v, 0)}`)
            .join(', ');
        out.push(`  Screening at creation of ${sc.items} rows (duplicate beneficiaries)`);
        out.push(
          alignColumns([
            ['', 'seconds', 'read units', 'write units', 'flagged', 'read units by call'],
            [
              '    no matches (baseline)',
              fmt(sc.baselineSeconds, 2),
              fmt(sc.baselineReadUnits, 0),
              fmt(sc.baselineWriteUnits, 0),
              '0',
              by(sc.baselineReadUnitsByCommand),
            ],
            [
              '    every row matches',
              fmt(sc.matchedSeconds, 2),
              fmt(sc.matchedReadUnits, 0),
              fmt(sc.matchedWriteUnits, 0),
              String(sc.flaggedRows),
              by(sc.matchedReadUnitsByCommand),
            ],
            ['    ratio', fmt(sc.timeRatio), fmt(sc.readUnitsRatio), '', '', ''],
          ]),
        );
        out.push(
          `    DynamoDB Local charges nothing for a key BatchGetItem does not find; AWS charges each key asked for ` +
            `(the baseline's ${sc.items} LATEST reads are about ${sc.items} units there, consistent), so the read-unit ratio is an upper bound.`,
        );
      }
    } else out.push(`  missing: ${b.missing}`);
  }
  out.push('');
  out.push('Cold start (esbuild bundle as CDK builds it, import in a fresh node, median)');
  if (!results.coldStart) out.push('  missing: not run');
  else {
    out.push(
      alignColumns([
        ['  function', 'bundle KiB', 'init ms', 'hello ms', 'ratio', 'SDK-only ms', 'ratio'],
        ...results.coldStart.map((c) => [
          `  ${c.function}`,
          (c.bundleBytes / 1024).toFixed(0),
          c.error ? `failed: ${c.error.slice(0, 60)}` : fmt(c.initMs, 1),
          fmt(c.helloInitMs, 1),
          fmt(c.ratioToHello),
          fmt(c.sdkOnlyInitMs, 1),
          fmt(c.ratioToSdkOnly),
        ]),
      ]),
    );
  }
  const t = results.coldStartTracer;
  if (t) {
    out.push(
      t.error
        ? `  Powertools Tracer at init, ${t.function}: failed: ${t.error.slice(0, 100)}`
        : `  Powertools Tracer at init, ${t.function}: on ${fmt(t.tracingOnInitMs, 1)} ms, off ${fmt(t.tracingOffInitMs, 1)} ms, ` +
            `ratio on ÷ off ${fmt(t.ratioOnToOff)} (median of ${t.samples} each)`,
    );
  }
  out.push('');
  const c = results.capacity;
  out.push('Capacity per disbursement lifecycle (create → approve → deliver → settle)');
  if (isMissing(c)) out.push(`  missing: ${c?.missing ?? 'not run'}`);
  else {
    const u = c.perLifecycle;
    out.push(
      alignColumns([
        ['  write units (AWS rule)', fmt(u.writeUnits, 1), 'read units', fmt(u.readUnits, 1)],
        [
          '  DynamoDB Local reported',
          fmt(c.localWriteUnitsPerLifecycle, 1),
          'failed attempts charged',
          fmt(c.failedAttemptsPerLifecycle, 2),
        ],
        ['  SQS requests', fmt(u.sqsRequests, 1), 'Lambda invocations', fmt(u.lambdaInvocations, 1)],
        ['  Lambda GB-s', fmt(u.lambdaGbSeconds, 3), 'HTTP API requests', fmt(u.httpApiRequests, 1)],
        [`  USD per million (${c.prices.region}, prices of ${c.prices.asOf})`, fmt(c.usdPerMillionDisbursements, 2), '', ''],
        [
          '    of which',
          `DynamoDB ${fmt(c.costPerMillion.dynamodb)}`,
          `SQS ${fmt(c.costPerMillion.sqs)}  Lambda ${fmt(c.costPerMillion.lambda)}`,
          `HTTP API ${fmt(c.costPerMillion.httpApi)}`,
        ],
      ]),
    );
    out.push(...renderPartitions(c, isMissing(results.approvals) ? undefined : results.approvals.perSecond));
  }
  if (results.capacityBatchRow) {
    out.push('');
    out.push(...renderBatchRow(results.capacityBatchRow));
  }
  out.push('');
  out.push(...renderPayoutExport(results.payoutExport));
  out.push('');
  out.push(...renderReconciliation(results.reconciliation));
  out.push('');
  out.push(...renderConcurrency(results.concurrency));
  out.push('');
  out.push(...renderVerification(results.verification));
  out.push('');
  out.push(...renderProgress(results.progress));
  out.push('');
  out.push(...renderReportPdf(results.reportPdf));
  out.push('');
  out.push('Goals');
  out.push(
    alignColumns((results.goals ?? []).map((g) => [`  ${g.met === undefined ? 'n/a   ' : g.met ? 'met   ' : 'MISSED'}`, g.goal, g.actual])),
  );
  return out.join('\n');
}
