/**
 * `GET /v1/disbursement-batches` (API.md 1.2): batches newest first, so that an approver finds the batches
 * waiting for them. Batch heads are in the `BATCHES` partition of gsi1 (sorted by id, a ULID); status, fund,
 * county and payer are filters on the projected attributes, within the page's read budget (a filter that
 * matches little returns a short page and a cursor, never a scan). A batch that was never approved has no
 * payouts: its counts are zero without reading the counter shards.
 */
import type { Batch, BatchStatus } from '../../domain/batches.ts';
import { equalityFilter, queryPage, type Page } from '../platform/query.ts';
import { ALL_BATCHES, publicBatch, toStoredBatch } from './items.ts';

/** Statuses before any payout exists: counts are all zero. */
const BEFORE_PAYOUTS: ReadonlySet<BatchStatus> = new Set(['pending_approval', 'in_notice', 'rejected', 'cancelled']);
const zeroCounts = (): Batch['counts'] => ({ queued: 0, sent: 0, settled: 0, failed: 0, deliveryFailed: 0 });

export async function listBatches(filter: {
  status?: BatchStatus;
  fundId?: string;
  countyCode?: string;
  /** Only the batches of the funds this finance system pays. */
  payer?: string;
  limit: number;
  cursor?: string;
}): Promise<Page<Batch>> {
  const where = equalityFilter({ status: filter.status, fundId: filter.fundId, countyCode: filter.countyCode, payer: filter.payer });
  const page = await queryPage({
    index: 'gsi1',
    keyCondition: 'gsi1pk = :pk',
    filter: where.filter,
    names: where.names,
    values: { ':pk': ALL_BATCHES, ...where.values },
    newestFirst: true,
    limit: filter.limit,
    cursor: filter.cursor,
    scope: `batches|${filter.status ?? ''}|${filter.fundId ?? ''}|${filter.countyCode ?? ''}|${filter.payer ?? ''}`,
  });
  const items = await Promise.all(
    page.items.map((item) => {
      const b = toStoredBatch(item);
      return publicBatch(b, BEFORE_PAYOUTS.has(b.status) ? zeroCounts() : undefined);
    }),
  );
  return { items, nextCursor: page.nextCursor };
}
