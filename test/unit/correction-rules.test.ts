/**
 * Corrections of failed payouts as pure rules, and the promise they keep: a failed payout is paid at most once,
 * through its correction, whatever the order of corrections, approvals and late settlements (including two
 * corrections at once, and a correction racing a late "succeeded" for the failed payout).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { correctionOf, decideBatchCorrection, decideDisbursementCorrection, type CorrectablePayout } from '#shared/domain/corrections';
import { decideSettlement, outcomeStatus, type Beneficiary, type PayoutStatus, type SettlementOutcome } from '#shared/domain/payouts';
import { settlementStatus } from '#shared/domain/disbursements';
import { DomainError } from '#shared/domain/errors';
import { codeOf } from '#test/support/refusal';

const beneficiary = (n: number): Beneficiary => ({
  kind: 'farmer',
  name: `Farmer ${n}`,
  account: { bankName: 'ABC Bank', accountName: `Farmer ${n}`, accountNumber: `62220202001122${String(n).padStart(2, '0')}` },
});

describe('correcting a disbursement', () => {
  it('only a payout_failed disbursement not corrected before', () => {
    for (const status of ['pending_approval', 'in_notice', 'approved', 'paid', 'rejected', 'cancelled']) {
      expect(
        codeOf(() => decideDisbursementCorrection({ disbursementId: 'dsb_1', status, correctedBy: null })),
        status,
      ).toBe('invalid_state');
    }
    expect(codeOf(() => decideDisbursementCorrection({ disbursementId: 'dsb_1', status: 'payout_failed', correctedBy: 'dsb_2' }))).toBe(
      'invalid_state',
    );
    expect(
      codeOf(() => decideDisbursementCorrection({ disbursementId: 'dsb_1', status: 'payout_failed', correctedBy: null })),
    ).toBeUndefined();
  });

  it('copies fund, county, amount, purpose, memo and campaign; takes the corrected beneficiary; links back', () => {
    const failed = {
      disbursementId: 'dsb_1',
      fundId: 'fund_1',
      countyCode: '522634',
      amount: 120_000,
      purpose: 'produce-subsidy' as const,
      memo: 'spring seeds',
      campaignId: 'cmp_1',
    };
    expect(correctionOf(failed, beneficiary(2))).toEqual({
      fundId: 'fund_1',
      countyCode: '522634',
      amount: 120_000,
      purpose: 'produce-subsidy',
      memo: 'spring seeds',
      campaignId: 'cmp_1',
      beneficiary: beneficiary(2),
      correctionOf: 'dsb_1',
    });
  });
});

describe('correcting rows of a batch', () => {
  const payouts = new Map<string, CorrectablePayout>([
    ['pay_f1', { payoutId: 'pay_f1', batchId: 'bat_1', status: 'failed', correctedBy: null, amount: 500, memo: 'row 1' }],
    ['pay_f2', { payoutId: 'pay_f2', batchId: 'bat_1', status: 'failed', correctedBy: null, amount: 700, memo: null }],
    ['pay_done', { payoutId: 'pay_done', batchId: 'bat_1', status: 'failed', correctedBy: 'bat_0', amount: 1, memo: null }],
    ['pay_ok', { payoutId: 'pay_ok', batchId: 'bat_1', status: 'settled', correctedBy: null, amount: 1, memo: null }],
    ['pay_other', { payoutId: 'pay_other', batchId: 'bat_2', status: 'failed', correctedBy: null, amount: 1, memo: null }],
  ]);
  const of = (id: string) => payouts.get(id);

  it('one row per item with the failed row amount and memo, in order', () => {
    expect(
      decideBatchCorrection(
        'bat_1',
        [
          { payoutId: 'pay_f2', beneficiary: beneficiary(2) },
          { payoutId: 'pay_f1', beneficiary: beneficiary(1) },
        ],
        of,
      ),
    ).toEqual([
      { payoutId: 'pay_f2', beneficiary: beneficiary(2), amount: 700, memo: null },
      { payoutId: 'pay_f1', beneficiary: beneficiary(1), amount: 500, memo: 'row 1' },
    ]);
  });

  it('invalid_state naming the payout that is not a failed, uncorrected payout of the batch, or is named twice', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('pay_f1', 'pay_f2', 'pay_done', 'pay_ok', 'pay_other', 'pay_none'), { minLength: 1, maxLength: 6 }),
        (ids) => {
          const items = ids.map((payoutId, i) => ({ payoutId, beneficiary: beneficiary(i) }));
          const bad = ids.findIndex((id, i) => {
            const p = payouts.get(id);
            return !p || p.batchId !== 'bat_1' || p.status !== 'failed' || p.correctedBy !== null || ids.indexOf(id) < i;
          });
          try {
            const rows = decideBatchCorrection('bat_1', items, of);
            expect(bad).toBe(-1);
            expect(rows.map((r) => r.payoutId)).toEqual(ids);
          } catch (error) {
            expect(error).toBeInstanceOf(DomainError);
            expect((error as DomainError).code).toBe('invalid_state');
            expect((error as DomainError).message).toContain(`items.${bad}: payout ${ids[bad]}`);
          }
        },
      ),
    );
  });
});

/**
 * The model: one obligation, its disbursement and payout, then corrections. Corrections are two-phase as in the
 * data side (read and decide, then commit under a condition that re-checks the decision), so that two may
 * interleave; settlements may come late, repeated or contradicting, for any payout.
 */
describe('a failed payout is paid at most once, through its correction', () => {
  interface Dsb {
    status: string;
    correctedBy: string | null;
    correctionOf: string | null;
    payoutId: string | null;
  }
  interface Pay {
    disbursementId: string;
    status: PayoutStatus;
    correctedBy: string | null;
  }
  type Step =
    | { kind: 'settle'; payout: number; outcome: SettlementOutcome }
    | { kind: 'read'; actor: number; dsb: number }
    | { kind: 'commit'; actor: number }
    | { kind: 'approve'; dsb: number }
    | { kind: 'reject'; dsb: number };
  const stepArb: fc.Arbitrary<Step> = fc.oneof(
    fc.record({
      kind: fc.constant('settle' as const),
      payout: fc.nat(5),
      outcome: fc.constantFrom<SettlementOutcome>('succeeded', 'failed'),
    }),
    fc.record({ kind: fc.constant('read' as const), actor: fc.nat(1), dsb: fc.nat(5) }),
    fc.record({ kind: fc.constant('commit' as const), actor: fc.nat(1) }),
    fc.record({ kind: fc.constant('approve' as const), dsb: fc.nat(5) }),
    fc.record({ kind: fc.constant('reject' as const), dsb: fc.nat(5) }),
  );

  it('holds after every step', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), (steps) => {
        const dsbs = new Map<string, Dsb>([['dsb_0', { status: 'approved', correctedBy: null, correctionOf: null, payoutId: 'pay_0' }]]);
        const pays = new Map<string, Pay>([['pay_0', { disbursementId: 'dsb_0', status: 'sent', correctedBy: null }]]);
        const reads = new Map<number, string>();
        const everFailed = new Set<string>();
        const nth = <T>(m: Map<string, T>, i: number): [string, T] | undefined => [...m.entries()][i % m.size];

        for (const step of steps) {
          if (step.kind === 'settle') {
            const [id, p] = nth(pays, step.payout)!;
            const code = codeOf(() => decideSettlement(p.status, step.outcome));
            if (code !== undefined) {
              expect(code).toBe('invalid_state');
              expect(everFailed.has(id) && step.outcome === 'succeeded').toBe(p.status === 'failed');
            } else if (decideSettlement(p.status, step.outcome) === 'apply') {
              p.status = outcomeStatus(step.outcome);
              dsbs.get(p.disbursementId)!.status = settlementStatus(step.outcome);
              if (p.status === 'failed') everFailed.add(id);
            }
          } else if (step.kind === 'read') {
            const [id, d] = nth(dsbs, step.dsb)!;
            if (codeOf(() => decideDisbursementCorrection({ disbursementId: id, ...d })) === undefined) reads.set(step.actor, id);
          } else if (step.kind === 'commit') {
            const id = reads.get(step.actor);
            if (id === undefined) continue;
            reads.delete(step.actor);
            const failed = dsbs.get(id)!;
            // The transaction's condition: still payout_failed and not corrected (else the loser gets invalid_state).
            if (codeOf(() => decideDisbursementCorrection({ disbursementId: id, ...failed })) !== undefined) continue;
            const next = `dsb_${dsbs.size}`;
            dsbs.set(next, { status: 'pending_approval', correctedBy: null, correctionOf: id, payoutId: null });
            failed.correctedBy = next;
            pays.get(failed.payoutId!)!.correctedBy = next;
          } else {
            const [id, d] = nth(dsbs, step.dsb)!;
            if (d.status !== 'pending_approval') continue;
            if (step.kind === 'reject') d.status = 'rejected';
            else {
              const payoutId = `pay_${pays.size}`;
              d.status = 'approved';
              d.payoutId = payoutId;
              pays.set(payoutId, { disbursementId: id, status: 'queued', correctedBy: null });
            }
          }

          // The obligation is paid at most once, and a failed payout never becomes settled.
          expect([...pays.values()].filter((p) => p.status === 'settled').length).toBeLessThanOrEqual(1);
          for (const id of everFailed) expect(pays.get(id)!.status).toBe('failed');
          // Each failed item is corrected at most once, and the links point both ways.
          for (const [id, d] of dsbs) {
            const corrections = [...dsbs.entries()].filter(([, c]) => c.correctionOf === id).map(([cid]) => cid);
            expect(corrections.length).toBeLessThanOrEqual(1);
            expect(d.correctedBy).toBe(corrections[0] ?? null);
            if (d.correctedBy !== null) {
              expect(d.status).toBe('payout_failed');
              expect(pays.get(d.payoutId!)!.correctedBy).toBe(d.correctedBy);
            }
          }
          // The chain is a line: at most one item of it is neither failed nor rejected at any time.
          const open = [...dsbs.values()].filter((d) => d.status === 'pending_approval' || d.status === 'approved' || d.status === 'paid');
          expect(open.length).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 300 },
    );
  });
});
