/** Writes one observer request into the access log (shared/http/access-log.ts calls it before the response goes out). */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../../config.ts';
import type { AccessEntry } from '../../domain/access-log.ts';
import { newId } from '../../ids.ts';
import { documents } from '../platform/clients.ts';
import { accessLogItem } from './items.ts';

export async function recordAccess(entry: AccessEntry): Promise<void> {
  const entryId = newId('accessLogEntry', Date.parse(entry.at));
  await documents.send(
    new PutCommand({
      TableName: config().TABLE_NAME,
      Item: accessLogItem(entryId, entry),
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}
