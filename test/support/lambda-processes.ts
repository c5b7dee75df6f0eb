/**
 * Where a test file's HTTP handlers run: in the test's own process (the default), or, after
 * `runHandlersInProcesses(n)`, in up to n child processes per function, one invocation at a time each,
 * as Lambda's execution environments run them (local/lambda-pool.ts). A suite written once then runs
 * both ways: `money-model-processes.test.ts` sets 4 and imports the money model.
 */
import { afterAll } from 'vitest';
import { createLambdaPool, type LambdaPool } from '#local/lambda-pool';
import { functionNameOf } from '#local/runtime';
import type { HttpFunctionName } from '#shared/routes';
import type { HttpHandler } from './handler-call.ts';

interface Setting {
  processes: number;
  placement: 'warm' | 'spread';
}

let setting: Setting = { processes: 1, placement: 'warm' };
let pool: LambdaPool | undefined;

/**
 * From now on this file's handlers run in up to `processes` processes per function. `spread` makes even
 * sequential calls change process (state kept in one process shows up); `warm` reuses an idle one as
 * Lambda does. Call at the top of a test file, before the suite's `beforeAll` loads its handlers.
 */
export function runHandlersInProcesses(processes: number, placement: Setting['placement'] = 'warm'): void {
  setting = { processes, placement };
  afterAll(async () => {
    await pool?.close();
    pool = undefined;
  });
}

/** How many processes per function this file's handlers run in (1: the test's own). */
export const handlerProcesses = (): number => setting.processes;

/**
 * The handlers of these functions. Across processes, each worker starts with `process.env` as it is
 * now: call after `useLocalServices` (which sets the table, queues and secrets for this file).
 */
export async function httpHandlers<N extends HttpFunctionName>(names: readonly N[]): Promise<Record<N, HttpHandler>> {
  const handlers = {} as Record<N, HttpHandler>;
  if (setting.processes <= 1) {
    for (const name of names) {
      handlers[name] = ((await import(`#functions/http/${name}`)) as { handler: HttpHandler }).handler;
    }
    return handlers;
  }
  pool ??= createLambdaPool({ concurrency: setting.processes, placement: setting.placement, env: { ...process.env } });
  for (const name of names) handlers[name] = pool.handler('http', name, functionNameOf(name)) as HttpHandler;
  return handlers;
}

/** The process ids that served each function so far (`http/payouts` → pids); empty in one process. */
export function handlersServedBy(): Record<string, number[]> {
  return pool?.servedBy() ?? {};
}
