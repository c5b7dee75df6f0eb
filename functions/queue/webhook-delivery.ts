/**
 * The payout worker: delivers outbox events to webhook endpoints. SQS event source with partial
 * batch responses: a record that throws comes back after the visibility timeout, the rest are done.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from '#shared/logger';
import { deliveryJobSchema } from '#shared/data/outbox';
import { processDeliveryJob } from '#shared/webhooks/delivery';

const processor = new BatchProcessor(EventType.SQS);

async function deliver(record: SQSRecord): Promise<void> {
  const job = deliveryJobSchema.parse(JSON.parse(record.body));
  const outcome = await processDeliveryJob(job);
  logger.debug('delivery job done', { messageId: job.messageId, outcome, receiveCount: record.attributes.ApproximateReceiveCount });
}

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  return processPartialResponse(event, deliver, processor, { context });
};
