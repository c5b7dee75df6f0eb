/**
 * Dates a client sends that the routes cannot store or search are 400 `validation_failed`, never a 500 (API 1.2,
 * "dates outside what a route can store are 400"): the event log's `after` before 1970 lists from the start (every
 * event is after it; message ids are ULIDs, which cannot encode a time before 1970), and a bank statement dated
 * after tomorrow (9999-12-31 included, whose next day has a five-digit year) is refused.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { asApprover, asFinance, asRequester, COUNTY, disbursementBody, useMoneyHarness } from './disbursement-harness.ts';

const h = useMoneyHarness();
let payoutId: string;
const admin = { sub: 'admin-1', roles: ['fund-admin'] };

beforeAll(async () => {
  const fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000 } });
  const created = await h.call('POST', '/v1/disbursements', { ...asRequester(), body: disbursementBody(fundId, 5_000) });
  const approved = await h.call('POST', `/v1/disbursements/${created.body.disbursementId}/approve`, {
    ...asApprover('checker-1'),
    body: {},
  });
  expect(approved.status).toBe(200);
  payoutId = approved.body.payoutId as string;
});

const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
const statement = (statementDate: string) => ({
  statementDate,
  lines: [{ bankReference: 'BR-1', amount: 5_000, currency: 'CNY', valueDate: statementDate }],
});

describe('GET /v1/events?after= before 1970', () => {
  it.each(['1969-12-31T23:59:59Z', '1969-12-31T23:59:59.999Z', '0000-01-01T00:00:00Z', '1970-01-01T00:00:00+08:00'])(
    'after=%s lists from the start',
    async (after) => {
      const listed = await h.call('GET', '/v1/events', { ...admin, query: { after, limit: '100' } });
      expect(listed.status, JSON.stringify(listed.body)).toBe(200);
      expect(listed.body.items.some((e: { data: { payoutId?: string } }) => e.data.payoutId === payoutId)).toBe(true);
    },
  );
});

describe('POST /v1/reconciliations with a statement date the route cannot search', () => {
  it.each(['9999-12-31', day(2), day(400)])('statementDate %s (after tomorrow) is 400 validation_failed', async (date) => {
    const refused = await h.call('POST', '/v1/reconciliations', { ...asFinance, body: statement(date) });
    expect([refused.status, refused.body.code], JSON.stringify(refused.body)).toEqual([400, 'validation_failed']);
    expect(refused.body.errors).toEqual([expect.objectContaining({ path: 'body.statementDate' })]);
  });

  it('the same as a CSV statement with ?statementDate=9999-12-31', async () => {
    const refused = await h.call('POST', '/v1/reconciliations', {
      ...asFinance,
      query: { statementDate: '9999-12-31' },
      headers: { 'content-type': 'text/csv' },
      body: 'bankReference,amount,currency,valueDate\nBR-1,5000,CNY,9999-12-31\n',
    });
    expect([refused.status, refused.body.code], JSON.stringify(refused.body)).toEqual([400, 'validation_failed']);
  });

  it.each([day(1), day(0), '1970-01-01', '0001-01-01'])('statementDate %s (tomorrow or before) is reconciled', async (date) => {
    const done = await h.call('POST', '/v1/reconciliations', { ...asFinance, body: statement(date) });
    expect(done.status, JSON.stringify(done.body)).toBe(201);
  });
});
