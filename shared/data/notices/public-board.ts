/**
 * The public notice board (公示), read without a token: every request reads a bounded number of items.
 * The list carries each notice's `itemCount` and no items (a batch notice holds thousands); a notice
 * pages its items, in key order, `limit` (1..500) at a time, with a cursor bound to that notice.
 */
import type { NoticeStatus } from '../../domain/notices.ts';
import { queryPage, type Page } from '../query.ts';
import { listPublicNotices, publicNotice, readNotice, toItem, type PublicNotice } from '../notices.ts';

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
    values: { ':pk': `NOTICE#${noticeId}`, ':item': 'ITEM#' },
    limit: Math.min(page.limit, MAX_NOTICE_ITEMS_PER_PAGE),
    cursor: page.cursor,
    scope: `notice-items|${noticeId}`,
    consistentRead: true,
  });
  return { ...publicNotice(notice, items.items.map(toItem)), itemCount: notice.itemCount, nextCursor: items.nextCursor };
}
