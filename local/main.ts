/**
 * `npm start`: the whole backend on this machine. PORT (3000), DATA_DIR (.data/), OUTBOX_SWEEP_SECONDS
 * (60), DYNAMODB_PORT / SQS_PORT (free ports otherwise), LAMBDA_CONCURRENCY (unset: one process). Ctrl-C or SIGTERM stops everything, the
 * DynamoDB Local JVM included.
 */
import { fail, parseCommandLine, usage } from '#shared/cli';
import { ensureConsoleBuilt } from './console-build.ts';
import { parseLambdaConcurrency } from './lambda-pool.ts';
import { runtimeLog } from './log.ts';
import { PortInUseError } from './ports.ts';
import { DEFAULT_PORT, startRuntime, type Runtime } from './runtime.ts';

parseCommandLine({
  name: 'relief-fund',
  usage: 'npm start',
  details: `Runs the whole backend on this machine (DynamoDB Local, the SQS emulator, the API, the queue consumers).
Settings (environment):
PORT                  the API's port (3000)
DATA_DIR              where the data, secrets and keys are kept (.data/)
OUTBOX_SWEEP_SECONDS  how often the outbox sweep runs (60)
DYNAMODB_PORT         DynamoDB Local's port (a free one)
SQS_PORT              the SQS emulator's port (a free one)
LAMBDA_CONCURRENCY    run each function in up to N worker processes, one request at a time each, as
                      Lambda's execution environments (1-64; unset: every function in this one process)
Ctrl-C or SIGTERM stops everything; exit 1 also when a port is taken, 2 when a setting is not a number`,
  options: {},
});

function intFromEnv(name: string, fallback?: number): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    usage(`${name} must be a whole number (a port or a count of seconds), not "${raw}"`);
  }
  return value;
}

function concurrencyFromEnv(): number | undefined {
  const parsed = parseLambdaConcurrency(process.env.LAMBDA_CONCURRENCY);
  if (parsed instanceof Error) usage(parsed.message);
  return parsed;
}

const startedAt = performance.now();
let runtime: Runtime | undefined;
let stopping = false;

async function shutdown(reason: string, code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  runtimeLog.info('stopping', { reason });
  // Whatever happens, do not hang: the JVM gets SIGKILL from its own stop() after 3 s.
  const force = setTimeout(() => process.exit(code || 1), 8_000);
  force.unref();
  try {
    await runtime?.stop();
  } finally {
    process.exit(code);
  }
}

// A closed terminal or pipe must not crash us before the JVM is stopped.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);
process.once('SIGINT', () => void shutdown('SIGINT', 0));
process.once('SIGTERM', () => void shutdown('SIGTERM', 0));
process.on('uncaughtException', (error) => {
  runtimeLog.error('uncaught exception', { error: { name: error.name, message: error.message } });
  void shutdown('uncaughtException', 1);
});
process.on('unhandledRejection', (reason) => {
  runtimeLog.error('unhandled rejection', { error: { message: reason instanceof Error ? reason.message : String(reason) } });
  void shutdown('unhandledRejection', 1);
});

// A wrong setting is a usage error (exit 2), found before anything is built or started.
const settings = {
  port: intFromEnv('PORT', DEFAULT_PORT),
  dataDir: process.env.DATA_DIR || '.data',
  dynamoPort: intFromEnv('DYNAMODB_PORT'),
  sqsPort: intFromEnv('SQS_PORT'),
  sweepSeconds: intFromEnv('OUTBOX_SWEEP_SECONDS', 60),
  lambdaConcurrency: concurrencyFromEnv(),
};

try {
  // A fast Vite build, only when console/ changed since the last one.
  const consoleBuild = await ensureConsoleBuilt();
  if (consoleBuild.built) runtimeLog.info('console built', { seconds: Number((consoleBuild.ms / 1000).toFixed(1)) });
  runtime = await startRuntime(settings);
} catch (error) {
  if (error instanceof PortInUseError) {
    fail(`${error.message}. Stop whatever uses it, or choose another port.`);
  }
  runtimeLog.error('start failed', { error: { name: (error as Error).name, message: (error as Error).message } });
  fail('could not start; see the log line above');
}

if (stopping) process.exit(0);
const health = await fetch(`${runtime.url}/health`).then(
  (r) => r.status,
  () => 0,
);
const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
process.stdout.write(
  health === 200
    ? `relief-fund API listening on ${runtime.url} (healthy in ${seconds} s); the console is at ${runtime.url}/console\n`
    : `relief-fund API listening on ${runtime.url} (up in ${seconds} s, but GET /health answered ${health || 'nothing'})\n`,
);
