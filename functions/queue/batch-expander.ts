/**
 * The batch expander: turns an approved batch into its payouts, and requests a new batch's account
 * verifications (a fund that verifies). One job per SQS message (batch size 1); a job that throws comes
 * back after the visibility timeout, and the work resumes where the committed chunks left it.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from '#shared/logger';
import { instrumented } from '#shared/instrumented';
import { expandBatch } from '#shared/data/batches/expand';
import { expansionJobSchema } from '#shared/data/batches/items';
import { requestBatchVerifications } from '#shared/data/verifications/request';
import { verificationJobSchema } from '#shared/data/verifications/plan';
import * as z from 'zod';

const jobSchema = z.discriminatedUnion('kind', [expansionJobSchema, verificationJobSchema]);

const processor = new BatchProcessor(EventType.SQS);

async function expand(record: SQSRecord): Promise<void> {
  const job = jobSchema.parse(JSON.parse(record.body));
  const started = Date.now();
  if (job.kind === 'batch-verification') {
    const result = await requestBatchVerifications(job.batchId);
    logger.info('batch verification requests', { batchId: job.batchId, ...result, durationMs: Date.now() - started });
    return;
  }
  const result = await expandBatch(job.batchId);
  logger.info('batch expansion', { batchId: job.batchId, ...result, durationMs: Date.now() - started });
}

export const handler = instrumented(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  return processPartialResponse(event, expand, processor, { context });
});
