/**
 * Sends jobs to a queue, ten per SendMessageBatch. Jobs are hints (the records they point at are the
 * truth and the outbox sweeper finds whatever was not queued), so a failure is logged, not thrown.
 * Returns how many were queued.
 */
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { logger } from '../../logger.ts';
import { MAX_SQS_DELAY_SECONDS } from '../../queues.ts';
import { sqs } from './clients.ts';

export interface Job {
  body: unknown;
  /** Capped at SQS's 15 minutes; longer waits hop through re-queues. */
  delaySeconds?: number;
}

export async function sendJobs(queueUrl: string, jobs: readonly Job[], what: string): Promise<number> {
  let queued = 0;
  for (let i = 0; i < jobs.length; i += 10) {
    const chunk = jobs.slice(i, i + 10);
    try {
      const result = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map(({ body, delaySeconds }, n) => ({
            Id: String(n),
            MessageBody: JSON.stringify(body),
            ...(delaySeconds && delaySeconds > 0 ? { DelaySeconds: Math.min(Math.ceil(delaySeconds), MAX_SQS_DELAY_SECONDS) } : {}),
          })),
        }),
      );
      queued += result.Successful?.length ?? 0;
      if (result.Failed?.length) logger.warn(`some ${what} jobs were not queued; the sweeper will`, { failed: result.Failed.length });
    } catch (error) {
      logger.warn(`${what} jobs not queued; the sweeper will`, { count: chunk.length, error: (error as Error).name });
    }
  }
  return queued;
}
