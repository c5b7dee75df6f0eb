/**
 * Warning rules (预警) on DynamoDB Local, through the funds, disbursements, batches and payouts handlers (API.md 1.2):
 * a fund's rules (default: duplicate screening alone), the block list (keyed, masked, four eyes on removal), each
 * rule hitting a single disbursement and a batch row, a high flag blocking the final approval while a medium one
 * does not, changed rules not re-run on existing items, and `flag.overdue` raised once under two sweepers at once.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Call, Reply } from '#test/support/handler-call';
import { asApprover, asFinance, asRequester, beneficiaryNo, COUNTY, disbursementBody, moneyHarness } from './disbursement-harness.ts';

let call: (method: string, path: string, options?: Call) => Promise<Reply>;
let fund: () => Promise<string>;
let scanAll: () => Promise<Record<string, unknown>[]>;
let raiseOverdueFlag: (ref: string, code: string, now: Date) => Promise<boolean>;
let eventData: (item: Record<string, unknown>) => Record<string, unknown>;

const asAdmin = (sub = 'admin-2'): Call => ({ sub, roles: ['fund-admin'] });
const asAuditor: Call = { sub: 'aud', roles: ['auditor'] };
const DAY = 86_400_000;

const ALL_RULES = [
  { code: 'duplicate_beneficiary', severity: 'high', params: {} },
  { code: 'large_amount', severity: 'medium', params: { minAmount: 50_000 } },
  { code: 'repeat_payee', severity: 'medium', params: { count: 0, days: 30 } },
  { code: 'shared_account', severity: 'low', params: {} },
  { code: 'blocked_account', severity: 'high', params: {} },
];

beforeAll(async () => {
  const h = await moneyHarness();
  call = (method, path, options) => h.call(method, path, options);
  fund = () => h.fund({ allocations: { [COUNTY]: 500_000_000 } });
  ({ raiseOverdueFlag } = await import('#shared/data/warning-rules/raise-overdue'));
  ({ eventData } = await import('#shared/data/platform/event-body'));
  const { documents } = await import('#shared/data/platform/clients');
  const { config } = await import('#shared/config');
  scanAll = async () => {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(new ScanCommand({ TableName: config().TABLE_NAME, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  };
});

const create = (body: unknown, as: Call = asRequester()) => call('POST', '/v1/disbursements', { ...as, body });
const approve = (id: string, approver = 'approver-1') =>
  call('POST', `/v1/disbursements/${id}/approve`, { ...asApprover(approver), body: {} });
const setRules = (fundId: string, rules: unknown, as: Call = asAdmin('admin-1')) =>
  call('PUT', `/v1/funds/${fundId}/warning-rules`, { ...as, body: { rules } });
const block = (fundId: string, accounts: { accountNumber: string; reason: string }[], as: Call = asAdmin('admin-1')) =>
  call('POST', `/v1/funds/${fundId}/blocked-accounts`, { ...as, body: { accounts } });
const named = (n: number, accountName: string) => ({ ...beneficiaryNo(n), account: { ...beneficiaryNo(n).account, accountName } });
const codes = (flags: { code: string; severity: string }[]) => flags.map((f) => `${f.code}:${f.severity}`);

/** Pays account `n` once: a disbursement approved and settled by the fund's finance system. */
async function paid(fundId: string, n: number): Promise<string> {
  const d = (await create(disbursementBody(fundId, 1_000, { beneficiary: beneficiaryNo(n) }))).body;
  const approved = await approve(d.disbursementId);
  expect(approved.status).toBe(200);
  const settled = await call('POST', `/v1/payouts/${approved.body.payoutId}/settlement`, {
    ...asFinance,
    body: { outcome: 'succeeded', bankReference: `REF-${n}` },
  });
  expect(settled.status).toBe(200);
  return approved.body.payoutId as string;
}

describe('the rules of a fund', () => {
  it('start as duplicate screening alone; a fund-admin sets them (audited), the auditor reads them, bad sets are 400', async () => {
    const fundId = await fund();
    expect((await call('GET', `/v1/funds/${fundId}/warning-rules`, asAuditor)).body).toEqual({
      rules: [{ code: 'duplicate_beneficiary', severity: 'high', params: {} }],
    });
    const put = await setRules(fundId, ALL_RULES);
    expect([put.status, put.body]).toEqual([200, { rules: ALL_RULES }]);
    expect((await call('GET', `/v1/funds/${fundId}/warning-rules`, asAdmin())).body).toEqual({ rules: ALL_RULES });

    const twice = await setRules(fundId, [ALL_RULES[1], { ...ALL_RULES[1], severity: 'low' }]);
    expect([twice.status, twice.body.code]).toEqual([400, 'validation_failed']);
    const unknown = await setRules('fund_01KBX00000000000000000000Z', ALL_RULES);
    expect([unknown.status, unknown.body.code]).toEqual([404, 'not_found']);
    expect((await call('GET', `/v1/funds/${fundId}/warning-rules`, asAdmin())).body).toEqual({ rules: ALL_RULES });

    const audit = (await scanAll()).filter((i) => i.pk === `FUND#${fundId}` && i.action === 'warning_rules.set');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'admin-1', details: { after: ALL_RULES } });
  });
});

describe('the block list', () => {
  it('keeps accounts under the secret key only, lists them masked, and adds an account once', async () => {
    const fundId = await fund();
    const number = beneficiaryNo(901).account.accountNumber;
    const added = await block(fundId, [
      { accountNumber: number, reason: 'Fraud case 17' },
      { accountNumber: beneficiaryNo(902).account.accountNumber, reason: 'Closed by court order' },
      { accountNumber: number, reason: 'The same account named twice' },
    ]);
    expect([added.status, added.body]).toEqual([200, { added: 2 }]);
    expect((await block(fundId, [{ accountNumber: number, reason: 'again' }])).body).toEqual({ added: 0 });

    const list = await call('GET', `/v1/funds/${fundId}/blocked-accounts`, asAuditor);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([
      expect.objectContaining({ fundId, accountNumber: `****${number.slice(-4)}`, reason: 'Fraud case 17', addedBy: 'admin-1' }),
      expect.objectContaining({ accountNumber: '****0902', reason: 'Closed by court order', addedBy: 'admin-1' }),
    ]);
    expect(JSON.stringify(list.body)).not.toContain(number);
    const stored = (await scanAll()).filter((i) => String(i.pk).startsWith(`BENEF#${fundId}#`));
    expect(stored).toHaveLength(2);
    expect(JSON.stringify(stored)).not.toContain(number);
  });

  it('an entry is removed by a fund-admin other than the one who added it (403 self_approval), then it is gone', async () => {
    const fundId = await fund();
    await block(fundId, [{ accountNumber: beneficiaryNo(903).account.accountNumber, reason: 'Fraud case 18' }]);
    const [entry] = (await call('GET', `/v1/funds/${fundId}/blocked-accounts`, asAdmin())).body.items;
    const path = `/v1/funds/${fundId}/blocked-accounts/${entry.entryId}`;
    const own = await call('DELETE', path, asAdmin('admin-1'));
    expect([own.status, own.body.code]).toEqual([403, 'self_approval']);
    expect((await call('DELETE', path, asAdmin('admin-2'))).status).toBe(204);
    expect((await call('GET', `/v1/funds/${fundId}/blocked-accounts`, asAdmin())).body.items).toEqual([]);
    const again = await call('DELETE', path, asAdmin('admin-3'));
    expect([again.status, again.body.code]).toEqual([404, 'not_found']);
    // Unblocked: a new request to the account is not flagged any more.
    await setRules(fundId, ALL_RULES);
    expect((await create(disbursementBody(fundId, 1_000, { beneficiary: beneficiaryNo(903) }))).body.flags).toEqual([]);
  });
});

describe('each rule on a single disbursement', () => {
  it('large_amount (medium) is shown and does not block the final approval', async () => {
    const fundId = await fund();
    await setRules(fundId, ALL_RULES);
    const small = (await create(disbursementBody(fundId, 49_999, { beneficiary: beneficiaryNo(910) }))).body;
    expect(small.flags).toEqual([]);
    const large = (await create(disbursementBody(fundId, 50_000, { beneficiary: beneficiaryNo(911) }))).body;
    expect(large.flags).toEqual([
      {
        code: 'large_amount',
        severity: 'medium',
        matches: [],
        dueAt: new Date(Date.parse(large.createdAt) + 7 * DAY).toISOString(),
        clearedBy: null,
        clearedAt: null,
        reason: null,
      },
    ]);
    const approved = await approve(large.disbursementId);
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('approved');
  });

  it('blocked_account (high) blocks until another fund-admin clears it', async () => {
    const fundId = await fund();
    await setRules(fundId, ALL_RULES);
    await block(fundId, [{ accountNumber: beneficiaryNo(920).account.accountNumber, reason: 'Fraud case 19' }]);
    const [entry] = (await call('GET', `/v1/funds/${fundId}/blocked-accounts`, asAdmin())).body.items;
    const d = (await create(disbursementBody(fundId, 1_000, { beneficiary: beneficiaryNo(920) }))).body;
    expect(d.flags).toEqual([expect.objectContaining({ code: 'blocked_account', severity: 'high', matches: [entry.entryId] })]);
    expect(d.flags[0].dueAt).toBe(new Date(Date.parse(d.createdAt) + 3 * DAY).toISOString());
    const refused = await approve(d.disbursementId);
    expect([refused.status, refused.body.code]).toEqual([409, 'flagged']);
    const cleared = await call('POST', `/v1/disbursements/${d.disbursementId}/clear-flags`, {
      ...asAdmin(),
      body: { reason: 'The court order was lifted' },
    });
    expect(cleared.body.flags[0]).toMatchObject({ clearedBy: 'admin-2', reason: 'The court order was lifted' });
    expect((await approve(d.disbursementId)).body.status).toBe('approved');
  });

  it('shared_account: the same account under another name (trimmed, case-folded) in the same fund', async () => {
    const fundId = await fund();
    await setRules(fundId, ALL_RULES);
    const first = (await create(disbursementBody(fundId, 1_000, { beneficiary: named(930, 'Wang Fang') }))).body;
    const sameName = (await create(disbursementBody(fundId, 1_000, { beneficiary: named(930, '  WANG fang ') }))).body;
    expect(codes(sameName.flags)).toEqual(['duplicate_beneficiary:high']);
    const other = (await create(disbursementBody(fundId, 1_000, { beneficiary: named(930, 'Li Lei') }))).body;
    expect(codes(other.flags)).toEqual(['duplicate_beneficiary:high', 'shared_account:low']);
    expect(other.flags[1].matches.sort()).toEqual([first.disbursementId, sameName.disbursementId].sort());
    expect(other.flags[1].dueAt).toBe(new Date(Date.parse(other.createdAt) + 30 * DAY).toISOString());
    // The names are kept under the secret key only.
    expect(JSON.stringify((await scanAll()).filter((i) => String(i.pk).startsWith(`BENEF#${fundId}#`)))).not.toMatch(/Wang|Li Lei/i);
  });

  it('repeat_payee: an account settled more than `count` times in `days` days', async () => {
    const fundId = await fund();
    await setRules(fundId, [{ code: 'repeat_payee', severity: 'medium', params: { count: 0, days: 30 } }]);
    expect((await create(disbursementBody(fundId, 1_000, { beneficiary: beneficiaryNo(941) }))).body.flags).toEqual([]);
    const payoutId = await paid(fundId, 940);
    const again = (await create(disbursementBody(fundId, 1_000, { beneficiary: beneficiaryNo(940) }))).body;
    expect(again.flags).toEqual([expect.objectContaining({ code: 'repeat_payee', severity: 'medium', matches: [payoutId] })]);
    // Approved but not settled does not count.
    const unsettled = (await create(disbursementBody(fundId, 1_000, { beneficiary: beneficiaryNo(941) }))).body;
    expect(unsettled.flags).toEqual([]);
  });

  it("repeat_payee: the account's record is written in the settlement's transaction, with no marker left on the payout", async () => {
    const fundId = await fund();
    const payoutId = await paid(fundId, 946);
    const items = await scanAll();
    const record = items.find((i) => String(i.pk).startsWith(`BENEF#${fundId}#`) && i.sk === 'PAID')!;
    expect(record.settlements).toEqual([{ payoutId, settledAt: expect.any(String) }]);
    const payout = items.find((i) => i.pk === `PAY#${payoutId}` && i.sk === 'PAY')!;
    expect((record.settlements as { settledAt: string }[])[0]!.settledAt).toBe(payout.settledAt);
    // No roll-up after the commit: nothing for the sweeper's PAIDROLLUP partition, no account hash on the payout.
    expect([payout.gsi4pk, payout.gsi4sk, payout.paidAccount]).toEqual([undefined, undefined, undefined]);
  });

  it('repeat_payee: a settlement stored before, marked for a roll-up that was lost, is rolled up by the sweeper, once', async () => {
    const { documents } = await import('#shared/data/platform/clients');
    const { config } = await import('#shared/config');
    const { DeleteCommand, UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    const { settledRecordSource } = await import('#shared/data/warning-rules/raise-overdue');
    const { SWEEP_SOURCES } = await import('#functions/schedule/outbox-sweeper');
    expect(SWEEP_SOURCES).toContain(settledRecordSource);
    const fundId = await fund();
    await setRules(fundId, [{ code: 'repeat_payee', severity: 'low', params: { count: 0, days: 30 } }]);
    const payoutId = await paid(fundId, 945);
    // As a settlement stored before the record moved into its transaction, whose process died before its roll-up:
    // the payout marked (with the account's keyed hash), no record.
    const record = (await scanAll()).find((i) => String(i.pk).startsWith(`BENEF#${fundId}#`) && i.sk === 'PAID')!;
    expect(record.settlements).toEqual([{ payoutId, settledAt: expect.any(String) }]);
    const table = config().TABLE_NAME;
    await documents.send(new DeleteCommand({ TableName: table, Key: { pk: record.pk, sk: record.sk } }));
    await documents.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: `PAY#${payoutId}`, sk: 'PAY' },
        UpdateExpression: 'SET gsi4pk = :pk, gsi4sk = :sk, paidAccount = :account',
        ExpressionAttributeValues: {
          ':pk': 'PAIDROLLUP',
          ':sk': `${new Date(Date.now() - 1_000).toISOString()}#${payoutId}`,
          ':account': String(record.pk).split('#')[2],
        },
      }),
    );
    expect((await create(disbursementBody(fundId, 1_000, { beneficiary: beneficiaryNo(945) }))).body.flags).toEqual([]);

    const cutoff = new Date(Date.now() + 1_000);
    expect((await settledRecordSource.sweep(cutoff)).found).toBeGreaterThanOrEqual(1);
    expect((await settledRecordSource.sweep(cutoff)).found).toBe(0);
    const again = (await create(disbursementBody(fundId, 1_000, { beneficiary: beneficiaryNo(945) }))).body;
    expect(again.flags).toEqual([expect.objectContaining({ code: 'repeat_payee', matches: [payoutId] })]);
    const payout = (await scanAll()).find((i) => i.pk === `PAY#${payoutId}` && i.sk === 'PAY')!;
    expect([payout.gsi4pk, payout.paidAccount]).toEqual([undefined, undefined]);
  });

  it('changing the rules does not re-run them on existing items', async () => {
    const fundId = await fund();
    await setRules(fundId, ALL_RULES);
    const large = (await create(disbursementBody(fundId, 90_000, { beneficiary: beneficiaryNo(950) }))).body;
    expect(codes(large.flags)).toEqual(['large_amount:medium']);
    await setRules(fundId, []);
    expect((await call('GET', `/v1/disbursements/${large.disbursementId}`, asAuditor)).body.flags).toEqual(large.flags);
    // With no rules at all, even a duplicate is not flagged.
    expect((await create(disbursementBody(fundId, 90_000, { beneficiary: beneficiaryNo(950) }))).body.flags).toEqual([]);
  });
});

describe('each rule on batch rows', () => {
  const row = (beneficiary: unknown, amount = 1_000) => ({ beneficiary, amount });
  const createBatch = (fundId: string, items: unknown[]) =>
    call('POST', '/v1/disbursement-batches', { ...asRequester(), body: { fundId, countyCode: COUNTY, purpose: 'produce-subsidy', items } });

  it('flags each row by the rules it hits; a high row flag blocks the final approval, medium ones alone do not', async () => {
    const fundId = await fund();
    await setRules(fundId, ALL_RULES);
    await block(fundId, [{ accountNumber: beneficiaryNo(962).account.accountNumber, reason: 'Fraud case 20' }]);
    const payoutId = await paid(fundId, 963);
    const res = await createBatch(fundId, [
      row(beneficiaryNo(960)),
      row(beneficiaryNo(961), 80_000),
      row(beneficiaryNo(962)),
      row(beneficiaryNo(963)),
      row(named(964, 'Zhao Min')),
      row(named(964, 'Qian Li')),
    ]);
    expect(res.status).toBe(201);
    const batchId = res.body.batchId as string;
    const flags = (await call('GET', `/v1/disbursement-batches/${batchId}/flags?limit=100`, asAuditor)).body.items as {
      row: number;
      code: string;
      severity: string;
      matches: string[];
    }[];
    const byRow = (r: number) => flags.filter((f) => f.row === r).map((f) => `${f.code}:${f.severity}`);
    expect(byRow(0)).toEqual([]);
    expect(byRow(1)).toEqual(['large_amount:medium']);
    expect(byRow(2)).toEqual(['blocked_account:high']);
    // Account 963 was paid (settled) once by this fund: a duplicate of that disbursement, and a repeat payee.
    expect(byRow(3)).toEqual(['duplicate_beneficiary:high', 'repeat_payee:medium']);
    expect(flags.find((f) => f.row === 3 && f.code === 'repeat_payee')!.matches).toEqual([payoutId]);
    expect(byRow(4)).toEqual(['duplicate_beneficiary:high', 'shared_account:low']);
    expect(byRow(5)).toEqual(['duplicate_beneficiary:high', 'shared_account:low']);
    expect(res.body.flags).toEqual({ count: flags.length, cleared: false });

    const refused = await call('POST', `/v1/disbursement-batches/${batchId}/approve`, { ...asApprover('approver-1'), body: {} });
    expect([refused.status, refused.body.code]).toEqual([409, 'flagged']);

    const mediumOnly = await createBatch(fundId, [row(beneficiaryNo(970), 60_000), row(beneficiaryNo(971))]);
    expect(mediumOnly.body.flags).toEqual({ count: 1, cleared: false });
    const approved = await call('POST', `/v1/disbursement-batches/${mediumOnly.body.batchId}/approve`, {
      ...asApprover('approver-1'),
      body: {},
    });
    expect([approved.status, approved.body.status]).toEqual([200, 'approved']);
  });
});

describe('flag.overdue', () => {
  const overdueEvents = async (ref: string) =>
    (await scanAll())
      .filter((i) => i.type === 'event' && i.eventType === 'flag.overdue' && i.subject === ref)
      .map((i) => ({ ...i, data: eventData(i) }));

  it('is raised once per overdue flag of a pending item, even by two sweepers at once', async () => {
    const fundId = await fund();
    await setRules(fundId, ALL_RULES);
    await block(fundId, [{ accountNumber: beneficiaryNo(980).account.accountNumber, reason: 'Fraud case 21' }]);
    const d = (await create(disbursementBody(fundId, 70_000, { beneficiary: beneficiaryNo(980) }))).body;
    expect(codes(d.flags)).toEqual(['large_amount:medium', 'blocked_account:high']);
    const created = Date.parse(d.createdAt);

    // Before its due time nothing is raised.
    expect(await raiseOverdueFlag(d.disbursementId, 'blocked_account', new Date(created + 3 * DAY - 1))).toBe(false);
    const at = new Date(created + 3 * DAY);
    const raced = await Promise.all([
      raiseOverdueFlag(d.disbursementId, 'blocked_account', at),
      raiseOverdueFlag(d.disbursementId, 'blocked_account', at),
    ]);
    expect(raced.filter(Boolean)).toHaveLength(1);
    expect(await raiseOverdueFlag(d.disbursementId, 'blocked_account', new Date(created + 5 * DAY))).toBe(false);
    // The medium flag is due 7 days after its raising, not 3.
    expect(await raiseOverdueFlag(d.disbursementId, 'large_amount', at)).toBe(false);
    const later = new Date(created + 7 * DAY);
    expect(await Promise.all([0, 1, 2].map(() => raiseOverdueFlag(d.disbursementId, 'large_amount', later)))).toContain(true);

    const events = await overdueEvents(d.disbursementId);
    expect(events.map((e) => (e.data as { code: string }).code).sort()).toEqual(['blocked_account', 'large_amount']);
    expect(events.find((e) => (e.data as { code: string }).code === 'blocked_account')!.data).toEqual({
      fundId,
      disbursementId: d.disbursementId,
      code: 'blocked_account',
      severity: 'high',
      dueAt: new Date(created + 3 * DAY).toISOString(),
    });
  });

  it('is not raised for a flag cleared in time, nor for an item no longer pending; a batch raises it once per code', async () => {
    const fundId = await fund();
    await setRules(fundId, ALL_RULES);
    await block(fundId, [{ accountNumber: beneficiaryNo(990).account.accountNumber, reason: 'Fraud case 22' }]);
    const cleared = (await create(disbursementBody(fundId, 1_000, { beneficiary: beneficiaryNo(990) }))).body;
    await call('POST', `/v1/disbursements/${cleared.disbursementId}/clear-flags`, {
      ...asAdmin(),
      body: { reason: 'Checked with the bank' },
    });
    const cancelled = (await create(disbursementBody(fundId, 60_000, { beneficiary: beneficiaryNo(991) }))).body;
    await call('POST', `/v1/disbursements/${cancelled.disbursementId}/cancel`, { ...asRequester(), body: { reason: 'Typed twice' } });
    const far = new Date(Date.now() + 40 * DAY);
    expect(await raiseOverdueFlag(cleared.disbursementId, 'blocked_account', far)).toBe(false);
    expect(await raiseOverdueFlag(cancelled.disbursementId, 'large_amount', far)).toBe(false);
    expect(await overdueEvents(cleared.disbursementId)).toEqual([]);
    expect(await overdueEvents(cancelled.disbursementId)).toEqual([]);

    const batch = (
      await call('POST', '/v1/disbursement-batches', {
        ...asRequester(),
        body: {
          fundId,
          countyCode: COUNTY,
          purpose: 'produce-subsidy',
          items: [992, 993, 994].map((n) => ({ beneficiary: beneficiaryNo(n), amount: 55_000 })),
        },
      })
    ).body;
    const raised = await Promise.all([0, 1].map(() => raiseOverdueFlag(batch.batchId, 'large_amount', far)));
    expect(raised.filter(Boolean)).toHaveLength(1);
    const [event] = await overdueEvents(batch.batchId);
    expect(event!.data).toMatchObject({ fundId, batchId: batch.batchId, rows: 3, code: 'large_amount', severity: 'medium' });
  });
});
