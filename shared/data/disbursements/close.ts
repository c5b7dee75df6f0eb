import { decideCancellation, decideRejection, statsMove, type Disbursement, type HistoryEntry } from '../../domain/disbursements.ts';
import { decideClearFlags } from '../../domain/screening.ts';
import { clearFlags } from '../../domain/warning-rules.ts';
import { type Role } from '../../domain/roles.ts';
import { statsStep } from '../counties/stats.ts';
import { reportFigures, reportStatsSteps } from '../reports/stats.ts';
import { type Actor } from '../funds/items.ts';
import { keys } from '../platform/keys.ts';
import { retryOnConflict, transact, versionedChangeStep } from '../platform/transactions.ts';
import {
  StoredDisbursement,
  toDisbursement,
  publicDisbursement,
  readDisbursement,
  disbursementAudit,
  disbursementChangeStep,
} from './items.ts';

async function closeDisbursement(
  disbursementId: string,
  to: 'rejected' | 'cancelled',
  reason: string,
  decide: (d: StoredDisbursement) => void,
  actor: Actor,
  now: Date,
): Promise<Disbursement> {
  return retryOnConflict(async () => {
    const d = await readDisbursement(disbursementId);
    decide(d);
    const entry: HistoryEntry = { at: now.toISOString(), actor: actor.sub, action: to, fromStatus: d.status, toStatus: to, reason };
    await transact([
      disbursementChangeStep(d, now, { status: to, entry }, decide),
      disbursementAudit(d, entry, actor),
      statsStep(d.countyCode, 'disbursements', statsMove(d.status, to, d.amount), d.disbursementId),
    ]);
    return publicDisbursement({ ...d, status: to, updatedAt: entry.at, history: [...d.history, entry], version: d.version + 1 });
  });
}

/**
 * A fund-admin other than the requester clears every screening flag with a reason: kept on the flags,
 * in the history (`flags_cleared`) and in the audit trail. The final approval is then no longer blocked.
 */
export async function clearDisbursementFlags(disbursementId: string, reason: string, actor: Actor, now: Date): Promise<Disbursement> {
  return retryOnConflict(async () => {
    const d = await readDisbursement(disbursementId);
    const decide = (current: StoredDisbursement) =>
      decideClearFlags({ ...current, uncleared: current.flags.filter((f) => f.clearedAt === null).length }, actor.sub);
    decide(d);
    const at = now.toISOString();
    const flags = clearFlags(d.flags, actor.sub, at, reason);
    const entry: HistoryEntry = { at, actor: actor.sub, action: 'flags_cleared', fromStatus: d.status, toStatus: d.status, reason };
    await transact([
      versionedChangeStep({
        key: keys.disbursement(d.disbursementId),
        what: `Disbursement ${d.disbursementId}`,
        version: d.version,
        status: d.status,
        now,
        set: { flags },
        append: { history: [entry] },
        redecide: (current) => decide(toDisbursement(current)),
      }),
      disbursementAudit(d, entry, actor, { matches: d.flags.flatMap((f) => f.matches) }),
      // The half-year report's flags cleared.
      ...reportStatsSteps(
        d.fundId,
        now,
        reportFigures.flagsCleared(d.flags.filter((f) => f.clearedAt === null).map((f) => f.code)),
        d.disbursementId,
      ),
    ]);
    return publicDisbursement({ ...d, flags, updatedAt: at, history: [...d.history, entry], version: d.version + 1 });
  });
}

export function rejectDisbursement(disbursementId: string, reason: string, actor: Actor, now: Date): Promise<Disbursement> {
  return closeDisbursement(disbursementId, 'rejected', reason, (d) => decideRejection(d, actor.sub), actor, now);
}

export function cancelDisbursement(
  disbursementId: string,
  reason: string,
  caller: Actor & { roles: readonly Role[] },
  now: Date,
): Promise<Disbursement> {
  return closeDisbursement(disbursementId, 'cancelled', reason, (d) => decideCancellation(d, caller), caller, now);
}
