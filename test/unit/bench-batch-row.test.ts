import { describe, expect, it } from 'vitest';
import { perUnit } from '../../bench/capacity.ts';
import type { MeterTotals, OperationTally } from '../../bench/meter.ts';
import { PRICES } from '../../bench/pricing.ts';
import {
  evaluateGoals,
  renderOperations,
  renderReport,
  singleToRow,
  type BatchRowCapacity,
  type BenchResults,
  type CapacityResult,
} from '../../bench/report.ts';

const tally = (calls: number, writeUnits: number, byPartition: Record<string, number>, failedAttempts = 0): OperationTally => ({
  calls,
  writeUnits,
  readUnits: 1,
  indexWriteUnits: 0,
  localWriteUnits: writeUnits / 2,
  localReadUnits: 1,
  failedAttempts,
  byPartition,
});

/** A batch of 4 rows: one create for all of them, a delivery and a settlement each. */
const batchOfFour: MeterTotals = {
  writeUnits: 8 + 40 + 120,
  readUnits: 12,
  localWriteUnits: 84,
  localReadUnits: 12,
  failedAttempts: 2,
  sqsSent: 2,
  sqsPolled: 6,
  lambdaInvocations: 10,
  lambdaGbSeconds: 2,
  httpApiRequests: 5,
  byOperation: {
    'POST /v1/disbursement-batches TransactWriteItems': tally(1, 8, { 'BAT#b': 6, 'IDEM#CLAIM#k': 2 }),
    'webhook-delivery TransactWriteItems': tally(4, 40, { 'PAY#1': 16, 'PAY#2': 16, 'gsi2:PAY#STATUS#sent#3': 8 }),
    'POST /v1/payouts/{payoutId}/settlement TransactWriteItems': tally(4, 120, { 'PAY#1': 60, 'LEDGER#f#3': 60 }, 2),
  },
  byInvocation: { 'webhook-delivery': { calls: 1, ms: 800 }, 'POST /v1/payouts/{payoutId}/settlement': { calls: 4, ms: 2000 } },
  roundsByPartition: {},
};

describe('capacity per unit (a lifecycle or a batch row)', () => {
  it('divides every total by the rows, and prices the result per million', () => {
    const per = perUnit(batchOfFour, 4, 'unit');
    expect(per.usage).toEqual({
      writeUnits: 42,
      readUnits: 3,
      sqsRequests: 2,
      lambdaInvocations: 2.5,
      lambdaGbSeconds: 0.5,
      httpApiRequests: 1.25,
    });
    expect(per.localWriteUnits).toBe(21);
    expect(per.failedAttempts).toBe(0.5);
    expect(per.cost.dynamodb).toBeCloseTo(42 * PRICES.dynamoWriteRequestUnitPerMillion + 3 * PRICES.dynamoReadRequestUnitPerMillion, 9);
    expect(per.cost.total).toBeCloseTo(per.cost.dynamodb + per.cost.sqs + per.cost.lambda + per.cost.httpApi, 9);
  });

  it('lists operations costliest first, each per row', () => {
    const per = perUnit(batchOfFour, 4, 'unit');
    expect(Object.keys(per.byOperation)).toEqual([
      'POST /v1/payouts/{payoutId}/settlement TransactWriteItems',
      'webhook-delivery TransactWriteItems',
      'POST /v1/disbursement-batches TransactWriteItems',
    ]);
    expect(per.byOperation['POST /v1/disbursement-batches TransactWriteItems']).toMatchObject({ calls: 0.25, writeUnits: 2 });
    expect(per.byOperation['POST /v1/payouts/{payoutId}/settlement TransactWriteItems']!.failedAttempts).toBe(0.5);
  });

  it('gives the invocations and their wall seconds per row, longest first', () => {
    expect(perUnit(batchOfFour, 4, 'unit').byInvocation).toEqual({
      'POST /v1/payouts/{payoutId}/settlement': { calls: 1, seconds: 0.5 },
      'webhook-delivery': { calls: 0.25, seconds: 0.2 },
    });
    expect(Object.keys(perUnit(batchOfFour, 4, 'unit').byInvocation)[0]).toBe('POST /v1/payouts/{payoutId}/settlement');
  });

  it("spreads a batch's one create over its rows by key, where the single lifecycle's table is per call", () => {
    const byRow = perUnit(batchOfFour, 4, 'unit').byOperation;
    const byCall = perUnit(batchOfFour, 4, 'call').byOperation;
    const create = 'POST /v1/disbursement-batches TransactWriteItems';
    expect(byRow[create]!.writeUnitsByKey).toEqual({ 'BAT#…': 1.5, 'IDEM#CLAIM#…': 0.5 });
    expect(byCall[create]!.writeUnitsByKey).toEqual({ 'BAT#…': 6, 'IDEM#CLAIM#…': 2 });
    // One call a row: per call and per row agree.
    const delivery = 'webhook-delivery TransactWriteItems';
    expect(byRow[delivery]!.writeUnitsByKey).toEqual({ 'PAY#…': 8, 'gsi2:PAY#STATUS#…#…': 2 });
    expect(byCall[delivery]!.writeUnitsByKey).toEqual(byRow[delivery]!.writeUnitsByKey);
  });
});

const single = {
  perLifecycle: { writeUnits: 91, readUnits: 16, sqsRequests: 3, lambdaInvocations: 4, lambdaGbSeconds: 0.3, httpApiRequests: 3 },
  usdPerMillionDisbursements: 69,
  costPerMillion: { dynamodb: 59, sqs: 1.2, lambda: 5.8, lambdaCompute: 5, httpApi: 3, total: 69 },
} as CapacityResult;

const row = (writeUnits: number, readUnits: number, usd: number): BatchRowCapacity => {
  const perRow = { writeUnits, readUnits, sqsRequests: 0.5, lambdaInvocations: 1.2, lambdaGbSeconds: 0.2, httpApiRequests: 1.1 };
  return {
    rows: 200,
    requiredApprovals: 1,
    settlers: 8,
    leftPendingBySettlers: 0,
    sweeps: 0,
    perRow,
    localWriteUnitsPerRow: writeUnits / 2,
    localReadUnitsPerRow: readUnits,
    failedAttemptsPerRow: 1.5,
    usdPerMillionRows: usd,
    costPerMillion: { dynamodb: usd - 3, sqs: 1, lambda: 1, lambdaCompute: 0.5, httpApi: 1, total: usd },
    prices: { region: PRICES.region, asOf: PRICES.asOf },
    byOperation: {
      'webhook-delivery TransactWriteItems': {
        calls: 1,
        writeUnits: 13,
        readUnits: 0,
        indexWriteUnits: 5,
        localWriteUnits: 11,
        failedAttempts: 0,
        writeUnitsByKey: { 'PAY#…': 4, 'BAT#…': 2 },
      },
    },
  };
};

describe('single lifecycle ÷ batch row', () => {
  it('says how many times a row is cheaper, in write units, read units and USD', () => {
    // Without GB-s: (69 − 5) ÷ (34.5 − 0.5) = 64 ÷ 34.
    expect(singleToRow(single, row(45.5, 8, 34.5))).toEqual({
      writeUnits: 2,
      readUnits: 2,
      usdPerMillion: 2,
      usdPerMillionWithoutCompute: 64 / 34,
    });
  });

  it('gives no ratio over a row that cost nothing', () => {
    expect(singleToRow(single, row(0, 8, 34.5)).writeUnits).toBeUndefined();
  });
});

describe('the batch row in the report', () => {
  const base: BenchResults = { startedAt: '', machine: { node: 'v24', cpus: 2, platform: 'linux' } };

  it('prints the per-row figures, single ÷ row and the table by operation, per row', () => {
    const r = row(45.5, 8, 34.5);
    const text = renderReport({ ...base, capacityBatchRow: { ...r, singleToRow: singleToRow(single, r) } });
    expect(text).toContain('Capacity per batch row');
    expect(text).toMatch(/write units \(AWS rule\)\s+45\.50/);
    expect(text).toMatch(/single ÷ row\s+write units 2\.00\s+read units 2\.00\s+USD 2\.00, without Lambda GB-s 1\.88/);
    expect(text).toContain('Write units per row by operation');
    expect(text).toMatch(/webhook-delivery TransactWriteItems\s+1\.000\s+13\.0\s+11\.0\s+0\.000\s+PAY#… 4\.00, BAT#… 2\.00/);
  });

  it("shows a 5,000-row batch's one create as a call a row it is, not as none", () => {
    const create = { calls: 1 / 5000, writeUnits: 0.02, readUnits: 0, indexWriteUnits: 0, localWriteUnits: 0.01, failedAttempts: 0 };
    expect(renderOperations({ 'POST /v1/disbursement-batches TransactWriteItems': create }, 'row').join('\n')).toMatch(
      /TransactWriteItems\s+0\.00020\s+0\.0/,
    );
  });

  it('says why the figure is missing, and adds no goal for it', () => {
    const text = renderReport({ ...base, capacityBatchRow: { missing: 'the batch was not completed' } });
    expect(text).toContain('missing: the batch was not completed');
  });

  it('is a figure beside the goals, not a goal of its own', () => {
    const r = row(45.5, 8, 34.5);
    expect(evaluateGoals({ ...base, capacityBatchRow: r })).toEqual(evaluateGoals(base));
  });
});
