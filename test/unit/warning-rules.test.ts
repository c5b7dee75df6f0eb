/** Warning rules (预警) as pure rules: each rule of API.md 1.2, severities and due times, what blocks, and flag.overdue once. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_RULES,
  NO_FACTS,
  accountNameHash,
  accountNameKey,
  assertFinalApprovalAllowed,
  clearFlags,
  decideUnblock,
  dueAt,
  evaluateBatchRows,
  evaluateRules,
  hasBlockingFlag,
  isNewlyOverdue,
  markOverdue,
  publicFlag,
  raiseFlag,
  summarizeRowFlags,
  rowFlagCountsByCode,
  validateRules,
  type AccountFacts,
  type Flag,
  type Severity,
  type TrackedFlag,
  type WarningRule,
} from '#shared/domain/warning-rules';
import { codeOf } from '#test/support/refusal';

const KEY = 'k'.repeat(43);
const NOW = new Date('2026-12-02T12:00:00.000Z');
const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();
const severity = fc.constantFrom<Severity>('high', 'medium', 'low');

const ALL_RULES: WarningRule[] = [
  { code: 'duplicate_beneficiary', severity: 'high', params: {} },
  { code: 'large_amount', severity: 'medium', params: { minAmount: 1_000_000 } },
  { code: 'repeat_payee', severity: 'low', params: { count: 2, days: 30 } },
  { code: 'shared_account', severity: 'high', params: {} },
  { code: 'blocked_account', severity: 'high', params: {} },
];

const facts = (over: Partial<AccountFacts>): AccountFacts => ({ ...NO_FACTS, ...over });
const codes = (flags: readonly Pick<Flag, 'code'>[]) => flags.map((f) => f.code);

describe('due times', () => {
  it('high 3 days, medium 7, low 30 after the flag was raised', () => {
    expect(dueAt('high', NOW)).toBe('2026-12-05T12:00:00.000Z');
    expect(dueAt('medium', NOW)).toBe('2026-12-09T12:00:00.000Z');
    expect(dueAt('low', NOW)).toBe('2027-01-01T12:00:00.000Z');
    expect(raiseFlag('large_amount', 'medium', [], NOW)).toEqual({
      code: 'large_amount',
      severity: 'medium',
      matches: [],
      dueAt: '2026-12-09T12:00:00.000Z',
      clearedBy: null,
      clearedAt: null,
      reason: null,
    });
  });
});

describe('the rules', () => {
  it('a fund starts with duplicate screening alone, high', () => {
    expect(DEFAULT_RULES).toEqual([{ code: 'duplicate_beneficiary', severity: 'high', params: {} }]);
    expect(evaluateRules(DEFAULT_RULES, { amount: 10 ** 12, nameKey: 'x' }, facts({ blockedEntryId: 'blk_1' }), NOW)).toEqual([]);
  });

  it('duplicate_beneficiary: the earlier live items that pay the account, each once, with the severity the fund set', () => {
    const rule: WarningRule = { code: 'duplicate_beneficiary', severity: 'medium', params: {} };
    expect(evaluateRules([rule], { amount: 1, nameKey: 'a' }, facts({ duplicates: ['dsb_a', 'bat_b', 'dsb_a'] }), NOW)).toEqual([
      raiseFlag('duplicate_beneficiary', 'medium', ['dsb_a', 'bat_b'], NOW),
    ]);
    expect(evaluateRules([rule], { amount: 1, nameKey: 'a' }, NO_FACTS, NOW)).toEqual([]);
  });

  it('large_amount: at least minAmount, the bound included', () => {
    const rule: WarningRule = { code: 'large_amount', severity: 'medium', params: { minAmount: 500 } };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), (amount) => {
        const hit = evaluateRules([rule], { amount, nameKey: 'a' }, NO_FACTS, NOW).length === 1;
        expect(hit).toBe(amount >= 500);
      }),
    );
  });

  it('repeat_payee: settled more than count times within days', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 8 }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 1, max: 45 }),
        (ages, count, days) => {
          const settlements = ages.map((age, i) => ({ payoutId: `pay_${i}`, settledAt: ago(age) }));
          const rule: WarningRule = { code: 'repeat_payee', severity: 'low', params: { count, days } };
          const flags = evaluateRules([rule], { amount: 1, nameKey: 'a' }, facts({ settlements }), NOW);
          const within = ages.flatMap((age, i) => (age <= days ? [`pay_${i}`] : []));
          expect(flags.length === 1).toBe(within.length > count);
          if (flags[0]) expect(flags[0].matches).toEqual(within);
        },
      ),
    );
  });

  it('shared_account: requested in the last 365 days under another name, compared after trimming and case folding', () => {
    const rule: WarningRule = { code: 'shared_account', severity: 'high', params: {} };
    const names = [
      { ref: 'dsb_same', nameKey: accountNameHash('  Wang Fang ', KEY), at: ago(10) },
      { ref: 'dsb_old', nameKey: accountNameHash('Li Lei', KEY), at: ago(366) },
    ];
    const run = (accountName: string, extra: AccountFacts['names'] = []) =>
      evaluateRules([rule], { amount: 1, nameKey: accountNameHash(accountName, KEY) }, facts({ names: [...names, ...extra] }), NOW);
    expect(run('WANG FANG')).toEqual([]);
    expect(run('wang fang', [{ ref: 'bat_x', nameKey: accountNameHash('王芳', KEY), at: ago(365) }])).toEqual([
      raiseFlag('shared_account', 'high', ['bat_x'], NOW),
    ]);
    expect(accountNameKey('\u3000Straße ')).toBe(accountNameKey('STRASSE'));
    // Kept only under a secret key: another key gives another hash, and the name is not in it.
    expect(accountNameHash('Wang Fang', KEY)).not.toBe(accountNameHash('Wang Fang', 'other-key'));
    expect(accountNameHash('Wang Fang', KEY)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('blocked_account: the account is on the block list, the entry is the match', () => {
    const rule: WarningRule = { code: 'blocked_account', severity: 'high', params: {} };
    expect(evaluateRules([rule], { amount: 1, nameKey: 'a' }, facts({ blockedEntryId: 'blk_1' }), NOW)).toEqual([
      raiseFlag('blocked_account', 'high', ['blk_1'], NOW),
    ]);
    expect(evaluateRules([rule], { amount: 1, nameKey: 'a' }, NO_FACTS, NOW)).toEqual([]);
  });

  it('a rule the fund did not set never flags; the flags follow the order of the rules', () => {
    const all = facts({
      duplicates: ['dsb_a'],
      settlements: [1, 2, 3].map((i) => ({ payoutId: `pay_${i}`, settledAt: ago(i) })),
      names: [{ ref: 'dsb_b', nameKey: 'other', at: ago(1) }],
      blockedEntryId: 'blk_1',
    });
    fc.assert(
      fc.property(fc.shuffledSubarray(ALL_RULES), (rules) => {
        const flags = evaluateRules(rules, { amount: 2_000_000, nameKey: 'me' }, all, NOW);
        expect(codes(flags)).toEqual(rules.map((r) => r.code));
        expect(flags.map((f) => f.severity)).toEqual(rules.map((r) => r.severity));
      }),
    );
  });

  it('rules are validated: each code once, params within what the lookups keep', () => {
    expect(validateRules(ALL_RULES)).toEqual(ALL_RULES);
    expect(codeOf(() => validateRules([...DEFAULT_RULES, { code: 'duplicate_beneficiary', severity: 'low', params: {} }]))).toBe(
      'validation_failed',
    );
    expect(codeOf(() => validateRules([{ code: 'repeat_payee', severity: 'low', params: { count: 50, days: 30 } }]))).toBe(
      'validation_failed',
    );
    expect(codeOf(() => validateRules([{ code: 'repeat_payee', severity: 'low', params: { count: 1, days: 366 } }]))).toBe(
      'validation_failed',
    );
    expect(validateRules([])).toEqual([]);
  });
});

describe('batch rows', () => {
  it('rows see the earlier items and each other: a repeated account is a duplicate, another name for it is shared', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ account: fc.constantFrom('h1', 'h2', 'h3'), name: fc.constantFrom('Wang', 'wang ', 'Li') }), {
          minLength: 1,
          maxLength: 20,
        }),
        fc.subarray(['h1', 'h2', 'h3']),
        (raw, paidBefore) => {
          const rows = raw.map((r) => ({ accountKey: r.account, nameKey: accountNameKey(r.name), amount: 100 }));
          const rules = ALL_RULES.filter((r) => r.code === 'duplicate_beneficiary' || r.code === 'shared_account');
          const flags = evaluateBatchRows(
            'bat_x',
            rules,
            rows,
            (h) => facts({ duplicates: paidBefore.includes(h) ? [`dsb_${h}`] : [] }),
            NOW,
          );
          rows.forEach((row, i) => {
            const same = rows.filter((r) => r.accountKey === row.accountKey);
            const dup = flags.find((f) => f.row === i && f.code === 'duplicate_beneficiary');
            const shared = flags.find((f) => f.row === i && f.code === 'shared_account');
            const repeated = same.length > 1;
            const before = paidBefore.includes(row.accountKey);
            expect(dup !== undefined).toBe(repeated || before);
            if (dup) expect(dup.matches).toEqual([...(before ? [`dsb_${row.accountKey}`] : []), ...(repeated ? ['bat_x'] : [])]);
            const otherName = same.some((r) => r.nameKey !== row.nameKey);
            expect(shared?.matches).toEqual(otherName ? ['bat_x'] : undefined);
          });
          expect(flags.map((f) => f.row)).toEqual([...flags.map((f) => f.row)].sort((a, b) => a - b));
          const summary = summarizeRowFlags(flags);
          const byCode: Record<string, number> = {};
          for (const f of flags) byCode[f.code] = (byCode[f.code] ?? 0) + 1;
          expect(summary).toEqual({
            count: flags.length,
            blocking: flags.filter((f) => f.severity === 'high').length,
            byCode,
            cleared: false,
          });
          expect(rowFlagCountsByCode(summary).reduce((t, c) => t + c.count, 0)).toBe(flags.length);
        },
      ),
    );
  });
});

describe('what blocks the final approval', () => {
  const flagArb = fc.record({ severity, cleared: fc.boolean() }).map(({ severity: s, cleared }) => ({
    ...raiseFlag('large_amount', s, [], NOW),
    ...(cleared ? { clearedBy: 'admin', clearedAt: NOW.toISOString(), reason: 'ok' } : {}),
  }));

  it('an uncleared high flag blocks (flagged); medium and low never do; a pending verification comes first (account_unverified)', () => {
    fc.assert(
      fc.property(fc.array(flagArb, { maxLength: 6 }), fc.boolean(), (flags, pending) => {
        const blocking = flags.some((f) => f.severity === 'high' && f.clearedAt === null);
        expect(hasBlockingFlag(flags)).toBe(blocking);
        const code = codeOf(() => assertFinalApprovalAllowed(flags, pending));
        expect(code).toBe(pending ? 'account_unverified' : blocking ? 'flagged' : undefined);
      }),
    );
  });

  it('clearing clears every uncleared flag and keeps earlier clearances; then nothing blocks', () => {
    fc.assert(
      fc.property(fc.array(flagArb, { maxLength: 6 }), (flags) => {
        const cleared = clearFlags(flags, 'admin-2', '2026-12-03T00:00:00.000Z', 'checked with the village');
        expect(hasBlockingFlag(cleared)).toBe(false);
        cleared.forEach((f, i) => {
          const before = flags[i]!;
          if (before.clearedAt !== null) expect(f).toEqual(before);
          else
            expect(f).toEqual({
              ...before,
              clearedBy: 'admin-2',
              clearedAt: '2026-12-03T00:00:00.000Z',
              reason: 'checked with the village',
            });
        });
      }),
    );
  });
});

describe('flag.overdue', () => {
  type Step = { kind: 'sweep'; atHours: number } | { kind: 'clear'; atHours: number } | { kind: 'decide'; atHours: number };
  const stepArb: fc.Arbitrary<Step> = fc.record({
    kind: fc.constantFrom('sweep', 'sweep', 'sweep', 'clear', 'decide'),
    atHours: fc.integer({ min: 0, max: 24 * 40 }),
  });

  it('is raised once per flag, exactly when a sweep finds it uncleared past its due time on an item still pending', () => {
    fc.assert(
      fc.property(fc.array(severity, { minLength: 1, maxLength: 3 }), fc.array(stepArb, { maxLength: 12 }), (severities, raw) => {
        const steps = [...raw].sort((a, b) => a.atHours - b.atHours);
        let flags: TrackedFlag[] = severities.map((s) => raiseFlag('large_amount', s, [], NOW));
        let status = 'pending_approval';
        const events = severities.map(() => 0);
        const expected = severities.map(() => false);
        for (const step of steps) {
          const at = new Date(NOW.getTime() + step.atHours * 3_600_000);
          if (step.kind === 'clear') flags = clearFlags(flags, 'admin', at.toISOString(), 'ok');
          else if (step.kind === 'decide') status = 'rejected';
          else {
            flags.forEach((f, i) => {
              if (f.clearedAt === null && status === 'pending_approval' && f.dueAt <= at.toISOString()) expected[i] = true;
            });
            // Two sweepers at once: the second finds the mark of the first (its conditional write would fail).
            const first = markOverdue(flags, status, at);
            const second = markOverdue(first.flags, status, at);
            expect(second.raised).toEqual([]);
            for (const i of first.raised) events[i]! += 1;
            flags = first.flags;
          }
        }
        expect(events).toEqual(expected.map((e) => (e ? 1 : 0)));
      }),
    );
  });

  it('not before dueAt, not once cleared, not once decided; the mark never shows in a response', () => {
    const flag: TrackedFlag = raiseFlag('duplicate_beneficiary', 'high', ['dsb_a'], NOW);
    const due = new Date(flag.dueAt);
    expect(isNewlyOverdue(flag, 'pending_approval', new Date(due.getTime() - 1))).toBe(false);
    expect(isNewlyOverdue(flag, 'pending_approval', due)).toBe(true);
    expect(isNewlyOverdue(flag, 'in_notice', due)).toBe(false);
    expect(isNewlyOverdue(clearFlags([flag], 'a', NOW.toISOString(), 'r')[0]!, 'pending_approval', due)).toBe(false);
    const marked = markOverdue([flag], 'pending_approval', due).flags[0]!;
    expect(marked.overdueRaisedAt).toBe(due.toISOString());
    expect(publicFlag(marked)).toEqual(flag);
  });
});

describe('the block list', () => {
  it('whoever added an entry may not remove it', () => {
    expect(codeOf(() => decideUnblock({ addedBy: 'admin-1' }, 'admin-1'))).toBe('self_approval');
    expect(codeOf(() => decideUnblock({ addedBy: 'admin-1' }, 'admin-2'))).toBeUndefined();
  });
});

describe("a batch's row flags by code", () => {
  it('come from the counts by code the head keeps', () => {
    expect(rowFlagCountsByCode({ count: 3, byCode: { large_amount: 1, duplicate_beneficiary: 2 } })).toEqual([
      { code: 'duplicate_beneficiary', count: 2 },
      { code: 'large_amount', count: 1 },
    ]);
  });

  it('count as duplicate screening where a head stored before counts by code has none (or too few)', () => {
    expect(rowFlagCountsByCode({ count: 4 })).toEqual([{ code: 'duplicate_beneficiary', count: 4 }]);
    expect(rowFlagCountsByCode({ count: 5, byCode: { account_no_match: 2 } })).toEqual([
      { code: 'account_no_match', count: 2 },
      { code: 'duplicate_beneficiary', count: 3 },
    ]);
    expect(rowFlagCountsByCode({ count: 0, byCode: {} })).toEqual([]);
  });
});
