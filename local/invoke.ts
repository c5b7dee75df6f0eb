/**
 * Runs handlers the way the Lambda runtime does when one environment serves many invocations at once
 * (AWS_LAMBDA_MAX_CONCURRENCY): each invocation inside its own InvokeStore context, so per-invocation
 * state (the Powertools Logger's correlation id and keys) never leaks between concurrent requests.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { Context } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID, localRegion } from './environment.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LambdaHandler = (event: any, context: Context) => Promise<unknown>;

type Store = InvokeStoreBase;

/** An AsyncLocalStorage-backed store, like the runtime's own multi-concurrency InvokeStore. */
class ConcurrentInvokeStore extends InvokeStoreBase {
  private readonly storage = new AsyncLocalStorage<Record<string | symbol, unknown>>();
  getContext() {
    return this.storage.getStore();
  }
  hasContext() {
    return this.storage.getStore() !== undefined;
  }
  get<T = unknown>(key: string | symbol): T | undefined {
    return this.storage.getStore()?.[key] as T | undefined;
  }
  set<T = unknown>(key: string | symbol, value: T): void {
    if (this.isProtectedKey(key)) throw new Error(`Cannot modify protected Lambda context field: ${String(key)}`);
    const context = this.storage.getStore();
    if (!context) throw new Error('No context available');
    context[key] = value;
  }
  run<T>(context: Record<string | symbol, unknown>, fn: () => T): T {
    return this.storage.run(context, fn);
  }
}

let store: Promise<Store> | undefined;

/**
 * The process-wide InvokeStore, multi-context. The AWS SDK asks for the store on its first request
 * and, without AWS_LAMBDA_MAX_CONCURRENCY set at that moment, installs a single-context one that
 * every invocation would share; so this runs before any SDK request, and replaces such a store if
 * one got in first.
 */
export function invokeStore(): Promise<Store> {
  store ??= (async () => {
    const existing = await InvokeStore.getInstanceAsync(true);
    if (existing.constructor.name === 'InvokeStoreMulti') return existing;
    const concurrent = new ConcurrentInvokeStore();
    globalThis.awslambda = globalThis.awslambda ?? {};
    globalThis.awslambda.InvokeStore = concurrent;
    return concurrent;
  })();
  return store;
}

export class InvocationTimeout extends Error {
  constructor(
    readonly functionName: string,
    readonly timeoutMs: number,
  ) {
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
  const s = await invokeStore();
  return s.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: `init-${randomUUID()}` }, load);
}

/** One invocation: its own store context, the function timeout enforced like Lambda's. */
export async function invoke(
  handler: LambdaHandler,
  event: unknown,
  options: { functionName: string; timeoutMs: number; requestId?: string },
): Promise<unknown> {
  const s = await invokeStore();
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
