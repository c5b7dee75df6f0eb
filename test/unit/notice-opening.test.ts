/**
 * Which approvals open a notice and when it ends, who may resolve an objection, what the public sees
 * of an item once the notice has ended, and the exact refusals of an objection.
 */
import { describe, expect, it } from 'vitest';
import { BENEFICIARY_KINDS } from '#shared/domain/payouts';
import { decideObjection, decideResolution, isNoticed, itemAtNoticeEnd, noticeEnd, NOTICE_ITEM_STATUSES } from '#shared/domain/notices';
import { DomainError } from '#shared/domain/errors';

const refusal = (fn: () => void): { code: string; message: string } => {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('opening a notice', () => {
  it('posts farmers and cooperatives only', () => {
    expect(BENEFICIARY_KINDS.filter(isNoticed)).toEqual(['cooperative', 'farmer']);
  });

  it('ends the period after the approval; a zero or unreadable period posts nothing', () => {
    const at = new Date('2026-12-01T08:00:00.000Z');
    expect(noticeEnd('P7D', at)?.toISOString()).toBe('2026-12-08T08:00:00.000Z');
    expect(noticeEnd('PT2S', at)?.toISOString()).toBe('2026-12-01T08:00:02.000Z');
    expect(noticeEnd('P0D', at)).toBeUndefined();
    expect(noticeEnd('PT0S', at)).toBeUndefined();
    expect(noticeEnd('P1M', at)).toBeUndefined();
    expect(noticeEnd('', at)).toBeUndefined();
  });
});

describe('resolving an objection', () => {
  it('refuses an approver of the item (self_approval) before anything else', () => {
    expect(refusal(() => decideResolution({ status: 'upheld' }, ['a', 'b'], 'b'))).toMatchObject({
      code: 'self_approval',
      message: expect.stringContaining('another fund admin'),
    });
  });

  it('refuses an objection already decided, naming its outcome; accepts an open one from someone else', () => {
    expect(refusal(() => decideResolution({ status: 'dismissed' }, ['a'], 'c'))).toEqual({
      code: 'invalid_state',
      message: 'The objection is already dismissed',
    });
    expect(() => decideResolution({ status: 'open' }, ['a'], 'c')).not.toThrow();
    expect(() => decideResolution({ status: 'open' }, [], 'c')).not.toThrow();
  });
});

describe('an objection is refused with the reason', () => {
  const open = { status: 'open' as const, endsAt: '2026-12-08T08:00:00.000Z' };
  const before = new Date('2026-12-08T07:59:59.999Z');
  it('names the ended notice, the item status and the limit', () => {
    expect(refusal(() => decideObjection({ ...open, status: 'closed' }, { status: 'listed', openObjections: 0 }, before))).toEqual({
      code: 'invalid_state',
      message: 'The notice has ended; objections are no longer accepted',
    });
    expect(refusal(() => decideObjection(open, { status: 'withdrawn', openObjections: 0 }, before))).toEqual({
      code: 'invalid_state',
      message: 'The item is withdrawn',
    });
    expect(refusal(() => decideObjection(open, { status: 'objected', openObjections: 20 }, before))).toEqual({
      code: 'invalid_state',
      message: 'The item already has 20 open objections',
    });
    expect(() => decideObjection(open, { status: 'objected', openObjections: 19 }, before)).not.toThrow();
  });
});

describe('what the public sees of an item', () => {
  it('a listed item proceeds once the notice has closed; nothing else changes', () => {
    for (const status of NOTICE_ITEM_STATUSES) {
      expect(itemAtNoticeEnd(status, 'open')).toBe(status);
      expect(itemAtNoticeEnd(status, 'closed')).toBe(status === 'listed' ? 'proceeding' : status);
    }
  });
});
