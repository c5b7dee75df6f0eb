/**
 * A 5,000-item batch from its approval to every `payout.requested` acknowledged by the finance
 * system's receiver (the batch's payouts all `sent`), against a plain script doing the same raw work:
 * the payout and event items written, one queue round trip per payout (send, receive, delete), one
 * signed POST per payout to a receiver, and the writes that record each delivery (the event claimed,
 * then the payout `sent`, its audit entry, the batch's counter, the event released and the delivery
 * log line). The same script without the delivery writes is measured too, for the profile.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS, localRegion } from '#local/environment';
import { ensureQueue } from '#local/resources';
import { ulid } from 'ulid';
import { newId } from '#shared/ids';
import { payoutListKeys } from '#shared/data/payouts/items';
import { queuedPayout } from '#shared/domain/payouts';
import { outboxShard, outboxSortKey } from '#shared/data/platform/events';
import { keys } from '#shared/data/platform/keys';
import { deliveryLineKey } from '#shared/data/webhook-endpoints/items';
import { counterKey } from '#shared/data/batches/counters';
import { COUNTER_SHARDS } from '#shared/domain/batches';
import { packEventData } from '#shared/data/platform/event-body';
import { QUEUES } from '#shared/queues';
import { startReceiver } from '#test/support/receiver';
import type { Meter, MeterTotals } from './meter.ts';
import type { StepProgress } from '../scripts/lib/progress.ts';
import type { BatchResult, ScreeningResult } from './report.ts';
import { benchSetup, beneficiary, type Phase, type Services } from './stack.ts';
import { perSecond, ratio } from './stats.ts';

const AMOUNT = 10_000;

export interface BatchOptions {
  items: number;
  timeoutSeconds: number;
}

/** Measures the raw baseline, then the API; a missing or failing batch API is reported, not thrown. */
export async function benchBatch(
  phase: Phase,
  services: Services,
  meter: Meter,
  receiverUrl: string,
  receivedCount: () => number,
  show: StepProgress,
  options: BatchOptions,
): Promise<BatchResult> {
  show.update('raw baseline');
  const raw = await rawBatch(services, phase.tableName, options.items, show, { deliveryWrites: true });
  const rawPerSecond = perSecond(options.items, raw.ms);
  const bare = await rawBatch(services, phase.tableName, options.items, show, { deliveryWrites: false });
  const base = {
    items: options.items,
    rawPerSecond,
    rawSeconds: raw.ms / 1000,
    rawWithoutDeliveryWritesPerSecond: perSecond(options.items, bare.ms),
  };
  const missing = (reason: string, extra: Partial<BatchResult> = {}): BatchResult => ({
    ...base,
    secondsToAllSent: undefined,
    payoutsPerSecond: undefined,
    ratioToRaw: undefined,
    missing: reason,
    ...extra,
  });

  const {
    tokens: { requester: requesterToken, approver: approverToken },
    fundId,
    countyCode,
  } = await benchSetup(phase, { financeReceiverUrl: receiverUrl });

  show.update(`creating a batch of ${options.items}`);
  const items = Array.from({ length: options.items }, (_, n) => ({ beneficiary: beneficiary(n), amount: AMOUNT }));
  const createBatch = async () => {
    meter.start({ capacity: true });
    const startedAt = performance.now();
    const reply = await phase.api('POST', '/v1/disbursement-batches', {
      token: requesterToken,
      idempotencyKey: randomUUID(),
      body: { fundId, countyCode, purpose: 'produce-subsidy', items },
    });
    return { reply, ms: performance.now() - startedAt, units: meter.stop() };
  };
  // The baseline: accounts the fund never paid (screening reads one LATEST item per account and finds nothing).
  const first = await createBatch();
  const created = first.reply;
  if (created.status !== 201) return missing(`POST /v1/disbursement-batches answered ${created.status}${problemOf(created.body)}`);
  const batchId = created.body.batchId as string;
  if (created.body.requiredApprovals !== 1)
    return missing(`the batch needs ${created.body.requiredApprovals} approvals; the bench gives one`);
  if (created.body.flags?.count !== 0)
    return missing(`the first batch has ${created.body.flags?.count} flagged rows; the bench expects none`);
  // The same accounts again: every row matches the pending batch above (one Query per account, then its status).
  show.update(`screening a second batch of ${options.items} paying the same accounts`);
  const repeat = await createBatch();
  if (repeat.reply.status !== 201) return missing(`the repeated batch answered ${repeat.reply.status}${problemOf(repeat.reply.body)}`);
  const screening = screeningFigure(options.items, first, repeat);

  const receivedBefore = receivedCount();
  // Calls only (no capacity asked): which SDK calls each payout costs on its way, for the profile.
  meter.start({ capacity: false });
  const started = performance.now();
  const approved = await phase.api('POST', `/v1/disbursement-batches/${batchId}/approve`, { token: approverToken, body: {} });
  if (approved.status !== 200)
    return missing(`POST /v1/disbursement-batches/{id}/approve answered ${approved.status}${problemOf(approved.body)}`);

  const deadline = started + options.timeoutSeconds * 1000;
  let sent = 0;
  for (;;) {
    const batch = await phase.api('GET', `/v1/disbursement-batches/${batchId}`, { token: approverToken });
    if (batch.status !== 200) return missing(`GET /v1/disbursement-batches/{id} answered ${batch.status}${problemOf(batch.body)}`);
    const counts = batch.body.counts ?? {};
    // A payout the receiver acknowledged is `sent` (or later, if anything settled it meanwhile).
    sent = (counts.sent ?? 0) + (counts.settled ?? 0) + (counts.failed ?? 0);
    show.update(
      `API: ${sent}/${options.items} payouts sent, ${receivedCount() - receivedBefore} webhooks received, batch ${batch.body.status}`,
    );
    if (sent >= options.items) break;
    if (performance.now() > deadline) {
      meter.stop();
      return missing(`only ${sent} of ${options.items} payouts were sent within ${options.timeoutSeconds} s`, { sent });
    }
    await sleep(250);
  }
  const ms = performance.now() - started;
  const calls = meter.stop();
  const sdkCallsPerPayout = Object.fromEntries(
    Object.entries(calls.byOperation)
      .filter(([key]) => !key.startsWith('GET '))
      .map(([key, t]) => [key, Math.round((t.calls / options.items) * 100) / 100]),
  );
  const invocations = { lambdaInvocations: calls.lambdaInvocations, sqsRequests: calls.sqsSent + calls.sqsPolled };
  const payoutsPerSecond = perSecond(options.items, ms);
  return {
    ...base,
    secondsToAllSent: ms / 1000,
    payoutsPerSecond,
    ratioToRaw: ratio(payoutsPerSecond, rawPerSecond),
    sent,
    sdkCallsPerPayout,
    ...invocations,
    screening,
  };
}

type Creation = { reply: { body: { flags?: { count?: number } } }; ms: number; units: MeterTotals };

/** Read units by SDK command (BatchGetItem of LATEST items, Query of uses, …) of one creation. */
function readUnitsByCommand(units: MeterTotals): Record<string, number> {
  const byCommand: Record<string, number> = {};
  for (const [key, t] of Object.entries(units.byOperation)) {
    if (t.readUnits === 0) continue;
    const command = key.split(' ').at(-1)!;
    byCommand[command] = Math.round(((byCommand[command] ?? 0) + t.readUnits) * 10) / 10;
  }
  return byCommand;
}

/** Creation of a batch whose every row matches, against the creation of one without matches, in the same run. */
function screeningFigure(items: number, baseline: Creation, matched: Creation): ScreeningResult {
  return {
    items,
    flaggedRows: matched.reply.body.flags?.count ?? 0,
    baselineSeconds: baseline.ms / 1000,
    baselineReadUnits: baseline.units.readUnits,
    baselineWriteUnits: baseline.units.writeUnits,
    matchedSeconds: matched.ms / 1000,
    matchedReadUnits: matched.units.readUnits,
    matchedWriteUnits: matched.units.writeUnits,
    timeRatio: ratio(matched.ms, baseline.ms),
    readUnitsRatio: ratio(matched.units.readUnits, baseline.units.readUnits),
    baselineReadUnitsByCommand: readUnitsByCommand(baseline.units),
    matchedReadUnitsByCommand: readUnitsByCommand(matched.units),
  };
}

function problemOf(body: unknown): string {
  if (body && typeof body === 'object' && 'code' in body) return ` ${String(body.code)}`;
  return '';
}

/**
 * The raw work of a batch at the pipeline's own concurrency: producers write payouts with their events
 * (BatchWriteItem) and queue them (SendMessageBatch); consumers receive ten at a time and, for each,
 * claim the event (conditional UpdateItem), POST it signed to a receiver and record the delivery (one
 * TransactWriteItems: payout `sent`, audit entry, batch counter, event released, delivery log line),
 * then delete the ten. `deliveryWrites: false` leaves out the claim and the record.
 */
async function rawBatch(
  services: Services,
  tableName: string,
  items: number,
  show: StepProgress,
  options: { deliveryWrites: boolean },
): Promise<{ ms: number }> {
  const label = options.deliveryWrites ? 'raw baseline' : 'raw baseline without delivery writes';
  const config = { region: localRegion(), credentials: LOCAL_CREDENTIALS, maxAttempts: 4 };
  const dynamo = new DynamoDBClient({ ...config, endpoint: services.dynamoEndpoint });
  const documents = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const sqs = new SQSClient({ ...config, endpoint: services.sqsEndpoint, useQueueUrlAsEndpoint: false });
  const queue = await ensureQueue(sqs, {
    name: `bench-raw-batch-${randomBytes(3).toString('hex')}`,
    visibilityTimeoutSeconds: 60,
    maxReceiveCount: 5,
  });
  const receiver = await startReceiver();
  const secret = randomBytes(32);
  const batchId = newId('batch');
  const endpointId = newId('webhookEndpoint');
  let posted = 0;

  /** What the worker writes around one POST: the claim before, the record after. */
  const claim = (messageId: string, owner: string, at: string) =>
    documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.event(messageId),
        UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until',
        ConditionExpression: 'attribute_exists(pk) AND #state = :pending AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':owner': owner,
          ':until': new Date(Date.now() + 60_000).toISOString(),
          ':pending': 'pending',
          ':now': at,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
  // The delivery log line first, on its own (as the product writes it), then the payout's move with the event's release.
  const record = async (messageId: string, payoutId: string, owner: string, n: number, at: string, status: number, durationMs: number) => {
    await documents.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...deliveryLineKey(endpointId, messageId, ulid()),
          type: 'webhook-delivery',
          endpointId,
          messageId,
          eventType: 'payout.requested',
          attempt: 1,
          outcome: 'succeeded',
          responseStatus: status,
          error: null,
          durationMs,
          at,
          expiresAt: Math.floor(Date.now() / 1000) + 86_400,
        },
      }),
    );
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName,
              Key: keys.payout(payoutId),
              UpdateExpression: 'SET #status = :to, updatedAt = :at, gsi2pk = :gsi2pk, sentAt = :at, attempts = :attempts',
              ConditionExpression: '#status = :from',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':from': 'queued',
                ':to': 'sent',
                ':at': at,
                ':gsi2pk': payoutListKeys({ payoutId, status: 'sent', batchId, createdAt: at }).gsi2pk,
                ':attempts': 1,
              },
            },
          },
          {
            Put: {
              TableName: tableName,
              Item: {
                ...keys.audit(keys.payout(payoutId).pk, newId('audit')),
                type: 'audit',
                entity: keys.payout(payoutId).pk,
                actor: 'raw-worker',
                action: 'payout.sent',
                at,
                fromStatus: 'queued',
                toStatus: 'sent',
                details: { amount: AMOUNT, disbursementId: null, batchId },
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName: tableName,
              Key: counterKey(batchId, n % COUNTER_SHARDS),
              UpdateExpression: 'SET #type = :type ADD #queued :minus, #sent :one',
              ExpressionAttributeNames: { '#type': 'type', '#queued': 'queued', '#sent': 'sent' },
              ExpressionAttributeValues: { ':type': 'batch-counts', ':minus': -1, ':one': 1 },
            },
          },
          {
            Update: {
              TableName: tableName,
              Key: keys.event(messageId),
              UpdateExpression:
                'SET deliveries = :deliveries, #state = :status, updatedAt = :at, finishedAt = :at REMOVE leaseOwner, leaseUntil, gsi4pk, gsi4sk',
              ConditionExpression: 'leaseOwner = :owner',
              ExpressionAttributeNames: { '#state': 'state' },
              ExpressionAttributeValues: {
                ':deliveries': { [endpointId]: { acknowledged: true, attempts: 0, totalAttempts: 1, round: 0, nextAttemptAt: null } },
                ':status': 'delivered',
                ':at': at,
                ':owner': owner,
              },
            },
          },
        ],
      }),
    );
  };

  const started = performance.now();
  try {
    const chunks = Array.from({ length: Math.ceil(items / 10) }, (_, c) =>
      Array.from({ length: Math.min(10, items - c * 10) }, (_, i) => c * 10 + i),
    );
    let nextChunk = 0;
    const produce = async () => {
      for (;;) {
        const chunk = chunks[nextChunk++];
        if (!chunk) return;
        const at = new Date().toISOString();
        const payouts = chunk.map((n) => {
          const payoutId = newId('payout');
          const messageId = newId('message');
          const payout = queuedPayout(
            {
              payoutId,
              disbursementId: null,
              batchId,
              fundId: 'fund_raw',
              countyCode: '532530',
              amount: AMOUNT,
              beneficiary: beneficiary(n),
            },
            at,
          );
          return { payout, messageId, n };
        });
        await documents.send(
          new BatchWriteCommand({
            RequestItems: {
              [tableName]: payouts.flatMap(({ payout, messageId }) => [
                { PutRequest: { Item: { ...keys.payout(payout.payoutId), type: 'payout', ...payout, ...payoutListKeys(payout) } } },
                {
                  PutRequest: {
                    Item: {
                      ...keys.event(messageId),
                      type: 'event',
                      messageId,
                      eventType: 'payout.requested',
                      subject: payout.payoutId,
                      timestamp: at,
                      data: packEventData(payout),
                      state: 'pending',
                      gsi4pk: outboxShard(messageId),
                      gsi4sk: outboxSortKey(new Date(at), messageId),
                    },
                  },
                },
              ]),
            },
          }),
        );
        await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queue.url,
            Entries: payouts.map(({ payout, messageId, n }, i) => ({
              Id: String(i),
              MessageBody: JSON.stringify({ messageId, n, payout }),
            })),
          }),
        );
      }
    };
    const consume = async () => {
      while (posted < items) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        if (Messages.length === 0) continue;
        await Promise.all(
          Messages.map(async (m) => {
            const { messageId, n, payout } = JSON.parse(m.Body ?? '{}') as { messageId: string; n: number; payout: { payoutId: string } };
            const owner = randomUUID();
            if (options.deliveryWrites) await claim(messageId, owner, new Date().toISOString());
            const body = JSON.stringify({ type: 'payout.requested', timestamp: new Date().toISOString(), data: payout });
            const timestamp = Math.floor(Date.now() / 1000);
            const signature = createHmac('sha256', secret).update(`${messageId}.${timestamp}.${body}`).digest('base64');
            const postedAt = performance.now();
            const response = await fetch(`${receiver.url}/finance`, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                'webhook-id': messageId,
                'webhook-timestamp': String(timestamp),
                'webhook-signature': `v1,${signature}`,
              },
              body,
            });
            await response.arrayBuffer();
            if (!response.ok) throw new Error(`raw receiver answered ${response.status}`);
            if (options.deliveryWrites) {
              await record(
                messageId,
                payout.payoutId,
                owner,
                n,
                new Date().toISOString(),
                response.status,
                Math.round(performance.now() - postedAt),
              );
            }
          }),
        );
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queue.url,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
        posted += Messages.length;
        show.update(`${label}: ${posted}/${items} posted`);
      }
    };
    // The expander's and the delivery worker's maximum concurrency (shared/queues.ts).
    await Promise.all([
      ...Array.from({ length: QUEUES.expansion.maxConcurrency }, produce),
      ...Array.from({ length: QUEUES.delivery.maxConcurrency }, consume),
    ]);
    return { ms: performance.now() - started };
  } finally {
    await receiver.stop();
    dynamo.destroy();
    sqs.destroy();
  }
}
