/**
 * Queue settings, defined once for CDK and the local SQS emulator.
 *
 * The delivery queue carries webhook delivery jobs (a payout's `payout.requested` is one of them); the
 * expansion queue carries "turn this approved batch into payouts" jobs. Both are delivery hints: the
 * DynamoDB records are the truth and the outbox sweeper re-queues what was committed but not done.
 */
export interface QueueDefinition {
  /** Logical id, also the local queue name. */
  name: string;
  /** The consumer function (functions/queue/<consumer>.ts). */
  consumer: 'webhook-delivery' | 'batch-expander';
  /** The environment variable that carries the queue URL to producers. */
  urlEnv: string;
  /** Timeout of the consumer function; the visibility timeout is 6× this, as AWS advises. */
  consumerTimeoutSeconds: number;
  batchSize: number;
  maxBatchingWindowSeconds: number;
  maxConcurrency: number;
  maxReceiveCount: number;
}

export const QUEUES = {
  delivery: {
    name: 'relief-fund-delivery',
    consumer: 'webhook-delivery',
    urlEnv: 'DELIVERY_QUEUE_URL',
    // A batch of 10 jobs, each up to 15 s per endpoint, delivered concurrently.
    consumerTimeoutSeconds: 60,
    batchSize: 10,
    maxBatchingWindowSeconds: 1,
    maxConcurrency: 20,
    maxReceiveCount: 8,
  },
  expansion: {
    name: 'relief-fund-expansion',
    consumer: 'batch-expander',
    urlEnv: 'EXPANSION_QUEUE_URL',
    consumerTimeoutSeconds: 300,
    batchSize: 1,
    maxBatchingWindowSeconds: 0,
    maxConcurrency: 2,
    maxReceiveCount: 6,
  },
} as const satisfies Record<string, QueueDefinition>;

export function visibilityTimeoutSeconds(q: QueueDefinition): number {
  return q.consumerTimeoutSeconds * 6;
}

/** SQS caps a message delay at 15 minutes; longer waits are re-queued hop by hop. */
export const MAX_SQS_DELAY_SECONDS = 900;
