/** Maker-checker decisions one at a time: what an approval records, and what each refusal says. */
import { describe, expect, it } from 'vitest';
import { DomainError } from '#shared/domain/errors';
import {
  canMove,
  decideApproval,
  decideCancellation,
  decideRejection,
  DISBURSEMENT_STATUSES,
  FINAL_STATUSES,
} from '#shared/domain/disbursements';

const NOW = new Date('2026-11-29T08:00:00.000Z');
const pending = { status: 'pending_approval' as const, requestedBy: 'maker', approvals: [], requiredApprovals: 2 };

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }
  throw new Error('expected a refusal');
}

describe('an approval', () => {
  it("records the approver, the time and the approver's comment", () => {
    expect(decideApproval(pending, 'checker-1', NOW, 'checked the invoice').approval).toStrictEqual({
      approver: 'checker-1',
      at: '2026-11-29T08:00:00.000Z',
      comment: 'checked the invoice',
    });
  });

  it('without a comment records none', () => {
    expect(decideApproval(pending, 'checker-1', NOW).approval.comment).toBeNull();
  });
});

describe('refusals say why', () => {
  it('approving or rejecting your own request', () => {
    expect(refusal(() => decideApproval(pending, 'maker', NOW)).message).toMatch(/cannot approve a disbursement you requested/);
    expect(refusal(() => decideRejection(pending, 'maker')).message).toMatch(/cannot reject a disbursement you requested/);
  });

  it('approving twice', () => {
    const first = decideApproval(pending, 'checker-1', NOW);
    expect(refusal(() => decideApproval({ ...pending, approvals: first.approvals }, 'checker-1', NOW)).message).toMatch(/already approved/);
  });

  it('deciding on a disbursement that is no longer pending names its status', () => {
    const paid = { ...pending, status: 'paid' as const };
    expect(refusal(() => decideApproval(paid, 'checker-1', NOW)).message).toMatch(
      /disbursement is paid; only pending_approval can be approved/,
    );
    expect(refusal(() => decideRejection(paid, 'checker-1')).message).toMatch(
      /disbursement is paid; only pending_approval can be rejected/,
    );
    expect(refusal(() => decideCancellation(paid, { sub: 'maker', roles: ['requester'] })).message).toMatch(
      /disbursement is paid; only pending_approval can be cancelled/,
    );
  });

  it("cancelling someone else's request without being a fund admin", () => {
    const error = refusal(() => decideCancellation(pending, { sub: 'other', roles: ['requester', 'approver'] }));
    expect(error.code).toBe('forbidden');
    expect(error.message).toMatch(/only its requester or a fund admin may cancel/i);
  });
});

describe('final statuses', () => {
  it('paid, payout_failed, rejected and cancelled are final and nothing leaves them; pending_approval and approved are not', () => {
    expect([...FINAL_STATUSES].sort()).toEqual(['cancelled', 'paid', 'payout_failed', 'rejected']);
    for (const from of FINAL_STATUSES) for (const to of DISBURSEMENT_STATUSES) expect(canMove(from, to), `${from}→${to}`).toBe(false);
    expect(FINAL_STATUSES.has('pending_approval')).toBe(false);
    expect(FINAL_STATUSES.has('approved')).toBe(false);
  });
});
