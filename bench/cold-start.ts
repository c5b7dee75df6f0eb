/**
 * Cold starts: every Lambda bundle built exactly as CDK builds it (esbuildOptions from
 * infra/constructs/bundling.ts), imported in a fresh Node process with the environment a deployed
 * function has, against a hello-world bundle built and loaded the same way. Runs are interleaved
 * (hello, then each function, round after round) so machine noise spreads over all of them. One
 * function's bundle is also imported with the Powertools Tracer on and off (POWERTOOLS_TRACE_ENABLED),
 * in the same rounds: what tracing costs at init. No X-Ray daemon is needed: nothing is sent at init.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { esbuildOptions, ESBUILD_TARGET } from '#infra/constructs/bundling';
import { entryOf, MEMORY_MB, SERVICE_NAME, type FunctionKind } from '#infra/constructs/function';
import { HTTP_FUNCTIONS, QUEUE_FUNCTIONS, SCHEDULED_FUNCTIONS } from '#shared/routes';
import type { StepProgress } from '../scripts/lib/progress.ts';
import type { ColdStartEntry, TracerColdStartResult } from './report.ts';
import { median, ratio } from './stats.ts';

const run = promisify(execFile);
const HELLO_ENTRY = fileURLToPath(new URL('./hello-function.ts', import.meta.url));
const SDK_ONLY_ENTRY = fileURLToPath(new URL('./sdk-only-function.ts', import.meta.url));

/** What Lambda's runtime does at init: import the handler module. Prints the time it took. */
const PROBE = `
const { pathToFileURL } = await import('node:url');
const started = performance.now();
try {
  const module = await import(pathToFileURL(process.argv[1]).href);
  const initMs = performance.now() - started;
  if (typeof module.handler !== 'function') throw new Error('no handler export');
  process.stdout.write(JSON.stringify({ initMs }));
} catch (error) {
  process.stdout.write(JSON.stringify({ error: String(error && error.message || error).split('\\n')[0].slice(0, 200) }));
}
process.exit(0);
`;

interface Target {
  function: string;
  entry: string;
  /** Set over the deployed environment for this target's imports. */
  env?: Record<string, string>;
  bundle?: string;
  bytes?: number;
  samples: number[];
  error?: string;
}

/** The environment of a deployed function (infra/stacks/api-stack.ts + infra/constructs/function.ts), with made-up ARNs. */
function deployedEnvironment(functionName: string): Record<string, string> {
  const account = '123456789012';
  const region = 'us-east-1';
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    TABLE_NAME: 'ReliefFundData-Table-1ABCDEF',
    DELIVERY_QUEUE_URL: `https://sqs.${region}.amazonaws.com/${account}/relief-fund-delivery`,
    EXPANSION_QUEUE_URL: `https://sqs.${region}.amazonaws.com/${account}/relief-fund-expansion`,
    APP_SECRETS_ARN: `arn:aws:secretsmanager:${region}:${account}:secret:relief-fund-app-AbCdEf`,
    OUTBOX_SWEEP_SECONDS: '60',
    PUBLIC_BASE_URL: `https://abcdef1234.execute-api.${region}.amazonaws.com`,
    NODE_OPTIONS: '--enable-source-maps',
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_LOG_LEVEL: 'INFO',
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(MEMORY_MB),
    AWS_LAMBDA_LOG_FORMAT: 'JSON',
    AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${ESBUILD_TARGET.replace('node', '')}.x`,
    AWS_ACCESS_KEY_ID: 'ASIAEXAMPLEEXAMPLE00',
    AWS_SECRET_ACCESS_KEY: 'example-secret-access-key-not-real-000000',
    AWS_SESSION_TOKEN: 'example-session-token',
    // Active tracing (infra/constructs/function.ts): Lambda points the X-Ray SDK at its daemon. Nothing is sent at init.
    AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000',
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
  };
}

async function initOnce(target: Target): Promise<number | string> {
  try {
    const { stdout } = await run(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', PROBE, target.bundle!], {
      env: { ...deployedEnvironment(`relief-fund-${target.function}`), ...target.env },
      timeout: 30_000,
      maxBuffer: 1024 * 1024,
    });
    const parsed = JSON.parse(stdout) as { initMs?: number; error?: string };
    return parsed.initMs ?? parsed.error ?? 'no answer';
  } catch (error) {
    return `the process failed: ${(error as Error).message.split('\n')[0]}`;
  }
}

/** The function whose bundle is imported with the Powertools Tracer on and off: the money path's API. */
export const TRACER_FUNCTION = 'http-disbursements';

export interface ColdStarts {
  entries: ColdStartEntry[];
  tracer: TracerColdStartResult;
}

export async function benchColdStarts(show: StepProgress, repeats: number): Promise<ColdStarts> {
  const outdir = await mkdtemp(path.join(tmpdir(), 'relief-fund-bench-bundles-'));
  try {
    const kinds: [FunctionKind, readonly string[]][] = [
      ['http', HTTP_FUNCTIONS],
      ['queue', QUEUE_FUNCTIONS],
      ['schedule', SCHEDULED_FUNCTIONS],
    ];
    const hello: Target = { function: 'hello-world', entry: HELLO_ENTRY, samples: [] };
    const sdkOnly: Target = { function: 'sdk-only', entry: SDK_ONLY_ENTRY, samples: [] };
    const references = [hello, sdkOnly];
    const targets: Target[] = kinds.flatMap(([kind, names]) =>
      names.map((name) => ({ function: `${kind}-${name}`, entry: entryOf(kind, name), samples: [] as number[] })),
    );
    for (const [n, target] of [...references, ...targets].entries()) {
      show.update(`bundling ${target.function} (${n + 1}/${targets.length + references.length})`);
      target.bundle = path.join(outdir, target.function, 'index.mjs');
      try {
        await build({ ...esbuildOptions(target.entry, target.bundle), logLevel: 'silent' });
        target.bytes = (await stat(target.bundle)).size;
      } catch (error) {
        target.error = `bundling failed: ${(error as Error).message.split('\n')[0]}`;
      }
    }
    // The same bundle twice more, tracing on and off; interleaved with the rest like every other import.
    const traced = targets.find((t) => t.function === TRACER_FUNCTION);
    if (!traced) throw new Error(`no ${TRACER_FUNCTION} function to measure the Tracer with`);
    const tracerOn: Target = { ...traced, function: TRACER_FUNCTION, env: { POWERTOOLS_TRACE_ENABLED: 'true' }, samples: [] };
    const tracerOff: Target = { ...traced, function: TRACER_FUNCTION, env: { POWERTOOLS_TRACE_ENABLED: 'false' }, samples: [] };
    const variants = [tracerOn, tracerOff];
    for (let round = 0; round < repeats; round++) {
      for (const target of [...references, ...targets, ...variants]) {
        if (target.bytes === undefined) continue;
        show.update(
          `round ${round + 1}/${repeats}: ${target.function}${
            target.env
              ? ` (${Object.entries(target.env)
                  .map(([k, v]) => `${k}=${v}`)
                  .join(' ')})`
              : ''
          }`,
        );
        const result = await initOnce(target);
        if (typeof result === 'number') target.samples.push(result);
        else target.error = result;
      }
    }
    const helloInitMs = median(hello.samples);
    if (helloInitMs === undefined) throw new Error(`the hello-world bundle did not load: ${hello.error ?? 'no samples'}`);
    const sdkOnlyInitMs = median(sdkOnly.samples);
    const tracingOnInitMs = median(tracerOn.samples);
    const tracingOffInitMs = median(tracerOff.samples);
    const tracerError = tracerOn.error ?? tracerOff.error;
    const tracer: TracerColdStartResult = {
      function: TRACER_FUNCTION,
      tracingOnInitMs,
      tracingOffInitMs,
      ratioOnToOff: ratio(tracingOnInitMs, tracingOffInitMs),
      samples: Math.min(tracerOn.samples.length, tracerOff.samples.length),
      ...(tracerError ? { error: tracerError } : {}),
    };
    const entries = targets.map((t) => {
      const initMs = t.error ? undefined : median(t.samples);
      return {
        function: t.function,
        bundleBytes: t.bytes ?? 0,
        initMs,
        helloInitMs,
        ratioToHello: ratio(initMs, helloInitMs),
        sdkOnlyInitMs,
        ratioToSdkOnly: ratio(initMs, sdkOnlyInitMs),
        ...(t.error ? { error: t.error } : {}),
      };
    });
    return { entries, tracer };
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}
