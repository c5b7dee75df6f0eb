/**
 * Objections to a public notice (公示), and the counters that limit them.
 *
 * Items:
 * - objection `OBJ#<objectionId> / OBJ` (`type: objection`), listed by status (`gsi2pk`), by notice
 *   (`gsi3pk`) and in all (`gsi1pk = OBJS`). Its `contact` is personal data: masked in every response.
 * - objection-source counter `OBJSRC#<noticeId>#<keyed hash of the address> / HOUR#<hour>`
 *   (`type: objection-source`, expiring): the per-address, per-notice objection limit.
 *
 * The verbs that file and resolve objections are in ../notices/objections.ts: an objection is a step of
 * its notice's life.
 */
import { createHmac } from 'node:crypto';
import { requesterOf } from '../../domain/disbursements.ts';
import { DomainError } from '../../domain/errors.ts';
import { maskPhone } from '../../domain/masking.ts';
import type { ObjectionStatus } from '../../domain/notices.ts';
import { objectionWindow } from '../../domain/objection-sources.ts';
import { appSecrets } from '../../secrets.ts';
import { config } from '../../config.ts';
import { keys } from '../platform/keys.ts';
import { getItem } from '../platform/query.ts';
import type { TxStep } from '../platform/transactions.ts';
import { storedFields } from '../platform/fields.ts';

/** gsi1pk of every objection; gsi2pk by status; gsi3pk of one notice's objections. */
export const ALL_OBJECTIONS = 'OBJS';
export const objectionsByStatus = (status: ObjectionStatus) => `OBJ#STATUS#${status}`;
export const objectionsOfNotice = (noticeId: string) => `OBJ#NOTICE#${noticeId}`;
export const objectionKey = (objectionId: string) => ({ pk: `OBJ#${objectionId}`, sk: 'OBJ' });
const objectionSourceCounterKey = (noticeId: string, source: string, hour: string) => ({
  pk: `OBJSRC#${noticeId}#${source}`,
  sk: `HOUR#${hour}`,
});

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

export interface StoredObjection extends Objection {
  version: number;
}

const objectionFields = storedFields<StoredObjection>();

export function toObjection(item: Record<string, unknown>): StoredObjection {
  return objectionFields(
    item,
    ['objectionId', 'noticeId', 'itemRef', 'reason', 'contact', 'status', 'resolvedBy', 'resolvedAt', 'note', 'createdAt', 'version'],
    { contact: null, resolvedBy: null, resolvedAt: null, note: null },
  );
}

/** The response form: the contact masked (it is personal data), no storage fields. */
export function publicObjection(o: StoredObjection | Objection): Objection {
  const { version: _, ...rest } = o as StoredObjection;
  return { ...rest, contact: o.contact === null ? null : maskPhone(o.contact) };
}

/**
 * Who took part in the decision a notice posts: the requester of its disbursement or batch and every
 * approver. None of them may resolve an objection to it (four eyes on the objection too). The requester
 * is read from the source itself, so notices opened before this rule are covered as well.
 */
export async function noticeDeciders(notice: {
  source: { kind: 'disbursement' | 'batch'; id: string };
  approvers: readonly string[];
}): Promise<string[]> {
  const key = notice.source.kind === 'disbursement' ? keys.disbursement(notice.source.id) : keys.batch(notice.source.id);
  const item = await getItem(key);
  if (!item) return [...notice.approvers];
  const requester = requesterOf(item);
  // Four eyes: a source whose requester cannot be read stops the resolution instead of letting anyone through.
  if (requester === undefined) throw new Error(`the ${notice.source.kind} ${notice.source.id} names no requester`);
  return [requester, ...notice.approvers];
}

/**
 * The per-address, per-notice objection counter, as a step of the objection's own transaction: the
 * condition holds the limit across processes, and a refused objection writes nothing (not even the
 * count). The address is kept only as a keyed hash (it is personal data), and the counter expires.
 */
export async function objectionSourceStep(sourceIp: string, noticeId: string, now: Date): Promise<TxStep> {
  const { objectionSourceKey } = await appSecrets();
  const source = createHmac('sha256', objectionSourceKey).update(sourceIp).digest('base64url');
  const window = objectionWindow(now);
  const max = config().OBJECTIONS_PER_SOURCE_HOUR;
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: objectionSourceCounterKey(noticeId, source, window.start),
        UpdateExpression: 'ADD #count :one SET #type = :type, expiresAt = :expires',
        ConditionExpression: 'attribute_not_exists(#count) OR #count < :max',
        ExpressionAttributeNames: { '#count': 'count', '#type': 'type' },
        ExpressionAttributeValues: { ':one': 1, ':max': max, ':type': 'objection-source', ':expires': window.expiresAt },
      },
    },
    onConditionFailed: () =>
      new DomainError('rate_limited', `At most ${max} objections an hour from one address to one notice; please try again later`),
  };
}
