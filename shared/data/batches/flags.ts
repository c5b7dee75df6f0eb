import { type Batch } from '../../domain/batches.ts';
import { type MoneyReader } from '../../domain/roles.ts';
import { type Actor } from '../funds/items.ts';
import { keys } from '../platform/keys.ts';
import { retryOnConflict, transact, versionedChangeStep } from '../platform/transactions.ts';
import { reportFigures, reportStatsSteps } from '../reports/stats.ts';
import { queryPage, type Page } from '../platform/query.ts';
import { decideClearFlags, type RowFlag } from '../../domain/screening.ts';
import { StoredBatch, toStoredBatch, publicBatch, noCounts, readBatch, readBatchFor, batchAudit, FLAG_PREFIX } from './items.ts';

export async function listBatchFlags(
  batchId: string,
  page: { limit: number; cursor?: string },
  reader: MoneyReader,
): Promise<Page<RowFlag>> {
  await readBatchFor(batchId, reader);
  const result = await queryPage<Record<string, unknown>>({
    keyCondition: 'pk = :pk AND begins_with(sk, :prefix)',
    values: { ':pk': keys.batch(batchId).pk, ':prefix': FLAG_PREFIX },
    limit: page.limit,
    cursor: page.cursor,
    scope: `batch-flags|${batchId}`,
    consistentRead: true,
  });
  return {
    items: result.items.map((i) => ({ row: i.row as number, code: i.code as RowFlag['code'], matches: i.matches as string[] })),
    nextCursor: result.nextCursor,
  };
}

/** A fund-admin other than the requester clears every row flag at once, with a reason (kept in the audit trail). */
export async function clearBatchFlags(batchId: string, reason: string, actor: Actor, now: Date): Promise<Batch> {
  const cleared = await retryOnConflict(async () => {
    const b = await readBatch(batchId);
    const decide = (current: StoredBatch) =>
      decideClearFlags({ ...current, uncleared: current.flags.cleared ? 0 : current.flags.count }, actor.sub);
    decide(b);
    const flags = { count: b.flags.count, cleared: true };
    await transact([
      versionedChangeStep({
        key: keys.batch(b.batchId),
        what: `Batch ${b.batchId}`,
        version: b.version,
        status: b.status,
        now,
        set: { flags, flagsClearedBy: actor.sub, flagsClearedAt: now.toISOString(), flagsClearedReason: reason },
        redecide: (current) => decide(toStoredBatch(current)),
      }),
      batchAudit(b, 'flags_cleared', actor, now, { from: b.status, to: b.status, reason, details: { flags: b.flags.count } }),
      // The half-year report's flags cleared: a batch's row flags are duplicate-beneficiary flags.
      ...reportStatsSteps(b.fundId, now, reportFigures.flagsCleared(Array<string>(b.flags.count).fill('duplicate_beneficiary')), batchId),
    ]);
    return { ...b, flags, updatedAt: now.toISOString(), version: b.version + 1 };
  });
  return publicBatch(cleared, noCounts());
}
