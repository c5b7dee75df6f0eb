/**
 * A disbursement's stored form (`disbursementItem`): read back exactly as the disbursement it stores, and
 * small enough that a paid disbursement's item stays within one KB (one write unit per item, two in a
 * transaction), sized by AWS's rule as the capacity bench sizes it.
 */
import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { marshall } from '@aws-sdk/util-dynamodb';
import { itemSize } from '../../bench/aws-capacity.ts';
import {
  allDisbursementsKey,
  disbursementItem,
  statusIndexKey,
  toDisbursement,
  type StoredDisbursement,
} from '#shared/data/disbursements/items';
import { keys } from '#shared/data/platform/keys';

const at = (s: number) => new Date(Date.UTC(2026, 11, 7, 8, 0, s)).toISOString();

/** A single-approval disbursement to a farmer as settlement leaves it: created, approved, paid. */
function paid(overrides: Partial<StoredDisbursement> = {}): StoredDisbursement {
  return {
    disbursementId: 'dsb_01M97TFX3P4KPTM2FDBKG36GWD',
    fundId: 'fund_01M97TFV28M3SE9SZEPDX8DYWW',
    countyCode: '532530',
    amount: 250_000,
    currency: 'CNY',
    purpose: 'training',
    beneficiary: {
      kind: 'farmer',
      name: '李秀英',
      account: { bankName: '红河州农村信用合作联社', accountName: '李秀英', accountNumber: '6228480000000000000' },
    },
    memo: null,
    campaignId: null,
    status: 'paid',
    requiredApprovals: 1,
    approvals: [{ approver: 'approver-of-honghe', at: at(2), comment: null }],
    requestedBy: 'requester-of-honghe',
    payoutId: 'pay_01M97TFYNVP8ZGG96FJSKGQN1R',
    notice: null,
    flags: [],
    verification: null,
    correctionOf: null,
    correctedBy: null,
    createdAt: at(0),
    updatedAt: at(9),
    history: [
      { at: at(0), actor: 'requester-of-honghe', action: 'created', fromStatus: null, toStatus: 'pending_approval' },
      { at: at(2), actor: 'approver-of-honghe', action: 'approved', fromStatus: 'pending_approval', toStatus: 'approved' },
      { at: at(9), actor: 'finance-system-1', action: 'paid', fromStatus: 'approved', toStatus: 'paid' },
    ],
    version: 3,
    payer: 'finance-system-1',
    ...overrides,
  };
}

/** The item as create.ts writes it, with its keys and list index entries. */
function stored(d: StoredDisbursement): Record<string, unknown> {
  const id = d.disbursementId;
  return {
    ...keys.disbursement(id),
    type: 'disbursement',
    ...disbursementItem(d),
    gsi1pk: allDisbursementsKey(id),
    gsi1sk: id,
    gsi2pk: statusIndexKey(d.status, id),
    gsi2sk: id,
    gsi3pk: `DSB#COUNTY#${d.countyCode}`,
    gsi3sk: id,
  };
}

describe('a stored disbursement', () => {
  it('reads back as the disbursement it stores, whichever optional fields are null', () => {
    fc.assert(
      fc.property(
        fc.option(fc.string({ maxLength: 40 }), { nil: null }),
        fc.option(fc.constant('cmp_01M97TFV28M3SE9SZEPDX8DYWW'), { nil: null }),
        fc.option(fc.constant('dsb_01M97TFV28M3SE9SZEPDX8DYZZ'), { nil: null }),
        fc.option(fc.string({ maxLength: 20 }), { nil: null }),
        (memo, campaignId, correctionOf, comment) => {
          const d = paid({ memo, campaignId, correctionOf, approvals: [{ approver: 'a', at: at(2), comment }] });
          // Approvals are stored by the approval's own change (disbursementChangeStep), in the same compact form.
          expect(toDisbursement(stored(d))).toEqual(d);
        },
      ),
    );
  });

  it('stays within one KB when paid (a write unit per item; two in a transaction)', () => {
    expect(itemSize(marshall(stored(paid()), { removeUndefinedValues: true }))).toBeLessThanOrEqual(1024);
  });

  it('reads its requester from its creation entry, and refuses an item that names none (four eyes must not pass an unknown requester)', () => {
    const item = stored(paid());
    expect(item.requestedBy).toBeUndefined();
    expect(toDisbursement(item).requestedBy).toBe('requester-of-honghe');
    const [, ...notCreated] = paid().history;
    expect(() => toDisbursement({ ...item, history: notCreated })).toThrow(/names no requester/);
    expect(() => toDisbursement({ ...item, history: [] })).toThrow(/names no requester/);
  });

  it('reads an item stored before (every field written, nulls included) as before', () => {
    const d = paid();
    const before = { ...keys.disbursement(d.disbursementId), type: 'disbursement', ...d };
    expect(toDisbursement(before)).toEqual(d);
  });
});
