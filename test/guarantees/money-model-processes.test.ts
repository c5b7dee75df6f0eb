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
  it("ran the model's calls in processes of their own (several for disbursements), none of them this one", () => {
    const served = handlersServedBy();
    // Every run creates and approves disbursements: `spread` gives each of its first calls a new process.
    expect(new Set(served['http/disbursements']).size).toBeGreaterThanOrEqual(2);
    // Which other functions a run calls is random; whichever ran, ran outside this process.
    for (const [fn, pids] of Object.entries(served)) {
      expect(pids.length, fn).toBeLessThanOrEqual(PROCESSES);
      expect(pids, fn).not.toContain(process.pid);
    }
  });
});
