/**
 * vitest globalSetup: ONE in-memory DynamoDB Local and ONE SQS emulator for the whole run. Each test
 * file makes its own uniquely named table and queues on them (test/support/local-services.ts).
 */
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal, startSqsEmulator } from '#local/services';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    sqsEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [dynamo, sqs] = await Promise.all([startDynamoDbLocal(), startSqsEmulator()]);
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide('sqsEndpoint', sqs.endpoint);
  return async () => {
    await Promise.allSettled([sqs.stop(), dynamo.stop()]);
  };
}
