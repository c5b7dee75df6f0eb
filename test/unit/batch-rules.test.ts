/**
 * Batch rules as pure functions: items become payouts exactly once (ids derived from batch and index,
 * chunks that cover every item once, amounts that add up to the total), the counts the shards hold
 * always equal the payouts per status, the maker-checker policy is the disbursement's, and the
 * request schema names the row of every error.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  batchPayoutId,
  COUNTER_SHARDS,
  counterShard,
  countsMove,
  decideBatchApproval,
  decideBatchCancellation,
  decideBatchRejection,
  EXPANSION_CHUNK_SIZE,
  expansionChunks,
  payoutOfItem,
  requiredApprovals,
  sumCounts,
  allFinal,
  totalWithin,
  type BatchCounts,
  type BatchItem,
  type BatchStatus,
} from '#shared/domain/batches';
import { DomainError } from '#shared/domain/errors';
import { isId } from '#shared/ids';
import { PAYOUT_STATUSES, type PayoutStatus } from '#shared/domain/payouts';
import { CreateBatchBody } from '#shared/schemas/batches';
import { MAX_AMOUNT } from '#shared/schemas/common';
import { fieldErrors } from '#shared/http/problem';

const BATCH_ID = 'bat_01JF0000000000000000000000';
const item = (amount: number, n = 0): BatchItem => ({
  beneficiary: {
    kind: 'farmer',
    name: `Farmer ${n}`,
    account: { bankName: 'ABC', accountName: `Farmer ${n}`, accountNumber: `62220202${String(n).padStart(8, '0')}` },
  },
  amount,
  memo: null,
});

const batchOf = (batchId: string) => ({
  batchId,
  fundId: 'fund_01JF0000000000000000000000',
  countyCode: '500241',
  approvedAt: new Date('2026-05-01T08:00:00Z'),
});

function expand(batchId: string, items: BatchItem[]) {
  return expansionChunks(items.length).flatMap((c) =>
    items.slice(c.first, c.end).map((it, n) => payoutOfItem(batchOf(batchId), it, c.first + n, new Date('2026-05-01T08:00:05Z'))),
  );
}

const amounts = fc.array(fc.integer({ min: 1, max: 2_000_000_000 }), { minLength: 1, maxLength: 400 });

describe('items → payouts', () => {
  it('every item becomes exactly one payout; amounts add up to the total; ids are distinct, valid and derived again identically', () => {
    fc.assert(
      fc.property(amounts, fc.integer({ min: 1, max: 120 }), (list, chunkSize) => {
        const items = list.map((a, n) => item(a, n));
        const chunks = expansionChunks(items.length, chunkSize);
        const covered = chunks.flatMap((c) => Array.from({ length: c.end - c.first }, (_, i) => c.first + i));
        expect(covered).toEqual(items.map((_, i) => i));
        expect(chunks.every((c) => c.end - c.first <= chunkSize && c.end > c.first)).toBe(true);

        const payouts = expand(BATCH_ID, items);
        expect(payouts).toHaveLength(items.length);
        expect(payouts.reduce((s, p) => s + p.amount, 0)).toBe(totalWithin(list, Number.MAX_SAFE_INTEGER));
        expect(new Set(payouts.map((p) => p.payoutId)).size).toBe(items.length);
        expect(
          payouts.every((p) => isId('payout', p.payoutId) && p.status === 'queued' && p.batchId === BATCH_ID && p.disbursementId === null),
        ).toBe(true);
        expect(expand(BATCH_ID, items).map((p) => p.payoutId)).toEqual(payouts.map((p) => p.payoutId));
      }),
    );
  });

  it('two batches never share a payout id, even approved in the same millisecond', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/), { minLength: 2, maxLength: 5 }), (ulids) => {
        const ids = ulids.flatMap((u) => Array.from({ length: 60 }, (_, i) => batchPayoutId(`bat_${u}`, new Date(0), i)));
        expect(new Set(ids).size).toBe(ids.length);
      }),
    );
  });

  it('payout ids of a batch sort by item index', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => batchPayoutId(BATCH_ID, new Date(), i));
    expect([...ids].sort()).toEqual(ids);
  });

  it('a chunk is at most 49 payouts: with its two items each plus marker and counter it fits one 100-item transaction', () => {
    expect(2 * EXPANSION_CHUNK_SIZE + 2).toBeLessThanOrEqual(100);
    expect(expansionChunks(5000).length).toBe(Math.ceil(5000 / EXPANSION_CHUNK_SIZE));
  });
});

describe('sharded counts', () => {
  // Legal payout moves (the payout rules' state machine), including redelivery.
  const NEXT: Record<PayoutStatus, PayoutStatus[]> = {
    queued: ['sent', 'settled', 'failed', 'delivery_failed'],
    sent: ['settled', 'failed'],
    delivery_failed: ['queued', 'sent', 'settled', 'failed'],
    settled: [],
    failed: [],
  };

  it('after any sequence of moves spread over shards, the summed counts equal the payouts per status', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 300 }), (n, moves) => {
        const statuses: PayoutStatus[] = Array.from({ length: n }, () => 'queued');
        const ids = Array.from({ length: n }, (_, i) => batchPayoutId(BATCH_ID, new Date(0), i));
        const shards: Partial<BatchCounts>[] = Array.from({ length: COUNTER_SHARDS }, () => ({}));
        // Creation adds to any one shard, as the expander does per chunk.
        shards[3]!.queued = n;
        for (const [who, pick] of moves) {
          const i = who % n;
          const options = NEXT[statuses[i]!];
          if (options.length === 0) continue;
          const to = options[pick % options.length]!;
          const shard = shards[counterShard(ids[i]!)]!;
          for (const [name, delta] of Object.entries(countsMove(statuses[i]!, to))) {
            shard[name as keyof BatchCounts] = (shard[name as keyof BatchCounts] ?? 0) + delta;
          }
          statuses[i] = to;
        }
        const counts = sumCounts(shards);
        const expected = Object.fromEntries(
          PAYOUT_STATUSES.map((s) => [s === 'delivery_failed' ? 'deliveryFailed' : s, statuses.filter((x) => x === s).length]),
        );
        expect(counts).toEqual(expected);
        expect(allFinal(counts, n)).toBe(statuses.every((s) => s === 'settled' || s === 'failed'));
      }),
    );
  });

  it('a non-move changes nothing', () => {
    expect(countsMove('sent', 'sent')).toEqual({});
  });
});

describe('maker-checker policy (the disbursement rules, on the batch total)', () => {
  const pending = { status: 'pending_approval' as BatchStatus, requestedBy: 'maker', approvals: [], requiredApprovals: 2 };
  const code = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return (error as DomainError).code;
    }
    return undefined;
  };

  it('needs two approvals from the threshold on, one below', () => {
    expect(requiredApprovals(100_000_000, 100_000_000)).toBe(2);
    expect(requiredApprovals(99_999_999, 100_000_000)).toBe(1);
  });

  it('no self approval, no duplicate approval, only while pending', () => {
    const now = new Date();
    expect(code(() => decideBatchApproval(pending, 'maker', now))).toBe('self_approval');
    const first = decideBatchApproval(pending, 'checker-1', now);
    expect(first.completes).toBe(false);
    expect(code(() => decideBatchApproval({ ...pending, approvals: first.approvals }, 'checker-1', now))).toBe('duplicate_approval');
    expect(decideBatchApproval({ ...pending, approvals: first.approvals }, 'checker-2', now).completes).toBe(true);
    for (const status of ['approved', 'processing', 'completed', 'rejected', 'cancelled'] as const) {
      expect(code(() => decideBatchApproval({ ...pending, status }, 'checker-1', now))).toBe('invalid_state');
      expect(code(() => decideBatchRejection({ ...pending, status }, 'checker-1'))).toBe('invalid_state');
      expect(code(() => decideBatchCancellation({ ...pending, status }, { sub: 'maker', roles: ['requester'] }))).toBe('invalid_state');
    }
  });

  it("the final approval waits while the rows' verifications are not all requested, even with none counted pending", () => {
    const now = new Date();
    const one = { ...pending, requiredApprovals: 1 };
    const answered = { pending: 0, match: 3, closeMatch: 0, noMatch: 0, notPossible: 0 };
    expect(code(() => decideBatchApproval({ ...one, verifications: answered, verifying: 'requesting' }, 'checker-1', now))).toBe(
      'account_unverified',
    );
    expect(decideBatchApproval({ ...one, verifications: answered, verifying: 'requested' }, 'checker-1', now).completes).toBe(true);
    expect(code(() => decideBatchApproval({ ...one, verifications: { ...answered, pending: 1 } }, 'checker-1', now))).toBe(
      'account_unverified',
    );
    // Not the final approval: it is recorded, the wait is for the last one.
    expect(decideBatchApproval({ ...pending, verifications: answered, verifying: 'requesting' }, 'checker-1', now).completes).toBe(false);
  });

  it('reject: not the requester; cancel: the requester or a fund admin', () => {
    expect(code(() => decideBatchRejection(pending, 'maker'))).toBe('self_approval');
    expect(code(() => decideBatchRejection(pending, 'checker-1'))).toBeUndefined();
    expect(code(() => decideBatchCancellation(pending, { sub: 'other', roles: ['requester'] }))).toBe('forbidden');
    expect(code(() => decideBatchCancellation(pending, { sub: 'other', roles: ['fund-admin'] }))).toBeUndefined();
    expect(code(() => decideBatchCancellation(pending, { sub: 'maker', roles: ['requester'] }))).toBeUndefined();
  });
});

describe('request schema', () => {
  const body = (items: unknown[]) => ({
    fundId: 'fund_01JF0000000000000000000000',
    countyCode: '500241',
    purpose: 'produce-subsidy',
    items,
  });
  const row = (n: number, amount = 1000) => ({ ...item(amount, n), memo: undefined });
  const errorsOf = (value: unknown) => {
    const parsed = CreateBatchBody.safeParse(value);
    return parsed.success ? [] : fieldErrors(parsed.error, 'body');
  };

  it('errors name the row and the field', () => {
    const rows = Array.from({ length: 30 }, (_, n) => row(n));
    rows[17] = {
      ...rows[17]!,
      beneficiary: { ...rows[17]!.beneficiary, account: { ...rows[17]!.beneficiary.account, accountNumber: '12ab' } },
    };
    rows[22] = { ...rows[22]!, amount: 0 };
    const paths = errorsOf(body(rows)).map((e) => e.path);
    expect(paths).toEqual(['body.items.17.beneficiary.account.accountNumber', 'body.items.22.amount']);
  });

  it('1..5000 items', () => {
    expect(errorsOf(body([])).map((e) => e.path)).toEqual(['body.items']);
    expect(errorsOf(body(Array.from({ length: 5000 }, (_, n) => row(n))))).toEqual([]);
    expect(errorsOf(body(Array.from({ length: 5001 }, (_, n) => row(n)))).map((e) => e.path)).toContain('body.items');
  });

  it('the amounts may add up to 10^13 fen, not one fen more', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 20 }), fc.boolean(), (n, over) => {
        const each = Math.floor(MAX_AMOUNT / n);
        const rows = Array.from({ length: n }, (_, i) => row(i, each));
        rows[0] = row(0, each + (MAX_AMOUNT - each * n) + (over ? 1 : 0));
        const errors = errorsOf(body(rows));
        expect(errors.map((e) => e.path)).toEqual(over ? ['body.items'] : []);
      }),
    );
    // Large safe-integer amounts never wrap into a passing sum.
    expect(errorsOf(body(Array.from({ length: 5000 }, (_, n) => row(n, MAX_AMOUNT)))).map((e) => e.path)).toEqual(['body.items']);
  });

  it('unknown fields are refused, in the body and in a row', () => {
    const paths = errorsOf({ ...body([{ ...row(0), colour: 'red' }]), currency: 'CNY' }).map((e) => e.path);
    expect(paths.sort()).toEqual(['body', 'body.items.0'].sort());
  });
});
