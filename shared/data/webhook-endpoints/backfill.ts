/**
 * Fills the copies of the subscriptions (./copies.ts) on a table written before them, then marks them complete, so
 * that the readers stop querying the listing index. For each endpoint, one transaction sets its entry on every copy
 * with a ConditionCheck on the endpoint item as the scan read it (its events and status): an endpoint changed
 * meanwhile is written as it is now, one deleted meanwhile is left out (never written back as a ghost entry). An
 * endpoint written after the scan passed it writes its own entry (every endpoint write does), so none is missed,
 * provided no older version still writes endpoints (docs/deploy.md: deploy first, then backfill). Running it again
 * sets the same entries.
 */
import { config } from '../../config.ts';
import type { BackfillCounts, BackfillOptions } from '../platform/backfill.ts';
import { keys } from '../platform/keys.ts';
import { scanSegments } from '../platform/query.ts';
import { retryOnConflict, transact, TransactionConflict } from '../platform/transactions.ts';
import { completeCopies, copySteps, entryCondition, entryOf } from './copies.ts';

export async function backfillSubscriptions(options: BackfillOptions = {}): Promise<BackfillCounts> {
  const counts: BackfillCounts = { scanned: 0, updated: 0 };
  await scanSegments(
    {
      filter: '#type = :endpoint',
      names: { '#type': 'type' },
      values: { ':endpoint': 'webhook-endpoint' },
      segments: options.segments ?? 4,
    },
    async (item) => {
      counts.scanned++;
      if (await backfillEntry(item)) counts.updated++;
      options.onProgress?.({ ...counts });
    },
  );
  await completeCopies();
  return counts;
}

/**
 * Sets one endpoint's entry on every copy from the item as read, if the endpoint is still so; else from the endpoint
 * as it is now (the refusal carries it), or not at all when it was deleted. True when an entry was set.
 */
export async function backfillEntry(read: Record<string, unknown>): Promise<boolean> {
  let item: Record<string, unknown> | undefined = read;
  const endpointId = read.endpointId as string;
  return retryOnConflict(async () => {
    if (item === undefined) return false;
    const entry = entryOf(item);
    const seen = entryCondition(entry);
    await transact([
      {
        item: {
          ConditionCheck: {
            TableName: config().TABLE_NAME,
            Key: keys.webhookEndpoint(endpointId),
            ConditionExpression: seen.expression,
            ExpressionAttributeNames: seen.names,
            ExpressionAttributeValues: seen.values,
          },
        },
        onConditionFailed: (current) => {
          item = current;
          return new TransactionConflict();
        },
      },
      ...copySteps(endpointId, entry),
    ]);
    return true;
  });
}
