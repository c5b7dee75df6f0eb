import { describe, expect, it } from 'vitest';
import { billedGbSeconds, PRICES, transactionCapacity, usdPerMillion } from '../../bench/pricing.ts';
import { evaluateGoals, renderReport, type BenchResults, type CapacityResult } from '../../bench/report.ts';

describe('transactional capacity (AWS rule applied to what DynamoDB Local reports)', () => {
  it('keeps table units a store already doubled and bills index writes once', () => {
    // Local's answer for a small Put with two GSIs inside a transaction: table 2, each index 2.
    expect(transactionCapacity({ tableUnits: 2, indexUnits: 4 }, ['Put'], true)).toEqual({
      writeUnits: 4,
      readUnits: 0,
      indexWriteUnits: 2,
    });
  });

  it('doubles table units a store reported undoubled, index units stay', () => {
    // A 3 KB item reported as 3 units → 6, as AWS bills a transactional write of 3 KB.
    expect(transactionCapacity({ tableUnits: 3, indexUnits: 2 }, ['Put'], false)).toEqual({
      writeUnits: 8,
      readUnits: 0,
      indexWriteUnits: 2,
    });
  });

  it('bills each ConditionCheck as a transactional read', () => {
    expect(transactionCapacity({ tableUnits: 2, indexUnits: 0 }, ['ConditionCheck', 'ConditionCheck', 'Put'], true)).toEqual({
      writeUnits: 2,
      readUnits: 4,
      indexWriteUnits: 0,
    });
  });
});

describe('cost per million lifecycles', () => {
  it('prices each service from the units one lifecycle uses', () => {
    const cost = usdPerMillion({
      writeUnits: 32,
      readUnits: 12,
      sqsRequests: 6,
      lambdaInvocations: 5,
      lambdaGbSeconds: 0.5,
      httpApiRequests: 3,
    });
    expect(cost.dynamodb).toBeCloseTo(32 * 0.625 + 12 * 0.125, 6);
    expect(cost.sqs).toBeCloseTo(2.4, 6);
    expect(cost.lambda).toBeCloseTo(5 * 0.2 + 0.5 * 1e6 * PRICES.lambdaArmGbSecond, 6);
    expect(cost.lambdaCompute).toBeCloseTo(0.5 * 1e6 * PRICES.lambdaArmGbSecond, 6);
    expect(cost.httpApi).toBeCloseTo(3, 6);
    expect(cost.total).toBeCloseTo(cost.dynamodb + cost.sqs + cost.lambda + cost.httpApi, 9);
  });

  it('bills Lambda per started millisecond of the configured memory', () => {
    expect(billedGbSeconds(10.2, 1024)).toBeCloseTo(0.011, 9);
    expect(billedGbSeconds(1000, 512)).toBeCloseTo(0.5, 9);
  });
});

describe('goals', () => {
  const capacity = (writeUnits: number, readUnits: number) =>
    ({ writeUnitsPerLifecycle: writeUnits, readUnitsPerLifecycle: readUnits }) as CapacityResult;
  const base: BenchResults = { startedAt: '', machine: { node: 'v20', cpus: 2, platform: 'linux' } };

  it('judges each figure against its goal and says when a figure is missing', () => {
    const goals = evaluateGoals({
      ...base,
      capacity: capacity(49, 12),
      batch: { missing: 'the batch API answered 500' },
      coldStart: [
        { function: 'http-funds', bundleBytes: 900_000, initMs: 90, helloInitMs: 30, ratioToHello: 3 },
        { function: 'http-batches', bundleBytes: 1_100_000, initMs: undefined, helloInitMs: 30, ratioToHello: undefined, error: 'boom' },
      ],
    });
    const byGoal = Object.fromEntries(goals.map((g) => [g.goal, g]));
    expect(byGoal['≤ 48 write units per lifecycle']!.met).toBe(false);
    expect(byGoal['≤ 12 read units per lifecycle']!.met).toBe(true);
    expect(byGoal['batch ratioToRaw ≥ 0.6']).toMatchObject({ met: undefined, actual: expect.stringContaining('answered 500') });
    expect(byGoal['every bundle ≤ 1 MiB']!.met).toBe(false);
    expect(byGoal['every cold start ratioToHello ≤ 3']).toMatchObject({ met: false, actual: expect.stringContaining('http-batches') });
    expect(byGoal['approvals ratioToStore ≥ 0.6']!.met).toBeUndefined();
  });
});

describe('the cold-start table', () => {
  const base: BenchResults = { startedAt: '', machine: { node: 'v24', cpus: 2, platform: 'linux' } };
  const coldStart = [{ function: 'http-funds', bundleBytes: 900_000, initMs: 90, helloInitMs: 30, ratioToHello: 3 }];

  it("shows the Powertools Tracer's init cost: the same bundle with tracing on and off, and their ratio", () => {
    const text = renderReport({
      ...base,
      coldStart,
      coldStartTracer: {
        function: 'http-disbursements',
        tracingOnInitMs: 121.46,
        tracingOffInitMs: 110.4,
        ratioOnToOff: 1.1002,
        samples: 7,
      },
    });
    expect(text).toMatch(
      /Powertools Tracer at init, http-disbursements: on 121\.5 ms, off 110\.4 ms, ratio on ÷ off 1\.10 \(median of 7 each\)/,
    );
  });

  it('says why the Tracer figure is missing', () => {
    const text = renderReport({
      ...base,
      coldStart,
      coldStartTracer: {
        function: 'http-disbursements',
        tracingOnInitMs: undefined,
        tracingOffInitMs: 110,
        ratioOnToOff: undefined,
        samples: 0,
        error: 'no handler export',
      },
    });
    expect(text).toContain('Powertools Tracer at init, http-disbursements: failed: no handler export');
  });
});
