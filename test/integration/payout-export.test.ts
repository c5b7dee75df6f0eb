/**
 * `GET /v1/payouts` with `Accept: text/csv`, through the payouts handler on DynamoDB Local: one header row,
 * every matching payout in the JSON list's order (more than one listing page of them), accounts masked,
 * the list's filters (status, batch, fund, the finance system's own funds), and cells that a
 * spreadsheet would run as formulas defused.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useLocalServices } from '#test/support/local-services';
import { handlerCaller, type HttpHandler } from '#test/support/handler-call';
import type { Payout, PayoutStatus } from '#shared/domain/payouts';
import { FIXTURE_ACCOUNT, fixturePayout } from '#test/support/payout-fixture';
import { parseCsv } from '#shared/csv';
import { newId } from '#shared/ids';
import { payoutsContext } from '../support/contexts.ts';

const FUND_A = newId('fund');
const FUND_B = newId('fund');
const BATCH = newId('batch');
const STATUSES: PayoutStatus[] = ['queued', 'sent', 'settled'];
/** 620 payouts: more than one export page (500). Fund A is paid by finance-1, fund B by finance-2. */
const COUNT = 620;
const written: { payoutId: string; fundId: string; status: PayoutStatus; batchId: string | null }[] = [];

let call: ReturnType<typeof handlerCaller>;

beforeAll(async () => {
  await useLocalServices();
  const payouts = await payoutsContext();
  const { transact } = await import('#shared/data/platform/transactions');
  call = handlerCaller(
    { payouts: ((await import('#functions/http/payouts')) as { handler: HttpHandler }).handler },
    { sub: 'admin-1', roles: ['fund-admin'] },
  );
  const start = Date.now() - 3_600_000;
  const steps = Array.from({ length: COUNT }, (_, n) => {
    const at = new Date(start + n * 5);
    const fundId = n % 2 === 0 ? FUND_A : FUND_B;
    const batchId = n % 5 === 0 ? BATCH : null;
    const name = n === 0 ? '=HYPERLINK("http://x","Li, Wei")' : n === 1 ? '+86 Wang' : `Farmer ${n}`;
    const payout = fixturePayout(n, {
      payoutId: newId('payout', at.getTime()),
      disbursementId: batchId ? null : newId('disbursement', at.getTime()),
      batchId,
      fundId,
      beneficiary: { kind: 'farmer', name, account: { bankName: 'ABC', accountName: name, accountNumber: FIXTURE_ACCOUNT } },
      status: STATUSES[n % STATUSES.length]!,
      createdAt: at.toISOString(),
    });
    written.push({ payoutId: payout.payoutId, fundId, status: payout.status, batchId });
    return payouts.payoutPutStep(payout, newId('message', at.getTime()), { payer: fundId === FUND_A ? 'finance-1' : 'finance-2' });
  });
  for (let i = 0; i < steps.length; i += 25) await transact(steps.slice(i, i + 25));
}, 120_000);

const newestFirst = (rows: typeof written) =>
  rows
    .map((r) => r.payoutId)
    .sort()
    .reverse();

async function csv(query: Record<string, string> = {}, as?: { sub: string; roles: string[] }) {
  const reply = await call('GET', '/v1/payouts', { query, headers: { accept: 'text/csv' }, ...as });
  expect(reply.status).toBe(200);
  expect(reply.contentType).toBe('text/csv; charset=utf-8');
  const [header, ...rows] = parseCsv(reply.text).map((r) => r.fields);
  return { text: reply.text, header: header!, rows: rows.map((fields) => Object.fromEntries(header!.map((h, i) => [h, fields[i]!]))) };
}

describe('payout CSV export', () => {
  it('is one header row and then every payout, newest first, no paging', async () => {
    const { header, rows, text } = await csv({ limit: '5' });
    expect(header.slice(0, 6)).toEqual(['payoutId', 'disbursementId', 'batchId', 'fundId', 'countyCode', 'amount']);
    expect(text.split('\r\n')[0]).toBe(header.join(','));
    expect(rows.map((r) => r.payoutId)).toEqual(newestFirst(written));
  });

  it('masks every account and never writes the full number', async () => {
    const { rows, text } = await csv();
    expect(text).not.toContain(FIXTURE_ACCOUNT);
    expect(new Set(rows.map((r) => r.accountNumber))).toEqual(new Set(['****8901']));
  });

  it('defuses formula-like names and keeps commas and quotes intact', async () => {
    const { rows } = await csv();
    const byId = new Map(rows.map((r) => [r.payoutId, r]));
    expect(byId.get(written[0]!.payoutId)!.beneficiaryName).toBe(`'=HYPERLINK("http://x","Li, Wei")`);
    expect(byId.get(written[1]!.payoutId)!.beneficiaryName).toBe(`'+86 Wang`);
  });

  it('is the same list as the JSON pages, in the same order, for each filter', async () => {
    for (const query of [{ status: 'sent' }, { batchId: BATCH }, { fundId: FUND_B }, { fundId: FUND_A, status: 'settled' }] as Record<
      string,
      string
    >[]) {
      const jsonIds: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await call('GET', '/v1/payouts', { query: { ...query, limit: '100', ...(cursor ? { cursor } : {}) } });
        expect(page.status).toBe(200);
        jsonIds.push(...page.body.items.map((p: Payout) => p.payoutId));
        cursor = page.body.nextCursor ?? undefined;
      } while (cursor);
      const expected = newestFirst(
        written.filter(
          (w) =>
            (!query.status || w.status === query.status) &&
            (!query.batchId || w.batchId === query.batchId) &&
            (!query.fundId || w.fundId === query.fundId),
        ),
      );
      expect(expected.length).toBeGreaterThan(0);
      expect(jsonIds).toEqual(expected);
      expect((await csv(query)).rows.map((r) => r.payoutId)).toEqual(expected);
    }
  });

  it('gives a finance system only the payouts of the funds it pays', async () => {
    const { rows } = await csv({}, { sub: 'finance-2', roles: ['finance-system'] });
    expect(rows.map((r) => r.payoutId)).toEqual(newestFirst(written.filter((w) => w.fundId === FUND_B)));
    expect((await csv({ fundId: FUND_A }, { sub: 'finance-2', roles: ['finance-system'] })).rows).toEqual([]);
  });

  it('answers JSON to any other Accept', async () => {
    const reply = await call('GET', '/v1/payouts', { headers: { accept: 'application/json, text/csv' } });
    expect(reply.contentType).toBe('application/json');
    expect(reply.body.items).toHaveLength(25);
  });
});
