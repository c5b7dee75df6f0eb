/**
 * Creates the table and the queues from the same definitions the CDK data stack uses
 * (shared/data/platform/table.ts, shared/queues.ts). Safe to run on every start: what exists is kept.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  PutItemCommand,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type GlobalSecondaryIndex,
  type Projection,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { keys, SUBSCRIPTION_COPIES, SUBSCRIPTIONS_TYPE } from '#shared/data/platform/keys';
import { KEY_ATTRIBUTES, projectedAttributes, TABLE } from '#shared/data/platform/table';
import { QUEUES, visibilityTimeoutSeconds } from '#shared/queues';

export interface QueueUrls {
  delivery: string;
  expansion: string;
  deliveryDlq: string;
  expansionDlq: string;
}

export type QueueKey = keyof typeof QUEUES;

export async function ensureTable(dynamo: DynamoDBClient, tableName: string): Promise<void> {
  const attributeDefinitions: AttributeDefinition[] = KEY_ATTRIBUTES.map((name) => ({ AttributeName: name, AttributeType: 'S' }));
  let created = true;
  try {
    await dynamo.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: attributeDefinitions,
        KeySchema: [
          { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: TABLE.indexes.map(indexDefinition),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    created = false;
  }
  await waitForActive(dynamo, tableName);
  if (created) await emptySubscriptionCopies(dynamo, tableName);
  await addMissingIndexes(dynamo, tableName, attributeDefinitions);
  const ttl = await dynamo.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
  if (status !== 'ENABLED' && status !== 'ENABLING') {
    await dynamo.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
      }),
    );
  }
}

/**
 * A new table has no endpoint: its copies of the subscriptions (shared/data/webhook-endpoints/copies.ts) are complete
 * and empty from the start. A table kept from an older version gets them from `npm run backfill`.
 */
async function emptySubscriptionCopies(dynamo: DynamoDBClient, tableName: string): Promise<void> {
  for (let copy = 0; copy < SUBSCRIPTION_COPIES; copy++) {
    const key = keys.webhookSubscriptions(copy);
    await dynamo.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { pk: { S: key.pk }, sk: { S: key.sk }, type: { S: SUBSCRIPTIONS_TYPE }, complete: { BOOL: true } },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }
}

function indexDefinition(index: (typeof TABLE.indexes)[number]): GlobalSecondaryIndex {
  return {
    IndexName: index.name,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: 'HASH' },
      { AttributeName: index.sortKey, KeyType: 'RANGE' },
    ],
    Projection:
      index.projection === 'INCLUDE'
        ? { ProjectionType: 'INCLUDE', NonKeyAttributes: projectedAttributes(index) }
        : { ProjectionType: index.projection },
  };
}

/**
 * A table kept from an older version (a persistent DATA_DIR) gets the indexes added since, one at a time, and
 * an index whose projection changed is built again (a projection cannot change in place; locally the index
 * is rebuilt from the items at once, so nothing is lost).
 */
async function addMissingIndexes(dynamo: DynamoDBClient, tableName: string, attributeDefinitions: AttributeDefinition[]): Promise<void> {
  const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
  const existing = new Map((Table?.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, i.Projection]));
  for (const index of TABLE.indexes) {
    if (existing.has(index.name)) {
      if (sameProjection(existing.get(index.name), indexDefinition(index).Projection)) continue;
      await dynamo.send(
        new UpdateTableCommand({ TableName: tableName, GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: index.name } }] }),
      );
      await waitForIndexGone(dynamo, tableName, index.name);
    }
    await dynamo.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: attributeDefinitions,
        GlobalSecondaryIndexUpdates: [{ Create: indexDefinition(index) }],
      }),
    );
    await waitForActive(dynamo, tableName);
  }
}

function sameProjection(a: Projection | undefined, b: Projection | undefined): boolean {
  const attributes = (p: Projection | undefined) => [...(p?.NonKeyAttributes ?? [])].sort().join(',');
  return a?.ProjectionType === b?.ProjectionType && attributes(a) === attributes(b);
}

/** How long a local table or index change may take: DynamoDB Local builds an index from the items, slowly on a busy machine. */
const LOCAL_CHANGE_MS = 60_000;

async function waitForIndexGone(dynamo: DynamoDBClient, tableName: string, indexName: string): Promise<void> {
  for (const deadline = Date.now() + LOCAL_CHANGE_MS; Date.now() < deadline;) {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    if (!(Table?.GlobalSecondaryIndexes ?? []).some((g) => g.IndexName === indexName)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`index ${indexName} of ${tableName} was not deleted`);
}

async function waitForActive(dynamo: DynamoDBClient, tableName: string): Promise<void> {
  let last = 'not described';
  for (const deadline = Date.now() + LOCAL_CHANGE_MS; Date.now() < deadline;) {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesReady = (Table?.GlobalSecondaryIndexes ?? []).every((i) => !i.IndexStatus || i.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesReady) return;
    last = `table ${Table?.TableStatus}, indexes ${(Table?.GlobalSecondaryIndexes ?? []).map((i) => `${i.IndexName} ${i.IndexStatus}`).join(', ')}`;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`table ${tableName} did not become active in ${LOCAL_CHANGE_MS / 1000} s (${last})`);
}

export interface QueueSpec {
  name: string;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
}

export interface EnsuredQueue {
  url: string;
  arn: string;
  dlqUrl: string;
  dlqArn: string;
}

const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;

/** A queue and its DLQ with the redrive policy; existing queues get their attributes brought in line. */
export async function ensureQueue(sqs: SQSClient, spec: QueueSpec): Promise<EnsuredQueue> {
  const dlq = await upsertQueue(sqs, `${spec.name}-dlq`, { MessageRetentionPeriod: String(DLQ_RETENTION_SECONDS) });
  const main = await upsertQueue(sqs, spec.name, {
    VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: spec.maxReceiveCount }),
  });
  return { url: main.url, arn: main.arn, dlqUrl: dlq.url, dlqArn: dlq.arn };
}

async function upsertQueue(sqs: SQSClient, name: string, attributes: Record<string, string>) {
  let url: string | undefined;
  try {
    url = (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (error) {
    if (!(error instanceof QueueDoesNotExist)) throw error;
  }
  if (url) {
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
  } else {
    url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl;
  }
  if (!url) throw new Error(`queue ${name} has no URL`);
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${name} has no ARN`);
  return { url, arn };
}

export type EnsuredQueues = Record<QueueKey, EnsuredQueue>;

/** Every queue of shared/queues.ts, named `<prefix><name>` (tests use a unique prefix per file). */
export async function ensureQueues(sqs: SQSClient, prefix = ''): Promise<EnsuredQueues> {
  const entries = await Promise.all(
    (Object.keys(QUEUES) as QueueKey[]).map(async (key) => {
      const definition = QUEUES[key];
      const queue = await ensureQueue(sqs, {
        name: `${prefix}${definition.name}`,
        visibilityTimeoutSeconds: visibilityTimeoutSeconds(definition),
        maxReceiveCount: definition.maxReceiveCount,
      });
      return [key, queue] as const;
    }),
  );
  return Object.fromEntries(entries) as EnsuredQueues;
}

export function queueUrlsOf(queues: EnsuredQueues): QueueUrls {
  return {
    delivery: queues.delivery.url,
    expansion: queues.expansion.url,
    deliveryDlq: queues.delivery.dlqUrl,
    expansionDlq: queues.expansion.dlqUrl,
  };
}
