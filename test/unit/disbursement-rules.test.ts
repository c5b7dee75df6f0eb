/**
 * The maker-checker rules as pure functions: random sequences of approve / reject / cancel / settle
 * never reach an illegal state, approvals are distinct and never the requester's, and the county
 * report's moves always leave exactly the current status counted. Then the decisions one at a time:
 * what an approval records, what each refusal says, and which statuses are final.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  canMove,
  decideApproval,
  decideCancellation,
  decideRejection,
  DISBURSEMENT_STATUSES,
  FINAL_STATUSES,
  requiredApprovals,
  settlementStatus,
  statsMove,
  type Approval,
  type DisbursementStatus,
} from '#shared/domain/disbursements';
import type { Role } from '#shared/domain/roles';
import { codeOf, refusal } from '#test/support/refusal';

const PEOPLE = ['maker', 'checker-1', 'checker-2', 'checker-3', 'admin'] as const;

type Step =
  | { kind: 'approve'; who: number }
  | { kind: 'reject'; who: number }
  | { kind: 'cancel'; who: number; admin: boolean }
  | { kind: 'settle'; outcome: 'succeeded' | 'failed' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('approve' as const), who: fc.nat(PEOPLE.length - 1) }),
  fc.record({ kind: fc.constant('reject' as const), who: fc.nat(PEOPLE.length - 1) }),
  fc.record({ kind: fc.constant('cancel' as const), who: fc.nat(PEOPLE.length - 1), admin: fc.boolean() }),
  fc.record({ kind: fc.constant('settle' as const), outcome: fc.constantFrom('succeeded' as const, 'failed' as const) }),
);

describe('requiredApprovals', () => {
  it('is 2 from the threshold on (inclusive) and 1 below it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 ** 13 }), fc.integer({ min: 1, max: 10 ** 13 }), (amount, threshold) => {
        expect(requiredApprovals(amount, threshold)).toBe(amount >= threshold ? 2 : 1);
      }),
    );
    expect(requiredApprovals(100_000_000, 100_000_000)).toBe(2);
    expect(requiredApprovals(99_999_999, 100_000_000)).toBe(1);
  });
});

describe('the disbursement state machine', () => {
  it('random action sequences never reach an illegal state', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2),
        fc.integer({ min: 1, max: 10 ** 9 }),
        fc.array(step, { maxLength: 30 }),
        (required, amount, steps) => {
          let status: DisbursementStatus = 'pending_approval';
          let approvals: Approval[] = [];
          const counted: Record<string, number> = {};
          const count = (deltas: Record<string, number>) => {
            for (const [k, v] of Object.entries(deltas)) counted[k] = (counted[k] ?? 0) + v;
          };
          count(statsMove(null, status, amount));
          const now = new Date('2026-11-29T08:00:00Z');

          for (const s of steps) {
            const before: DisbursementStatus = status;
            const d = { status, requestedBy: 'maker', approvals, requiredApprovals: required };
            if (s.kind === 'approve') {
              const who = PEOPLE[s.who]!;
              let decision: ReturnType<typeof decideApproval> | undefined;
              const code = codeOf(() => {
                decision = decideApproval(d, who, now);
              });
              if (who === 'maker') expect(code).toBe('self_approval');
              else if (status !== 'pending_approval') expect(code).toBe('invalid_state');
              else if (approvals.some((a) => a.approver === who)) expect(code).toBe('duplicate_approval');
              else expect(code).toBeUndefined();
              if (decision) {
                approvals = decision.approvals;
                if (decision.completes) status = 'approved';
              }
            } else if (s.kind === 'reject') {
              const who = PEOPLE[s.who]!;
              const code = codeOf(() => decideRejection(d, who));
              if (who === 'maker') expect(code).toBe('self_approval');
              else if (status !== 'pending_approval') expect(code).toBe('invalid_state');
              if (!code) status = 'rejected';
            } else if (s.kind === 'cancel') {
              const who = PEOPLE[s.who]!;
              const roles: Role[] = s.admin ? ['fund-admin'] : ['requester'];
              const code = codeOf(() => decideCancellation(d, { sub: who, roles }));
              if (!s.admin && who !== 'maker') expect(code).toBe('forbidden');
              else if (status !== 'pending_approval') expect(code).toBe('invalid_state');
              if (!code) status = 'cancelled';
            } else if (status === 'approved') {
              status = settlementStatus(s.outcome);
            }
            if (status !== before) {
              expect(canMove(before, status)).toBe(true);
              count(statsMove(before, status, amount));
            }

            // Invariants after every step.
            expect(DISBURSEMENT_STATUSES).toContain(status);
            const approvers = approvals.map((a) => a.approver);
            expect(new Set(approvers).size).toBe(approvers.length);
            expect(approvers).not.toContain('maker');
            expect(approvals.length).toBeLessThanOrEqual(required);
            if (['approved', 'paid', 'payout_failed'].includes(status)) expect(approvals).toHaveLength(required);
            if (status === 'pending_approval') expect(approvals.length).toBeLessThan(required);
            if (FINAL_STATUSES.has(before)) expect(status).toBe(before);
            // The county report counts the disbursement exactly once, under its current status (if reported).
            const nonZero = Object.fromEntries(Object.entries(counted).filter(([, v]) => v !== 0));
            const stem = {
              pending_approval: 'pendingApproval',
              in_notice: 'inNotice',
              approved: 'approved',
              paid: 'paid',
              payout_failed: 'payoutFailed',
            }[status as string];
            expect(nonZero).toEqual(stem ? { [`${stem}Count`]: 1, [`${stem}Amount`]: amount } : {});
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('allows only the contract transitions', () => {
    const allowed = DISBURSEMENT_STATUSES.flatMap((from) =>
      DISBURSEMENT_STATUSES.filter((to) => canMove(from, to)).map((to) => `${from}→${to}`),
    );
    expect(allowed.sort()).toEqual(
      [
        'pending_approval→approved',
        'pending_approval→in_notice',
        'pending_approval→rejected',
        'pending_approval→cancelled',
        'in_notice→approved',
        'in_notice→rejected',
        'approved→paid',
        'approved→payout_failed',
      ].sort(),
    );
  });
});

const NOW = new Date('2026-11-29T08:00:00.000Z');
const pending = { status: 'pending_approval' as const, requestedBy: 'maker', approvals: [], requiredApprovals: 2 };

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
