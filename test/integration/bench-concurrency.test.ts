/**
 * The bench's `concurrency` section at its tiniest size (2 operations, 2 processes, 2 counties spread): it runs its four runs with the functions in worker
 * processes, counts the workers' transaction attempts, and renders its table.
 */
import { inject, describe, expect, it } from 'vitest';
import { benchConcurrency } from '../../bench/concurrency.ts';
import { renderConcurrency } from '../../bench/report.ts';
import { startPhase, type Services } from '../../bench/stack.ts';
import { invokeStore } from '#local/invoke';

const quiet = { info: () => undefined, warn: () => undefined, error: (m: string) => console.error(m) };
const progress = { step: () => undefined, update: () => undefined, note: () => undefined, done: () => undefined };

describe('bench concurrency section', () => {
  it('settles and approves across worker processes, one county and spread, and reports each run', async () => {
    await invokeStore();
    const services: Services = {
      dynamoEndpoint: inject('dynamoEndpoint'),
      sqsEndpoint: inject('sqsEndpoint'),
      stop: async () => undefined,
    };
    const result = await benchConcurrency((name, extra) => startPhase(services, { name, pollers: false, log: quiet, ...extra }), progress, {
      settlements: 2,
      settlers: 2,
      approvals: 2,
      approvers: 2,
    });
    for (const run of [result.settle.oneCounty, result.settle.spread, result.approve.oneCounty, result.approve.spread]) {
      expect({ ops: run.ops, failures: run.failures }, run.name).toEqual({ ops: 2, failures: 0 });
      expect(run.processes, run.name).toBe(2);
      // The workers' probe counted the transactions: at least one success per operation.
      expect(run.attempts.succeeded, run.name).toBeGreaterThanOrEqual(2);
      expect(run.failedAttemptsPerSuccess, run.name).toBeGreaterThanOrEqual(0);
      expect(run.slowestMs!).toBeGreaterThanOrEqual(run.p99Ms!);
    }
    // The probe counts the takes of an allocation's turn and their refusals apart (an approval in a quiet county
    // takes none: it reads the turn and goes alone), and the table shows the refusals.
    for (const run of [result.approve.oneCounty, result.approve.spread]) {
      expect(run.attempts.turnRefused, run.name).toBeLessThanOrEqual(run.attempts.turnTakes);
    }
    expect([result.settle.oneCounty.counties, result.settle.spread.counties]).toEqual([1, 2]);
    const table = renderConcurrency(result).join('\n');
    expect(table).toMatch(/settle, 1 county\s+2\s/);
    expect(table).toMatch(/approve, 2 counties\s+2\s/);
    expect(table).toContain('one county ÷ spread');
    expect(table).toContain('refused turns/success');
  }, 240_000);
});
