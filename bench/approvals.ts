/**
 * Final approvals through the HTTP API (adapter + JWT authorizer + handler) against a plain script
 * making the same store writes as an approval, with its own SDK clients: the allocation's turn (one consistent
 * read of the turn item, and only when the county's writers meet a conditional update of it, consistent reads while
 * another writer holds it and its give-back at the end), the consistent reads of the disbursement and the
 * allocation, one TransactWriteItems (disbursement update, the allocation's move on its `seq` with its ledger entry
 * and the county report's figures, payout put, audit put, the two event puts) and one SendMessageBatch. Both sides run at the same concurrency on one county, in alternating
 * rounds, on disbursements created beforehand (one approver each). Issue 21 asks both baselines to make the same
 * writes as the product across processes: since the allocation's turn (stop 28) moves of one county take turns in
 * the product, so the script takes the same turn, and the ratio measures what the API adds (adapter, authorizer,
 * validation, the fund's settings, the reads the rules need), not the turn's waits on one side only.
 */
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS, localRegion } from '#local/environment';
import { newId } from '#shared/ids';
import { payoutListKeys } from '#shared/data/payouts/items';
import { queuedPayout } from '#shared/domain/payouts';
import { outboxShard, outboxSortKey } from '#shared/data/platform/events';
import { keys } from '#shared/data/platform/keys';
import { statusIndexKey } from '#shared/data/disbursements/items';
import { packEventData } from '#shared/data/platform/event-body';
import { toPosition } from '#shared/data/ledger/items';
import { ledgerChangeSteps } from '#shared/data/ledger/move';
import { allocationTurnKey, CONTENDED_MS, goesAlone, TURN_BACKOFF, TURN_LEASE_MS } from '#shared/data/ledger/turn';
import { leaseStateOf } from '#shared/data/platform/lease';
import { backoffMs } from '#shared/retry';
import type { Meter } from './meter.ts';
import type { StepProgress } from '../scripts/lib/progress.ts';
import type { ApprovalsResult } from './report.ts';
import { benchSetup, beneficiary, expectStatus, roles, type Phase, type Services } from './stack.ts';
import { median, percentile, perSecond, ratio, runConcurrently } from './stats.ts';

export interface ApprovalsOptions {
  /** Approvals per side per round. */
  perRound: number;
  rounds: number;
  concurrency: number;
}

const AMOUNT = 10_000;

export async function benchApprovals(
  phase: Phase,
  services: Services,
  meter: Meter,
  show: StepProgress,
  options: ApprovalsOptions,
): Promise<ApprovalsResult> {
  const {
    tokens: { requester: requesterToken, approver: approverToken },
    fundId,
    countyCode,
  } = await benchSetup(phase);

  const total = options.perRound * options.rounds * 2;
  const ids: string[] = [];
  await runConcurrently(
    Array.from({ length: total }, (_, n) => n),
    options.concurrency,
    async (n) => {
      const created = expectStatus(
        await phase.api('POST', '/v1/disbursements', {
          token: requesterToken,
          idempotencyKey: randomUUID(),
          body: { fundId, countyCode, amount: AMOUNT, currency: 'CNY', purpose: 'produce-subsidy', beneficiary: beneficiary(n) },
        }),
        201,
        'create disbursement',
      );
      if (created.body.requiredApprovals !== 1) throw new Error('the bench needs single-approval disbursements');
      ids.push(created.body.disbursementId as string);
    },
    (done) => show.update(`created ${done}/${total} disbursements`),
  );
  const apiIds = ids.slice(0, total / 2);
  const storeIds = ids.slice(total / 2);

  const store = rawStore(services, phase.tableName, phase.runtime.queueUrls.delivery);
  const apiLatencies: number[] = [];
  const storeLatencies: number[] = [];
  let apiMs = 0;
  let storeMs = 0;
  const roundRatios: number[] = [];
  let failures = 0;
  let approvalsMetered = 0;
  // Calls only: asking for consumed capacity would make the API side do more than the baseline.
  meter.start({ capacity: false });

  const runApi = async (slice: string[], round: number): Promise<number> => {
    const { durationsMs, wallMs } = await runConcurrently(
      slice,
      options.concurrency,
      async (id) => {
        const response = await phase.api('POST', `/v1/disbursements/${id}/approve`, { token: approverToken, body: {} });
        if (response.status !== 200 || response.body.status !== 'approved') failures++;
      },
      (done) => show.update(`round ${round + 1}/${options.rounds}: API ${done}/${slice.length}`),
    );
    apiLatencies.push(...durationsMs);
    apiMs += wallMs;
    approvalsMetered += slice.length;
    return wallMs;
  };
  const runStore = async (slice: string[], round: number): Promise<number> => {
    const { durationsMs, wallMs } = await runConcurrently(
      slice,
      options.concurrency,
      (id) => store.approve(id, roles.approver.sub),
      (done) => show.update(`round ${round + 1}/${options.rounds}: raw store ${done}/${slice.length}`),
    );
    storeLatencies.push(...durationsMs);
    storeMs += wallMs;
    return wallMs;
  };

  for (let round = 0; round < options.rounds; round++) {
    const apiSlice = apiIds.slice(round * options.perRound, (round + 1) * options.perRound);
    const storeSlice = storeIds.slice(round * options.perRound, (round + 1) * options.perRound);
    // Alternate who goes first, so a slow moment of the machine does not always hit the same side.
    let api: number;
    let raw: number;
    if (round % 2 === 0) {
      api = await runApi(apiSlice, round);
      raw = await runStore(storeSlice, round);
    } else {
      raw = await runStore(storeSlice, round);
      api = await runApi(apiSlice, round);
    }
    // Same count on both sides: the throughput ratio is the inverse ratio of wall times.
    roundRatios.push(raw / api);
  }
  const metered = meter.stop();
  store.destroy();

  const sdkCallsPerApproval: Record<string, number> = {};
  for (const [key, tally] of Object.entries(metered.byOperation)) {
    if (!key.startsWith('POST /v1/disbursements/{disbursementId}/approve ')) continue;
    sdkCallsPerApproval[key.slice(key.lastIndexOf(' ') + 1)] = tally.calls / approvalsMetered;
  }

  const n = options.perRound * options.rounds;
  const apiPerSecond = perSecond(n, apiMs);
  const storePerSecond = perSecond(n, storeMs);
  return {
    perSecond: apiPerSecond,
    p50Ms: percentile(apiLatencies, 50)!,
    p99Ms: percentile(apiLatencies, 99)!,
    concurrency: options.concurrency,
    storeBaselinePerSecond: storePerSecond,
    // The median of back-to-back rounds: a burst of load from elsewhere on the machine hits one round, not the figure.
    ratioToStore: median(roundRatios) ?? ratio(apiPerSecond, storePerSecond),
    roundRatios: roundRatios.map((r) => Math.round(r * 100) / 100),
    approvals: n,
    storeBaselineP50Ms: percentile(storeLatencies, 50)!,
    storeBaselineP99Ms: percentile(storeLatencies, 99)!,
    failures,
    sdkCallsPerApproval,
  };
}

/** The baseline: the approval's store calls from a plain script with its own SDK clients. */
function rawStore(services: Services, tableName: string, deliveryQueueUrl: string) {
  const config = { region: localRegion(), credentials: LOCAL_CREDENTIALS, maxAttempts: 4 };
  const dynamo = new DynamoDBClient({ ...config, endpoint: services.dynamoEndpoint });
  const documents = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const sqs = new SQSClient({ ...config, endpoint: services.sqsEndpoint, useQueueUrlAsEndpoint: false });

  /**
   * The allocation's turn, as the product takes it (ledger/turn.ts): one consistent read, then alone when nobody holds
   * it and the county's writers have not met lately (no write); else take it, or read it until it looks free. A
   * writer that met another (`met`: its lone attempt collided) marks the county contended with its take.
   */
  const takeTurn = async (fundId: string, countyCode: string, owner: string, met: boolean): Promise<boolean> => {
    const Key = allocationTurnKey(fundId, countyCode);
    if (!met) {
      const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key, ConsistentRead: true }));
      const now = new Date();
      if (goesAlone(leaseStateOf(Item, now), now)) return false;
    }
    const giveUpAt = Date.now() + 20_000;
    for (let attempt = 1; ; attempt++) {
      const now = new Date();
      try {
        await documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key,
            UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until, #type = :type, contendedUntil = :contended',
            ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now',
            ExpressionAttributeNames: { '#type': 'type' },
            ExpressionAttributeValues: {
              ':owner': owner,
              ':until': new Date(now.getTime() + TURN_LEASE_MS).toISOString(),
              ':now': now.toISOString(),
              ':type': 'allocation-turn',
              ':contended': new Date(now.getTime() + CONTENDED_MS).toISOString(),
            },
          }),
        );
        return true;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      for (;;) {
        if (Date.now() >= giveUpAt) return false;
        await sleep(backoffMs(TURN_BACKOFF, attempt++));
        const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key, ConsistentRead: true }));
        if (Item?.leaseUntil === undefined || (Item.leaseUntil as string) < new Date().toISOString()) break;
      }
    }
  };
  // Given back as the product does: the holder goes, the item and its mark stay (1 write unit, as a delete).
  const giveTurnBack = (fundId: string, countyCode: string, owner: string) =>
    documents
      .send(
        new UpdateCommand({
          TableName: tableName,
          Key: allocationTurnKey(fundId, countyCode),
          UpdateExpression: 'REMOVE leaseOwner, leaseUntil',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner },
        }),
      )
      .catch((error: unknown) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });

  const approveOnce = async (disbursementId: string, approver: string, met: boolean) => {
    const key = keys.disbursement(disbursementId);
    const { Item: d } = await documents.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
    if (!d || d.status !== 'pending_approval') throw new Error(`raw approval: ${disbursementId} is not pending`);
    const now = new Date();
    const at = now.toISOString();
    const payoutId = newId('payout', now.getTime());
    const approvals = [{ approver, at, comment: null }];
    const entry = { at, actor: approver, action: 'approved', fromStatus: 'pending_approval', toStatus: 'approved' };
    const payout = queuedPayout(
      { payoutId, disbursementId, batchId: null, fundId: d.fundId, countyCode: d.countyCode, amount: d.amount, beneficiary: d.beneficiary },
      at,
    );
    const approvedMessage = newId('message', now.getTime());
    const requestedMessage = newId('message', now.getTime());
    const {
      pk: _pk,
      sk: _sk,
      gsi1pk: _1,
      gsi1sk: _2,
      gsi2pk: _3,
      gsi2sk: _4,
      gsi3pk: _5,
      gsi3sk: _6,
      version: _v,
      type: _t,
      ...publicForm
    } = d;
    const event = (messageId: string, eventType: string, subject: string, data: object) => ({
      Put: {
        TableName: tableName,
        Item: {
          ...keys.event(messageId),
          type: 'event',
          messageId,
          eventType,
          subject,
          timestamp: at,
          data: packEventData(data),
          state: 'pending',
          gsi4pk: outboxShard(messageId),
          gsi4sk: outboxSortKey(now, messageId),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
    const auditId = newId('audit', now.getTime());
    // The turn is looked at (and taken, when writers meet) after reading the disbursement, as the product does.
    const owner = randomUUID();
    const turn = await takeTurn(d.fundId as string, d.countyCode as string, owner, met);
    try {
      const { Item: allocation } = await documents.send(
        new GetCommand({ TableName: tableName, Key: keys.allocation(d.fundId, d.countyCode), ConsistentRead: true }),
      );
      if (!allocation) throw new Error('raw approval: the county has no allocation');
      const money = ledgerChangeSteps({
        position: toPosition(allocation),
        kind: 'reserved',
        amount: d.amount,
        ref: { disbursementId, payoutId },
        actor: approver,
        now,
        // The county report's move rides on the allocation, as the product's approval carries it.
        countyStats: { pendingApprovalCount: -1, pendingApprovalAmount: -d.amount, approvedCount: 1, approvedAmount: d.amount },
      }).steps.map((step) => step.item);
      await documents.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: tableName,
                Key: key,
                UpdateExpression:
                  'SET version = :next, updatedAt = :at, #status = :to, gsi2pk = :gsi2pk, approvals = :approvals, payoutId = :payoutId, history = list_append(history, :entry)',
                ConditionExpression: 'version = :version AND #status = :from',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: {
                  ':version': d.version,
                  ':next': d.version + 1,
                  ':at': at,
                  ':from': 'pending_approval',
                  ':to': 'approved',
                  ':gsi2pk': statusIndexKey('approved', disbursementId),
                  ':approvals': approvals,
                  ':payoutId': payoutId,
                  ':entry': [entry],
                },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            ...money,
            {
              Put: {
                TableName: tableName,
                Item: {
                  ...keys.payout(payoutId),
                  type: 'payout',
                  ...payout,
                  requestedMessageId: requestedMessage,
                  updatedAt: at,
                  ...payoutListKeys(payout),
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: tableName,
                Item: {
                  ...keys.audit(key.pk, auditId),
                  type: 'audit',
                  auditId,
                  entity: key.pk,
                  actor: approver,
                  action: 'disbursement.approved',
                  at,
                  correlationId: randomUUID(),
                  fromStatus: 'pending_approval',
                  toStatus: 'approved',
                  details: { fundId: d.fundId, countyCode: d.countyCode, amount: d.amount, payoutId, approvers: [approver] },
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            event(approvedMessage, 'disbursement.approved', disbursementId, { ...publicForm, status: 'approved', approvals, payoutId }),
            event(requestedMessage, 'payout.requested', payoutId, payout),
          ],
        }),
      );
    } finally {
      if (turn) await giveTurnBack(d.fundId as string, d.countyCode as string, owner);
    }
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: deliveryQueueUrl,
        Entries: [approvedMessage, requestedMessage].map((messageId, n) => ({
          Id: String(n),
          MessageBody: JSON.stringify({ kind: 'event', messageId }),
        })),
      }),
    );
  };

  return {
    /** Retries a transaction that collided with another on the allocation, as the handler does. */
    async approve(disbursementId: string, approver: string) {
      for (let attempt = 1; ; attempt++) {
        try {
          // A collision means another writer met this one: from then on it takes the turn, as the product does.
          return await approveOnce(disbursementId, approver, attempt > 1);
        } catch (error) {
          const conflict =
            (error instanceof TransactionCanceledException &&
              (error.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict' || r.Code === 'ConditionalCheckFailed')) ||
            (error as Error).name === 'TransactionConflictException';
          if (!conflict || attempt >= 6) throw error;
          await sleep(Math.random() * 20 * 2 ** attempt);
        }
      }
    },
    destroy() {
      dynamo.destroy();
      sqs.destroy();
    },
  };
}
