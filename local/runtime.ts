/**
 * The local runtime behind `npm start`, usable in-process by tests: DynamoDB Local and the SQS
 * emulator (or given endpoints), the table and queues from the CDK definitions, the handler
 * environment, the API Gateway stand-in, the SQS event source mappings and the sweeper's schedule.
 */
import { removeStackFile, writeStackFile } from './stack-file.ts';
import { resolve, join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { resetConfig } from '#shared/config';
import { resetSecrets } from '#shared/secrets';
import { QUEUES } from '#shared/queues';
import type { HttpFunctionName, QueueFunctionName, ScheduledFunctionName } from '#shared/routes';
import { nextMonthStart } from '#shared/domain/snapshots';
import { jwtAuthorizer } from './authorizer.ts';
import { CONSOLE_CLIENT_ID, consoleHost } from './console-host.ts';
import { applyEnvironment, handlerEnvironment, LOCAL_CREDENTIALS, localRegion } from './environment.ts';
import { API_GATEWAY_TIMEOUT_MS, startHttpAdapter, type HttpAdapter } from './http-adapter.ts';
import { invokeStore, loadInStore, type LambdaHandler } from './invoke.ts';
import { createLambdaPool, type LambdaPool } from './lambda-pool.ts';
import {
  ensureSecretsFiles,
  ensureSigningKey,
  LOCAL_AUDIENCE,
  LOCAL_MACHINE_CLIENT_ID,
  localIssuer,
  mintToken,
  type TokenRequest,
} from './keys.ts';
import { runtimeLog, type RuntimeLog } from './log.ts';
import { assertPortFree, freePort } from './ports.ts';
import { ensureQueues, ensureTable, queueUrlsOf, type QueueKey, type QueueUrls } from './resources.ts';
import { startSchedule, type Schedule } from './scheduler.ts';
import { startDynamoDbLocal, startSqsEmulator, type RunningService } from './services.ts';
import { startQueuePoller, type QueuePoller } from './sqs-poller.ts';

export interface RuntimeHandlers {
  http?: (fn: HttpFunctionName) => Promise<LambdaHandler>;
  queue?: (consumer: QueueFunctionName) => Promise<LambdaHandler>;
  schedule?: (name: ScheduledFunctionName) => Promise<LambdaHandler>;
}

export interface RuntimeOptions {
  /** API port; 3000 by default, 0 for any free port. */
  port?: number;
  dataDir: string;
  /** Use these services instead of starting DynamoDB Local / the SQS emulator. */
  dynamoEndpoint?: string;
  sqsEndpoint?: string;
  /** Fixed ports for the services this runtime starts (DYNAMODB_PORT, SQS_PORT); free ones otherwise. */
  dynamoPort?: number;
  sqsPort?: number;
  tableName?: string;
  queuePrefix?: string;
  sweepSeconds?: number;
  pollers?: boolean;
  scheduler?: boolean;
  /** Extra handler environment, applied last. */
  env?: Record<string, string>;
  /** Replaces how handlers are loaded (tests wire small probe handlers through the real machinery). */
  handlers?: RuntimeHandlers;
  /**
   * LAMBDA_CONCURRENCY: run each function's invocations in up to this many child processes, one at a
   * time each, as Lambda's execution environments. Unset: every function in this process (the default).
   */
  lambdaConcurrency?: number;
  /** With lambdaConcurrency: modules every worker imports before its handler (the bench's probes). */
  lambdaPreload?: string[];
  /** With lambdaConcurrency: where the workers' output goes (this process's stdout and stderr by default). */
  lambdaOutput?: (chunk: Buffer) => void;
  log?: RuntimeLog;
}

export interface Runtime {
  url: string;
  port: number;
  issuer: string;
  tableName: string;
  queueUrls: QueueUrls;
  dynamoEndpoint: string;
  sqsEndpoint: string;
  mintToken(opts: { roles: string[]; sub: string; ttlSeconds?: number; machine?: boolean }): Promise<string>;
  /** With lambdaConcurrency: the process ids that served each function (`http/payouts` → pids). */
  servedBy?: () => Record<string, number[]>;
  /** With lambdaConcurrency: what the workers' preloaded probes report, by function. */
  workerReports?: () => Promise<Record<string, { pid: number; value: unknown }[]>>;
  stop(): Promise<void>;
}

export const DEFAULT_TABLE_NAME = 'relief-fund';
export const DEFAULT_PORT = 3000;
/** Lets many requests share one process the way Lambda's multi-concurrency environments do. */
const MAX_CONCURRENCY = 64;
const SWEEPER_TIMEOUT_MS = 60_000;

export const functionNameOf = (name: string): string => `relief-fund-${name}`;

/** Imports `handler` of a functions/ module once; a failed import is retried on the next call. */
function handlerLoader<N extends string>(folder: 'http' | 'queue' | 'schedule') {
  const cache = new Map<N, Promise<LambdaHandler>>();
  return (name: N): Promise<LambdaHandler> => {
    let pending = cache.get(name);
    if (!pending) {
      pending = loadInStore(async () => {
        const module = (await import(`#functions/${folder}/${name}`)) as { handler?: LambdaHandler };
        if (typeof module.handler !== 'function') throw new Error(`functions/${folder}/${name}.ts exports no handler`);
        return module.handler;
      });
      pending.catch(() => cache.delete(name));
      cache.set(name, pending);
    }
    return pending;
  };
}

/** How handlers are found by default: functions/<http|queue|schedule>/<name>.ts, imported once. */
export const defaultHandlers: Required<RuntimeHandlers> = {
  http: handlerLoader<HttpFunctionName>('http'),
  queue: handlerLoader<QueueFunctionName>('queue'),
  schedule: handlerLoader<ScheduledFunctionName>('schedule'),
};

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const log = options.log ?? runtimeLog;
  const dataDir = resolve(options.dataDir);
  const tableName = options.tableName ?? DEFAULT_TABLE_NAME;
  const sweepSeconds = options.sweepSeconds ?? 60;
  const requestedPort = options.port ?? DEFAULT_PORT;
  // The issuer names the port, so the port is fixed before anything is signed or verified.
  // Every fixed port is checked before anything starts: a taken one fails fast, without a JVM to clean up.
  if (requestedPort !== 0) await assertPortFree(requestedPort, 'API, PORT');
  if (options.dynamoPort !== undefined && !options.dynamoEndpoint) {
    await assertPortFree(options.dynamoPort, 'DynamoDB Local, DYNAMODB_PORT');
  }
  if (options.sqsPort !== undefined && !options.sqsEndpoint) await assertPortFree(options.sqsPort, 'SQS emulator, SQS_PORT');
  const port = requestedPort === 0 ? await freePort() : requestedPort;

  // Before the first SDK request, which would otherwise install a single-context store.
  await invokeStore();

  const cleanups: (() => Promise<void> | void)[] = [];
  const runCleanups = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log.warn('stop step failed', { error: (error as Error).message });
      }
    }
  };

  try {
    let dynamoEndpoint = options.dynamoEndpoint;
    let sqsEndpoint = options.sqsEndpoint;
    const started: Promise<RunningService | undefined>[] = [
      dynamoEndpoint ? Promise.resolve(undefined) : startDynamoDbLocal({ port: options.dynamoPort, path: join(dataDir, 'dynamodb') }),
      sqsEndpoint ? Promise.resolve(undefined) : startSqsEmulator({ port: options.sqsPort }),
    ];
    const results = await Promise.allSettled(started);
    for (const result of results) {
      if (result.status === 'fulfilled' && result.value) {
        const service = result.value;
        cleanups.push(() => service.stop());
      }
    }
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
    const [dynamoService, sqsService] = results.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
    dynamoEndpoint ??= dynamoService!.endpoint;
    sqsEndpoint ??= sqsService!.endpoint;

    const [secretsFiles, signingKey] = await Promise.all([ensureSecretsFiles(dataDir), ensureSigningKey(dataDir)]);

    const clientConfig = { region: localRegion(), credentials: LOCAL_CREDENTIALS };
    const dynamo = new DynamoDBClient({ ...clientConfig, endpoint: dynamoEndpoint });
    const sqs = new SQSClient({ ...clientConfig, endpoint: sqsEndpoint });
    cleanups.push(() => {
      dynamo.destroy();
      sqs.destroy();
    });
    const [, queues] = await Promise.all([ensureTable(dynamo, tableName), ensureQueues(sqs, options.queuePrefix ?? '')]);
    const queueUrls = queueUrlsOf(queues);

    const restoreEnvironment = applyEnvironment({
      ...handlerEnvironment({
        tableName,
        queueUrls,
        secretsFiles,
        dynamoEndpoint,
        sqsEndpoint,
        sweepSeconds,
      }),
      AWS_LAMBDA_MAX_CONCURRENCY: String(MAX_CONCURRENCY),
      // One process serves every function; each invocation's context names its own function.
      AWS_LAMBDA_FUNCTION_NAME: functionNameOf('local'),
      ...options.env,
    });
    cleanups.push(() => {
      restoreEnvironment();
      resetConfig();
      resetSecrets();
    });
    // Handlers read config and secrets once: make them see this runtime's environment.
    resetConfig();
    resetSecrets();

    // Worker processes get this runtime's handler environment as it is now.
    let pool: LambdaPool | undefined;
    if (options.lambdaConcurrency !== undefined) {
      pool = createLambdaPool({
        concurrency: options.lambdaConcurrency,
        env: { ...process.env },
        preload: options.lambdaPreload,
        output: options.lambdaOutput,
      });
      const lambdaPool = pool;
      cleanups.push(() => lambdaPool.close());
    }
    const pooled = <N extends string>(folder: 'http' | 'queue' | 'schedule') =>
      pool ? (name: N) => Promise.resolve(pool.handler(folder, name, functionNameOf(name))) : undefined;

    const issuer = localIssuer(port);
    const loadHttp = options.handlers?.http ?? pooled<HttpFunctionName>('http') ?? defaultHandlers.http;
    const adapter: HttpAdapter = await startHttpAdapter({
      port,
      // The console signs people in with an app client of its own, as it does deployed.
      authorizer: jwtAuthorizer({
        issuer,
        audience: [LOCAL_AUDIENCE, LOCAL_MACHINE_CLIENT_ID, CONSOLE_CLIENT_ID],
        publicKeys: [signingKey.publicJwk],
      }),
      beside: consoleHost({ port, issuer, signingKey }),
      loadHandler: loadHttp,
      functionName: functionNameOf,
      log,
      timeoutMs: API_GATEWAY_TIMEOUT_MS,
    });
    cleanups.push(() => adapter.close());

    if (options.pollers ?? true) {
      const loadQueue = options.handlers?.queue ?? pooled<QueueFunctionName>('queue') ?? defaultHandlers.queue;
      const pollers: QueuePoller[] = (Object.keys(QUEUES) as QueueKey[]).map((key) => {
        const definition = QUEUES[key];
        return startQueuePoller({
          sqs,
          queueUrl: queues[key].url,
          queueArn: queues[key].arn,
          batchSize: definition.batchSize,
          maxBatchingWindowSeconds: definition.maxBatchingWindowSeconds,
          maxConcurrency: definition.maxConcurrency,
          timeoutMs: definition.consumerTimeoutSeconds * 1000,
          functionName: functionNameOf(definition.consumer),
          loadHandler: () => loadQueue(definition.consumer),
          log,
        });
      });
      cleanups.push(() => Promise.all(pollers.map((p) => p.stop())).then(() => undefined));
    }

    if (options.scheduler ?? true) {
      const loadSchedule = options.handlers?.schedule ?? pooled<ScheduledFunctionName>('schedule') ?? defaultHandlers.schedule;
      const schedule: Schedule = startSchedule({
        functionName: functionNameOf('outbox-sweeper'),
        ruleName: functionNameOf('outbox-sweeper-schedule'),
        everySeconds: sweepSeconds,
        timeoutMs: SWEEPER_TIMEOUT_MS,
        loadHandler: () => loadSchedule('outbox-sweeper'),
        log,
      });
      cleanups.push(() => schedule.stop());
      // EventBridge Scheduler's cron(0 0 1 * ? *) in Asia/Shanghai. A timer waits at most ~24.8 days, so a long
      // wait may fire early: the run then finds last month's snapshots taken and takes none.
      const monthly: Schedule = startSchedule({
        functionName: functionNameOf('monthly-snapshots'),
        ruleName: functionNameOf('monthly-snapshot-schedule'),
        everySeconds: 0,
        nextDelayMs: () => Math.min(2 ** 31 - 1, nextMonthStart(new Date()).getTime() - Date.now() + 1_000),
        timeoutMs: SWEEPER_TIMEOUT_MS,
        loadHandler: () => loadSchedule('monthly-snapshots'),
        log,
      });
      cleanups.push(() => monthly.stop());
      // EventBridge Scheduler's cron(30 0 * * ? *) in Asia/Shanghai: the daily fund.alert evaluation (16:30 UTC).
      const alerts: Schedule = startSchedule({
        functionName: functionNameOf('fund-alerts'),
        ruleName: functionNameOf('fund-alert-schedule'),
        everySeconds: 0,
        nextDelayMs: () => {
          const now = Date.now();
          const todays = new Date(now).setUTCHours(16, 30, 0, 0);
          return (todays > now ? todays : todays + 86_400_000) - now;
        },
        timeoutMs: SWEEPER_TIMEOUT_MS,
        loadHandler: () => loadSchedule('fund-alerts'),
        log,
      });
      cleanups.push(() => alerts.stop());
    }

    // Where tools that read the table itself (npm run ledger-check) find this runtime's store.
    await writeStackFile(dataDir, { dynamoEndpoint, tableName });
    cleanups.push(() => removeStackFile(dataDir));

    let stopping: Promise<void> | undefined;
    return {
      url: adapter.url,
      port,
      issuer,
      tableName,
      queueUrls,
      dynamoEndpoint,
      sqsEndpoint,
      mintToken: (opts) => mintToken(signingKey, issuer, opts satisfies TokenRequest),
      ...(pool ? { servedBy: () => pool.servedBy(), workerReports: () => pool.report() } : {}),
      stop: () => (stopping ??= runCleanups()),
    };
  } catch (error) {
    await runCleanups();
    throw error;
  }
}
