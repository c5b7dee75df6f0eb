import { itemAtNoticeEnd, type NoticeStatus } from '../../domain/notices.ts';
import { queryPage, type Page } from '../platform/query.ts';
import {
  StoredNotice,
  StoredNoticeItem,
  PublicNotice,
  toNotice,
  toItem,
  readNotice,
  readNoticeItems,
  ALL_NOTICES,
  countyNotices,
  noticeKey,
  ITEM_PREFIX,
} from './items.ts';

function publicNotice(n: StoredNotice, items: StoredNoticeItem[]): PublicNotice {
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
    values: {
      ':pk': filter.countyCode !== undefined ? countyNotices(filter.countyCode) : ALL_NOTICES,
      ...(filter.status ? { ':status': filter.status } : {}),
    },
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
// The public notice board (公示), read without a token: every request reads a bounded number of items.
// The list carries each notice's `itemCount` and no items (a batch notice holds thousands); a notice
// pages its items, in key order, `limit` (1..500) at a time, with a cursor bound to that notice.

export type PublicNoticeSummary = Omit<PublicNotice, 'items'> & { itemCount: number };

export type PublicNoticePage = PublicNotice & { itemCount: number; nextCursor: string | null };

export const MAX_NOTICE_ITEMS_PER_PAGE = 500;
export const DEFAULT_NOTICE_ITEMS_PER_PAGE = 100;

/** A county's notices (or all), newest first, without their items: one read per notice. */
export async function listNoticeBoard(filter: {
  countyCode?: string;
  status?: NoticeStatus;
  limit: number;
  cursor?: string;
}): Promise<Page<PublicNoticeSummary>> {
  const page = await listPublicNotices({ ...filter, withItems: false });
  return { items: page.items.map(({ items: _, ...notice }) => notice), nextCursor: page.nextCursor };
}

/** One notice with one page of its items. */
export async function readNoticeBoardPage(noticeId: string, page: { limit: number; cursor?: string }): Promise<PublicNoticePage> {
  const notice = await readNotice(noticeId);
  const items = await queryPage({
    keyCondition: 'pk = :pk AND begins_with(sk, :item)',
    values: { ':pk': noticeKey(noticeId).pk, ':item': ITEM_PREFIX },
    limit: Math.min(page.limit, MAX_NOTICE_ITEMS_PER_PAGE),
    cursor: page.cursor,
    scope: `notice-items|${noticeId}`,
    consistentRead: true,
  });
  return { ...publicNotice(notice, items.items.map(toItem)), itemCount: notice.itemCount, nextCursor: items.nextCursor };
}
