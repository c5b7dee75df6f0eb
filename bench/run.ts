/**
 * `npm run bench`: every figure side by side with its baseline from the same run, on the local stack
 * started in-process (DynamoDB Local, the SQS emulator, the local runtime, a webhook receiver).
 * Writes bench/results/latest.json and prints a table; progress goes to stderr, and the handlers' own
 * log lines to bench/results/bench.log.
 *
 * Sizes can be turned down for a quick look: BENCH_ONLY=approvals,batch,cold,capacity,
 * BENCH_APPROVALS_PER_ROUND, BENCH_ROUNDS, BENCH_CONCURRENCY, BENCH_BATCH_ITEMS, BENCH_BATCH_TIMEOUT_SECONDS,
 * BENCH_COLD_REPEATS, BENCH_LIFECYCLES, BENCH_EXPORT_PAYOUTS (BENCH_ONLY=export for the payout CSV export alone),
 * BENCH_RECONCILIATION_LINES (BENCH_ONLY=reconciliation for the bank-statement reconciliation alone).
 */
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RuntimeLog } from '#local/log';
import { startReceiver } from '#test/support/receiver';
import { benchApprovals } from './approvals.ts';
import { benchBatch } from './batch.ts';
import { benchCapacity } from './capacity.ts';
import { benchColdStarts } from './cold-start.ts';
import { benchPayoutExport } from './payout-export.ts';
import { benchReconciliation } from './reconciliation.ts';
import { stepProgress } from '../scripts/lib/progress.ts';
import { Meter } from './meter.ts';
import { evaluateGoals, renderReport, type BenchResults } from './report.ts';
import { startPhase, startServices, type Phase, type Services } from './stack.ts';

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

function intSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number ≥ 1, not "${raw}"`);
  return value;
}

const settings = {
  only: new Set((process.env.BENCH_ONLY ?? 'cold,approvals,capacity,batch,export,reconciliation').split(',').map((s) => s.trim())),
  perRound: intSetting('BENCH_APPROVALS_PER_ROUND', 60),
  rounds: intSetting('BENCH_ROUNDS', 8),
  concurrency: intSetting('BENCH_CONCURRENCY', 16),
  batchItems: intSetting('BENCH_BATCH_ITEMS', 5000),
  batchTimeoutSeconds: intSetting('BENCH_BATCH_TIMEOUT_SECONDS', 300),
  coldRepeats: intSetting('BENCH_COLD_REPEATS', 7),
  lifecycles: intSetting('BENCH_LIFECYCLES', 10),
  exportPayouts: intSetting('BENCH_EXPORT_PAYOUTS', 5000),
  reconciliationLines: intSetting('BENCH_RECONCILIATION_LINES', 10_000),
};

await mkdir(RESULTS_DIR, { recursive: true });
const logFile = createWriteStream(path.join(RESULTS_DIR, 'bench.log'));
// Handlers log to stdout as they do in Lambda; here that goes to the log file, and stdout keeps the table.
const printTable = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
  logFile.write(chunk);
  const callback = rest.find((r): r is () => void => typeof r === 'function');
  callback?.();
  return true;
});

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
    const clients = await import('#shared/data/clients');
    meter.instrumentDynamo(clients.dynamo);
    meter.instrumentSqs(clients.sqs);
    results.storeDoublesTransactionalWrites = await meter.calibrate(clients.dynamo, started.tableName);
    instrumented = true;
  }
  return started;
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 300);

async function section<T>(title: string, run: () => Promise<T>): Promise<T | { missing: string }> {
  show.step(title);
  try {
    return await run();
  } catch (error) {
    show.note(`${title} failed: ${reason(error)}`);
    logFile.write(`${JSON.stringify({ level: 'ERROR', source: 'bench', section: title, error: reason(error), stack: (error as Error).stack })}\n`);
    return { missing: `the bench could not measure it: ${reason(error)}` };
  }
}

let exitCode = 0;
try {
  if (settings.only.has('cold')) {
    const cold = await section('cold starts', () => benchColdStarts(show, settings.coldRepeats));
    if (Array.isArray(cold)) results.coldStart = cold;
  }
  if (settings.only.has('approvals')) {
    results.approvals = await section('approvals', async () => {
      // No pollers: the baseline has no consumers either, so neither side shares the CPU with delivery work.
      const p = await phase('approvals', false);
      try {
        return await benchApprovals(p, services!, meter, show, { perRound: settings.perRound, rounds: settings.rounds, concurrency: settings.concurrency });
      } finally {
        await p.stop();
      }
    });
  }
  if (settings.only.has('capacity')) {
    results.capacity = await section('capacity per lifecycle', async () => {
      const receiver = await startReceiver();
      const p = await phase('capacity', true);
      try {
        return await benchCapacity(p, services!, meter, receiver.url, show, settings.lifecycles);
      } finally {
        await p.stop();
        await receiver.stop();
      }
    });
  }
  if (settings.only.has('batch')) {
    results.batch = await section(`batch of ${settings.batchItems}`, async () => {
      const receiver = await startReceiver();
      const p = await phase('batch', true);
      try {
        return await benchBatch(p, services!, meter, receiver.url, () => receiver.requests.length, show, {
          items: settings.batchItems,
          timeoutSeconds: settings.batchTimeoutSeconds,
        });
      } finally {
        await p.stop();
        await receiver.stop();
      }
    });
  }
  if (settings.only.has('export')) {
    results.payoutExport = await section(`payout CSV export of ${settings.exportPayouts}`, async () => {
      const p = await phase('export', false);
      try {
        return await benchPayoutExport(p, settings.exportPayouts);
      } finally {
        await p.stop();
      }
    });
  }
  if (settings.only.has('reconciliation')) {
    results.reconciliation = await section(`reconciliation of ${settings.reconciliationLines} lines`, async () => {
      const p = await phase('reconciliation', false);
      try {
        return await benchReconciliation(p, settings.reconciliationLines);
      } finally {
        await p.stop();
      }
    });
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
