/**
 * Issue 21: the money model (money-model.test.ts) with its handlers in 4 processes per function, one
 * request at a time each, as Lambda's execution environments. The processes take turns even for
 * sequential steps (`spread`), so state one process keeps (a cache, a lane) and another lacks shows
 * up as a broken step. The last test checks the steps really ran in several processes.
 */
import { describe, expect, it } from 'vitest';
import { handlersServedBy, runHandlersInProcesses } from '#test/support/lambda-processes';

const PROCESSES = 4;
runHandlersInProcesses(PROCESSES, 'spread');
// The model's own file registers its tests here, with the handlers above.
await import('./money-model.test.ts');

describe('where the model ran', () => {
  it('ran every function the model calls in several processes of its own, none of them this one', () => {
    const served = handlersServedBy();
    for (const fn of ['disbursements', 'payouts', 'batches', 'campaigns', 'webhook-endpoints']) {
      const pids = served[`http/${fn}`] ?? [];
      // `spread` starts a new process for each of a function's first PROCESSES calls.
      expect(new Set(pids).size, fn).toBeGreaterThanOrEqual(2);
      expect(pids.length, fn).toBeLessThanOrEqual(PROCESSES);
      expect(pids, fn).not.toContain(process.pid);
    }
  });
});
