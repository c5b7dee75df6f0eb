import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { decideUnblock } from '../../domain/warning-rules.ts';
import { notFound } from '../../domain/errors.ts';
import { config } from '../../config.ts';
import { actorAuditStep } from '../platform/audit.ts';
import { documents } from '../platform/clients.ts';
import { keys } from '../platform/keys.ts';
import { getItem } from '../platform/query.ts';
import { transact } from '../platform/transactions.ts';
import { type Actor } from '../funds/items.ts';
import { blockListIndex, toBlockedAccount } from './items.ts';

/**
 * `DELETE /v1/funds/{fundId}/blocked-accounts/{entryId}`: four eyes, a fund-admin other than the one who added
 * the entry (403 `self_approval`). The entry is found by its id in the fund's listing (one keyed index read).
 */
export async function unblockAccount(fundId: string, entryId: string, actor: Actor, now: Date): Promise<void> {
  const found = await documents.send(
    new QueryCommand({
      TableName: config().TABLE_NAME,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk = :id',
      ExpressionAttributeValues: { ':pk': blockListIndex(fundId), ':id': entryId },
      Limit: 1,
    }),
  );
  const indexed = found.Items?.[0];
  // The index holds keys only (and lags): the entry itself is read by its key.
  const item = indexed ? await getItem({ pk: indexed.pk as string, sk: indexed.sk as string }) : undefined;
  if (!item || item.entryId !== entryId) throw notFound(`Blocked account ${entryId}`);
  const entry = toBlockedAccount(item);
  decideUnblock(entry, actor.sub);
  await transact([
    {
      item: {
        Delete: {
          TableName: config().TABLE_NAME,
          Key: { pk: entry.pk, sk: entry.sk },
          ConditionExpression: 'entryId = :id',
          ExpressionAttributeValues: { ':id': entryId },
        },
      },
      onConditionFailed: () => notFound(`Blocked account ${entryId}`),
    },
    actorAuditStep(keys.fund(fundId).pk, actor, 'blocked_accounts.removed', now, {
      details: { entryId, addedBy: entry.addedBy },
    }),
  ]);
}
