/**
 * Who took part in the decision a notice posts: the requester of its disbursement or batch and every
 * approver. None of them may resolve an objection to it (four eyes on the objection too). The requester
 * is read from the source itself, so notices opened before this rule are covered as well.
 */
import { keys } from '../keys.ts';
import { getItem } from '../query.ts';
import type { StoredNotice } from '../notices.ts';

export async function noticeDeciders(notice: Pick<StoredNotice, 'source' | 'approvers'>): Promise<string[]> {
  const key = notice.source.kind === 'disbursement' ? keys.disbursement(notice.source.id) : keys.batch(notice.source.id);
  const requester = (await getItem(key))?.requestedBy;
  return typeof requester === 'string' ? [requester, ...notice.approvers] : [...notice.approvers];
}
