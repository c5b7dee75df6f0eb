/**
 * Payout listings are written across PAYOUT_LIST_SHARDS index partitions (a 5,000-payout batch would
 * otherwise write one partition past its ~1,000 writes a second) and read back merged. On DynamoDB
 * Local: whatever the page size, paging through a listing returns every payout exactly once, newest
 * first, with the batch and status filters, and a cursor is bound to its query.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { useLocalServices, type LocalServices } from '#test/support/local-services';
import type { Payout, PayoutStatus } from '#shared/domain/payouts';
import { newId } from '#shared/ids';
import { MAX_CURSOR_LENGTH } from '#shared/schemas/common';
import { fixturePayout } from '#test/support/payout-fixture';
import { payoutsContext, PayoutsContext } from '../support/contexts.ts';

let services: LocalServices;
let payouts: PayoutsContext;
let transact: typeof import('#shared/data/platform/transactions').transact;

const BATCH = newId('batch');
const OTHER_BATCH = newId('batch');
const STATUSES: PayoutStatus[] = ['queued', 'sent', 'settled'];
/** Written in this file's own table: [payoutId, status, batchId]. */
const written: { payoutId: string; status: PayoutStatus; batchId: string | null }[] = [];

beforeAll(async () => {
  services = await useLocalServices();
  payouts = await payoutsContext();
  ({ transact } = await import('#shared/data/platform/transactions'));
  const start = Date.now() - 60_000;
  const steps = Array.from({ length: 60 }, (_, n) => {
    const at = new Date(start + n * 7);
    const batchId = n % 3 === 0 ? null : n % 3 === 1 ? BATCH : OTHER_BATCH;
    const payout: Payout = fixturePayout(n, {
      payoutId: newId('payout', at.getTime()),
      disbursementId: batchId ? null : newId('disbursement', at.getTime()),
      batchId,
      fundId: 'fund_lists',
      status: STATUSES[n % STATUSES.length]!,
      createdAt: at.toISOString(),
    });
    written.push({ payoutId: payout.payoutId, status: payout.status, batchId });
    return payouts.payoutPutStep(payout, newId('message', at.getTime()), { payer: 'finance-1' });
  });
  for (let i = 0; i < steps.length; i += 25) await transact(steps.slice(i, i + 25));
});

const newestFirst = (ids: string[]) => [...ids].sort().reverse();

async function pageThrough(filter: { status?: PayoutStatus; batchId?: string }, sizes: number[]): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; ; page++) {
    const limit = sizes[page % sizes.length]!;
    const result = await payouts.listPayouts({ ...filter, limit, cursor });
    expect(result.items.length).toBeLessThanOrEqual(limit);
    seen.push(...result.items.map((p) => p.payoutId));
    if (!result.nextCursor) return seen;
    // A page that says "more" is never empty, and its cursor is one the list routes accept.
    expect(result.items.length).toBeGreaterThan(0);
    expect(result.nextCursor.length).toBeLessThanOrEqual(MAX_CURSOR_LENGTH);
    cursor = result.nextCursor;
  }
}

describe('payout listings over sharded index partitions', () => {
  it('spread one listing over every shard', async () => {
    const items = (await services.scanTable()).filter((i) => i.type === 'payout');
    const partitions = new Set(items.map((i) => i.gsi1pk));
    expect(partitions.size).toBe(payouts.PAYOUT_LIST_SHARDS);
    const batchPartitions = new Set(items.filter((i) => i.batchId === BATCH).map((i) => i.gsi3pk));
    expect(batchPartitions.size).toBeGreaterThan(1);
  });

  it('page through every listing: each payout once, newest first, whatever the page sizes', async () => {
    const filters = fc.constantFrom<{ status?: PayoutStatus; batchId?: string }>(
      {},
      { status: 'sent' },
      { batchId: BATCH },
      { batchId: OTHER_BATCH, status: 'queued' },
      { batchId: newId('batch') },
    );
    await fc.assert(
      fc.asyncProperty(filters, fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }), async (filter, sizes) => {
        const expected = newestFirst(
          written
            .filter((w) => (!filter.status || w.status === filter.status) && (!filter.batchId || w.batchId === filter.batchId))
            .map((w) => w.payoutId),
        );
        expect(await pageThrough(filter, sizes)).toEqual(expected);
      }),
      { numRuns: 25 },
    );
  });

  it('moves a payout between status partitions when it changes status', async () => {
    const queued = written.find((w) => w.status === 'queued' && w.batchId === null)!;
    expect(await payouts.markPayoutSent(queued.payoutId, new Date())).toBe(true);
    const sent = await pageThrough({ status: 'sent' }, [4]);
    const stillQueued = await pageThrough({ status: 'queued' }, [4]);
    expect(sent).toContain(queued.payoutId);
    expect(stillQueued).not.toContain(queued.payoutId);
    queued.status = 'sent';
  });

  it('refuses a cursor from another listing', async () => {
    const first = await payouts.listPayouts({ batchId: BATCH, limit: 2 });
    expect(first.nextCursor).toEqual(expect.any(String));
    await expect(payouts.listPayouts({ batchId: OTHER_BATCH, limit: 2, cursor: first.nextCursor! })).rejects.toMatchObject({
      code: 'validation_failed',
    });
  });
});
