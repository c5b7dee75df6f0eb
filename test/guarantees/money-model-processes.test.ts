/**
 * Issue 21: the money model (money-model.test.ts) with its handlers in 4 processes per function, one
 * request at a time each, as Lambda's execution environments. The processes take turns even for
 * sequential steps (`spread`), so state one process keeps (a cache, a lane) and another lacks shows
 * up as a broken step. The last test checks the steps really ran in several processes.
 */
import { describe, expect, it } from 'vitest';
import { handlerCaller } from '#test/support/handler-call';
import { handlersServedBy, httpHandlers, runHandlersInProcesses } from '#test/support/lambda-processes';

const PROCESSES = 4;
runHandlersInProcesses(PROCESSES, 'spread');
// The model's own file registers its tests here, with the handlers above.
await import('./money-model.test.ts');

describe('where the model ran', () => {
  it("ran the model's calls in processes of their own (several for disbursements), none of them this one", async () => {
    // Which functions a run calls, and how often, is random (a run may create no disbursement). Two
    // sequential calls more make "several" certain: under `spread` two calls in a row never share a
    // process (a new one starts while there are fewer than 4; then the least recently used serves).
    const call = handlerCaller(await httpHandlers(['disbursements']), { sub: 'auditor-1', roles: ['auditor'] });
    for (let n = 0; n < 2; n++) expect((await call('GET', '/v1/disbursements/d-none-of-the-model')).status).toBe(404);
    const served = handlersServedBy();
    expect(new Set(served['http/disbursements']).size).toBeGreaterThanOrEqual(2);
    // Whichever functions ran, ran outside this process (forked children: never this pid).
    for (const [fn, pids] of Object.entries(served)) {
      expect(pids.length, fn).toBeLessThanOrEqual(PROCESSES);
      expect(pids, fn).not.toContain(process.pid);
    }
  });
});
