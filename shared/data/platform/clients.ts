/**
 * Module-level SDK clients, created once per cold start. Endpoints come from the standard
 * AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SQS variables, so the same code runs locally.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { tracer } from '../../tracing.ts';

/** Traced (a no-op outside Lambda); captured before the document client is made, which shares its middleware. */
export const dynamo = tracer.captureAWSv3Client(new DynamoDBClient({ maxAttempts: 4 }));

export const documents = DynamoDBDocumentClient.from(dynamo, {
  marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  unmarshallOptions: { wrapNumbers: false },
});

/**
 * Send to the configured endpoint, not to the host inside the queue URL: in AWS both are the same,
 * locally the emulator's URLs name `sqs.<region>.localhost`, which does not resolve everywhere.
 */
export const sqs = tracer.captureAWSv3Client(new SQSClient({ maxAttempts: 4, useQueueUrlAsEndpoint: false }));

/**
 * Runs one conditional write: true when it was applied, false when its condition refused it (someone else got
 * there first). Any other error goes to the caller.
 */
export async function appliedUnlessRefused(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
