/**
 * The per-address, per-notice objection counter, as a step of the objection's own transaction: the
 * condition holds the limit across processes, and a refused objection writes nothing (not even the
 * count). The address is kept only as a keyed hash (it is personal data), and the counter expires.
 */
import { createHmac } from 'node:crypto';
import { config } from '../../config.ts';
import { DomainError } from '../../domain/errors.ts';
import { objectionWindow } from '../../domain/objection-sources.ts';
import { appSecrets } from '../../secrets.ts';
import type { TxStep } from '../transactions.ts';

export async function objectionSourceStep(sourceIp: string, noticeId: string, now: Date): Promise<TxStep> {
  const { objectionSourceKey } = await appSecrets();
  const source = createHmac('sha256', objectionSourceKey).update(sourceIp).digest('base64url');
  const window = objectionWindow(now);
  const max = config().OBJECTIONS_PER_SOURCE_HOUR;
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: { pk: `OBJSRC#${noticeId}#${source}`, sk: `HOUR#${window.start}` },
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
