import { isNewlyOverdue } from '../../domain/warning-rules.ts';
import { logger } from '../../logger.ts';
import { keys } from '../platform/keys.ts';
import { getItem } from '../platform/query.ts';
import { eventStep, enqueueEvents, queuedIds } from '../platform/events.ts';
import { subscribedEventTypes } from '../webhook-endpoints/subscriptions.ts';
import { overdueSource } from '../platform/sweep.ts';
import { transact } from '../platform/transactions.ts';
import { toDisbursement } from '../disbursements/items.ts';
import { findBatch } from '../batches/items.ts';
import {
  FLAGS_DUE_INDEX,
  FlagDueTaken,
  PAID_ROLLUP_INDEX,
  flagDueTakeStep,
  parseFlagDueSortKey,
  readFlagDue,
  rollUpSettlement,
} from './items.ts';

/** Whether the item still waits for approval with the flag uncleared, and who pays its fund (its event log). */
async function stillFlagged(ref: string, code: string, now: Date): Promise<{ payer: string } | undefined> {
  if (ref.startsWith('bat_')) {
    const b = await findBatch(ref);
    return b && b.status === 'pending_approval' && !b.flags.cleared ? { payer: b.payer } : undefined;
  }
  const item = await getItem(keys.disbursement(ref));
  if (!item) return undefined;
  const d = toDisbursement(item);
  return d.flags.some((f) => f.code === code && isNewlyOverdue(f, d.status, now)) ? { payer: d.payer } : undefined;
}

/**
 * `flag.overdue` for one flag past its due time, on an item still pending approval: the event and the entry's
 * removal from the due index in ONE transaction conditional on the entry still being in the index, so that two
 * sweepers at once raise it once. A flag cleared, or an item decided, by then: the entry leaves the index
 * without an event. Returns whether this call raised it.
 */
export async function raiseOverdueFlag(ref: string, code: string, now: Date): Promise<boolean> {
  const due = await readFlagDue(ref, code);
  if (!due || Date.parse(due.dueAt) > now.getTime()) return false;
  const flagged = await stillFlagged(ref, code, now);
  try {
    if (!flagged) {
      await transact([flagDueTakeStep(ref, code, false, now)]);
      return false;
    }
    const event = eventStep(
      'flag.overdue',
      ref,
      {
        fundId: due.fundId,
        ...(ref.startsWith('bat_') ? { batchId: ref, rows: due.rows ?? 0 } : { disbursementId: ref }),
        code: due.code,
        severity: due.severity,
        dueAt: due.dueAt,
      },
      now,
      // One read of who listens, for a flag that is raised (the sweeper's only request for it).
      { payer: flagged.payer, subscribed: (await subscribedEventTypes())('flag.overdue') },
    );
    await transact([flagDueTakeStep(ref, code, true, now), event.step]);
    await enqueueEvents(queuedIds([event]));
    return true;
  } catch (error) {
    if (error instanceof FlagDueTaken) return false;
    throw error;
  }
}

/** Sweeper source: flags whose due time is over (by the clock, like notice ends). */
export const flagOverdueSource = overdueSource({
  name: 'flag-overdue',
  partition: FLAGS_DUE_INDEX,
  dueBy: 'clock',
  // overdueIn hands back what follows the due time: `<ref>#<code>`.
  each(entry, now) {
    const { ref, code } = parseFlagDueSortKey(`#${entry}`);
    return raiseOverdueFlag(ref, code, now);
  },
  refused: (entry, error) => logger.warn('flag overdue refused', { ref: parseFlagDueSortKey(`#${entry}`).ref, code: error.code }),
});

/** Sweeper source: settled payouts whose roll-up into their account's record (`repeat_payee`) was lost. */
export const settledRecordSource = overdueSource({
  name: 'settled-records',
  partition: PAID_ROLLUP_INDEX,
  async each(payoutId) {
    await rollUpSettlement(payoutId);
    return true;
  },
});
