/**
 * Runs handlers the way the Lambda runtime does when one environment serves many invocations at once
 * (AWS_LAMBDA_MAX_CONCURRENCY): each invocation inside its own InvokeStore context, so per-invocation
 * state (the Powertools Logger's correlation id and keys) never leaks between concurrent requests.
 */
import { randomUUID } from 'node:crypto';
import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { Context } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID, localRegion } from './environment.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LambdaHandler = (event: any, context: Context) => Promise<unknown>;

type Store = Awaited<ReturnType<typeof InvokeStore.getInstanceAsync>>;

let store: Promise<Store> | undefined;

/** Must run before the first handler import: Powertools decides per call from the environment variable. */
export function invokeStore(maxConcurrency: number): Promise<Store> {
  process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= String(maxConcurrency);
  store ??= InvokeStore.getInstanceAsync(true);
  return store;
}

export class InvocationTimeout extends Error {
  constructor(readonly functionName: string, readonly timeoutMs: number) {
    super(`${functionName} timed out after ${timeoutMs} ms`);
    this.name = 'InvocationTimeout';
  }
}

export function lambdaContext(functionName: string, timeoutMs: number, requestId: string = randomUUID()): Context {
  const deadline = Date.now() + timeoutMs;
  const region = localRegion();
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${requestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Imports a handler module inside an InvokeStore context of its own: code that logs at import time
 * (cold start) must find a context, as it would in Lambda's init phase.
 */
export async function loadInStore<T>(load: () => Promise<T>): Promise<T> {
  const s = await invokeStore(64);
  return s.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: `init-${randomUUID()}` }, load);
}

/** One invocation: its own store context, the function timeout enforced like Lambda's. */
export async function invoke(
  handler: LambdaHandler,
  event: unknown,
  options: { functionName: string; timeoutMs: number; requestId?: string },
): Promise<unknown> {
  const s = await invokeStore(64);
  const context = lambdaContext(options.functionName, options.timeoutMs, options.requestId);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new InvocationTimeout(options.functionName, options.timeoutMs)), options.timeoutMs);
    timer.unref();
  });
  try {
    const run = s.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: context.awsRequestId }, () =>
      Promise.resolve().then(() => handler(event, context)),
    );
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
