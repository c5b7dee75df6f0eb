/**
 * The fund console's view logic, without a browser: money from fen, status badges, and why a button
 * is disabled (each reason mirrors a refusal the API would give).
 */
import { describe, expect, it } from 'vitest';
import { yuanFromFen } from '../../console/money.ts';
import {
  approvalBlock,
  batchHighFlagMatters,
  canCorrect,
  canReadDisbursements,
  canReadEndpoints,
  canReadPayouts,
  clearFlagsBlock,
  batchFlagsShown,
  countyLabel,
  failureCodeKey,
  flagCodeKey,
  flagsOf,
  redeliverBlock,
  rowNumber,
  showsActions,
  statusBadge,
  verificationCountsShown,
  verificationOf,
  verificationStatusKey,
  type ApprovalSubject,
} from '../../console/view.ts';
import { en, type MessageKey } from '../../console/i18n/en.ts';
import { translator } from '../../console/i18n/translate.ts';
import { zhCN } from '../../console/i18n/zh-CN.ts';
import { DISBURSEMENT_STATUSES } from '../../shared/domain/disbursements.ts';
import { BATCH_STATUSES } from '../../shared/domain/batches.ts';
import { PAYOUT_STATUSES } from '../../shared/domain/payouts.ts';
import { CAMPAIGN_STATUSES } from '../../shared/domain/campaigns.ts';
import { STATION_STATUSES } from '../../shared/domain/stations.ts';
import {
  DEFAULT_RULES,
  FLAG_CODES,
  NO_FACTS,
  RULE_CODES,
  VERIFICATION_FLAG_CODES,
  evaluateBatchRows,
} from '../../shared/domain/warning-rules.ts';
import { fieldErrors } from '../../shared/http/problem.ts';
import { CreateBatchBody } from '../../shared/schemas/batches.ts';
import { createBatchExamples } from '../../shared/schemas/examples.ts';
import { VERIFICATION_STATUSES } from '../../shared/domain/account-verification.ts';
import { FAILURE_CODES } from '../../shared/domain/failure-codes.ts';

/** Every value of a domain list maps to `<prefix><value>`, labelled in both languages. */
function expectLabelledInBoth(values: readonly string[], keyOf: (value: string) => MessageKey | null, prefix: string): void {
  for (const value of values) {
    const key = keyOf(value);
    expect(key, value).toBe(`${prefix}${value}`);
    expect(en[key!], value).toBeTruthy();
    expect(zhCN[key!], value).toBeTruthy();
  }
}

describe('yuanFromFen', () => {
  it('shows integer fen as yuan with two decimals and grouping', () => {
    expect(yuanFromFen(2_500_000)).toBe('¥25,000.00');
    expect(yuanFromFen(1)).toBe('¥0.01');
    expect(yuanFromFen(0)).toBe('¥0.00');
    expect(yuanFromFen(123_456_789, 'en')).toBe('¥1,234,567.89');
  });

  it('prints the contract’s largest amount (10^13 fen) exactly, and negatives with a minus', () => {
    expect(yuanFromFen(10_000_000_000_000)).toBe('¥100,000,000,000.00');
    expect(yuanFromFen(-150)).toBe('−¥1.50');
  });

  it('refuses to guess for a non-integer amount', () => {
    expect(yuanFromFen(1.5)).toBe('—');
    expect(yuanFromFen(Number.NaN)).toBe('—');
  });
});

describe('statusBadge', () => {
  it('marks failures as danger and finished money as success', () => {
    expect(statusBadge('delivery_failed')).toEqual({ tone: 'danger', label: 'status.delivery_failed' });
    expect(statusBadge('payout_failed').tone).toBe('danger');
    expect(statusBadge('settled').tone).toBe('success');
    expect(statusBadge('pending_approval').tone).toBe('progress');
    expect(statusBadge('something_new').tone).toBe('neutral');
  });

  it('has a label in both languages for every status the API can return', () => {
    // Read from the domain's own lists, so a status added there without a label fails here.
    const statuses = new Set<string>([
      ...DISBURSEMENT_STATUSES,
      ...BATCH_STATUSES,
      ...PAYOUT_STATUSES,
      ...CAMPAIGN_STATUSES,
      ...STATION_STATUSES,
      'succeeded',
    ]);
    for (const status of statuses) {
      const { label } = statusBadge(status);
      expect(en[label as keyof typeof en], status).toBeTruthy();
      expect(zhCN[label as keyof typeof zhCN], status).toBeTruthy();
    }
  });
});

describe('clearing flags and correcting', () => {
  it('lets a fund-admin clear the flags of someone else’s request only', () => {
    const admin = { sub: 'admin-1', roles: ['fund-admin'] };
    expect(clearFlagsBlock({ requestedBy: 'maker' }, admin)).toBeNull();
    expect(clearFlagsBlock({ requestedBy: 'admin-1' }, admin)).toBe('blocked.clearOwnRequest');
    expect(clearFlagsBlock({ requestedBy: 'maker' }, { sub: 'checker', roles: ['approver'] })).toBe('blocked.clearNotFundAdmin');
    for (const key of ['blocked.clearOwnRequest', 'blocked.clearNotFundAdmin', 'blocked.notMaker'] as const) {
      expect(en[key]).toBeTruthy();
      expect(zhCN[key]).toBeTruthy();
    }
  });

  it('shows the flags and verification the API gives, and nothing it does not', () => {
    expect(flagsOf({})).toEqual([]);
    expect(flagsOf({ flags: [{ code: 'large_amount', severity: 'high', dueAt: '2026-12-10T00:00:00Z' }] })).toEqual([
      { code: 'large_amount', severity: 'high', dueAt: '2026-12-10T00:00:00Z' },
    ]);
    expect(verificationOf({ verification: null })).toBeNull();
    expect(verificationOf({})).toBeNull();
    expect(verificationOf({ verification: { status: 'match' } })).toBe('match');
  });

  it('has a readable label in both languages for every flag code the domain defines, verification flags included', () => {
    // Read from the domain's own list, so a code added there without a label fails here (and in the type check).
    expect(FLAG_CODES).toEqual([...RULE_CODES, ...VERIFICATION_FLAG_CODES]);
    expect(FLAG_CODES).toEqual(expect.arrayContaining(['account_close_match', 'account_no_match', 'account_not_verified']));
    expectLabelledInBoth(FLAG_CODES, flagCodeKey, 'flagCode.');
    for (const code of FLAG_CODES) expect(zhCN[flagCodeKey(code)!], code).not.toBe(en[flagCodeKey(code)!]);
    expect(zhCN['flagCode.duplicate_beneficiary']).toBe('重复受益人');
    expect(en['flagCode.account_no_match']).toBe('Account holder name does not match');
    // A code the console does not know (a newer API) has no key: the page shows the code as it is, not a missing key.
    expect(flagCodeKey('deceased_registry')).toBeNull();
    // Every flagCode.* label is for a code the domain defines: no label left over from a code that is gone.
    for (const key of Object.keys(en).filter((k) => k.startsWith('flagCode.'))) {
      expect(FLAG_CODES as readonly string[], key).toContain(key.slice('flagCode.'.length));
    }
  });

  it("has a label in both languages for every failed payout's failureCode the domain defines", () => {
    expectLabelledInBoth(FAILURE_CODES, failureCodeKey, 'failureCode.');
    expect(failureCodeKey('bank_on_fire')).toBeNull(); // a newer API's code: shown as it is
    expect(translator('zh-CN')(failureCodeKey('name_mismatch')!)).not.toBe('failureCode.name_mismatch');
  });

  it("labels a disbursement's verification status and a batch's verification counts with one label set, in both languages", () => {
    // Read from the domain's own list, so a status added there without a label fails here (and in the type check).
    expectLabelledInBoth(VERIFICATION_STATUSES, verificationStatusKey, 'verificationStatus.');
    expect(verificationStatusKey('bank_on_strike')).toBeNull(); // a newer API's status: shown as it is
    // A batch counts close_match rows under closeMatch: the same labels, not the raw count names.
    const shown = verificationCountsShown({ pending: 0, match: 58, closeMatch: 1, noMatch: 2, notPossible: 0 });
    expect(shown).toEqual([
      { key: 'verificationStatus.match', count: 58 },
      { key: 'verificationStatus.close_match', count: 1 },
      { key: 'verificationStatus.no_match', count: 2 },
    ]);
    expect(shown.map(({ key, count }) => `${zhCN[key]} ${count}`).join('，')).toBe('一致 58，近似一致 1，不一致 2');
    expect(shown.map(({ key }) => en[key])).toEqual(['Match', 'Close match', 'No match']);
    expect(verificationCountsShown({ pending: 3 })).toEqual([{ key: 'verificationStatus.pending', count: 3 }]);
  });

  it("numbers a batch's rows from 1, as whoever reads the uploaded rows does: the API's row 17, items.17 in a creation error, is Row 18", () => {
    const [first] = createBatchExamples.body.items;
    const items = Array.from({ length: 20 }, (_, i) => ({ ...first!, amount: i === 17 ? -1 : first!.amount }));
    const refused = CreateBatchBody.safeParse({ ...createBatchExamples.body, items });
    expect(refused.success).toBe(false);
    expect(fieldErrors(refused.error!).map((e) => e.path)).toEqual(['items.17.amount']);
    // The row flags count the same way: the 18th row repeating the 1st row's account is the API's row 17.
    const rows = items.map((_, i) => ({ amount: 1, nameKey: 'n', accountKey: i === 0 || i === 17 ? 'same' : `a${i}` }));
    const flagged = evaluateBatchRows('bat_x', DEFAULT_RULES, rows, () => NO_FACTS, new Date('2026-12-07T00:00:00Z')).map((f) => f.row);
    expect(flagged).toEqual([0, 17]);
    expect(flagged.map(rowNumber)).toEqual([1, 18]);
    expect(translator('en')('approvals.row', { row: rowNumber(17) })).toBe('Row 18');
    expect(translator('zh-CN')('approvals.row', { row: rowNumber(17) })).toBe('第 18 行');
  });

  it("counts a batch's shown row flags against the head's count, and offers more only while the API gives a cursor", () => {
    expect(batchFlagsShown(50, 120, 'c2')).toEqual({ shown: 50, total: 120, more: true });
    expect(batchFlagsShown(120, 120, null)).toEqual({ shown: 120, total: 120, more: false });
    // A head counted before a row flag was added never shows fewer than the rows listed.
    expect(batchFlagsShown(3, 2, null)).toEqual({ shown: 3, total: 3, more: false });
  });

  it('lets the makers correct, nobody else', () => {
    expect(canCorrect({ sub: 'a', roles: ['fund-admin'] })).toBe(true);
    expect(canCorrect({ sub: 'a', roles: ['requester'] })).toBe(true);
    expect(canCorrect({ sub: 'a', roles: ['approver', 'auditor'] })).toBe(false);
  });
});

describe('approvalBlock', () => {
  const approver = { sub: 'checker', roles: ['approver'] };
  const pending: ApprovalSubject = { status: 'pending_approval', requestedBy: 'maker', approvals: [] };

  it('allows an approver to approve and reject someone else’s pending request', () => {
    expect(approvalBlock(pending, approver, 'approve')).toBeNull();
    expect(approvalBlock(pending, approver, 'reject')).toBeNull();
  });

  it('blocks both decisions on the approver’s own request', () => {
    const own = { ...pending, requestedBy: 'checker' };
    expect(approvalBlock(own, approver, 'approve')).toBe('blocked.ownRequest');
    expect(approvalBlock(own, approver, 'reject')).toBe('blocked.ownRequest');
  });

  it('blocks a second approval by the same approver but still lets them reject', () => {
    const once = { ...pending, approvals: [{ approver: 'checker', at: '2026-12-01T00:00:00Z', comment: null }] };
    expect(approvalBlock(once, approver, 'approve')).toBe('blocked.alreadyApproved');
    expect(approvalBlock(once, approver, 'reject')).toBeNull();
    expect(approvalBlock(once, { sub: 'second', roles: ['approver'] }, 'approve')).toBeNull();
  });

  it('blocks the approval, not the rejection, while a high flag stands; a cleared one or a medium one does not block', () => {
    const flag = { code: 'duplicate_beneficiary', severity: 'high', dueAt: '2026-12-04T00:00:00Z', clearedBy: null };
    const flagged = { ...pending, flags: [flag, { ...flag, code: 'large_amount', severity: 'medium' }] };
    expect(approvalBlock(flagged, approver, 'approve')).toBe('blocked.highFlag');
    expect(approvalBlock(flagged, approver, 'reject')).toBeNull();
    expect(approvalBlock({ ...pending, flags: [{ ...flag, clearedBy: 'admin-2' }] }, approver, 'approve')).toBeNull();
    expect(approvalBlock({ ...pending, flags: [{ ...flag, severity: 'medium' }] }, approver, 'approve')).toBeNull();
  });

  it('blocks the final approval while an account verification is pending, as the API’s 409 account_unverified', () => {
    const unverified = { ...pending, verification: { status: 'pending' } };
    expect(approvalBlock(unverified, approver, 'approve')).toBe('blocked.verificationPending');
    expect(approvalBlock(unverified, approver, 'reject')).toBeNull();
    expect(approvalBlock({ ...pending, verification: { status: 'no_match' } }, approver, 'approve')).toBeNull();
    expect(approvalBlock({ ...pending, verification: null }, approver, 'approve')).toBeNull();
    // A batch: any row still pending blocks; none pending (or a fund that does not verify) does not.
    const counts = { pending: 2, match: 40, closeMatch: 0, noMatch: 1, notPossible: 0 };
    expect(approvalBlock({ ...pending, verifications: counts }, approver, 'approve')).toBe('blocked.verificationPending');
    expect(approvalBlock({ ...pending, verifications: { ...counts, pending: 0 } }, approver, 'approve')).toBeNull();
    expect(approvalBlock({ ...pending, verifications: null }, approver, 'approve')).toBeNull();
  });

  it('lets a first approval of two through with a high flag or a pending verification: only the final one is refused', () => {
    const flag = { code: 'account_no_match', severity: 'high', dueAt: '2026-12-04T00:00:00Z', clearedBy: null };
    const twoNeeded = { ...pending, requiredApprovals: 2, flags: [flag], verification: { status: 'pending' } };
    expect(approvalBlock(twoNeeded, approver, 'approve')).toBeNull();
    const second = { ...twoNeeded, approvals: [{ approver: 'first', at: '2026-12-01T00:00:00Z', comment: null }] };
    expect(approvalBlock(second, approver, 'approve')).toBe('blocked.verificationPending');
    expect(approvalBlock({ ...second, verification: { status: 'match' } }, approver, 'approve')).toBe('blocked.highFlag');
  });

  it("holds a batch's final approval once a high row flag was read and not cleared; medium only, unknown or cleared do not", () => {
    // A batch's list row says only how many row flags and whether they were cleared, not their severity.
    const batch: ApprovalSubject = { ...pending, flags: { count: 3, cleared: false } };
    expect(approvalBlock({ ...batch, highRowFlag: 'found' }, approver, 'approve')).toBe('blocked.highFlag');
    expect(approvalBlock({ ...batch, highRowFlag: 'found' }, approver, 'reject')).toBeNull();
    // Every page read, none high: medium and low flags only warn.
    expect(approvalBlock({ ...batch, highRowFlag: 'none' }, approver, 'approve')).toBeNull();
    // Still reading, or the read failed: not held (the API still answers 409 flagged), as for a batch read by none.
    expect(approvalBlock({ ...batch, highRowFlag: 'unknown' }, approver, 'approve')).toBeNull();
    expect(approvalBlock(batch, approver, 'approve')).toBeNull();
    // Cleared since the console read it: the list row, reloaded, says so.
    expect(approvalBlock({ ...batch, flags: { count: 3, cleared: true }, highRowFlag: 'found' }, approver, 'approve')).toBeNull();
    // Only the approval that completes the set is held.
    const twoNeeded: ApprovalSubject = { ...batch, requiredApprovals: 2, highRowFlag: 'found' };
    expect(approvalBlock(twoNeeded, approver, 'approve')).toBeNull();
    const second = { ...twoNeeded, approvals: [{ approver: 'first', at: '2026-12-01T00:00:00Z', comment: null }] };
    expect(approvalBlock(second, approver, 'approve')).toBe('blocked.highFlag');
  });

  it("holds a batch's final approval while its row flags are read, so the button does not change under a keyboard user", () => {
    const batch: ApprovalSubject = { ...pending, flags: { count: 3, cleared: false } };
    // The three states of the completing approval: checking, held, not held.
    const states = (['checking', 'found', 'none'] as const).map((highRowFlag) => approvalBlock({ ...batch, highRowFlag }, approver));
    expect(states).toEqual(['blocked.checkingFlags', 'blocked.highFlag', null]);
    expect(approvalBlock({ ...batch, highRowFlag: 'checking' }, approver, 'reject')).toBeNull();
    // The read failed (or was never made): nothing held, the API still answers 409 flagged.
    expect(approvalBlock({ ...batch, highRowFlag: 'unknown' }, approver)).toBeNull();
    // Nothing to wait for: flags cleared, none at all, or not the approval that completes the set.
    expect(approvalBlock({ ...batch, flags: { count: 3, cleared: true }, highRowFlag: 'checking' }, approver)).toBeNull();
    expect(approvalBlock({ ...batch, flags: { count: 0, cleared: false }, highRowFlag: 'checking' }, approver)).toBeNull();
    expect(approvalBlock({ ...batch, requiredApprovals: 2, highRowFlag: 'checking' }, approver)).toBeNull();
    // A reason the list row already gives comes first.
    expect(approvalBlock({ ...batch, requestedBy: 'checker', highRowFlag: 'checking' }, approver)).toBe('blocked.ownRequest');
    expect(approvalBlock({ ...batch, verifications: { pending: 1 }, highRowFlag: 'checking' }, approver)).toBe(
      'blocked.verificationPending',
    );
    // Whether to read does not depend on how far the reading got.
    expect(batchHighFlagMatters({ ...batch, highRowFlag: 'checking' }, approver)).toBe(true);
  });

  it("reads a batch's row flags only when what they say can hold this viewer's approval", () => {
    const batch: ApprovalSubject = { ...pending, flags: { count: 3, cleared: false } };
    expect(batchHighFlagMatters(batch, approver)).toBe(true);
    expect(batchHighFlagMatters({ ...batch, flags: { count: 0, cleared: false } }, approver)).toBe(false);
    expect(batchHighFlagMatters({ ...batch, flags: { count: 3, cleared: true } }, approver)).toBe(false);
    // Held already for another reason, or not the completing approval: the row flags change nothing.
    expect(batchHighFlagMatters(batch, { sub: 'maker', roles: ['approver'] })).toBe(false);
    expect(batchHighFlagMatters(batch, { sub: 'admin', roles: ['fund-admin'] })).toBe(false);
    expect(batchHighFlagMatters({ ...batch, requiredApprovals: 2 }, approver)).toBe(false);
    expect(batchHighFlagMatters({ ...batch, verifications: { pending: 1 } }, approver)).toBe(false);
    // A single disbursement's flags come with its list row: nothing to read.
    const flag = { code: 'large_amount', severity: 'medium', clearedBy: null };
    expect(batchHighFlagMatters({ ...pending, flags: [flag] }, approver)).toBe(false);
  });

  it('blocks people without the approver role and items no longer pending', () => {
    expect(approvalBlock(pending, { sub: 'admin', roles: ['fund-admin', 'auditor'] })).toBe('blocked.notApprover');
    expect(approvalBlock({ ...pending, status: 'approved' }, approver)).toBe('blocked.notPending');
  });

  it('gives every reason in both languages', () => {
    for (const key of [
      'blocked.ownRequest',
      'blocked.alreadyApproved',
      'blocked.notApprover',
      'blocked.notPending',
      'blocked.notFundAdmin',
      'blocked.notDeliveryFailed',
      'blocked.verificationPending',
      'blocked.highFlag',
      'blocked.checkingFlags',
    ] as const) {
      expect(en[key]).toBeTruthy();
      expect(zhCN[key]).toBeTruthy();
    }
  });
});

describe('redeliverBlock and payout visibility', () => {
  it('lets only a fund-admin redeliver, and only a delivery_failed payout', () => {
    const admin = { sub: 'admin', roles: ['fund-admin'] };
    expect(redeliverBlock({ status: 'delivery_failed' }, admin)).toBeNull();
    expect(redeliverBlock({ status: 'sent' }, admin)).toBe('blocked.notDeliveryFailed');
    expect(redeliverBlock({ status: 'delivery_failed' }, { sub: 'a', roles: ['auditor'] })).toBe('blocked.notFundAdmin');
  });

  it('shows payouts to the roles the API lets read them', () => {
    expect(canReadPayouts({ sub: 'a', roles: ['auditor'] })).toBe(true);
    expect(canReadPayouts({ sub: 'c', roles: ['approver', 'requester'] })).toBe(false);
    expect(canReadPayouts({ sub: 'o', roles: ['observer'] })).toBe(true);
    expect(canReadDisbursements({ sub: 'o', roles: ['observer'] })).toBe(true);
    expect(canReadEndpoints({ sub: 'o', roles: ['observer'] })).toBe(false);
  });

  it('shows no actions at all to an observer, and disabled ones (with the reason) to every other role', () => {
    expect(showsActions({ sub: 'o', roles: ['observer'] })).toBe(false);
    expect(showsActions({ sub: 'o', roles: [] })).toBe(false);
    expect(showsActions({ sub: 'a', roles: ['auditor'] })).toBe(true);
    expect(showsActions({ sub: 'o', roles: ['observer', 'approver'] })).toBe(true);
  });
});

describe('countyLabel', () => {
  it('names a county with its code, and falls back to the code alone', () => {
    const names = new Map([['522727', 'Danzhai']]);
    expect(countyLabel('522727', names)).toBe('Danzhai · 522727');
    expect(countyLabel('433130', names)).toBe('433130');
  });
});
