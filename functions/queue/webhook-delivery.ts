/**
 * The payout worker: delivers outbox events to webhook endpoints. SQS event source with partial
 * batch responses: a record that throws comes back after the visibility timeout, the rest are done.
 * The records of one batch share one look at the subscribed endpoints.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from '#shared/logger';
import { instrumented } from '#shared/instrumented';
import { deliveryJobSchema } from '#shared/data/platform/outbox';
import { deliveryTargetsOnce, type DeliveryTargetLookup } from '#shared/data/webhook-endpoints/subscriptions';
import { processDeliveryJob } from '#shared/webhooks/delivery';

async function deliver(record: SQSRecord, targets: DeliveryTargetLookup): Promise<void> {
  const job = deliveryJobSchema.parse(JSON.parse(record.body));
  const outcome = await processDeliveryJob(job, { targets });
  logger.debug('delivery job done', { messageId: job.messageId, outcome, receiveCount: record.attributes.ApproximateReceiveCount });
}

export const handler = instrumented(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  // Per invocation: a processor keeps the batch's results, and invocations may share a container (local runtime).
  const processor = new BatchProcessor(EventType.SQS);
  const targets = deliveryTargetsOnce();
  return processPartialResponse(event, (record: SQSRecord) => deliver(record, targets), processor, { context });
});
