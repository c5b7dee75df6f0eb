/**
 * What a notice's source does when an item proceeds or is withdrawn: one subject per source kind, named
 * here explicitly. A notice's end and an objection's resolution look the subject up in this map; nothing
 * is wired by importing a module for its side effect.
 */
import { batchNoticeSubject } from '../batches/notice-subject.ts';
import { disbursementNoticeSubject } from '../disbursements/notice-subject.ts';
import type { NoticeSource, NoticeSubject, StoredNotice } from './items.ts';

export const noticeSubjects: Record<NoticeSource['kind'], NoticeSubject> = {
  disbursement: disbursementNoticeSubject,
  batch: batchNoticeSubject,
};

export function subjectOf(notice: StoredNotice): NoticeSubject {
  return noticeSubjects[notice.source.kind];
}
