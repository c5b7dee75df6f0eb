import { type Payout, type PayoutStatus } from '../../domain/payouts.ts';
import { type Page } from '../platform/query.ts';
import { type MoneyReader } from '../../domain/roles.ts';
import { readBatchFor } from '../batches/items.ts';
import { listPayouts } from './items.ts';

export async function listBatchPayouts(
  batchId: string,
  filter: { status?: PayoutStatus; limit: number; cursor?: string },
  reader: MoneyReader,
): Promise<Page<Payout>> {
  // A batch's payouts are paid by the batch's payer: the head decides for all of them.
  await readBatchFor(batchId, reader);
  return listPayouts({ ...filter, batchId });
}
