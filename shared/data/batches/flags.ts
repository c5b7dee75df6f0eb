import { type Batch } from '../../domain/batches.ts';
import { type MoneyReader } from '../../domain/roles.ts';
import { type Actor } from '../funds/items.ts';
import { keys } from '../platform/keys.ts';
import { retryOnConflict, transact, versionedChangeStep } from '../platform/transactions.ts';
import { reportFigures, reportStatsSteps } from '../reports/stats.ts';
import { getItem, queryPage, type Page } from '../platform/query.ts';
import { decideClearFlags } from '../../domain/screening.ts';
import { dueAt, rowFlagCountsByCode, type BatchRowFlag, type Flag } from '../../domain/warning-rules.ts';
import { StoredBatch, toStoredBatch, publicBatch, noCounts, readBatch, readBatchFor, batchAudit, FLAG_PREFIX } from './items.ts';

export async function listBatchFlags(
  batchId: string,
  page: { limit: number; cursor?: string },
  reader: MoneyReader,
): Promise<Page<BatchRowFlag & Pick<Flag, 'clearedBy' | 'clearedAt' | 'reason'>>> {
  const b = await readBatchFor(batchId, reader);
  // A fund-admin clears every row flag at once: the batch head holds who, when and why.
  const head = b.flags.cleared ? ((await getItem(keys.batch(batchId))) ?? {}) : {};
  const cleared = {
    clearedBy: (head.flagsClearedBy as string | undefined) ?? null,
    clearedAt: (head.flagsClearedAt as string | undefined) ?? null,
    reason: (head.flagsClearedReason as string | undefined) ?? null,
  };
  const result = await queryPage<Record<string, unknown>>({
    keyCondition: 'pk = :pk AND begins_with(sk, :prefix)',
    values: { ':pk': keys.batch(batchId).pk, ':prefix': FLAG_PREFIX },
    limit: page.limit,
    cursor: page.cursor,
    scope: `batch-flags|${batchId}`,
    consistentRead: true,
  });
  return {
    items: result.items.map((i) => ({
      row: i.row as number,
      code: i.code as Flag['code'],
      // Row flags stored before 1.2 were duplicate screening's alone: high, due 3 days after the batch's creation.
      severity: (i.severity as Flag['severity'] | undefined) ?? 'high',
      matches: i.matches as string[],
      dueAt: (i.dueAt as string | undefined) ?? dueAt('high', new Date(b.createdAt)),
      ...(b.flags.cleared ? cleared : { clearedBy: null, clearedAt: null, reason: null }),
    })),
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
    const flags = { ...b.flags, cleared: true };
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
      // The half-year report's flags cleared, by code as the head counts them.
      ...reportStatsSteps(
        b.fundId,
        now,
        reportFigures.flagsCleared(rowFlagCountsByCode(b.flags).flatMap(({ code, count }) => Array<string>(count).fill(code))),
        batchId,
      ),
    ]);
    return { ...b, flags, updatedAt: now.toISOString(), version: b.version + 1 };
  });
  return publicBatch(cleared, noCounts());
}
