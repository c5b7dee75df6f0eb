import { subjectOf } from './subjects.ts';
import { config } from '../../config.ts';
import { auditStep } from '../platform/audit.ts';
import { eventStep, enqueueEvents, queuedIds, type PendingEvent } from '../platform/events.ts';
import { subscriptionsOnce } from '../webhook-endpoints/subscriptions.ts';
import { overdueSource } from '../platform/sweep.ts';
import { LEDGER_ATTEMPTS, retryOnConflict, transact, TransactionConflict } from '../platform/transactions.ts';
import { logger } from '../../logger.ts';
import { NOTICE_OPEN_INDEX, SYSTEM_ACTOR, noticeKey, readNotice, readNoticeItems } from './items.ts';

// ---------------------------------------------------------------------------------------------------
// The notice's end (the sweeper)

/**
 * Closes a notice whose period is over: every listed item proceeds, held ones wait for their
 * objections, and the notice is `closed` with `notice.closed`, all in one transaction conditional on
 * the notice's version as read (every objection moves it, so one that lands meanwhile makes the end
 * decide again). Items are not written one by one (a batch's notice has thousands): a listed item
 * of a closed notice reads as `proceeding`. A second run finds the notice closed and does nothing.
 */
export async function endNotice(noticeId: string, now: Date): Promise<boolean> {
  // Which types anyone listens to: one read for the end (retries included), shared with the subject's proceeding.
  const subscriptions = subscriptionsOnce();
  const result = await retryOnConflict(async () => {
    const notice = await readNotice(noticeId);
    if (notice.status !== 'open' || Date.parse(notice.endsAt) > now.getTime()) return undefined;
    const items = await readNoticeItems(noticeId);
    const proceeding = items.filter((i) => i.status === 'listed');
    const held = items.filter((i) => i.status === 'objected');
    const subject = subjectOf(notice);
    const heard = await subscriptions();
    const event: PendingEvent = eventStep(
      'notice.closed',
      noticeId,
      {
        noticeId,
        countyCode: notice.countyCode,
        fundId: notice.fundId,
        proceeding: proceeding.length,
        held: held.length,
        withdrawn: items.filter((i) => i.status === 'withdrawn').length,
      },
      now,
      { payer: notice.payer, subscribed: heard('notice.closed') },
    );
    const close = subject.close ? await subject.close(notice, proceeding, held, now) : undefined;
    const proceed = !subject.close && proceeding.length ? await subject.proceed(notice, proceeding, SYSTEM_ACTOR, now, heard) : undefined;
    await transact([
      {
        item: {
          Update: {
            TableName: config().TABLE_NAME,
            Key: noticeKey(noticeId),
            UpdateExpression: 'SET #status = :closed, updatedAt = :at, version = version + :one REMOVE gsi4pk, gsi4sk',
            ConditionExpression: 'version = :version AND #status = :open',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':closed': 'closed',
              ':at': now.toISOString(),
              ':one': 1,
              ':version': notice.version,
              ':open': 'open',
            },
          },
        },
        onConditionFailed: () => new TransactionConflict(),
      },
      auditStep(noticeKey(noticeId).pk, {
        actor: SYSTEM_ACTOR,
        action: 'notice.closed',
        at: now,
        fromStatus: 'open',
        toStatus: 'closed',
        details: { proceeding: proceeding.length, held: held.length },
      }),
      event.step,
      ...(close?.steps ?? []),
      ...(proceed?.steps ?? []),
    ]);
    return {
      messageIds: [...queuedIds([event]), ...(close?.messageIds ?? []), ...(proceed?.messageIds ?? [])],
      after: close?.after ?? proceed?.after,
    };
  }, LEDGER_ATTEMPTS);
  if (!result) return false;
  await enqueueEvents(result.messageIds);
  await result.after?.();
  return true;
}

/** Sweeper source: notices whose period is over (due by the clock, like subsidy releases). */
export const noticeEndSource = overdueSource({
  name: 'notice-end',
  partition: NOTICE_OPEN_INDEX,
  dueBy: 'clock',
  each: endNotice,
  // One notice that cannot close now does not keep the others open; the next sweep tries again.
  refused: (noticeId, error) => logger.warn('notice end refused', { noticeId, code: error.code }),
});
