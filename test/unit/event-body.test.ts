/**
 * Event bodies are stored compressed so an event item stays under 1 KB through its commit, lease and
 * release (one write unit per write instead of two). The body must come back exactly as it went in.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { eventData, packEventData } from '#shared/data/platform/event-body';

/** A `disbursement.approved` body as the approval writes it: the public disbursement after approval. */
const approvedDisbursement = {
  disbursementId: 'dsb_01M8MHXCJR9ATE9DYQNV6J5K2A',
  fundId: 'fund_01M8MHXCJR9ATE9DYQNV6J5K2B',
  countyCode: '500241',
  amount: 3_000_000,
  currency: 'CNY',
  purpose: 'produce-subsidy',
  beneficiary: {
    kind: 'cooperative',
    name: 'Shizhu Huangshui cooperative',
    account: { bankName: 'Agricultural Bank of China', accountName: 'Huangshui Cooperative', accountNumber: '****2233' },
  },
  status: 'approved',
  requiredApprovals: 2,
  approvals: [
    { approver: 'approver-1', at: '2026-11-29T21:00:01.000Z', comment: 'checked the invoice' },
    { approver: 'approver-2', at: '2026-11-29T21:00:02.000Z' },
  ],
  requestedBy: 'requester-1',
  history: [
    { at: '2026-11-29T21:00:00.000Z', actor: 'requester-1', action: 'created', fromStatus: null, toStatus: 'pending_approval' },
    { at: '2026-11-29T21:00:02.000Z', actor: 'approver-2', action: 'approved', fromStatus: 'pending_approval', toStatus: 'approved' },
  ],
  payoutId: 'pay_01M8MHXCMHHR8RCQ6S2V6M3XYZ',
  createdAt: '2026-11-29T21:00:00.000Z',
  updatedAt: '2026-11-29T21:00:02.000Z',
};

describe('stored event bodies', () => {
  it('come back exactly as they went in', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (data) => {
        expect(eventData({ data: packEventData(data) })).toEqual(JSON.parse(JSON.stringify(data)));
      }),
      { numRuns: 300 },
    );
  });

  it('keep a disbursement body under half its JSON size, leaving room for lease and delivery state in 1 KB', () => {
    const json = Buffer.byteLength(JSON.stringify(approvedDisbursement));
    const packed = packEventData(approvedDisbursement).byteLength;
    expect(json).toBeGreaterThan(900);
    expect(packed).toBeLessThan(json / 2);
  });

  it('still read bodies stored as plain maps (items written before compression)', () => {
    expect(eventData({ data: approvedDisbursement })).toEqual(approvedDisbursement);
    expect(eventData({})).toEqual({});
  });
});
