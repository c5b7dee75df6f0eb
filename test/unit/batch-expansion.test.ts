/**
 * Expanding an approved batch, with the figures written out: which batches may be expanded, the
 * payout ids (fixed, so a re-run after a crash or a deploy cannot pay an item twice), the chunks,
 * the 10^13-fen total, and the counts a batch reports.
 */
import { describe, expect, it } from 'vitest';
import { decodeTime } from 'ulid';
import {
  allFinal,
  assertExpandable,
  batchPayoutId,
  counterShard,
  countsMove,
  emptyCounts,
  expansionChunks,
  sumCounts,
  totalWithin,
  type BatchStatus,
} from '#shared/domain/batches';
import { DomainError } from '#shared/domain/errors';

const BATCH_ID = 'bat_01JF0000000000000000000000';
const APPROVED_AT = new Date('2026-05-01T08:00:00Z');

describe('which batches the expander works on', () => {
  it('an approved batch, or one already being expanded (a re-run), is expanded', () => {
    expect(() => assertExpandable('approved')).not.toThrow();
    expect(() => assertExpandable('processing')).not.toThrow();
  });

  it('a batch still pending, or completed, rejected or cancelled, is refused as invalid_state', () => {
    for (const status of ['pending_approval', 'completed', 'rejected', 'cancelled'] as BatchStatus[]) {
      let error: unknown;
      try {
        assertExpandable(status);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe('invalid_state');
      expect((error as DomainError).message).toMatch(new RegExp(`batch is ${status}`));
    }
  });
});

describe('payout ids of a batch', () => {
  it('are the same as every earlier release derived: a re-run after a deploy finds the payouts it already wrote', () => {
    // Time part: 2026-05-01T08:00:00Z; random part: the first 50 bits of SHA-256(batch id); then the index, base 32.
    expect(batchPayoutId(BATCH_ID, APPROVED_AT, 0)).toBe('pay_01KQH8TF000E4HMK93ZW000000');
    expect(batchPayoutId(BATCH_ID, APPROVED_AT, 1)).toBe('pay_01KQH8TF000E4HMK93ZW000001');
    expect(batchPayoutId(BATCH_ID, APPROVED_AT, 31)).toBe('pay_01KQH8TF000E4HMK93ZW00000Z');
    expect(batchPayoutId(BATCH_ID, APPROVED_AT, 32)).toBe('pay_01KQH8TF000E4HMK93ZW000010');
    expect(batchPayoutId(BATCH_ID, APPROVED_AT, 4999)).toBe('pay_01KQH8TF000E4HMK93ZW0004W7');
  });

  it('carry the approval time as their ULID time', () => {
    expect(decodeTime(batchPayoutId(BATCH_ID, APPROVED_AT, 17).slice('pay_'.length))).toBe(APPROVED_AT.getTime());
  });

  it('exist for item indexes 0 to 32^6 − 1 and for no other number', () => {
    expect(batchPayoutId(BATCH_ID, APPROVED_AT, 1_073_741_823)).toBe('pay_01KQH8TF000E4HMK93ZWZZZZZZ');
    for (const index of [-1, 1_073_741_824, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => batchPayoutId(BATCH_ID, APPROVED_AT, index)).toThrow(RangeError);
      expect(() => batchPayoutId(BATCH_ID, APPROVED_AT, index)).toThrow(`item index ${index}`);
    }
  });
});

describe('expansion chunks', () => {
  it('100 items make chunks 0, 1 and 2 of 49, 49 and 2 items', () => {
    expect(expansionChunks(100)).toEqual([
      { chunk: 0, first: 0, end: 49 },
      { chunk: 1, first: 49, end: 98 },
      { chunk: 2, first: 98, end: 100 },
    ]);
  });

  it('49 items fit one chunk, 50 need two', () => {
    expect(expansionChunks(49)).toEqual([{ chunk: 0, first: 0, end: 49 }]);
    expect(expansionChunks(50)).toEqual([
      { chunk: 0, first: 0, end: 49 },
      { chunk: 1, first: 49, end: 50 },
    ]);
  });

  it('5,000 items make 103 chunks numbered 0 to 102', () => {
    const chunks = expansionChunks(5000);
    expect(chunks).toHaveLength(103);
    expect(chunks.map((c) => c.chunk)).toEqual(Array.from({ length: 103 }, (_, i) => i));
    expect(chunks.at(-1)).toEqual({ chunk: 102, first: 4998, end: 5000 });
  });
});

describe('the batch total', () => {
  it('may reach the limit exactly; one fen beyond it is no total', () => {
    expect(totalWithin([6_000, 4_000], 10_000)).toBe(10_000);
    expect(totalWithin([6_000, 4_001], 10_000)).toBeUndefined();
    expect(totalWithin([10_001, -5_000], 10_000)).toBeUndefined();
    expect(totalWithin([], 10_000)).toBe(0);
  });
});

describe('the counts a batch reports', () => {
  it('a payout moving from one status to another leaves one and joins the other', () => {
    expect(countsMove('queued', 'sent')).toEqual({ queued: -1, sent: 1 });
    expect(countsMove('queued', 'delivery_failed')).toEqual({ queued: -1, deliveryFailed: 1 });
    expect(countsMove('delivery_failed', 'settled')).toEqual({ deliveryFailed: -1, settled: 1 });
    expect(countsMove('sent', 'failed')).toEqual({ sent: -1, failed: 1 });
  });

  it('shards add up, the missing figures counting as zero', () => {
    expect(sumCounts([])).toEqual({ queued: 0, sent: 0, settled: 0, failed: 0, deliveryFailed: 0 });
    expect(sumCounts([{ queued: 10 }, { queued: -3, sent: 3 }, { sent: -1, settled: 1, deliveryFailed: 2, failed: 1 }])).toEqual({
      queued: 7,
      sent: 2,
      settled: 1,
      failed: 1,
      deliveryFailed: 2,
    });
  });

  it('a new batch counts nothing yet, and each batch gets counts of its own', () => {
    const first = emptyCounts();
    expect(first).toStrictEqual({ queued: 0, sent: 0, settled: 0, failed: 0, deliveryFailed: 0 });
    first.queued += 5;
    expect(emptyCounts().queued).toBe(0);
  });

  it('a batch is finished when every payout is settled or failed, not one payout sooner', () => {
    const counts = { queued: 0, sent: 0, settled: 3, failed: 2, deliveryFailed: 0 };
    expect(allFinal(counts, 5)).toBe(true);
    expect(allFinal({ ...counts, settled: 2, sent: 1 }, 5)).toBe(false);
  });

  it('a payout always lands on one of the 16 counter shards', () => {
    const shards = new Set(Array.from({ length: 500 }, (_, i) => counterShard(batchPayoutId(BATCH_ID, APPROVED_AT, i))));
    expect([...shards].every((s) => Number.isInteger(s) && s >= 0 && s < 16)).toBe(true);
    expect(shards.size).toBe(16);
  });
});
