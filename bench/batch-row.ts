/**
 * What one row of a disbursement batch costs to run, the way a fund pays a million farmers in one cycle
 * (API.md "Disbursement batches"): one batch of `rows` created, approved by as many approvers as it requires,
 * every payout delivered to the finance system's endpoint and settled succeeded, the batch completed and every
 * settled payment rolled up into the allocation. Metered as the single lifecycle is (./capacity.ts, AWS's rule)
 * from the create to the last roll-up, then divided by `rows`. Setup (county, fund, allocation, endpoint) is
 * not counted.
 *
 * The finance system settles `settlers` payouts at a time once every payout is sent. The invocations run in this one
 * process and overlap (the settlers, the delivery pollers): each one's wall time includes the others' work on the
 * same thread, so Lambda GB-s (billed by wall time) come out higher than in Lambda, where each has its own
 * environment; `byInvocation` says where they go. Units, requests and invocations are not affected.
 * A settlement that finds the allocation's turn held waits as a pending roll-up; whatever the settlers leave
 * pending when all is idle is rolled up by one run of the outbox sweeper, counted like any invocation (in AWS it
 * runs every OUTBOX_SWEEP_SECONDS anyway).
 */
import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { invoke } from '#local/invoke';
import { scheduledEvent } from '#local/scheduler';
import { functionNameOf } from '#local/runtime';
import { keys } from '#shared/data/platform/keys';
import { ofBatch, PAYOUT_LIST_SHARDS } from '#shared/data/payouts/items';
import type { Meter } from './meter.ts';
import type { StepProgress } from '../scripts/lib/progress.ts';
import type { BatchRowCapacity } from './report.ts';
import { PRICES } from './pricing.ts';
import { financeSystemToken, LIFECYCLE_AMOUNT, perUnit, storeWatch } from './capacity.ts';
import { benchSetup, beneficiary, expectStatus, roles, type Phase, type Services } from './stack.ts';
import { runConcurrently } from './stats.ts';

/** Settlement callbacks in flight by default: a finance system reporting its bank's results. */
export const SETTLERS = 8;
/** The most rows a batch takes (API.md). */
export const MAX_BATCH_ROWS = 5000;

export async function benchBatchRowCapacity(
  phase: Phase,
  services: Services,
  meter: Meter,
  receiverUrl: string,
  show: StepProgress,
  rows: number,
  settlers = SETTLERS,
): Promise<BatchRowCapacity> {
  const {
    tokens: { requester: requesterToken },
    fundId,
    countyCode,
  } = await benchSetup(phase, { financeReceiverUrl: receiverUrl });
  const financeToken = await financeSystemToken(phase);
  const watch = storeWatch(phase, services);
  const read = async (key: { pk: string; sk: string }) =>
    (await watch.documents.send(new GetCommand({ TableName: phase.tableName, Key: key, ConsistentRead: true }))).Item;
  /** The batch's payout counts, summed over its counter shards (`BAT#<id> / COUNTS#nn`). */
  const counts = async (batchId: string) => {
    const { Items = [] } = await watch.documents.send(
      new QueryCommand({
        TableName: phase.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :counts)',
        ExpressionAttributeValues: { ':pk': keys.batch(batchId).pk, ':counts': 'COUNTS#' },
        ConsistentRead: true,
      }),
    );
    const sum = (name: string) => Items.reduce((total, item) => total + ((item[name] as number | undefined) ?? 0), 0);
    return { sent: sum('sent'), settled: sum('settled'), failed: sum('failed') };
  };
  /** The batch's payout ids, from its listing (gsi3 `BAT#<id>#PAY#n`). */
  const payoutIds = async (batchId: string) => {
    const ids: string[] = [];
    for (let shard = 0; shard < PAYOUT_LIST_SHARDS; shard++) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await watch.documents.send(
          new QueryCommand({
            TableName: phase.tableName,
            IndexName: 'gsi3',
            KeyConditionExpression: 'gsi3pk = :p',
            ExpressionAttributeValues: { ':p': ofBatch(batchId, shard) },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) ids.push((item.pk as string).slice('PAY#'.length));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
    return ids;
  };
  const waitMs = 60_000 + rows * 200;

  try {
    meter.start({ awsRule: true });
    meter.nextRound();
    show.update(`batch of ${rows}: creating`);
    const created = expectStatus(
      await phase.api('POST', '/v1/disbursement-batches', {
        token: requesterToken,
        idempotencyKey: randomUUID(),
        body: {
          fundId,
          countyCode,
          purpose: 'training',
          items: Array.from({ length: rows }, (_, n) => ({ beneficiary: beneficiary(n), amount: LIFECYCLE_AMOUNT })),
        },
      }),
      201,
      'create batch',
    );
    const batchId = created.body.batchId as string;
    if (created.body.flags?.count) throw new Error(`the batch has ${created.body.flags.count} flagged rows; the bench expects none`);
    const requiredApprovals = created.body.requiredApprovals as number;
    for (let n = 0; n < requiredApprovals; n++) {
      show.update(`batch of ${rows}: approval ${n + 1}/${requiredApprovals}`);
      const approver = await phase.token(roles.approver.roles, `${roles.approver.sub}-${n + 1}`);
      expectStatus(
        await phase.api('POST', `/v1/disbursement-batches/${batchId}/approve`, { token: approver, body: {} }),
        200,
        `batch approval ${n + 1}`,
      );
    }
    await watch.until(
      `every payout of the batch sent`,
      async () => {
        const c = await counts(batchId);
        show.update(`batch of ${rows}: ${c.sent} payouts sent`);
        return c.sent === rows;
      },
      waitMs,
    );
    const ids = await payoutIds(batchId);
    if (ids.length !== rows) throw new Error(`the batch lists ${ids.length} payouts, not ${rows}`);
    await runConcurrently(
      ids.map((payoutId, n) => ({ payoutId, n })),
      settlers,
      async ({ payoutId, n }) => {
        expectStatus(
          await phase.api('POST', `/v1/payouts/${payoutId}/settlement`, {
            token: financeToken,
            body: { outcome: 'succeeded', bankReference: `BR-B${n}` },
          }),
          200,
          'settlement',
        );
      },
      (done) => show.update(`batch of ${rows}: ${done} settled`),
    );
    await watch.until('every event finished', () => watch.idle(meter), waitMs);
    const leftPending = await watch.pendingRollUps();
    let sweeps = 0;
    if (leftPending > 0) {
      show.update(`batch of ${rows}: ${leftPending} payments left pending, one sweep`);
      const sweeper = await meter.handlers().schedule('outbox-sweeper');
      await invoke(sweeper, scheduledEvent(functionNameOf('outbox-sweeper-schedule')), {
        functionName: functionNameOf('outbox-sweeper'),
        timeoutMs: 60_000,
      });
      sweeps += 1;
      await watch.until('every event finished after the sweep', () => watch.idle(meter), waitMs);
    }
    const stillPending = await watch.pendingRollUps();
    if (stillPending > 0) throw new Error(`${stillPending} settled payments are still not rolled up`);
    const status = (await read(keys.batch(batchId)))?.status;
    if (status !== 'completed') throw new Error(`the batch is ${String(status)}, not completed`);
    const totals = meter.stop();
    const per = perUnit(totals, rows, 'unit');
    return {
      rows,
      requiredApprovals,
      settlers,
      leftPendingBySettlers: leftPending,
      sweeps,
      perRow: per.usage,
      localWriteUnitsPerRow: per.localWriteUnits,
      localReadUnitsPerRow: per.localReadUnits,
      failedAttemptsPerRow: per.failedAttempts,
      usdPerMillionRows: per.cost.total,
      costPerMillion: per.cost,
      prices: { region: PRICES.region, asOf: PRICES.asOf },
      byOperation: per.byOperation,
      byInvocation: per.byInvocation,
    };
  } finally {
    meter.stop();
    watch.close();
  }
}
