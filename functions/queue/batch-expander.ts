/**
 * The batch expander: turns an approved batch into its payouts. One job per SQS message (batch size 1);
 * a job that throws comes back after the visibility timeout, and the expansion resumes where the
 * committed chunks left it.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from '#shared/logger';
import { instrumented } from '#shared/instrumented';
import { expandBatch } from '#shared/data/batches/expand';
import { expansionJobSchema } from '#shared/data/batches/items';

const processor = new BatchProcessor(EventType.SQS);

async function expand(record: SQSRecord): Promise<void> {
  const job = expansionJobSchema.parse(JSON.parse(record.body));
  const started = Date.now();
  const result = await expandBatch(job.batchId);
  logger.info('batch expansion', { batchId: job.batchId, ...result, durationMs: Date.now() - started });
}

export const handler = instrumented(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  return processPartialResponse(event, expand, processor, { context });
});
