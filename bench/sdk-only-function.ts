/**
 * A second cold-start reference: the least a function that reads DynamoDB must load (the SDK v3
 * DynamoDB client and the document client, nothing of ours), bundled and loaded like the real functions.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const handler = async (event: { key: string }): Promise<unknown> =>
  (await documents.send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: { pk: event.key, sk: event.key } }))).Item;
