/**
 * Bank-statement reconciliation (`POST /v1/reconciliations`, `GET /v1/reconciliations/{id}`) against real
 * DynamoDB Local: lines match the caller's own payouts settled `succeeded`, by payoutId (then only by it) else by
 * bankReference (also a payout settled on another day, through the reference item its settlement wrote);
 * unmatched payouts are those settled on the statement date; another finance system's payouts and
 * reconciliations stay invisible; JSON or CSV in; bad input is a 400 and stores nothing; the result is read
 * back as it was answered, 10,000 lines included.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { asFinance, COUNTY, FINANCE_SYSTEM, useMoneyHarness, type Call } from './disbursement-harness.ts';

const h = useMoneyHarness({}, 120_000);
const OTHER_FINANCE = 'finance-2';
const asOtherFinance: Call = { sub: OTHER_FINANCE, roles: ['finance-system'] };
const admin = { sub: 'admin-1', roles: ['fund-admin'] };
const auditor = { sub: 'auditor-1', roles: ['auditor'] };

interface Settled {
  payoutId: string;
  bankReference: string;
  amount: number;
  settledAt: string;
}

const approvedPayout = async (fundId: string, amount: number) => (await h.approvedPayout(fundId, amount, { ownAccount: true })).payoutId;

async function settledPayout(fundId: string, amount: number, bankReference: string, as = asFinance): Promise<Settled> {
  const payoutId = await approvedPayout(fundId, amount);
  const reply = await h.settle(payoutId, { outcome: 'succeeded', bankReference }, as);
  expect(reply.status).toBe(200);
  return { payoutId, bankReference, amount, settledAt: reply.body.settledAt };
}

const line = (p: { bankReference: string; amount: number }, extra: Record<string, unknown> = {}) => ({
  bankReference: p.bankReference,
  amount: p.amount,
  currency: 'CNY',
  valueDate: today,
  ...extra,
});

function post(
  body: unknown,
  as: Call = asFinance,
  options: { query?: Record<string, string>; headers?: Record<string, string>; idempotencyKey?: string | null } = {},
) {
  return h.call('POST', '/v1/reconciliations', { ...as, body, ...options });
}

async function storedReconciliationItems(): Promise<number> {
  const { documents } = await import('#shared/data/platform/clients');
  const { config } = await import('#shared/config');
  const out = await documents.send(
    new ScanCommand({
      TableName: config().TABLE_NAME,
      FilterExpression: 'begins_with(pk, :rcn)',
      ExpressionAttributeValues: { ':rcn': 'RCN#' },
      ConsistentRead: true,
    }),
  );
  return out.Count ?? 0;
}

let fundId = '';
let otherFundId = '';
let today = '';
let yesterday = '';
/** a, b, c, d settled today by finance-1; x by finance-2; unsettled: queued, never settled. */
let a: Settled, b: Settled, c: Settled, d: Settled, x: Settled;
let unsettled = '';

beforeAll(async () => {
  fundId = await h.fund({ allocations: { [COUNTY]: 100_000_000 } });
  const created = await h.data.funds.createFund(
    {
      name: 'Other fund',
      financeSystem: OTHER_FINANCE,
      noticePeriod: 'P0D',
      totalBudget: 1_000_000_000,
      dualApprovalThreshold: 100_000_000,
    },
    { sub: 'admin-1' },
    new Date(),
  );
  otherFundId = created.fundId;
  await h.data.funds.setAllocation(otherFundId, COUNTY, 100_000_000, { sub: 'admin-1' }, new Date());

  a = await settledPayout(fundId, 10_001, 'BANK-A');
  b = await settledPayout(fundId, 10_002, 'BANK-B');
  c = await settledPayout(fundId, 10_003, 'BANK-C');
  d = await settledPayout(fundId, 10_004, 'BANK-D');
  x = await settledPayout(otherFundId, 10_005, 'BANK-X', asOtherFinance);
  unsettled = await approvedPayout(fundId, 10_006);
  today = a.settledAt.slice(0, 10);
  // Near midnight UTC the payouts could straddle two days; the assertions below need one day.
  expect([b, c, d, x].map((p) => p.settledAt.slice(0, 10))).toEqual([today, today, today, today]);
  yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}, 120_000);

describe('POST /v1/reconciliations', () => {
  it('matches by payoutId and by bankReference, and lists unmatched lines, unmatched payouts and amount mismatches', async () => {
    const reply = await post({
      statementDate: today,
      lines: [
        line({ bankReference: 'WHATEVER', amount: a.amount }, { payoutId: a.payoutId }),
        line(b),
        line({ bankReference: 'NOBODY', amount: 500 }),
        line({ bankReference: c.bankReference, amount: c.amount + 1 }),
      ],
    });
    expect(reply.status).toBe(201);
    expect(reply.body.reconciliationId).toMatch(/^rcn_[0-9A-Z]{26}$/);
    expect(reply.body).toEqual({
      reconciliationId: reply.body.reconciliationId,
      statementDate: today,
      matched: [
        { line: 1, payoutId: a.payoutId },
        { line: 2, payoutId: b.payoutId },
      ],
      unmatchedLines: [{ line: 3, bankReference: 'NOBODY', amount: 500 }],
      // d settled today and no line names it; x is another finance system's.
      unmatchedPayouts: [{ payoutId: d.payoutId, bankReference: d.bankReference, amount: d.amount }],
      amountMismatches: [{ line: 4, payoutId: c.payoutId, statementAmount: c.amount + 1, payoutAmount: c.amount }],
    });
  });

  it('finds a payout settled on another day by its bank reference (the reference item), and lists none of that day as unmatched', async () => {
    const reply = await post({ statementDate: yesterday, lines: [line(a), line(d)] });
    expect(reply.status).toBe(201);
    expect(reply.body.matched).toEqual([
      { line: 1, payoutId: a.payoutId },
      { line: 2, payoutId: d.payoutId },
    ]);
    expect(reply.body.unmatchedLines).toEqual([]);
    expect(reply.body.unmatchedPayouts).toEqual([]);
  });

  it('finds every payout a bank reference names when it names several (one bulk transfer), the same amount first', async () => {
    const small = await settledPayout(fundId, 20_001, 'BANK-BULK');
    const large = await settledPayout(fundId, 20_002, 'BANK-BULK');
    const reply = await post({ statementDate: yesterday, lines: [line(large), line(small), line(small)] });
    expect(reply.status).toBe(201);
    expect(reply.body.matched).toEqual([
      { line: 1, payoutId: large.payoutId },
      { line: 2, payoutId: small.payoutId },
    ]);
    expect(reply.body.unmatchedLines).toEqual([{ line: 3, bankReference: 'BANK-BULK', amount: small.amount }]);
  });

  it('never falls back to the bank reference when the line names a payoutId that does not match', async () => {
    const reply = await post({
      statementDate: yesterday,
      lines: [line(a, { payoutId: unsettled }), line(b, { payoutId: 'pay_01M8MB7QKGZ7EXTNFH95G3P5TD' })],
    });
    expect(reply.status).toBe(201);
    expect(reply.body.matched).toEqual([]);
    expect(reply.body.unmatchedLines).toEqual([
      { line: 1, bankReference: a.bankReference, amount: a.amount },
      { line: 2, bankReference: b.bankReference, amount: b.amount },
    ]);
  });

  it("never matches another finance system's payout, by id or by reference, and never lists it", async () => {
    const reply = await post({ statementDate: today, lines: [line(x, { payoutId: x.payoutId }), line(x)] });
    expect(reply.status).toBe(201);
    expect(reply.body.matched).toEqual([]);
    expect(reply.body.unmatchedLines.map((l: { line: number }) => l.line)).toEqual([1, 2]);
    // Ours settled today (this file's later tests add two more), never x.
    expect(reply.body.unmatchedPayouts.map((p: { payoutId: string }) => p.payoutId)).toEqual(
      expect.arrayContaining([a, b, c, d].map((p) => p.payoutId)),
    );
    expect(reply.body.unmatchedPayouts.map((p: { payoutId: string }) => p.payoutId)).not.toContain(x.payoutId);

    const theirs = await post({ statementDate: today, lines: [line(x)] }, asOtherFinance);
    expect(theirs.body.matched).toEqual([{ line: 1, payoutId: x.payoutId }]);
    expect(theirs.body.unmatchedPayouts).toEqual([]);
  });

  it('takes the same lines as text/csv: a header naming the columns in any order, quoted fields, CRLF', async () => {
    const csv =
      'amount,valueDate,payoutId,currency,bankReference\r\n' +
      `${a.amount},${today},${a.payoutId},CNY,"ignored, since the id decides"\r\n` +
      `${b.amount},${today},,CNY,"${b.bankReference}"\r\n` +
      `500,${today},,CNY,"SAID ""NOBODY"""\r\n`;
    const reply = await post(csv, asFinance, { query: { statementDate: today }, headers: { 'content-type': 'text/csv; charset=utf-8' } });
    expect(reply.status).toBe(201);
    expect(reply.body.statementDate).toBe(today);
    expect(reply.body.matched).toEqual([
      { line: 1, payoutId: a.payoutId },
      { line: 2, payoutId: b.payoutId },
    ]);
    expect(reply.body.unmatchedLines).toEqual([{ line: 3, bankReference: 'SAID "NOBODY"', amount: 500 }]);
  });

  it('refuses bad input with 400 problem+json and stores nothing', async () => {
    const before = await storedReconciliationItems();
    const good = line(a);
    const csvHeaders = { headers: { 'content-type': 'text/csv' } };
    const refusals = [
      await post({ statementDate: today, lines: [{ ...good, amount: 0 }] }),
      await post({ statementDate: today, lines: [{ ...good, amount: 12.5 }] }),
      await post({ statementDate: today, lines: [{ ...good, amount: -3 }] }),
      await post({ statementDate: today, lines: [{ ...good, currency: 'USD' }] }),
      await post({ statementDate: today, lines: [{ ...good, valueDate: '2026-02-30' }] }),
      await post({ statementDate: '2026-02-30', lines: [good] }),
      await post({ statementDate: today, lines: [] }),
      await post({ statementDate: today, lines: [{ ...good, memo: 'unknown field' }] }),
      await post({ statementDate: today, lines: Array.from({ length: 10_001 }, () => good) }),
      await post({ statementDate: today, lines: [good] }, asFinance, { query: { statementDate: today } }),
      // CSV: no statementDate, an unknown column, a missing column, a broken quote, a short row, a bad amount.
      await post(`bankReference,amount,currency,valueDate\nR,1,CNY,${today}\n`, asFinance, csvHeaders),
      await post(`bankReference,amount,currency,valueDate,memo\nR,1,CNY,${today},x\n`, asFinance, {
        ...csvHeaders,
        query: { statementDate: today },
      }),
      await post(`bankReference,amount,currency\nR,1,CNY\n`, asFinance, { ...csvHeaders, query: { statementDate: today } }),
      await post(`bankReference,amount,currency,valueDate\n"R,1,CNY,${today}\n`, asFinance, {
        ...csvHeaders,
        query: { statementDate: today },
      }),
      await post(`bankReference,amount,currency,valueDate\nR,1,CNY\n`, asFinance, { ...csvHeaders, query: { statementDate: today } }),
      await post(`bankReference,amount,currency,valueDate\nR,1.00,CNY,${today}\n`, asFinance, {
        ...csvHeaders,
        query: { statementDate: today },
      }),
      await post('', asFinance, { ...csvHeaders, query: { statementDate: today } }),
    ];
    for (const r of refusals) {
      expect(r.status, r.text).toBe(400);
      expect(r.contentType).toBe('application/problem+json');
      expect(r.body.code).toBe('validation_failed');
    }
    expect(await storedReconciliationItems()).toBe(before);
  });

  it('takes an Idempotency-Key when there is one (API.md requires it only on its five listed creates): a retry with the same key answers the same reconciliation', async () => {
    const withoutKey = await post({ statementDate: today, lines: [line(a)] }, asFinance, { idempotencyKey: null });
    const another = await post({ statementDate: today, lines: [line(a)] }, asFinance, { idempotencyKey: null });
    expect([withoutKey.status, another.status]).toEqual([201, 201]);
    expect(another.body.reconciliationId).not.toBe(withoutKey.body.reconciliationId);
    const first = await post({ statementDate: today, lines: [line(a)] }, asFinance, { idempotencyKey: 'statement-1' });
    const again = await post({ statementDate: today, lines: [line(a)] }, asFinance, { idempotencyKey: 'statement-1' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.reconciliationId).toBe(first.body.reconciliationId);
  });

  it("fits the worst 10,000-line statement in the route's body limit (longest references, ids, amounts)", async () => {
    const { routes } = await import('#shared/routes');
    const limit = routes.find((r) => r.operationId === 'createReconciliation')!.maxBodyBytes;
    const worst = {
      statementDate: today,
      lines: Array.from({ length: 10_000 }, () => ({
        bankReference: 'R'.repeat(100),
        amount: 10_000_000_000_000,
        currency: 'CNY',
        valueDate: today,
        payoutId: a.payoutId,
      })),
    };
    expect(Buffer.byteLength(JSON.stringify(worst))).toBeLessThanOrEqual(limit);
  });

  it('takes 10,000 lines in one request', async () => {
    const lines = Array.from({ length: 10_000 }, (_, n) => line({ bankReference: `STATEMENT-${n}`, amount: 100 + n }));
    lines[4_321] = line(b);
    const reply = await post({ statementDate: today, lines });
    expect(reply.status).toBe(201);
    expect(reply.body.matched).toEqual([{ line: 4_322, payoutId: b.payoutId }]);
    expect(reply.body.unmatchedLines).toHaveLength(9_999);
    expect(reply.body.unmatchedLines[9_998]).toEqual({ line: 10_000, bankReference: 'STATEMENT-9999', amount: 10_099 });
    // a, c, d and the two bulk payouts: everything settled today but b.
    expect(reply.body.unmatchedPayouts).toHaveLength(5);
    const again = await h.call('GET', `/v1/reconciliations/${reply.body.reconciliationId}`, admin);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(reply.body);
  }, 120_000);
});

describe('payouts settled before the reference items existed', () => {
  it('are found by reference on another day only after the backfill, which can run again without counting twice', async () => {
    const old = await settledPayout(fundId, 30_001, 'BANK-OLD');
    const { documents } = await import('#shared/data/platform/clients');
    const { config } = await import('#shared/config');
    const { keys } = await import('#shared/data/platform/keys');
    const { DeleteCommand, GetCommand } = await import('@aws-sdk/lib-dynamodb');
    // As an older version left it: settled, without reference items.
    for (const Key of [
      keys.bankReference(FINANCE_SYSTEM, 'BANK-OLD', old.payoutId),
      keys.bankReferenceSummary(FINANCE_SYSTEM, 'BANK-OLD'),
    ]) {
      await documents.send(new DeleteCommand({ TableName: config().TABLE_NAME, Key }));
    }
    const before = await post({ statementDate: yesterday, lines: [line(old)] });
    expect(before.body.matched).toEqual([]);

    const { backfillBankReferences } = await import('#shared/data/payouts/bank-reference-backfill');
    expect((await backfillBankReferences()).updated).toBe(1);
    expect((await backfillBankReferences()).updated).toBe(0);
    const summary = await documents.send(
      new GetCommand({ TableName: config().TABLE_NAME, Key: keys.bankReferenceSummary(FINANCE_SYSTEM, 'BANK-OLD'), ConsistentRead: true }),
    );
    expect(summary.Item).toMatchObject({ uses: 1, first: { payoutId: old.payoutId, amount: old.amount } });
    const after = await post({ statementDate: yesterday, lines: [line(old)] });
    expect(after.body.matched).toEqual([{ line: 1, payoutId: old.payoutId }]);
  });
});

describe('the items a settlement writes for its bank reference', () => {
  it('a new reference is its summary alone, a later payout under it gets its own item; both found on another day, the backfill counts neither', async () => {
    const { documents } = await import('#shared/data/platform/clients');
    const { config } = await import('#shared/config');
    const { keys } = await import('#shared/data/platform/keys');
    const { GetCommand } = await import('@aws-sdk/lib-dynamodb');
    const get = async (Key: { pk: string; sk: string }) =>
      (await documents.send(new GetCommand({ TableName: config().TABLE_NAME, Key, ConsistentRead: true }))).Item;
    const summaryKey = keys.bankReferenceSummary(FINANCE_SYSTEM, 'BANK-TWICE');
    const first = await settledPayout(fundId, 40_001, 'BANK-TWICE');
    expect(await get(keys.bankReference(FINANCE_SYSTEM, 'BANK-TWICE', first.payoutId))).toBeUndefined();
    expect(await get(summaryKey)).toMatchObject({ uses: 1, first: { payoutId: first.payoutId } });
    const second = await settledPayout(fundId, 40_002, 'BANK-TWICE');
    expect(await get(keys.bankReference(FINANCE_SYSTEM, 'BANK-TWICE', second.payoutId))).toMatchObject({ payoutId: second.payoutId });
    expect(await get(summaryKey)).toMatchObject({ uses: 2, first: { payoutId: first.payoutId } });

    const { backfillBankReferences } = await import('#shared/data/payouts/bank-reference-backfill');
    await backfillBankReferences();
    expect(await get(summaryKey)).toMatchObject({ uses: 2, first: { payoutId: first.payoutId } });
    expect(await get(keys.bankReference(FINANCE_SYSTEM, 'BANK-TWICE', first.payoutId))).toBeUndefined();

    const reply = await post({ statementDate: yesterday, lines: [line(second), line(first)] });
    expect(reply.status).toBe(201);
    expect(reply.body.matched).toEqual([
      { line: 1, payoutId: second.payoutId },
      { line: 2, payoutId: first.payoutId },
    ]);
  });
});

describe('a reply too large to keep in the idempotency record', () => {
  it('10,000 long random references (about 0.8 MB compressed): 201, and the same key answers the same reconciliation again', async () => {
    const lines = Array.from({ length: 10_000 }, (_, n) =>
      line({ bankReference: randomBytes(75).toString('base64'), amount: 1_000_000_000_000 + n * 7_919 }),
    );
    const first = await post({ statementDate: today, lines }, asFinance, { idempotencyKey: 'long-statement' });
    expect(first.status, first.text.slice(0, 300)).toBe(201);
    const again = await h.call('POST', '/v1/reconciliations', {
      ...asFinance,
      body: { statementDate: today, lines },
      idempotencyKey: 'long-statement',
    });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
  }, 120_000);
});

describe('GET /v1/reconciliations/{id}', () => {
  it('returns the reconciliation as it was answered to its finance system, fund-admin and auditor; to another finance system it does not exist', async () => {
    const made = await post({
      statementDate: today,
      lines: [line(a), line({ bankReference: 'NOBODY', amount: 7 }), line({ bankReference: c.bankReference, amount: 1 })],
    });
    expect(made.status).toBe(201);
    const path = `/v1/reconciliations/${made.body.reconciliationId}`;
    for (const reader of [asFinance, admin, auditor]) {
      const reply = await h.call('GET', path, reader);
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual(made.body);
    }
    const other = await h.call('GET', path, asOtherFinance);
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('not_found');
    const unknown = await h.call('GET', '/v1/reconciliations/rcn_01M8MB7QKGZ7EXTNFH95G3P5TD', admin);
    expect(unknown.status).toBe(404);
    expect(FINANCE_SYSTEM).toBe('finance-1');
  });
});

describe('a reference whose payout on the statement day is taken, and that names another day’s payout too', () => {
  /** Settled `daysAgo` days before today (at noon UTC), through the data layer: the API settles at its own now. */
  async function settledDaysAgo(daysAgo: number, amount: number, bankReference: string): Promise<Settled & { day: string }> {
    const payoutId = await approvedPayout(fundId, amount);
    const at = new Date(Date.parse(`${today}T12:00:00Z`) - daysAgo * 86_400_000);
    const settled = await h.data.payouts.settlePayout(payoutId, { outcome: 'succeeded', bankReference }, { sub: FINANCE_SYSTEM }, at);
    expect(settled.settledAt).toBe(at.toISOString());
    return { payoutId, bankReference, amount, settledAt: at.toISOString(), day: at.toISOString().slice(0, 10) };
  }

  it('matches an id-less line to the other day’s payout when a line with a payoutId took the day’s one', async () => {
    // Days of their own, so that no other test's payouts settled then.
    const onTheDay = await settledDaysAgo(10, 40_001, 'BANK-TWICE');
    const before = await settledDaysAgo(11, 40_002, 'BANK-TWICE');
    const reply = await post({ statementDate: onTheDay.day, lines: [line(onTheDay, { payoutId: onTheDay.payoutId }), line(before)] });
    expect(reply.status).toBe(201);
    expect(reply.body.matched).toEqual([
      { line: 1, payoutId: onTheDay.payoutId },
      { line: 2, payoutId: before.payoutId },
    ]);
    expect(reply.body.unmatchedLines).toEqual([]);
    expect(reply.body.unmatchedPayouts).toEqual([]);
    expect(reply.body.amountMismatches).toEqual([]);
  });

  it('matches an id-less line to the other day’s payout of the same amount rather than the day’s payout of another amount', async () => {
    const onTheDay = await settledDaysAgo(20, 50_001, 'BANK-AGAIN');
    const before = await settledDaysAgo(21, 50_002, 'BANK-AGAIN');
    const reply = await post({ statementDate: onTheDay.day, lines: [line(before)] });
    expect(reply.status).toBe(201);
    expect(reply.body.matched).toEqual([{ line: 1, payoutId: before.payoutId }]);
    expect(reply.body.amountMismatches).toEqual([]);
    // The day's payout, which no line is about, is then what the statement misses.
    expect(reply.body.unmatchedPayouts).toEqual([{ payoutId: onTheDay.payoutId, bankReference: 'BANK-AGAIN', amount: onTheDay.amount }]);
  });
});
