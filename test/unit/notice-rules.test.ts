/**
 * The notice rules as properties: an item's status after a resolution, when an objection is accepted,
 * and how a name is masked on the public notice.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decideObjection,
  itemAfterResolution,
  maskName,
  MAX_OBJECTIONS_PER_ITEM,
  NOTICE_ITEM_STATUSES,
  type NoticeItemStatus,
} from '#shared/domain/notices';
import { DomainError } from '#shared/domain/errors';

const status = fc.constantFrom(...NOTICE_ITEM_STATUSES);
const outcome = fc.constantFrom('upheld' as const, 'dismissed' as const);
const FINAL: ReadonlySet<NoticeItemStatus> = new Set(['withdrawn', 'proceeding', 'paid']);

describe('itemAfterResolution', () => {
  it('never moves a withdrawn, proceeding or paid item', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('withdrawn' as const, 'proceeding' as const, 'paid' as const),
        fc.nat(30),
        outcome,
        fc.boolean(),
        (s, open, o, closed) => {
          expect(itemAfterResolution({ status: s, openObjections: open }, o, closed)).toBe(s);
        },
      ),
    );
  });

  it('upheld withdraws a posted item; dismissed holds it while others are open, else lists it or (closed) proceeds', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('listed' as const, 'objected' as const),
        fc.integer({ min: 1, max: 30 }),
        outcome,
        fc.boolean(),
        (s, open, o, closed) => {
          const to = itemAfterResolution({ status: s, openObjections: open }, o, closed);
          if (o === 'upheld') expect(to).toBe('withdrawn');
          else if (open > 1) expect(to).toBe('objected');
          else expect(to).toBe(closed ? 'proceeding' : 'listed');
        },
      ),
    );
  });

  it('a sequence of resolutions of an item’s open objections: money is decided once, and the last dismissal frees it', () => {
    fc.assert(
      fc.property(fc.array(outcome, { minLength: 1, maxLength: MAX_OBJECTIONS_PER_ITEM }), fc.boolean(), (outcomes, closed) => {
        let s: NoticeItemStatus = 'objected';
        let open = outcomes.length;
        let released = 0;
        for (const o of outcomes) {
          const to = itemAfterResolution({ status: s, openObjections: open }, o, closed);
          if (to === 'withdrawn' && s !== 'withdrawn') released += 1;
          expect(FINAL.has(s) && to !== s).toBe(false);
          s = to;
          open -= 1;
        }
        expect(released).toBeLessThanOrEqual(1);
        if (outcomes.includes('upheld')) expect(s).toBe('withdrawn');
        else expect(s).toBe(closed ? 'proceeding' : 'listed');
      }),
    );
  });
});

describe('decideObjection', () => {
  const at = (ms: number) => new Date(ms);
  it('accepts exactly: notice open, before its end, item posted, under the limit', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('open' as const, 'closed' as const),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        status,
        fc.nat(MAX_OBJECTIONS_PER_ITEM + 5),
        (noticeStatus, endsAtMs, nowMs, itemStatus, objections) => {
          const base = 1_700_000_000_000;
          const notice = { status: noticeStatus, endsAt: at(base + endsAtMs).toISOString() };
          const ok =
            noticeStatus === 'open' &&
            base + nowMs < base + endsAtMs &&
            (itemStatus === 'listed' || itemStatus === 'objected') &&
            objections < MAX_OBJECTIONS_PER_ITEM;
          const run = () => decideObjection(notice, { status: itemStatus, openObjections: objections }, at(base + nowMs));
          if (ok) expect(run).not.toThrow();
          else {
            expect(run).toThrow(DomainError);
            try {
              run();
            } catch (error) {
              expect((error as DomainError).code).toBe('invalid_state');
            }
          }
        },
      ),
    );
  });

  it('refuses at the very instant the notice ends', () => {
    const endsAt = '2026-01-10T00:00:00.000Z';
    expect(() => decideObjection({ status: 'open', endsAt }, { status: 'listed', openObjections: 0 }, new Date(endsAt))).toThrow(
      DomainError,
    );
    expect(() =>
      decideObjection({ status: 'open', endsAt }, { status: 'listed', openObjections: 0 }, new Date(Date.parse(endsAt) - 1)),
    ).not.toThrow();
  });
});

describe('maskName', () => {
  it('shows only the first code point and at least one mask, one per hidden code point', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }), (raw) => {
        const name = raw.trim();
        fc.pre(name.length > 0);
        const masked = maskName(raw);
        const chars = Array.from(name);
        expect(Array.from(masked)[0]).toBe(chars[0]);
        expect(masked.slice(chars[0]!.length)).toBe('*'.repeat(Math.max(chars.length - 1, 1)));
        // Nothing after the first code point survives (unless it is itself a mask).
        for (const c of chars.slice(1)) if (c !== '*' && c !== chars[0]) expect(masked).not.toContain(c);
      }),
    );
  });

  it('is idempotent on what it shows and never empty', () => {
    fc.assert(
      fc.property(fc.string(), (name) => {
        const masked = maskName(name);
        expect(masked.length).toBeGreaterThan(0);
        if (name.trim().length > 0) expect(maskName(masked)).toBe(masked);
      }),
    );
  });

  it('counts a supplementary-plane character once', () => {
    expect(maskName('𠀀小明')).toBe('𠀀**');
    expect(maskName('王')).toBe('王*');
    expect(maskName('   ')).toBe('*');
  });
});
