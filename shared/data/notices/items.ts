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
 * - objections and their per-address counters: ../objections/items.ts.
 *
 * Each step is one transaction with its conditions, audit entry, event and (when money moves) ledger
 * entry. The notice's end is driven by the outbox sweeper (`noticeEndSource`): a crash or a restart
 * loses nothing, and the conditions (notice still open, items as read) keep a second run from
 * proceeding anything twice.
 */
import { maskName, type NoticeItemStatus, type NoticeStatus } from '../../domain/notices.ts';
import type { BeneficiaryKind } from '../../domain/payouts.ts';
import { newId } from '../../ids.ts';
import { config } from '../../config.ts';
import { actorAuditStep } from '../platform/audit.ts';
import { eventStep, queuedIds } from '../platform/events.ts';
import type { Subscribed } from '../webhook-endpoints/subscriptions.ts';
import { keys } from '../platform/keys.ts';
import { getItem, queryAll, requireItem } from '../platform/query.ts';
import { TransactionConflict, type TxStep } from '../platform/transactions.ts';
import { reportFigures, reportStatsSteps } from '../reports/stats.ts';
import type { MoneyMove } from '../ledger/move.ts';
import { storedFields } from '../platform/fields.ts';

export const NOTICE_OPEN_INDEX = 'NOTICE#OPEN';
/** gsi1pk of every notice; gsi3pk of a county's notices. */
export const ALL_NOTICES = 'NOTICES';
export const countyNotices = (countyCode: string) => `NOTICE#COUNTY#${countyCode}`;
export const SYSTEM_ACTOR = 'system:notice';
export const noticeKey = (noticeId: string) => ({ pk: `NOTICE#${noticeId}`, sk: 'NOTICE' });
/** The sort-key prefix of a notice's items, in the notice's partition. */
export const ITEM_PREFIX = 'ITEM#';
export const itemKey = (noticeId: string, itemRef: string) => ({ pk: `NOTICE#${noticeId}`, sk: `ITEM#${itemRef}` });
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

const noticeFields = storedFields<StoredNotice>();

export function toNotice(item: Record<string, unknown>): StoredNotice {
  return {
    ...noticeFields(item, ['noticeId', 'fundId', 'payer', 'fundName', 'countyCode', 'countyName', 'purpose', 'startsAt', 'endsAt'], {
      payer: '',
    }),
    ...noticeFields(item, ['status', 'source', 'approvers', 'itemCount', 'version'], { approvers: [] }),
  };
}

const noticeItemFields = storedFields<StoredNoticeItem>();

export function toItem(item: Record<string, unknown>): StoredNoticeItem {
  return {
    ...noticeItemFields(
      item,
      ['noticeId', 'itemRef', 'beneficiaryName', 'beneficiaryKind', 'amount', 'status', 'objections', 'openObjections'],
      {
        objections: 0,
        openObjections: 0,
      },
    ),
    ...(typeof item.row === 'number' ? { row: item.row } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------
// Opening a notice (inside the final approval's transaction)

export interface NoticeOpening {
  notice: { noticeId: string; startsAt: string; endsAt: string };
  /** The notice head, its audit entry and `notice.opened`: in the approval's transaction. */
  steps: TxStep[];
  /** One put per item: in the same transaction when few; a batch's are written ahead (see ../batches/approve.ts). */
  itemPuts: TxStep[];
  /** `notice.opened` when written pending (someone subscribes to it): queue it after the commit. */
  messageIds: string[];
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
    /** Whether some enabled endpoint subscribes to `notice.opened` (the approval's read); else it is written finished. */
    subscribed: boolean;
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
    { payer: input.payer, subscribed: input.subscribed },
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
            gsi1pk: ALL_NOTICES,
            gsi1sk: noticeId,
            gsi3pk: countyNotices(notice.countyCode),
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
    actorAuditStep(noticeKey(noticeId).pk, actor, 'notice.opened', now, {
      toStatus: 'open',
      details: { fundId: notice.fundId, countyCode: notice.countyCode, source: input.source, items: notice.itemCount, endsAt },
    }),
    event.step,
    // The half-year report's notices published.
    ...reportStatsSteps(notice.fundId, now, reportFigures.noticePublished(), noticeId),
  );
  return { notice: { noticeId, startsAt, endsAt }, steps, itemPuts, messageIds: queuedIds([event]) };
}

// ---------------------------------------------------------------------------------------------------
// Reading

export async function readNotice(noticeId: string): Promise<StoredNotice> {
  return toNotice(await requireItem(noticeKey(noticeId), `Notice ${noticeId}`));
}

export async function readNoticeItems(noticeId: string): Promise<StoredNoticeItem[]> {
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :item)',
    ExpressionAttributeValues: { ':pk': noticeKey(noticeId).pk, ':item': ITEM_PREFIX },
    ConsistentRead: true,
  });
  return items.map(toItem).sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
}

// ---------------------------------------------------------------------------------------------------
// What a notice's source does when an item proceeds or is withdrawn

/** The money side of a notice: implemented by disbursements and batches, named in ./subjects.ts. */
export interface NoticeSubject {
  /**
   * Steps that make the item proceed to its payout; the returned messages are queued after commit. `subscribed`: the
   * caller's read of who listens, when it made one (a notice's end), so that the subject need not read again.
   */
  proceed(
    notice: StoredNotice,
    items: StoredNoticeItem[],
    actor: string,
    now: Date,
    subscribed?: Subscribed,
  ): Promise<{ steps: TxStep[]; messageIds: string[]; after?: () => Promise<void> }>;
  /** Steps that withdraw the item, and the release of its reservation (committed through ledger/move.ts). */
  withdraw(
    notice: StoredNotice,
    item: StoredNoticeItem,
    reason: string,
    actor: string,
    now: Date,
  ): Promise<{ steps: TxStep[]; money: MoneyMove; messageIds: string[]; after?: () => Promise<void> }>;
  /** Steps the notice's end adds besides proceeding items (a batch moves to `approved`). */
  close?(
    notice: StoredNotice,
    proceeding: StoredNoticeItem[],
    held: StoredNoticeItem[],
    now: Date,
  ): Promise<{ steps: TxStep[]; messageIds: string[]; after?: () => Promise<void> }>;
}

export function itemMoveStep(item: StoredNoticeItem, to: NoticeItemStatus, openDelta = 0): TxStep {
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
export function noticeStillStep(notice: StoredNotice): TxStep {
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
