/**
 * Unit tests of data code against a mocked DynamoDB (aws-sdk-client-mock): the config a handler reads, pointing
 * nowhere real, and the document client mocked, reset before each test. Call at the top of the file, before
 * the code under test is imported (it reads the config when first imported).
 */
import { beforeEach } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export function useMockedDynamo() {
  process.env.TABLE_NAME = 'unit-table';
  process.env.DELIVERY_QUEUE_URL = 'http://127.0.0.1:1/q/delivery';
  process.env.EXPANSION_QUEUE_URL = 'http://127.0.0.1:1/q/expansion';
  process.env.APP_SECRETS_FILE = '/nonexistent/secrets.json';
  const ddb = mockClient(DynamoDBDocumentClient);
  beforeEach(() => ddb.reset());
  return ddb;
}
