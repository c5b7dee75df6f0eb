/**
 * Per test file: a fresh, uniquely named table and queue set on the run's shared local services, and
 * process.env set exactly as the local runtime sets it for handlers. Call in `beforeAll`, before
 * importing handlers that read config (their SDK clients read the endpoints when first imported).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import { applyEnvironment, handlerEnvironment, LOCAL_CREDENTIALS, localRegion } from '#local/environment';
import { invokeStore } from '#local/invoke';
import { ensureSecretsFiles } from '#local/keys';
import { ensureQueues, ensureTable, queueUrlsOf, type QueueUrls } from '#local/resources';
import { resetConfig } from '#shared/config';
import { resetSecrets } from '#shared/secrets';
import { eventData } from '#shared/data/platform/event-body';

export interface LocalServices {
  tableName: string;
  /** The prefix of this file's queue names (the runtime needs it to poll the same queues). */
  queuePrefix: string;
  queueUrls: QueueUrls;
  dynamoEndpoint: string;
  sqsEndpoint: string;
  /** Every item of this file's table, unmarshalled, event bodies decoded. */
  scanTable(): Promise<Record<string, unknown>[]>;
  /** Receives and deletes whatever is visible on the queue now; returns what it took. */
  drainQueue(url: string): Promise<Message[]>;
  dynamo: DynamoDBClient;
  sqs: SQSClient;
}

export async function useLocalServices(options: { env?: Record<string, string> } = {}): Promise<LocalServices> {
  // Before any SDK request: an in-process runtime started later needs the multi-context store.
  await invokeStore();
  const dynamoEndpoint = inject('dynamoEndpoint');
  const sqsEndpoint = inject('sqsEndpoint');
  const unique = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const tableName = `relief-fund-test-${unique}`;
  const queuePrefix = `t-${unique}-`;

  const clientConfig = { region: localRegion(), credentials: LOCAL_CREDENTIALS };
  const dynamo = new DynamoDBClient({ ...clientConfig, endpoint: dynamoEndpoint });
  const sqs = new SQSClient({ ...clientConfig, endpoint: sqsEndpoint });
  const [, queues] = await Promise.all([ensureTable(dynamo, tableName), ensureQueues(sqs, queuePrefix)]);
  const queueUrls = queueUrlsOf(queues);

  const secretsDir = await mkdtemp(join(tmpdir(), 'relief-fund-secrets-'));
  const secretsFiles = await ensureSecretsFiles(secretsDir);

  applyEnvironment({
    ...handlerEnvironment({
      tableName,
      queueUrls,
      secretsFiles,
      dynamoEndpoint,
      sqsEndpoint,
      sweepSeconds: 60,
    }),
    ...options.env,
  });
  resetConfig();
  resetSecrets();

  return {
    tableName,
    queuePrefix,
    queueUrls,
    dynamoEndpoint,
    sqsEndpoint,
    dynamo,
    sqs,
    async scanTable() {
      const items: Record<string, unknown>[] = [];
      const documents = DynamoDBDocumentClient.from(dynamo);
      for await (const page of paginateScan({ client: documents }, { TableName: tableName, ConsistentRead: true })) {
        items.push(...((page.Items ?? []) as Record<string, unknown>[]));
      }
      // Event bodies are stored compressed: decoded here, so every test that reads or searches the table
      // (for an account number, a national ID) sees what they hold.
      return items.map((item) => (item.type === 'event' ? { ...item, data: eventData(item) } : item));
    },
    async drainQueue(url: string) {
      const taken: Message[] = [];
      for (;;) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        if (Messages.length === 0) return taken;
        taken.push(...Messages);
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: url,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
    },
  };
}
