/** Duplicate-beneficiary screening as pure rules: the keyed hash, what matches, batch rows, clearing, the blocked approval. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { accountHash, decideClearFlags, matchingRefs, screeningCutoff, type AccountUse } from '#shared/domain/screening';
import { DEFAULT_RULES, NO_FACTS, clearFlags, evaluateBatchRows, hasBlockingFlag, raiseFlag } from '#shared/domain/warning-rules';
import { decideApproval, DISBURSEMENT_STATUSES } from '#shared/domain/disbursements';
import { BATCH_STATUSES, decideBatchApproval, pendingFlags } from '#shared/domain/batches';
import { codeOf } from '#test/support/refusal';

const KEY = 'k'.repeat(43);
const NOW = new Date('2026-12-02T12:00:00.000Z');
const DAY = 86_400_000;

describe('accountHash', () => {
  it('is keyed, ignores layout, tells accounts apart and does not contain the number', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{12,19}$/), fc.stringMatching(/^\d{12,19}$/), (a, b) => {
        const h = accountHash(a, KEY);
        expect(h).toMatch(/^[0-9a-f]{64}$/);
        expect(h).not.toContain(a);
        expect(accountHash(`${a.slice(0, 4)} ${a.slice(4, 8)}-${a.slice(8)}`, KEY)).toBe(h);
        expect(accountHash(a, 'x'.repeat(43))).not.toBe(h);
        expect(accountHash(b, KEY) === h).toBe(a === b);
      }),
    );
  });
});

describe('matchingRefs', () => {
  /** Every status a disbursement or batch can have, and none (an item not found). */
  const statuses = [...new Set([...DISBURSEMENT_STATUSES, ...BATCH_STATUSES]), undefined];
  const useArb = fc.record({ ref: fc.constantFrom('dsb_a', 'dsb_b', 'bat_c', 'dsb_self'), ageDays: fc.integer({ min: 0, max: 400 }) });

  it('keeps exactly the live items of the window, each once, never the item itself', () => {
    fc.assert(
      fc.property(
        fc.array(useArb, { maxLength: 12 }),
        fc.dictionary(fc.constantFrom('dsb_a', 'dsb_b', 'bat_c', 'dsb_self'), fc.constantFrom(...statuses)),
        (raw, status) => {
          const uses: AccountUse[] = raw.map((u) => ({ ref: u.ref, at: new Date(NOW.getTime() - u.ageDays * DAY).toISOString() }));
          const refs = matchingRefs(uses, (ref) => status[ref], NOW, 'dsb_self');
          const expected = new Set(
            raw
              .filter((u) => u.ageDays <= 365 && u.ref !== 'dsb_self')
              .map((u) => u.ref)
              .filter((ref) => status[ref] !== undefined && status[ref] !== 'rejected' && status[ref] !== 'cancelled'),
          );
          expect(new Set(refs)).toEqual(expected);
          expect(refs).toHaveLength(expected.size);
        },
      ),
    );
  });

  it('the window is 365 days back from now, its first instant included', () => {
    const cutoff = screeningCutoff(NOW);
    expect(cutoff.toISOString()).toBe('2025-12-02T12:00:00.000Z');
    const live = () => 'approved';
    expect(matchingRefs([{ ref: 'dsb_a', at: cutoff.toISOString() }], live, NOW)).toEqual(['dsb_a']);
    expect(matchingRefs([{ ref: 'dsb_a', at: new Date(cutoff.getTime() - 1).toISOString() }], live, NOW)).toEqual([]);
  });
});

/** Duplicate screening is the `duplicate_beneficiary` rule of the engine (the default set: that rule alone, high). */
const duplicateFlag = (matches: string[]) => raiseFlag('duplicate_beneficiary', 'high', matches, NOW);
const batchRowFlags = (batchId: string, hashes: readonly string[], earlier: ReadonlyMap<string, readonly string[]>) =>
  evaluateBatchRows(
    batchId,
    DEFAULT_RULES,
    hashes.map((h) => ({ amount: 1, nameKey: 'n', accountKey: h })),
    (h) => ({ ...NO_FACTS, duplicates: earlier.get(h) ?? [] }),
    NOW,
  );

describe('duplicate screening on batch rows', () => {
  it('flags a row iff another row repeats its account (the batch is a match) or an earlier item pays it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('h1', 'h2', 'h3', 'h4', 'h5'), { minLength: 1, maxLength: 30 }),
        fc.subarray(['h1', 'h2', 'h3', 'h4', 'h5']),
        (hashes, paidBefore) => {
          const earlier = new Map(paidBefore.map((h) => [h, [`dsb_${h}`]]));
          const flags = batchRowFlags('bat_x', hashes, earlier);
          const count = (h: string) => hashes.filter((x) => x === h).length;
          hashes.forEach((h, row) => {
            const flag = flags.find((f) => f.row === row);
            const repeated = count(h) > 1;
            const before = earlier.has(h);
            expect(flag !== undefined).toBe(repeated || before);
            if (flag) {
              expect(flag.code).toBe('duplicate_beneficiary');
              expect(flag.matches).toEqual([...(before ? [`dsb_${h}`] : []), ...(repeated ? ['bat_x'] : [])]);
            }
          });
          expect(flags.map((f) => f.row)).toEqual([...flags.map((f) => f.row)].sort((a, b) => a - b));
        },
      ),
    );
  });
});

describe('clearing', () => {
  const pending = { status: 'pending_approval', requestedBy: 'maker', uncleared: 1 };

  it('only someone other than the requester, only while pending, only when there is a flag to clear', () => {
    expect(codeOf(() => decideClearFlags(pending, 'maker'))).toBe('self_approval');
    expect(codeOf(() => decideClearFlags({ ...pending, status: 'approved' }, 'admin'))).toBe('invalid_state');
    expect(codeOf(() => decideClearFlags({ ...pending, uncleared: 0 }, 'admin'))).toBe('invalid_state');
    expect(codeOf(() => decideClearFlags(pending, 'admin'))).toBeUndefined();
  });

  it('clears every uncleared flag with who, when and why, and keeps earlier clearances as they were', () => {
    const earlier = { ...duplicateFlag(['dsb_a']), clearedBy: 'first', clearedAt: '2026-01-01T00:00:00.000Z', reason: 'old' };
    const flags = clearFlags([earlier, duplicateFlag(['bat_b'])], 'admin', NOW.toISOString(), 'checked');
    expect(flags).toEqual([earlier, { ...duplicateFlag(['bat_b']), clearedBy: 'admin', clearedAt: NOW.toISOString(), reason: 'checked' }]);
    expect(hasBlockingFlag(flags)).toBe(false);
    expect(hasBlockingFlag([duplicateFlag(['x'])])).toBe(true);
  });
});

describe('the approval that would complete the set', () => {
  const base = { status: 'pending_approval' as const, requestedBy: 'maker', approvals: [], requiredApprovals: 1 };

  it('is 409 flagged while a flag is uncleared; an approval that does not complete is recorded', () => {
    expect(codeOf(() => decideApproval({ ...base, flags: [duplicateFlag(['dsb_a'])] }, 'checker', NOW))).toBe('flagged');
    expect(decideApproval({ ...base, flags: [] }, 'checker', NOW).completes).toBe(true);
    const cleared = clearFlags([duplicateFlag(['dsb_a'])], 'admin', NOW.toISOString(), 'ok');
    expect(decideApproval({ ...base, flags: cleared }, 'checker', NOW).completes).toBe(true);
    const dual = { ...base, requiredApprovals: 2, flags: [duplicateFlag(['dsb_a'])] };
    expect(decideApproval(dual, 'checker-1', NOW).completes).toBe(false);
    const once = decideApproval(dual, 'checker-1', NOW);
    expect(codeOf(() => decideApproval({ ...dual, approvals: once.approvals }, 'checker-2', NOW))).toBe('flagged');
    // The older rules come first: the requester and a repeat approver are told so, flagged or not.
    expect(codeOf(() => decideApproval({ ...base, flags: [duplicateFlag(['x'])] }, 'maker', NOW))).toBe('self_approval');
  });

  it('for a batch, while its row flags are not cleared', () => {
    expect(pendingFlags({ count: 0, cleared: false })).toEqual([]);
    expect(pendingFlags({ count: 3, cleared: true })).toEqual([]);
    expect(pendingFlags({ count: 3, cleared: false })).toEqual([{ severity: 'high', clearedAt: null }]);
    // Only high row flags block: medium and low ones are shown.
    expect(pendingFlags({ count: 3, blocking: 0, cleared: false })).toEqual([]);
    expect(pendingFlags({ count: 3, blocking: 1, cleared: false })).toEqual([{ severity: 'high', clearedAt: null }]);
    expect(decideApproval({ ...base, flags: [raiseFlag('large_amount', 'medium', [], NOW)] }, 'checker', NOW).completes).toBe(true);
    expect(codeOf(() => decideBatchApproval({ ...base, flags: { count: 2, cleared: false } }, 'checker', NOW))).toBe('flagged');
    expect(decideBatchApproval({ ...base, flags: { count: 2, cleared: true } }, 'checker', NOW).completes).toBe(true);
  });
});
