/**
 * Emulates Lambda's SQS event source mapping for one queue: long polling, batches up to batchSize
 * within the batching window, at most maxConcurrency batches in flight, Lambda-shaped SQSEvent
 * records, and partial batch responses (ReportBatchItemFailures): the failed items stay on the queue
 * and come back after the visibility timeout, everything else is deleted. A thrown error or a
 * timeout fails the whole batch. After maxReceiveCount the queue's own redrive policy moves a message
 * to its DLQ, as in AWS.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import { localRegion } from './environment.ts';
import { invoke, type LambdaHandler } from './invoke.ts';
import { errorFields, type RuntimeLog } from './log.ts';

export interface QueuePollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  batchSize: number;
  maxBatchingWindowSeconds: number;
  maxConcurrency: number;
  /** The consumer function's timeout. */
  timeoutMs: number;
  functionName: string;
  loadHandler: () => Promise<LambdaHandler>;
  log: RuntimeLog;
  /** Long-poll wait per ReceiveMessage (SQS allows up to 20 s). */
  waitTimeSeconds?: number;
  /** Concurrent ReceiveMessage loops; Lambda starts with a handful of pollers per queue. */
  receivers?: number;
  /** How long stop() waits for batches in flight before letting them go. */
  stopGraceMs?: number;
}

export interface QueuePoller {
  stop(): Promise<void>;
}

const SQS_MAX_BATCH = 10;

class Slots {
  private free: number;
  private waiters: (() => void)[] = [];
  constructor(size: number) {
    this.free = size;
  }
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }
  /** Wakes every waiter so the loops can see that they must stop. */
  releaseAll(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

export function startQueuePoller(options: QueuePollerOptions): QueuePoller {
  const abort = new AbortController();
  const slots = new Slots(Math.max(1, options.maxConcurrency));
  const inFlight = new Set<Promise<void>>();
  const receivers = Math.max(1, Math.min(options.receivers ?? 2, options.maxConcurrency));

  const loop = async () => {
    while (!abort.signal.aborted) {
      await slots.acquire();
      if (abort.signal.aborted) break;
      let messages: Message[] = [];
      try {
        messages = await receiveBatch(options, abort.signal);
      } catch (error) {
        slots.release();
        if (abort.signal.aborted) break;
        // A consumer's trouble never stops the poller; neither does a hiccup of the queue.
        options.log.warn('queue receive failed', { queueUrl: options.queueUrl, ...errorFields(error) });
        await sleep(1_000, undefined, { signal: abort.signal }).catch(() => undefined);
        continue;
      }
      if (messages.length === 0) {
        slots.release();
        continue;
      }
      const batch = processBatch(options, messages).finally(() => {
        inFlight.delete(batch);
        slots.release();
      });
      inFlight.add(batch);
    }
  };

  const loops = Array.from({ length: receivers }, () => loop());

  return {
    async stop() {
      abort.abort();
      slots.releaseAll();
      await Promise.allSettled(loops);
      await Promise.race([Promise.allSettled([...inFlight]), sleep(options.stopGraceMs ?? 5_000)]);
    },
  };
}

async function receiveBatch(options: QueuePollerOptions, signal: AbortSignal): Promise<Message[]> {
  const receive = async (waitTimeSeconds: number, max: number) =>
    (
      await options.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: options.queueUrl,
          MaxNumberOfMessages: Math.min(SQS_MAX_BATCH, max),
          WaitTimeSeconds: waitTimeSeconds,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
        { abortSignal: signal },
      )
    ).Messages ?? [];

  const messages = await receive(options.waitTimeSeconds ?? 20, options.batchSize);
  if (messages.length === 0 || options.maxBatchingWindowSeconds <= 0) return messages;
  // The batching window: keep gathering until the batch is full or the window closes.
  const closes = Date.now() + options.maxBatchingWindowSeconds * 1000;
  while (messages.length < options.batchSize && Date.now() < closes && !signal.aborted) {
    const more = await receive(0, options.batchSize - messages.length);
    if (more.length === 0) await sleep(Math.min(100, Math.max(0, closes - Date.now())));
    messages.push(...more);
  }
  return messages;
}

async function processBatch(options: QueuePollerOptions, messages: Message[]): Promise<void> {
  const event: SQSEvent = { Records: messages.map((m) => toRecord(m, options.queueArn)) };
  let response: unknown;
  try {
    const handler = await options.loadHandler();
    response = await invoke(handler, event, { functionName: options.functionName, timeoutMs: options.timeoutMs });
  } catch (error) {
    options.log.error('queue consumer failed; the batch will be retried', {
      functionName: options.functionName,
      messages: messages.length,
      ...errorFields(error),
    });
    return;
  }
  const failed = failedItems(response, new Set(messages.map((m) => m.MessageId ?? '')));
  if (failed === 'all') {
    options.log.error('invalid batch item failures; the batch will be retried', { functionName: options.functionName });
    return;
  }
  if (failed.size > 0) {
    options.log.warn('batch item failures', { functionName: options.functionName, failed: failed.size, of: messages.length });
  }
  const done = messages.filter((m) => !failed.has(m.MessageId ?? ''));
  await deleteMessages(options, done);
}

/**
 * Lambda's reading of a partial batch response: nothing or an empty list is complete success; an
 * identifier that is empty, not a string or not in the batch fails the whole batch.
 */
export function failedItems(response: unknown, batchIds: Set<string>): Set<string> | 'all' {
  if (response === undefined || response === null || typeof response !== 'object') return new Set();
  const failures = (response as Partial<SQSBatchResponse>).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return 'all';
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !batchIds.has(id)) return 'all';
    failed.add(id);
  }
  return failed;
}

async function deleteMessages(options: QueuePollerOptions, messages: Message[]): Promise<void> {
  for (let i = 0; i < messages.length; i += SQS_MAX_BATCH) {
    const chunk = messages.slice(i, i + SQS_MAX_BATCH);
    try {
      const result = await options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: chunk.map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      if (result.Failed && result.Failed.length > 0) {
        options.log.warn('some processed messages could not be deleted', { failed: result.Failed.length });
      }
    } catch (error) {
      // The messages come back after the visibility timeout; consumers are idempotent.
      options.log.warn('deleting processed messages failed', errorFields(error));
    }
  }
}

function toRecord(message: Message, queueArn: string): SQSRecord {
  const system = message.Attributes ?? {};
  const attributes: SQSRecordAttributes = {
    ApproximateReceiveCount: system.ApproximateReceiveCount ?? '1',
    SentTimestamp: system.SentTimestamp ?? String(Date.now()),
    SenderId: system.SenderId ?? 'local',
    ApproximateFirstReceiveTimestamp: system.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
  };
  for (const name of ['AWSTraceHeader', 'SequenceNumber', 'MessageGroupId', 'MessageDeduplicationId'] as const) {
    if (system[name] !== undefined) attributes[name] = system[name];
  }
  const record: SQSRecord = {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes,
    messageAttributes: recordAttributes(message.MessageAttributes ?? {}),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: localRegion(),
  };
  if (message.MD5OfMessageAttributes) record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  return record;
}

/** SQS API shape (`StringValue`, binary as bytes) → Lambda event shape (`stringValue`, binary as base64). */
function recordAttributes(attributes: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  const out: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    out[name] = {
      dataType: value.DataType ?? 'String',
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
    };
  }
  return out;
}
