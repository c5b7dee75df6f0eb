/**
 * `npm run bench`: every figure side by side with its baseline from the same run, on the local stack
 * started in-process (DynamoDB Local, the SQS emulator, the local runtime, a webhook receiver).
 * Writes bench/results/latest.json and prints a table; progress goes to stderr, and the handlers' own
 * log lines to bench/results/bench.log.
 *
 * Sizes can be turned down for a quick look (BENCH_ONLY=cold for the cold starts alone): `npm run bench
 * -- --help` lists the BENCH_* settings and what each figure means. Exit codes: 0 done, 1 the bench
 * itself failed, 2 usage (a bad BENCH_* value; shared/cli.ts).
 */
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, localRegion } from '#local/environment';
import type { RuntimeLog } from '#local/log';
import { startReceiver } from '#test/support/receiver';
import { benchApprovals } from './approvals.ts';
import { benchBatch } from './batch.ts';
import { benchBatchRowCapacity, MAX_BATCH_ROWS, SETTLERS } from './batch-row.ts';
import { benchCapacity } from './capacity.ts';
import { benchColdStarts } from './cold-start.ts';
import { benchConcurrency } from './concurrency.ts';
import { benchPayoutExport } from './payout-export.ts';
import { parseCommandLine, usage } from '#shared/cli';
import { benchReconciliation } from './reconciliation.ts';
import { benchVerification } from './verification.ts';
import { benchProgress, seedFundOfCounties, type SeededFund } from './progress.ts';
import { benchReportPdf } from './half-year-pdf.ts';
import { stepProgress } from '../scripts/lib/progress.ts';
import { Meter } from './meter.ts';
import { evaluateGoals, renderReport, singleToRow, type BenchResults } from './report.ts';
import { startPhase, startServices, type Phase, type Services } from './stack.ts';

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

const SECTIONS = [
  'cold',
  'approvals',
  'capacity',
  'batch',
  'verification',
  'export',
  'reconciliation',
  'concurrency',
  'progress',
  'report',
] as const;

parseCommandLine({
  name: 'bench',
  usage: 'npm run bench\nBENCH_ONLY=cold BENCH_COLD_REPEATS=3 npm run bench',
  details: `Measures on the local stack, each figure against its baseline from the same run; prints a table,
writes bench/results/latest.json, progress on stderr, the handlers' log lines in bench/results/bench.log.

Settings (environment; whole numbers ≥ 1):
BENCH_ONLY                   sections to run, comma-separated (default all): ${SECTIONS.join(', ')}
BENCH_APPROVALS_PER_ROUND    approvals per round (60)
BENCH_ROUNDS                 approval rounds (8)
BENCH_CONCURRENCY            approvals in flight (16)
BENCH_BATCH_ITEMS            payouts in the batch (5000)
BENCH_BATCH_TIMEOUT_SECONDS  how long the batch may take to be sent (300)
BENCH_COLD_REPEATS           imports of each bundle (7)
BENCH_LIFECYCLES             disbursement lifecycles metered for capacity (20: more than a listing's 16 shards, so
                             a shard two lifecycles write shows as shared)
BENCH_BATCH_ROWS             rows of the batch metered for capacity per batch row (200, at most ${MAX_BATCH_ROWS})
BENCH_BATCH_SETTLERS         settlement callbacks in flight for that batch (${SETTLERS})
BENCH_EXPORT_PAYOUTS         payouts in the CSV export (5000)
BENCH_RECONCILIATION_LINES   bank-statement lines in the reconciliation (10000)
BENCH_CONC_SETTLEMENTS       payouts settled per concurrency run (5000)
BENCH_CONC_SETTLERS          parallel settlement callbacks, and counties of the spread run (16)
BENCH_CONC_APPROVALS         single disbursements approved per concurrency run (400)
BENCH_CONC_APPROVERS         processes approving at once, and counties of the spread run (8)
BENCH_PROGRESS_COUNTIES      counties of the fund whose progress and report are read (800)
BENCH_PROGRESS_ENTRIES       ledger entries of that fund in all (100000)
BENCH_PROGRESS_READS         progress reads of each side (7)

Figures (ratio = ours ÷ baseline; for throughput 1 is as fast as the baseline, for times 1 is as quick):
cold       each Lambda bundle's init (import) ms vs a hello-world bundle and an SDK-only bundle (goal ratio ≤ 3),
           its size (goal ≤ 1 MiB), and one function with the Powertools Tracer on vs off
approvals  approvals/s through the HTTP API vs the same DynamoDB + SQS calls made directly (goal ratio ≥ 0.6)
verification a BENCH_BATCH_ITEMS-row batch of distinct accounts in a fund with accountVerification required and every
           warning rule on, from creation to every row verified (requested after the commit; a stand-in finance system
           answering match) vs the same batch in a fund that does not verify and screens duplicates only (goal ratio
           < 2); read and write units per row (goal reads ≤ 3), and the creation request's own seconds
capacity   DynamoDB write/read units by AWS's rule (item sizes per KB, 2 per transactional item, index writes,
           failed attempts; DynamoDB Local's own figure beside it), SQS requests, Lambda GB-s per disbursement
           lifecycle, USD per million, and the write units/s on the busiest key of each partition key shape; the same
           per row of a batch of BENCH_BATCH_ROWS (created, approved, every payout delivered and settled, the roll-ups
           done), and single lifecycle ÷ batch row
batch      payouts/s from approval to every payout.requested acknowledged vs a raw script (goal ratio ≥ 0.6),
           and duplicate screening at creation: every row matching vs none
export     the payout CSV export's seconds and memory vs reading the same payouts as JSON pages
reconciliation  one POST /v1/reconciliations of a 10,000-line statement (half matched) vs parsing and
           validating the same body alone: seconds, heap, body and reply bytes
concurrency  every function in worker processes (LAMBDA_CONCURRENCY), one request at a time each: settlements
           of one county's batch by parallel callbacks, and approvals of one county from several processes, each
           vs the same work spread over as many counties: ops/s, failed transaction attempts per success, p50,
           p99, slowest; ratio = one county ÷ spread
progress   GET /v1/funds/{fundId}/progress of a fund of BENCH_PROGRESS_COUNTIES counties and BENCH_PROGRESS_ENTRIES ledger
           entries vs reading its allocation items raw (goal ratio ≤ 1.5), median seconds; SDK calls per read
report     the half-year report's PDF of a fund of BENCH_PROGRESS_COUNTIES counties in a child process of its own:
           seconds and peak memory (maxRSS; goal inside Lambda's 1,024 MB), beside the JSON report alone`,
  options: {},
});

function intSetting(name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max)
    usage(`${name} must be a whole number ≥ 1${max < Number.MAX_SAFE_INTEGER ? ` and ≤ ${max}` : ''}, not "${raw}"`);
  return value;
}

function onlySetting(): Set<string> {
  const raw = process.env.BENCH_ONLY;
  if (raw === undefined || raw === '') return new Set(SECTIONS);
  const names = raw.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
  if (unknown.length > 0) usage(`BENCH_ONLY names ${SECTIONS.join(', ')}; not "${raw}" (${unknown.join(', ')})`);
  return new Set(names);
}

const settings = {
  only: onlySetting(),
  perRound: intSetting('BENCH_APPROVALS_PER_ROUND', 60),
  rounds: intSetting('BENCH_ROUNDS', 8),
  concurrency: intSetting('BENCH_CONCURRENCY', 16),
  batchItems: intSetting('BENCH_BATCH_ITEMS', 5000),
  batchTimeoutSeconds: intSetting('BENCH_BATCH_TIMEOUT_SECONDS', 300),
  coldRepeats: intSetting('BENCH_COLD_REPEATS', 7),
  lifecycles: intSetting('BENCH_LIFECYCLES', 20),
  batchRows: intSetting('BENCH_BATCH_ROWS', 200, MAX_BATCH_ROWS),
  batchSettlers: intSetting('BENCH_BATCH_SETTLERS', SETTLERS),
  exportPayouts: intSetting('BENCH_EXPORT_PAYOUTS', 5000),
  reconciliationLines: intSetting('BENCH_RECONCILIATION_LINES', 10_000),
  concSettlements: intSetting('BENCH_CONC_SETTLEMENTS', 5000),
  concSettlers: intSetting('BENCH_CONC_SETTLERS', 16),
  concApprovals: intSetting('BENCH_CONC_APPROVALS', 400),
  concApprovers: intSetting('BENCH_CONC_APPROVERS', 8),
  progressCounties: intSetting('BENCH_PROGRESS_COUNTIES', 800),
  progressEntries: intSetting('BENCH_PROGRESS_ENTRIES', 100_000),
  progressReads: intSetting('BENCH_PROGRESS_READS', 7),
};

await mkdir(RESULTS_DIR, { recursive: true });
const logFile = createWriteStream(path.join(RESULTS_DIR, 'bench.log'));
// Handlers log to stdout as they do in Lambda; here that goes to the log file, and stdout keeps the table.
const printTable = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
  logFile.write(chunk);
  const callback = rest.find((r): r is () => void => typeof r === 'function');
  callback?.();
  return true;
};

const runtimeLog: RuntimeLog = {
  info: () => undefined,
  warn: (message, fields) => logFile.write(`${JSON.stringify({ level: 'WARN', source: 'local-runtime', message, ...fields })}\n`),
  error: (message, fields) => logFile.write(`${JSON.stringify({ level: 'ERROR', source: 'local-runtime', message, ...fields })}\n`),
};

const show = stepProgress('bench');
const results: BenchResults = {
  startedAt: new Date().toISOString(),
  machine: { node: process.version, cpus: cpus().length, platform: `${process.platform}-${process.arch}` },
};
const meter = new Meter();
let services: Services | undefined;
let instrumented = false;

/** A phase's runtime; the shared SDK clients get their meter once the first runtime has set the environment. */
async function phase(name: string, pollers: boolean, env?: Record<string, string>): Promise<Phase> {
  services ??= await startServices();
  const started = await startPhase(services, { name, pollers, handlers: meter.handlers(), env, log: runtimeLog });
  if (!instrumented) {
    const clients = await import('#shared/data/platform/clients');
    // The AWS-rule count reads each written item before and after, through a client of its own (not metered).
    meter.instrumentDynamo(
      clients.dynamo,
      new DynamoDBClient({ region: localRegion(), credentials: LOCAL_CREDENTIALS, endpoint: services.dynamoEndpoint }),
    );
    meter.instrumentSqs(clients.sqs);
    results.storeDoublesTransactionalWrites = await meter.calibrate(clients.dynamo, started.tableName);
    instrumented = true;
  }
  return started;
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 300);

/** Runs `work` in a phase of its own, stopped however the work ends. */
async function inPhase<T>(name: string, pollers: boolean, work: (p: Phase) => Promise<T>): Promise<T> {
  const p = await phase(name, pollers);
  try {
    return await work(p);
  } finally {
    await p.stop();
  }
}

async function section<T>(title: string, run: () => Promise<T>): Promise<T | { missing: string }> {
  show.step(title);
  try {
    return await run();
  } catch (error) {
    show.note(`${title} failed: ${reason(error)}`);
    logFile.write(
      `${JSON.stringify({ level: 'ERROR', source: 'bench', section: title, error: reason(error), stack: (error as Error).stack })}\n`,
    );
    return { missing: `the bench could not measure it: ${reason(error)}` };
  }
}

let exitCode = 0;
try {
  if (settings.only.has('cold')) {
    const cold = await section('cold starts', () => benchColdStarts(show, settings.coldRepeats));
    if ('entries' in cold) {
      results.coldStart = cold.entries;
      results.coldStartTracer = cold.tracer;
    }
  }
  if (settings.only.has('approvals')) {
    results.approvals = await section('approvals', async () => {
      // No pollers: the baseline has no consumers either, so neither side shares the CPU with delivery work.
      return inPhase('approvals', false, (p) =>
        benchApprovals(p, services!, meter, show, {
          perRound: settings.perRound,
          rounds: settings.rounds,
          concurrency: settings.concurrency,
        }),
      );
    });
  }
  if (settings.only.has('capacity')) {
    results.capacity = await section('capacity per lifecycle', async () => {
      const receiver = await startReceiver();
      try {
        return await inPhase('capacity', true, (p) => benchCapacity(p, services!, meter, receiver.url, show, settings.lifecycles));
      } finally {
        await receiver.stop();
      }
    });
    // A phase of its own (a fresh table): the batch's accounts are then paid for the first time, as the single ones were.
    const row = await section(`capacity per batch row (${settings.batchRows} rows)`, async () => {
      const receiver = await startReceiver();
      try {
        return await inPhase('capacity-batch', true, (p) =>
          benchBatchRowCapacity(p, services!, meter, receiver.url, show, settings.batchRows, settings.batchSettlers),
        );
      } finally {
        await receiver.stop();
      }
    });
    const single = results.capacity;
    results.capacityBatchRow = 'missing' in row || 'missing' in single ? row : { ...row, singleToRow: singleToRow(single, row) };
  }
  if (settings.only.has('batch')) {
    results.batch = await section(`batch of ${settings.batchItems}`, async () => {
      const receiver = await startReceiver();
      const options = { items: settings.batchItems, timeoutSeconds: settings.batchTimeoutSeconds };
      try {
        return await inPhase('batch', true, (p) =>
          benchBatch(p, services!, meter, receiver.url, () => receiver.requests.length, show, options),
        );
      } finally {
        await receiver.stop();
      }
    });
  }
  if (settings.only.has('verification')) {
    results.verification = await section(`account verification of a batch of ${settings.batchItems}`, async () => {
      // The first section of a run (BENCH_ONLY=verification) starts the services here: the options name their endpoint.
      services ??= await startServices();
      const options = {
        items: settings.batchItems,
        timeoutSeconds: settings.batchTimeoutSeconds,
        dynamoEndpoint: services.dynamoEndpoint,
      };
      return inPhase('verification', true, (p) => benchVerification(p, meter, show, options));
    });
  }
  if (settings.only.has('export')) {
    results.payoutExport = await section(`payout CSV export of ${settings.exportPayouts}`, async () => {
      return inPhase('export', false, (p) => benchPayoutExport(p, settings.exportPayouts));
    });
  }
  if (settings.only.has('reconciliation')) {
    results.reconciliation = await section(`reconciliation of ${settings.reconciliationLines} lines`, async () => {
      return inPhase('reconciliation', false, (p) => benchReconciliation(p, settings.reconciliationLines));
    });
  }
  if (settings.only.has('concurrency')) {
    results.concurrency = await section('concurrency across processes', async () => {
      services ??= await startServices();
      const shared = services;
      // No meter handlers here: they would run the functions in this process, not in the workers.
      return benchConcurrency(
        (name, extra) =>
          startPhase(shared, { name, pollers: false, log: runtimeLog, lambdaOutput: (chunk) => logFile.write(chunk), ...extra }),
        show,
        {
          settlements: settings.concSettlements,
          settlers: settings.concSettlers,
          approvals: settings.concApprovals,
          approvers: settings.concApprovers,
        },
      );
    });
  }
  if (settings.only.has('progress') || settings.only.has('report')) {
    // One phase and one seeded fund for both: seeding 800 allocations through their write path takes a while.
    services ??= await startServices();
    let p: Phase | undefined;
    let seeded: SeededFund | undefined;
    const fund = async () => {
      p ??= await phase('progress', false);
      seeded ??= await seedFundOfCounties(
        settings.progressCounties,
        settings.only.has('progress') ? settings.progressEntries : settings.progressCounties,
        (text) => show.update(text),
      );
      return { p, seeded };
    };
    try {
      if (settings.only.has('progress')) {
        results.progress = await section(`progress of ${settings.progressCounties} counties`, async () => {
          const f = await fund();
          return benchProgress(f.p, meter, (text) => show.update(text), f.seeded, { reads: settings.progressReads });
        });
      }
      if (settings.only.has('report')) {
        results.reportPdf = await section(`half-year report PDF of ${settings.progressCounties} counties`, async () =>
          benchReportPdf((text) => show.update(text), (await fund()).seeded),
        );
      }
    } finally {
      await p?.stop();
    }
  }
} catch (error) {
  show.note(`bench failed: ${reason(error)}`);
  exitCode = 1;
} finally {
  await services?.stop();
}

results.finishedAt = new Date().toISOString();
results.goals = evaluateGoals(results);
show.done();
await writeFile(path.join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
await new Promise<void>((resolve) => logFile.end(resolve));
process.stdout.write = printTable;
process.stdout.write(`${renderReport(results)}\n\nresults: ${path.relative(process.cwd(), path.join(RESULTS_DIR, 'latest.json'))}\n`);
process.exitCode = exitCode;
