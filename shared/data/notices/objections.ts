import { subjectOf } from './subjects.ts';
import { DomainError, invalidState, notFound, type ErrorCode } from '../../domain/errors.ts';
import {
  decideObjection,
  decideResolution,
  itemAfterResolution,
  MAX_OBJECTIONS_PER_ITEM,
  type ObjectionOutcome,
  type ObjectionStatus,
} from '../../domain/notices.ts';
import { newId } from '../../ids.ts';
import { config } from '../../config.ts';
import { auditStep } from '../platform/audit.ts';
import { eventStep, enqueueEvents, queuedIds } from '../platform/events.ts';
import { subscriptionsOnce } from '../webhook-endpoints/subscriptions.ts';
import { getItem, queryPage, requireItem, type Page } from '../platform/query.ts';
import { LEDGER_ATTEMPTS, retryOnConflict, transact, TransactionConflict, type TxStep } from '../platform/transactions.ts';
import { commitMoney, type MoneyMove } from '../ledger/move.ts';
import { reportFigures, reportStatsSteps } from '../reports/stats.ts';
import { SYSTEM_ACTOR, noticeKey, itemKey, toNotice, toItem, readNotice, itemMoveStep, noticeStillStep } from './items.ts';
import {
  objectionKey,
  Objection,
  StoredObjection,
  toObjection,
  publicObjection,
  noticeDeciders,
  objectionSourceStep,
  ALL_OBJECTIONS,
  objectionsByStatus,
  objectionsOfNotice,
} from '../objections/items.ts';
import { logger } from '../../logger.ts';

// ---------------------------------------------------------------------------------------------------
// Objections

/** An objection from the public: holds its item until a fund admin resolves it. */
export async function fileObjection(
  noticeId: string,
  input: { itemRef: string; reason: string; contact?: string },
  now: Date,
  sourceIp?: string,
): Promise<{ objectionId: string }> {
  const perSource = sourceIp === undefined ? [] : [await objectionSourceStep(sourceIp, noticeId, now)];
  // Which types anyone listens to, read once for the request (retries included), once the objection is admissible.
  const subscriptions = subscriptionsOnce();
  const result = await retryOnConflict(async () => {
    const noticeItem = await getItem(noticeKey(noticeId));
    if (!noticeItem) throw notFound(`Notice ${noticeId}`);
    const notice = toNotice(noticeItem);
    const stored = await getItem(itemKey(noticeId, input.itemRef));
    if (!stored) throw notFound(`Item ${input.itemRef} of notice ${noticeId}`);
    const item = toItem(stored);
    decideObjection(notice, item, now);
    const objectionId = newId('objection', now.getTime());
    const at = now.toISOString();
    const event = eventStep(
      'objection.received',
      objectionId,
      { objectionId, noticeId, itemRef: input.itemRef, countyCode: notice.countyCode },
      now,
      { payer: notice.payer, subscribed: (await subscriptions())('objection.received') },
    );
    const table = config().TABLE_NAME;
    await transact([
      {
        item: {
          // Moves the notice's version: a notice end that read the items before this objection decides again.
          Update: {
            TableName: table,
            Key: noticeKey(noticeId),
            UpdateExpression: 'SET version = version + :one, objections = if_not_exists(objections, :zero) + :one',
            ConditionExpression: '#status = :open',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':open': 'open', ':one': 1, ':zero': 0 },
          },
        },
        onConditionFailed: () => invalidState('The notice has ended; objections are no longer accepted'),
      },
      {
        item: {
          Update: {
            TableName: table,
            Key: itemKey(noticeId, input.itemRef),
            UpdateExpression: 'SET objections = objections + :one, openObjections = openObjections + :one, #status = :objected',
            // The open count is held by this condition, not by the read above: it holds across processes.
            ConditionExpression: 'openObjections < :max AND #status IN (:listed, :objected)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':one': 1, ':max': MAX_OBJECTIONS_PER_ITEM, ':listed': 'listed', ':objected': 'objected' },
          },
        },
        onConditionFailed: (current) => {
          const now_ = current ? toItem(current) : undefined;
          if (now_ && now_.openObjections >= MAX_OBJECTIONS_PER_ITEM)
            return invalidState(`The item already has ${MAX_OBJECTIONS_PER_ITEM} open objections`);
          if (now_ && now_.status !== 'listed' && now_.status !== 'objected') return invalidState(`The item is ${now_.status}`);
          return new TransactionConflict();
        },
      },
      {
        item: {
          Put: {
            TableName: table,
            Item: {
              ...objectionKey(objectionId),
              type: 'objection',
              objectionId,
              noticeId,
              itemRef: input.itemRef,
              reason: input.reason,
              contact: input.contact ?? null,
              status: 'open',
              resolvedBy: null,
              resolvedAt: null,
              note: null,
              createdAt: at,
              updatedAt: at,
              version: 1,
              gsi1pk: ALL_OBJECTIONS,
              gsi1sk: objectionId,
              gsi2pk: objectionsByStatus('open'),
              gsi2sk: objectionId,
              gsi3pk: objectionsOfNotice(noticeId),
              gsi3sk: objectionId,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      },
      // Never the contact or the reason's text in the audit: only what happened.
      auditStep(noticeKey(noticeId).pk, {
        actor: 'public',
        action: 'objection.received',
        at: now,
        details: { objectionId, itemRef: input.itemRef },
      }),
      event.step,
      ...perSource,
    ]);
    return { objectionId, messageIds: queuedIds([event]) };
  });
  await enqueueEvents(result.messageIds);
  return { objectionId: result.objectionId };
}

export async function listObjections(filter: {
  status?: ObjectionStatus;
  noticeId?: string;
  limit: number;
  cursor?: string;
}): Promise<Page<Objection>> {
  let index: 'gsi1' | 'gsi2' | 'gsi3';
  let pk: string;
  if (filter.noticeId !== undefined) [index, pk] = ['gsi3', objectionsOfNotice(filter.noticeId)];
  else if (filter.status !== undefined) [index, pk] = ['gsi2', objectionsByStatus(filter.status)];
  else [index, pk] = ['gsi1', ALL_OBJECTIONS];
  const statusFilter = filter.status !== undefined && index !== 'gsi2';
  const page = await queryPage({
    index,
    keyCondition: `${index}pk = :pk`,
    values: { ':pk': pk, ...(statusFilter ? { ':status': filter.status } : {}) },
    filter: statusFilter ? '#status = :status' : undefined,
    names: statusFilter ? { '#status': 'status' } : undefined,
    newestFirst: true,
    limit: filter.limit,
    cursor: filter.cursor,
    scope: `objections|${filter.status ?? ''}|${filter.noticeId ?? ''}`,
  });
  return { items: page.items.map((i) => publicObjection(toObjection(i))), nextCursor: page.nextCursor };
}

/**
 * A fund admin decides on an objection. Upheld: the item is withdrawn and its money released.
 * Dismissed: the item is listed again, or proceeds at once when the notice has already ended.
 */
export async function resolveObjection(
  objectionId: string,
  input: { outcome: ObjectionOutcome; note: string },
  actor: { sub: string; correlationId?: string },
  now: Date,
): Promise<Objection> {
  const result = await retryOnConflict(async () => {
    const objection = toObjection(await requireItem(objectionKey(objectionId), `Objection ${objectionId}`));
    const notice = await readNotice(objection.noticeId);
    decideResolution(objection, await noticeDeciders(notice), actor.sub);
    const item = toItem(await requireItem(itemKey(notice.noticeId, objection.itemRef), `Item ${objection.itemRef}`));
    const closed = notice.status === 'closed';
    const to = itemAfterResolution(item, input.outcome, closed);
    const at = now.toISOString();
    const steps: TxStep[] = [
      {
        item: {
          Update: {
            TableName: config().TABLE_NAME,
            Key: objectionKey(objectionId),
            UpdateExpression:
              'SET #status = :to, gsi2pk = :gsi2pk, resolvedBy = :by, resolvedAt = :at, note = :note, updatedAt = :at, version = version + :one',
            ConditionExpression: 'version = :version AND #status = :open',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':to': input.outcome,
              ':gsi2pk': objectionsByStatus(input.outcome),
              ':by': actor.sub,
              ':at': at,
              ':note': input.note,
              ':one': 1,
              ':version': objection.version,
              ':open': 'open',
            },
          },
        },
        onConditionFailed: (current) => {
          if (current && current.status !== 'open') return invalidState(`The objection is already ${String(current.status)}`);
          return new TransactionConflict();
        },
      },
      itemMoveStep(item, to, -1),
      noticeStillStep(notice),
      auditStep(noticeKey(notice.noticeId).pk, {
        actor: actor.sub,
        action: `objection.${input.outcome}`,
        at: now,
        correlationId: actor.correlationId,
        fromStatus: item.status,
        toStatus: to,
        reason: input.note,
        details: { objectionId, itemRef: item.itemRef },
      }),
      // The half-year report's objections upheld and dismissed.
      ...reportStatsSteps(notice.fundId, now, reportFigures.objection(input.outcome), objectionId),
    ];
    const messageIds: string[] = [];
    let after: (() => Promise<void>) | undefined;
    let money: MoneyMove | undefined;
    if (to === 'withdrawn' && item.status !== 'withdrawn') {
      const withdrawal = await subjectOf(notice).withdraw(notice, item, input.note, actor.sub, now);
      steps.push(...withdrawal.steps);
      money = withdrawal.money;
      messageIds.push(...withdrawal.messageIds);
      after = withdrawal.after;
    } else if (to === 'proceeding' && item.status !== 'proceeding') {
      const proceeding = await subjectOf(notice).proceed(notice, [{ ...item, status: 'proceeding' }], SYSTEM_ACTOR, now);
      steps.push(...proceeding.steps);
      messageIds.push(...proceeding.messageIds);
      after = proceeding.after;
    }
    await commitMoney(money, (release) => [...steps, ...release]);
    const resolved: StoredObjection = {
      ...objection,
      status: input.outcome,
      resolvedBy: actor.sub,
      resolvedAt: at,
      note: input.note,
      version: objection.version + 1,
    };
    return { resolved, messageIds, after };
  }, LEDGER_ATTEMPTS);
  if (result.messageIds.length) await enqueueEvents(result.messageIds);
  await result.after?.();
  return publicObjection(result.resolved);
}

/**
 * `POST /v1/objections/resolve`: up to 100 objections, each exactly as by the single route and each on
 * its own (one refused blocks no other). One after the other: objections to one notice move the same
 * notice version, so resolving them side by side would only make them retry against each other.
 */
export interface BulkResolution {
  resolved: string[];
  refused: { objectionId: string; code: ErrorCode }[];
}

export async function resolveObjections(
  objectionIds: readonly string[],
  input: { outcome: ObjectionOutcome; note: string },
  actor: { sub: string; correlationId?: string },
  now: Date,
): Promise<BulkResolution> {
  const result: BulkResolution = { resolved: [], refused: [] };
  for (const objectionId of objectionIds) {
    try {
      await resolveObjection(objectionId, input, actor, now);
      result.resolved.push(objectionId);
    } catch (error) {
      if (error instanceof DomainError) {
        result.refused.push({ objectionId, code: error.code });
        continue;
      }
      // Not the caller's fault and not worth stopping the others for: refused, to be tried again.
      logger.error('objection resolution failed', { objectionId, error: (error as Error).name });
      result.refused.push({ objectionId, code: 'temporarily_unavailable' });
    }
  }
  return result;
}
