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
import type { Meter } from './meter.ts';
import { partitionShape, type UnitsByPartition } from './aws-capacity.ts';
import { PRICES, usdPerMillion, type LifecycleUsage } from './pricing.ts';
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
  const financeToken = await phase.runtime.mintToken({ roles: [roles.finance.roles], sub: roles.finance.sub, machine: true });

  // The bench's own eyes on the store and queue: plain clients, not metered.
  const config = { region: localRegion(), credentials: LOCAL_CREDENTIALS };
  const dynamo = new DynamoDBClient({ ...config, endpoint: services.dynamoEndpoint });
  const documents = DynamoDBDocumentClient.from(dynamo);
  const sqs = new SQSClient({ ...config, endpoint: services.sqsEndpoint, useQueueUrlAsEndpoint: false });
  const payoutStatus = async (payoutId: string) =>
    (await documents.send(new GetCommand({ TableName: phase.tableName, Key: keys.payout(payoutId), ConsistentRead: true }))).Item?.status;
  /** Unfinished events stay in the sharded outbox index (gsi4pk OUTBOX#n); finished ones leave it. */
  const unfinishedEvents = async () => {
    let count = 0;
    for (let shard = 0; shard < OUTBOX_SHARDS; shard++) {
      const page = await documents.send(
        new QueryCommand({
          TableName: phase.tableName,
          IndexName: 'gsi4',
          KeyConditionExpression: 'gsi4pk = :s',
          ExpressionAttributeValues: { ':s': indexKeys.outbox(shard) },
          Select: 'COUNT',
        }),
      );
      count += page.Count ?? 0;
    }
    return count;
  };
  const queueIdle = async () => {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: phase.runtime.queueUrls.delivery,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      }),
    );
    return Object.values(Attributes).every((v) => v === '0');
  };
  const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`capacity run: ${what} did not happen within ${timeoutMs / 1000} s`);
      await sleep(50);
    }
  };

  try {
    meter.start({ awsRule: true });
    for (let n = 0; n < lifecycles; n++) {
      show.update(`lifecycle ${n + 1}/${lifecycles}`);
      meter.nextRound();
      const created = expectStatus(
        await phase.api('POST', '/v1/disbursements', {
          token: requesterToken,
          idempotencyKey: randomUUID(),
          body: { fundId, countyCode, amount: 250_000, currency: 'CNY', purpose: 'training', beneficiary: beneficiary(n) },
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
      await until('payout sent', async () => (await payoutStatus(payoutId)) === 'sent');
      expectStatus(
        await phase.api('POST', `/v1/payouts/${payoutId}/settlement`, {
          token: financeToken,
          body: { outcome: 'succeeded', bankReference: `BR-${n}` },
        }),
        200,
        'settlement',
      );
      await until('every event finished', async () => (await unfinishedEvents()) === 0 && (await queueIdle()) && meter.running === 0);
    }
    const totals = meter.stop();
    const per = (v: number) => v / lifecycles;
    const perLifecycle: LifecycleUsage = {
      writeUnits: per(totals.writeUnits),
      readUnits: per(totals.readUnits),
      sqsRequests: per(totals.sqsSent + totals.sqsPolled),
      lambdaInvocations: per(totals.lambdaInvocations),
      lambdaGbSeconds: per(totals.lambdaGbSeconds),
      httpApiRequests: per(totals.httpApiRequests),
    };
    const cost = usdPerMillion(perLifecycle);
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
            writeUnitsByKey: unitsByShape(t.byPartition, t.calls),
          },
        ]),
    );
    const partitions = busiestPartitions(
      Object.values(totals.byOperation).map((t) => t.byPartition),
      totals.roundsByPartition,
      lifecycles,
    );
    return {
      writeUnitsPerLifecycle: perLifecycle.writeUnits,
      readUnitsPerLifecycle: perLifecycle.readUnits,
      localWriteUnitsPerLifecycle: per(totals.localWriteUnits),
      localReadUnitsPerLifecycle: per(totals.localReadUnits),
      failedAttemptsPerLifecycle: per(totals.failedAttempts),
      partitions,
      usdPerMillionDisbursements: cost.total,
      lifecycles,
      perLifecycle,
      costPerMillion: cost,
      prices: { region: PRICES.region, asOf: PRICES.asOf },
      byOperation,
    };
  } finally {
    meter.stop();
    dynamo.destroy();
    sqs.destroy();
  }
}

/** Write units per call on each partition key shape (`LEDGER#…`), largest first. */
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
