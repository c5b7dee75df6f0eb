/**
 * What one disbursement costs to run: create → approve → deliver (`payout.requested` to the finance
 * system's endpoint, acknowledged) → settle, one lifecycle at a time, on a runtime whose handlers are
 * metered (./meter.ts). Setup (county, fund, allocation, endpoint) is not counted; each lifecycle is
 * counted until its last event is finished and no invocation is running.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS, localRegion } from '#local/environment';
import { OUTBOX_SHARDS } from '#shared/data/platform/events';
import { indexKeys, keys } from '#shared/data/platform/keys';
import { rollUpIndex, ROLLUP_SHARDS } from '#shared/data/ledger/items';
import type { Meter, MeterTotals } from './meter.ts';
import { partitionShape, type UnitsByPartition } from './aws-capacity.ts';
import { PRICES, usdPerMillion, type CostBreakdown, type LifecycleUsage } from './pricing.ts';
import type { StepProgress } from '../scripts/lib/progress.ts';
import type { CapacityResult, PartitionLoad } from './report.ts';
import { benchSetup, beneficiary, expectStatus, roles, type Phase, type Services } from './stack.ts';

export async function benchCapacity(
  phase: Phase,
  services: Services,
  meter: Meter,
  receiverUrl: string,
  show: StepProgress,
  lifecycles: number,
): Promise<CapacityResult> {
  const {
    tokens: { requester: requesterToken, approver: approverToken },
    fundId,
    countyCode,
  } = await benchSetup(phase, { financeReceiverUrl: receiverUrl });
  const financeToken = await financeSystemToken(phase);
  const watch = storeWatch(phase, services);
  const payoutStatus = async (payoutId: string) =>
    (await watch.documents.send(new GetCommand({ TableName: phase.tableName, Key: keys.payout(payoutId), ConsistentRead: true }))).Item
      ?.status;

  try {
    meter.start({ awsRule: true });
    for (let n = 0; n < lifecycles; n++) {
      show.update(`lifecycle ${n + 1}/${lifecycles}`);
      meter.nextRound();
      const created = expectStatus(
        await phase.api('POST', '/v1/disbursements', {
          token: requesterToken,
          idempotencyKey: randomUUID(),
          body: { fundId, countyCode, amount: LIFECYCLE_AMOUNT, currency: 'CNY', purpose: 'training', beneficiary: beneficiary(n) },
        }),
        201,
        'create disbursement',
      );
      const approved = expectStatus(
        await phase.api('POST', `/v1/disbursements/${created.body.disbursementId}/approve`, { token: approverToken, body: {} }),
        200,
        'approve',
      );
      const payoutId = approved.body.payoutId as string;
      await watch.until('payout sent', async () => (await payoutStatus(payoutId)) === 'sent');
      expectStatus(
        await phase.api('POST', `/v1/payouts/${payoutId}/settlement`, {
          token: financeToken,
          body: { outcome: 'succeeded', bankReference: `BR-${n}` },
        }),
        200,
        'settlement',
      );
      await watch.until('every event finished', () => watch.idle(meter));
    }
    const totals = meter.stop();
    const per = perUnit(totals, lifecycles, 'call');
    const partitions = busiestPartitions(
      Object.values(totals.byOperation).map((t) => t.byPartition),
      totals.roundsByPartition,
      lifecycles,
    );
    return {
      writeUnitsPerLifecycle: per.usage.writeUnits,
      readUnitsPerLifecycle: per.usage.readUnits,
      localWriteUnitsPerLifecycle: per.localWriteUnits,
      localReadUnitsPerLifecycle: per.localReadUnits,
      failedAttemptsPerLifecycle: per.failedAttempts,
      partitions,
      usdPerMillionDisbursements: per.cost.total,
      lifecycles,
      perLifecycle: per.usage,
      costPerMillion: per.cost,
      prices: { region: PRICES.region, asOf: PRICES.asOf },
      byOperation: per.byOperation,
    };
  } finally {
    meter.stop();
    watch.close();
  }
}

/** What a single lifecycle pays out, and what each row of the batch-row lifecycle pays (./batch-row.ts): 2,500 yuan. */
export const LIFECYCLE_AMOUNT = 250_000;

/** The fund's finance system, as a machine client (it settles payouts). */
export const financeSystemToken = (phase: Phase) =>
  phase.runtime.mintToken({ roles: [roles.finance.roles], sub: roles.finance.sub, machine: true });

/** The bench's own eyes on a phase's store and queues: plain clients, not metered. */
export function storeWatch(phase: Phase, services: Services) {
  const config = { region: localRegion(), credentials: LOCAL_CREDENTIALS };
  const dynamo = new DynamoDBClient({ ...config, endpoint: services.dynamoEndpoint });
  const documents = DynamoDBDocumentClient.from(dynamo);
  const sqs = new SQSClient({ ...config, endpoint: services.sqsEndpoint, useQueueUrlAsEndpoint: false });
  /** Items in some shards of a sparse index partition (gsi4 holds keys only). */
  const countIn = async (partitions: string[]) => {
    let count = 0;
    for (const partition of partitions) {
      const page = await documents.send(
        new QueryCommand({
          TableName: phase.tableName,
          IndexName: 'gsi4',
          KeyConditionExpression: 'gsi4pk = :s',
          ExpressionAttributeValues: { ':s': partition },
          Select: 'COUNT',
        }),
      );
      count += page.Count ?? 0;
    }
    return count;
  };
  /** Unfinished events stay in the sharded outbox index (gsi4pk OUTBOX#n); finished ones leave it. */
  const unfinishedEvents = () => countIn(Array.from({ length: OUTBOX_SHARDS }, (_, n) => indexKeys.outbox(n)));
  /** Settled payments not rolled up into their allocation yet (gsi4pk ROLLUPS#n). */
  const pendingRollUps = () => countIn(Array.from({ length: ROLLUP_SHARDS }, (_, n) => rollUpIndex(n)));
  /** Nothing waiting, in flight or delayed on any of the phase's queues. */
  const queuesIdle = async () => {
    for (const QueueUrl of Object.values(phase.runtime.queueUrls)) {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
        }),
      );
      if (!Object.values(Attributes).every((v) => v === '0')) return false;
    }
    return true;
  };
  const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`capacity run: ${what} did not happen within ${timeoutMs / 1000} s`);
      await sleep(50);
    }
  };
  return {
    documents,
    unfinishedEvents,
    pendingRollUps,
    until,
    /** Every event finished, the queues empty and no invocation running. */
    idle: async (meter: Meter) => (await unfinishedEvents()) === 0 && (await queuesIdle()) && meter.running === 0,
    close: () => {
      dynamo.destroy();
      sqs.destroy();
    },
  };
}

/** What a capacity run used, divided over the lifecycles (or batch rows) it counted. */
export interface PerUnit {
  usage: LifecycleUsage;
  cost: CostBreakdown;
  localWriteUnits: number;
  localReadUnits: number;
  failedAttempts: number;
  byOperation: CapacityResult['byOperation'];
  /** Invocations and their wall seconds (billed as GB-s at 1 GB), by invocation label, longest first. */
  byInvocation: Record<string, { calls: number; seconds: number }>;
}

/**
 * The meter's totals over `units` lifecycles or rows, each divided by `units`, priced per million; operations
 * costliest first. An operation's write units by key are per call (`keysPer: 'call'`, the single lifecycle's
 * table: one create, one approval…) or per unit (`'unit'`: one batch's create is spread over its rows).
 */
export function perUnit(totals: MeterTotals, units: number, keysPer: 'call' | 'unit'): PerUnit {
  const per = (v: number) => v / units;
  const usage: LifecycleUsage = {
    writeUnits: per(totals.writeUnits),
    readUnits: per(totals.readUnits),
    sqsRequests: per(totals.sqsSent + totals.sqsPolled),
    lambdaInvocations: per(totals.lambdaInvocations),
    lambdaGbSeconds: per(totals.lambdaGbSeconds),
    httpApiRequests: per(totals.httpApiRequests),
  };
  const byOperation = Object.fromEntries(
    Object.entries(totals.byOperation)
      .sort(([, a], [, b]) => b.writeUnits + b.readUnits - (a.writeUnits + a.readUnits))
      .map(([key, t]) => [
        key,
        {
          calls: per(t.calls),
          writeUnits: per(t.writeUnits),
          readUnits: per(t.readUnits),
          indexWriteUnits: per(t.indexWriteUnits),
          localWriteUnits: per(t.localWriteUnits),
          failedAttempts: per(t.failedAttempts),
          writeUnitsByKey: unitsByShape(t.byPartition, keysPer === 'call' ? t.calls : units),
        },
      ]),
  );
  return {
    usage,
    cost: usdPerMillion(usage),
    localWriteUnits: per(totals.localWriteUnits),
    localReadUnits: per(totals.localReadUnits),
    failedAttempts: per(totals.failedAttempts),
    byOperation,
    byInvocation: Object.fromEntries(
      Object.entries(totals.byInvocation)
        .sort(([, a], [, b]) => b.ms - a.ms)
        .map(([label, t]) => [label, { calls: per(t.calls), seconds: per(t.ms) / 1000 }]),
    ),
  };
}

/** Write units per call (or per unit, given their count) on each partition key shape (`LEDGER#…`), largest first. */
export function unitsByShape(byPartition: UnitsByPartition, calls: number): Record<string, number> {
  const shapes: Record<string, number> = {};
  for (const [key, units] of Object.entries(byPartition)) shapes[partitionShape(key)] = (shapes[partitionShape(key)] ?? 0) + units;
  return Object.fromEntries(
    Object.entries(shapes)
      .sort(([, a], [, b]) => b - a)
      .map(([shape, units]) => [shape, units / calls]),
  );
}

/**
 * Each partition key shape's busiest single key over the run, per lifecycle. A key more than one lifecycle
 * wrote (the fund's ledger, the county's stats, a shard) is `shared`: its rate grows with the throughput of
 * what shares it. A key of one entity (a disbursement, a payout) is not: each lifecycle writes its own.
 */
export function busiestPartitions(tallies: UnitsByPartition[], rounds: Record<string, number>, lifecycles: number): PartitionLoad[] {
  const byKey: UnitsByPartition = {};
  for (const tally of tallies) for (const [key, units] of Object.entries(tally)) byKey[key] = (byKey[key] ?? 0) + units;
  const shapes = new Map<string, { busiest: number; rounds: number; keys: number }>();
  for (const [key, units] of Object.entries(byKey)) {
    const shape = partitionShape(key);
    const entry = shapes.get(shape) ?? { busiest: 0, rounds: 0, keys: 0 };
    const busier = units > entry.busiest;
    shapes.set(shape, {
      busiest: busier ? units : entry.busiest,
      rounds: busier ? (rounds[key] ?? 1) : entry.rounds,
      keys: entry.keys + 1,
    });
  }
  return [...shapes.entries()]
    .map(([shape, { busiest, rounds: written, keys }]) =>
      written > 1
        ? { shape, unitsPerLifecycle: busiest / lifecycles, keys, shared: true }
        : { shape, unitsPerLifecycle: busiest, keys, shared: false },
    )
    .sort((a, b) => Number(b.shared) - Number(a.shared) || b.unitsPerLifecycle - a.unitsPerLifecycle);
}
