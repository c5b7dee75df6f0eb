/**
 * Public notices (公示) and objections.
 *
 * Items:
 * - notice `NOTICE#<noticeId> / NOTICE` (`type: notice`, `version`): what it posts (`source`: the
 *   disbursement or batch), the approvers (who may not resolve objections), `status` open | closed.
 *   Listed by county (`gsi3pk = NOTICE#COUNTY#<code>`) and in all (`gsi1pk = NOTICES`), newest first;
 *   while open it sits in the sweeper's index (`gsi4pk = NOTICE#OPEN`, `gsi4sk = <endsAt>#<noticeId>`),
 *   so the notice's end is found by a key condition, not a scan.
 * - its items `NOTICE#<noticeId> / ITEM#<itemRef>` (`type: notice-item`): the masked name (the clear
 *   name is never copied here), kind, amount, status, objection counts, and what it stands for.
 * - objection `OBJ#<objectionId> / OBJ` (`type: objection`), listed by status (`gsi2pk`), by notice
 *   (`gsi3pk`) and in all (`gsi1pk = OBJS`). Its `contact` is personal data: masked in every response.
 *
 * Each step is one transaction with its conditions, audit entry, event and (when money moves) ledger
 * entry. The notice's end is driven by the outbox sweeper (`noticeEndSource`): a crash or a restart
 * loses nothing, and the conditions (notice still open, items as read) keep a second run from
 * proceeding anything twice.
 */
import { DomainError, invalidState, notFound } from '../domain/errors.ts';
import { maskPhone } from '../domain/masking.ts';
import {
  decideObjection,
  decideResolution,
  itemAfterResolution,
  itemAtNoticeEnd,
  maskName,
  MAX_OBJECTIONS_PER_ITEM,
  type NoticeItemStatus,
  type NoticeStatus,
  type ObjectionOutcome,
  type ObjectionStatus,
} from '../domain/notices.ts';
import type { BeneficiaryKind } from '../domain/payouts.ts';
import { newId } from '../ids.ts';
import { config } from '../config.ts';
import { auditStep } from './audit.ts';
import { eventStep, enqueueEvents, type PendingEvent } from './events.ts';
import { keys } from './keys.ts';
import { overdueIn, type SweepSource } from './outbox.ts';
import { getItem, queryAll, queryPage, requireItem, type Page } from './query.ts';
import { LEDGER_ATTEMPTS, retryOnConflict, transact, TransactionConflict, type TxStep } from './transactions.ts';
import { logger } from '../logger.ts';
import { noticeDeciders } from './objections/deciders.ts';
import { objectionSourceStep } from './objections/source-limit.ts';

export const NOTICE_OPEN_INDEX = 'NOTICE#OPEN';
const SYSTEM_ACTOR = 'system:notice';
const noticeKey = (noticeId: string) => ({ pk: `NOTICE#${noticeId}`, sk: 'NOTICE' });
const itemKey = (noticeId: string, itemRef: string) => ({ pk: `NOTICE#${noticeId}`, sk: `ITEM#${itemRef}` });
const objectionKey = (objectionId: string) => ({ pk: `OBJ#${objectionId}`, sk: 'OBJ' });
const openSortKey = (endsAt: string, noticeId: string) => `${endsAt}#${noticeId}`;

export interface NoticeSource {
  kind: 'disbursement' | 'batch';
  id: string;
}

export interface StoredNotice {
  noticeId: string;
  fundId: string;
  /** The fund's paying finance system: its notice events are in that system's event log. */
  payer: string;
  fundName: string;
  countyCode: string;
  countyName: string;
  purpose: string;
  startsAt: string;
  endsAt: string;
  status: NoticeStatus;
  source: NoticeSource;
  approvers: string[];
  itemCount: number;
  version: number;
}

export interface StoredNoticeItem {
  noticeId: string;
  itemRef: string;
  beneficiaryName: string;
  beneficiaryKind: BeneficiaryKind;
  amount: number;
  status: NoticeItemStatus;
  objections: number;
  openObjections: number;
  /** The batch row an item of a batch notice stands for. */
  row?: number;
}

export interface PublicNoticeItem {
  itemRef: string;
  beneficiaryName: string;
  beneficiaryKind: BeneficiaryKind;
  amount: number;
  status: NoticeItemStatus;
}

export interface PublicNotice {
  noticeId: string;
  countyCode: string;
  countyName: string;
  fundName: string;
  purpose: string;
  startsAt: string;
  endsAt: string;
  status: NoticeStatus;
  items: PublicNoticeItem[];
}

export interface Objection {
  objectionId: string;
  noticeId: string;
  itemRef: string;
  reason: string;
  contact: string | null;
  status: ObjectionStatus;
  resolvedBy: string | null;
  resolvedAt: string | null;
  note: string | null;
  createdAt: string;
}

interface StoredObjection extends Objection {
  version: number;
}

function toNotice(item: Record<string, unknown>): StoredNotice {
  return {
    noticeId: item.noticeId as string,
    fundId: item.fundId as string,
    payer: (item.payer as string | undefined) ?? '',
    fundName: item.fundName as string,
    countyCode: item.countyCode as string,
    countyName: item.countyName as string,
    purpose: item.purpose as string,
    startsAt: item.startsAt as string,
    endsAt: item.endsAt as string,
    status: item.status as NoticeStatus,
    source: item.source as NoticeSource,
    approvers: (item.approvers as string[] | undefined) ?? [],
    itemCount: item.itemCount as number,
    version: item.version as number,
  };
}

export function toItem(item: Record<string, unknown>): StoredNoticeItem {
  return {
    noticeId: item.noticeId as string,
    itemRef: item.itemRef as string,
    beneficiaryName: item.beneficiaryName as string,
    beneficiaryKind: item.beneficiaryKind as BeneficiaryKind,
    amount: item.amount as number,
    status: item.status as NoticeItemStatus,
    objections: (item.objections as number | undefined) ?? 0,
    openObjections: (item.openObjections as number | undefined) ?? 0,
    ...(typeof item.row === 'number' ? { row: item.row } : {}),
  };
}

function toObjection(item: Record<string, unknown>): StoredObjection {
  return {
    objectionId: item.objectionId as string,
    noticeId: item.noticeId as string,
    itemRef: item.itemRef as string,
    reason: item.reason as string,
    contact: (item.contact as string | null | undefined) ?? null,
    status: item.status as ObjectionStatus,
    resolvedBy: (item.resolvedBy as string | null | undefined) ?? null,
    resolvedAt: (item.resolvedAt as string | null | undefined) ?? null,
    note: (item.note as string | null | undefined) ?? null,
    createdAt: item.createdAt as string,
    version: item.version as number,
  };
}

/** The response form: the contact masked (it is personal data), no storage fields. */
export function publicObjection(o: StoredObjection | Objection): Objection {
  const { version: _, ...rest } = o as StoredObjection;
  return { ...rest, contact: o.contact === null ? null : maskPhone(o.contact) };
}

// ---------------------------------------------------------------------------------------------------
// Opening a notice (inside the final approval's transaction)

export interface NoticeOpening {
  notice: { noticeId: string; startsAt: string; endsAt: string };
  /** The notice head, its audit entry and `notice.opened`: in the approval's transaction. */
  steps: TxStep[];
  /** One put per item: in the same transaction when few; a batch's are written ahead (see batches.ts). */
  itemPuts: TxStep[];
  messageId: string;
}

export interface NoticeEntry {
  itemRef: string;
  name: string;
  kind: BeneficiaryKind;
  amount: number;
  row?: number;
}

/**
 * The notice and its items as steps of the approval that opens it, with `notice.opened` and the
 * audit entry. Names are masked before they are stored here: the public side never holds a clear one.
 */
export async function noticeOpening(
  input: {
    fundId: string;
    payer: string;
    fundName: string;
    countyCode: string;
    purpose: string;
    source: NoticeSource;
    approvers: string[];
    entries: NoticeEntry[];
    endsAt: Date;
  },
  actor: { sub: string; correlationId?: string },
  now: Date,
): Promise<NoticeOpening> {
  const county = await getItem(keys.county(input.countyCode));
  const noticeId = newId('notice', now.getTime());
  const startsAt = now.toISOString();
  const endsAt = input.endsAt.toISOString();
  const table = config().TABLE_NAME;
  const notice: StoredNotice = {
    noticeId,
    fundId: input.fundId,
    payer: input.payer,
    fundName: input.fundName,
    countyCode: input.countyCode,
    countyName: (county?.name as string | undefined) ?? input.countyCode,
    purpose: input.purpose,
    startsAt,
    endsAt,
    status: 'open',
    source: input.source,
    approvers: input.approvers,
    itemCount: input.entries.length,
    version: 1,
  };
  const event = eventStep(
    'notice.opened',
    noticeId,
    { noticeId, countyCode: notice.countyCode, fundId: notice.fundId, startsAt, endsAt, itemCount: notice.itemCount, source: input.source },
    now,
    { payer: input.payer },
  );
  const steps: TxStep[] = [
    {
      item: {
        Put: {
          TableName: table,
          Item: {
            ...noticeKey(noticeId),
            type: 'notice',
            ...notice,
            createdAt: startsAt,
            updatedAt: startsAt,
            gsi1pk: 'NOTICES',
            gsi1sk: noticeId,
            gsi3pk: `NOTICE#COUNTY#${notice.countyCode}`,
            gsi3sk: noticeId,
            gsi4pk: NOTICE_OPEN_INDEX,
            gsi4sk: openSortKey(endsAt, noticeId),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    },
  ];
  const itemPuts = input.entries.map((e): TxStep => ({
    item: {
      Put: {
        TableName: table,
        Item: {
          ...itemKey(noticeId, e.itemRef),
          type: 'notice-item',
          noticeId,
          itemRef: e.itemRef,
          beneficiaryName: maskName(e.name),
          beneficiaryKind: e.kind,
          amount: e.amount,
          status: 'listed',
          objections: 0,
          openObjections: 0,
          ...(e.row !== undefined ? { row: e.row } : {}),
        },
      },
    },
  }));
  steps.push(
    auditStep(noticeKey(noticeId).pk, {
      actor: actor.sub,
      action: 'notice.opened',
      at: now,
      correlationId: actor.correlationId,
      toStatus: 'open',
      details: { fundId: notice.fundId, countyCode: notice.countyCode, source: input.source, items: notice.itemCount, endsAt },
    }),
    event.step,
  );
  return { notice: { noticeId, startsAt, endsAt }, steps, itemPuts, messageId: event.messageId };
}

// ---------------------------------------------------------------------------------------------------
// Reading

export async function readNotice(noticeId: string): Promise<StoredNotice> {
  return toNotice(await requireItem(noticeKey(noticeId), `Notice ${noticeId}`));
}

export async function readNoticeItems(noticeId: string): Promise<StoredNoticeItem[]> {
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :item)',
    ExpressionAttributeValues: { ':pk': `NOTICE#${noticeId}`, ':item': 'ITEM#' },
    ConsistentRead: true,
  });
  return items.map(toItem).sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
}

export function publicNotice(n: StoredNotice, items: StoredNoticeItem[]): PublicNotice {
  return {
    noticeId: n.noticeId,
    countyCode: n.countyCode,
    countyName: n.countyName,
    fundName: n.fundName,
    purpose: n.purpose,
    startsAt: n.startsAt,
    endsAt: n.endsAt,
    status: n.status,
    // A listed item of an ended notice is on its way to payment: the end writes the notice, not each item.
    items: items.map(({ itemRef, beneficiaryName, beneficiaryKind, amount, status }) => ({
      itemRef,
      beneficiaryName,
      beneficiaryKind,
      amount,
      status: itemAtNoticeEnd(status, n.status),
    })),
  };
}

export async function getPublicNotice(noticeId: string): Promise<PublicNotice> {
  const notice = await readNotice(noticeId);
  return publicNotice(notice, await readNoticeItems(noticeId));
}

/** A county's notices (or all), newest first, each with its items. */
export async function listPublicNotices(filter: {
  countyCode?: string;
  status?: NoticeStatus;
  limit: number;
  cursor?: string;
  /** false: the notices without their items (`items` empty, `itemCount` says how many), one read per page. */
  withItems?: boolean;
}): Promise<Page<PublicNotice & { itemCount: number }>> {
  const byCounty = filter.countyCode !== undefined;
  const page = await queryPage({
    index: byCounty ? 'gsi3' : 'gsi1',
    keyCondition: byCounty ? 'gsi3pk = :pk' : 'gsi1pk = :pk',
    values: { ':pk': byCounty ? `NOTICE#COUNTY#${filter.countyCode}` : 'NOTICES', ...(filter.status ? { ':status': filter.status } : {}) },
    filter: filter.status ? '#status = :status' : undefined,
    names: filter.status ? { '#status': 'status' } : undefined,
    newestFirst: true,
    limit: filter.limit,
    cursor: filter.cursor,
    scope: `notices|${filter.countyCode ?? ''}|${filter.status ?? ''}`,
  });
  const items = await Promise.all(
    page.items.map(async (i) => {
      const n = toNotice(i);
      return { ...publicNotice(n, filter.withItems === false ? [] : await readNoticeItems(n.noticeId)), itemCount: n.itemCount };
    }),
  );
  return { items, nextCursor: page.nextCursor };
}

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
      { payer: notice.payer },
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
              gsi1pk: 'OBJS',
              gsi1sk: objectionId,
              gsi2pk: `OBJ#STATUS#open`,
              gsi2sk: objectionId,
              gsi3pk: `OBJ#NOTICE#${noticeId}`,
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
    return { objectionId, messageId: event.messageId };
  });
  await enqueueEvents([result.messageId]);
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
  if (filter.noticeId !== undefined) [index, pk] = ['gsi3', `OBJ#NOTICE#${filter.noticeId}`];
  else if (filter.status !== undefined) [index, pk] = ['gsi2', `OBJ#STATUS#${filter.status}`];
  else [index, pk] = ['gsi1', 'OBJS'];
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

// ---------------------------------------------------------------------------------------------------
// What a notice's source does when an item proceeds or is withdrawn

/** The money side of a notice: implemented by disbursements and batches, registered at load. */
export interface NoticeSubject {
  /** Steps that make the item proceed to its payout; the returned messages are queued after commit. */
  proceed(
    notice: StoredNotice,
    items: StoredNoticeItem[],
    actor: string,
    now: Date,
  ): Promise<{ steps: TxStep[]; messageIds: string[]; after?: () => Promise<void> }>;
  /** Steps that withdraw the item and release its reservation. */
  withdraw(
    notice: StoredNotice,
    item: StoredNoticeItem,
    reason: string,
    actor: string,
    now: Date,
  ): Promise<{ steps: TxStep[]; messageIds: string[]; after?: () => Promise<void> }>;
  /** Steps the notice's end adds besides proceeding items (a batch moves to `approved`). */
  close?(
    notice: StoredNotice,
    proceeding: StoredNoticeItem[],
    held: StoredNoticeItem[],
    now: Date,
  ): Promise<{ steps: TxStep[]; messageIds: string[]; after?: () => Promise<void> }>;
}

const subjects = new Map<NoticeSource['kind'], NoticeSubject>();

export function registerNoticeSubject(kind: NoticeSource['kind'], subject: NoticeSubject): void {
  subjects.set(kind, subject);
}

function subjectOf(notice: StoredNotice): NoticeSubject {
  const subject = subjects.get(notice.source.kind);
  if (!subject) throw new Error(`no notice subject registered for ${notice.source.kind}`);
  return subject;
}

function itemMoveStep(item: StoredNoticeItem, to: NoticeItemStatus, openDelta = 0): TxStep {
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: itemKey(item.noticeId, item.itemRef),
        UpdateExpression: 'SET #status = :to, openObjections = openObjections + :delta',
        ConditionExpression: '#status = :from AND openObjections = :open',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':to': to, ':from': item.status, ':open': item.openObjections, ':delta': openDelta },
      },
    },
    onConditionFailed: () => new TransactionConflict(),
  };
}

/**
 * The notice as read, and its version moved: a notice end that read the items before this resolution
 * must decide again (else a row dismissed meanwhile is closed in as held and never proceeds).
 */
function noticeStillStep(notice: StoredNotice): TxStep {
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: noticeKey(notice.noticeId),
        UpdateExpression: 'SET version = version + :one',
        ConditionExpression: 'version = :version',
        ExpressionAttributeValues: { ':version': notice.version, ':one': 1 },
      },
    },
    onConditionFailed: () => new TransactionConflict(),
  };
}

/** The payout of a notice item settled: the post-payment notice shows it as paid. */
export function noticeItemPaidStep(ref: { noticeId: string; itemRef: string }): TxStep {
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: itemKey(ref.noticeId, ref.itemRef),
        UpdateExpression: 'SET #status = :paid',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':paid': 'paid' },
      },
    },
  };
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
              ':gsi2pk': `OBJ#STATUS#${input.outcome}`,
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
    ];
    const messageIds: string[] = [];
    let after: (() => Promise<void>) | undefined;
    if (to === 'withdrawn' && item.status !== 'withdrawn') {
      const withdrawal = await subjectOf(notice).withdraw(notice, item, input.note, actor.sub, now);
      steps.push(...withdrawal.steps);
      messageIds.push(...withdrawal.messageIds);
      after = withdrawal.after;
    } else if (to === 'proceeding' && item.status !== 'proceeding') {
      const proceeding = await subjectOf(notice).proceed(notice, [{ ...item, status: 'proceeding' }], SYSTEM_ACTOR, now);
      steps.push(...proceeding.steps);
      messageIds.push(...proceeding.messageIds);
      after = proceeding.after;
    }
    await transact(steps);
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
  const result = await retryOnConflict(async () => {
    const notice = await readNotice(noticeId);
    if (notice.status !== 'open' || Date.parse(notice.endsAt) > now.getTime()) return undefined;
    const items = await readNoticeItems(noticeId);
    const proceeding = items.filter((i) => i.status === 'listed');
    const held = items.filter((i) => i.status === 'objected');
    const subject = subjectOf(notice);
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
      { payer: notice.payer },
    );
    const close = subject.close ? await subject.close(notice, proceeding, held, now) : undefined;
    const proceed = !subject.close && proceeding.length ? await subject.proceed(notice, proceeding, SYSTEM_ACTOR, now) : undefined;
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
      messageIds: [event.messageId, ...(close?.messageIds ?? []), ...(proceed?.messageIds ?? [])],
      after: close?.after ?? proceed?.after,
    };
  }, LEDGER_ATTEMPTS);
  if (!result) return false;
  await enqueueEvents(result.messageIds);
  await result.after?.();
  return true;
}

/** Sweeper source: notices whose period is over (due by the clock, like subsidy releases). */
export const noticeEndSource: SweepSource = {
  name: 'notice-end',
  async sweep() {
    const now = new Date();
    let found = 0;
    let queued = 0;
    for await (const ids of overdueIn(NOTICE_OPEN_INDEX, now)) {
      found += ids.length;
      for (const noticeId of ids) {
        try {
          if (await endNotice(noticeId, now)) queued += 1;
        } catch (error) {
          // One notice that cannot close now does not keep the others open; the next sweep tries again.
          if (error instanceof DomainError) logger.warn('notice end refused', { noticeId, code: error.code });
          else throw error;
        }
      }
    }
    return { found, queued };
  },
};
