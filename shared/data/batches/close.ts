import { decideBatchCancellation, decideBatchRejection, type Batch } from '../../domain/batches.ts';
import { type Role } from '../../domain/roles.ts';
import { type Actor } from '../funds/items.ts';
import { retryOnConflict, transact } from '../platform/transactions.ts';
import { StoredBatch, publicBatch, noCounts, readBatch, batchAudit, batchChangeStep } from './items.ts';

async function closeBatch(
  batchId: string,
  to: 'rejected' | 'cancelled',
  reason: string,
  decide: (b: StoredBatch) => void,
  actor: Actor,
  now: Date,
): Promise<Batch> {
  const closed = await retryOnConflict(async () => {
    const b = await readBatch(batchId);
    decide(b);
    await transact([batchChangeStep(b, now, { status: to }, decide), batchAudit(b, to, actor, now, { from: b.status, to, reason })]);
    return { ...b, status: to, updatedAt: now.toISOString(), version: b.version + 1 };
  });
  return publicBatch(closed, noCounts());
}

export function rejectBatch(batchId: string, reason: string, actor: Actor, now: Date): Promise<Batch> {
  return closeBatch(batchId, 'rejected', reason, (b) => decideBatchRejection(b, actor.sub), actor, now);
}

export function cancelBatch(batchId: string, reason: string, caller: Actor & { roles: readonly Role[] }, now: Date): Promise<Batch> {
  return closeBatch(batchId, 'cancelled', reason, (b) => decideBatchCancellation(b, caller), caller, now);
}
