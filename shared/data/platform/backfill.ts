/**
 * The shape every backfill shares: a parallel Scan for the items still written the old way, one
 * conditional update per item (its condition says "still to do", so a second or concurrent run counts a
 * done item as unchanged instead of writing it twice), and counts as it goes. One-off migrations that
 * read the whole table: run from a script (scripts/backfill.ts), never on a request path.
 */
import { UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { config } from '../../config.ts';
import { appliedUnlessRefused, documents } from './clients.ts';
import { scanSegments } from './query.ts';

export interface BackfillCounts {
  /** Items the scan found still to do. */
  scanned: number;
  /** Items this run changed (the rest were done meanwhile, by another run or the code itself). */
  updated: number;
}

export interface BackfillOptions {
  /** Called after each item found, with the counts so far. */
  onProgress?: (counts: BackfillCounts) => void;
  segments?: number;
}

/** The update an item needs, its condition included; undefined when there is nothing to change after all. */
export type ItemRewrite = (item: Record<string, unknown>) => Promise<Omit<UpdateCommandInput, 'TableName'> | undefined>;

export async function backfillItems(
  scan: { filter: string; names?: Record<string, string>; values?: Record<string, unknown> },
  rewrite: ItemRewrite,
  options: BackfillOptions = {},
): Promise<BackfillCounts> {
  const counts: BackfillCounts = { scanned: 0, updated: 0 };
  await scanSegments({ ...scan, segments: options.segments ?? 4 }, async (item) => {
    counts.scanned++;
    const update = await rewrite(item);
    if (update && (await updateIfStillToDo(update))) counts.updated++;
    options.onProgress?.({ ...counts });
  });
  return counts;
}

async function updateIfStillToDo(update: Omit<UpdateCommandInput, 'TableName'>): Promise<boolean> {
  return appliedUnlessRefused(() => documents.send(new UpdateCommand({ ...update, TableName: config().TABLE_NAME })));
}
