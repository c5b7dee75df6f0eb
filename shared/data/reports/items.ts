/**
 * The reads the half-year report and the public view share: a fund's allocation items, as stored (each with its
 * `paidIn<yyyy-Hn>` figures, ../ledger/move.ts), one Query of the fund's `ALLOC#` items (~800 small items).
 */
import { keys } from '../platform/keys.ts';
import { queryAll, type Projection } from '../platform/query.ts';

export async function allocationItems(
  fundId: string,
  options: { consistent: boolean; projection?: Projection },
): Promise<Record<string, unknown>[]> {
  return queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': keys.fund(fundId).pk, ':prefix': 'ALLOC#' },
    ConsistentRead: options.consistent,
    ...(options.projection
      ? { ProjectionExpression: options.projection.expression, ExpressionAttributeNames: options.projection.names }
      : {}),
  });
}
