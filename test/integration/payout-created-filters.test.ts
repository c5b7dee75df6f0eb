/**
 * `createdFrom` / `createdTo` on `GET /v1/payouts`: a key condition on the listing's sort key
 * (`<createdAt>#<payoutId>` on gsi1 all, gsi2 by status, gsi3 of a batch), both ends inclusive, newest first
 * across pages; with a settled range, batchId and the created range filter the settlement-time index (gsi5,
 * which carries both). The CSV export takes the same filters.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useLocalServices } from '#test/support/local-services';
import { handlerCaller, type HttpHandler } from '#test/support/handler-call';
import type { Payout, PayoutStatus } from '#shared/domain/payouts';
import { parseCsv } from '#shared/csv';
import { newId } from '#shared/ids';
import { fixturePayout } from '#test/support/payout-fixture';
import { payoutsContext, PayoutsContext } from '../support/contexts.ts';

const FUND_A = newId('fund');
const FUND_B = newId('fund');
const BATCH = newId('batch');
const OTHER_BATCH = newId('batch');
const STATUSES: PayoutStatus[] = ['queued', 'sent', 'settled', 'failed'];
/** One payout an hour, oldest first; settled/failed ones in the reverse order of their creation. */
const COUNT = 48;
const START = Date.parse('2026-11-01T00:00:00.000Z');
const hour = (n: number) => new Date(START + n * 3_600_000).toISOString();

interface Written {
  payoutId: string;
  fundId: string;
  status: PayoutStatus;
  batchId: string | null;
  createdAt: string;
  settledAt: string | null;
}
const written: Written[] = [];

let call: ReturnType<typeof handlerCaller>;
let payouts: PayoutsContext;

beforeAll(async () => {
  await useLocalServices();
  payouts = await payoutsContext();
  const { transact } = await import('#shared/data/platform/transactions');
  call = handlerCaller(
    { payouts: ((await import('#functions/http/payouts')) as { handler: HttpHandler }).handler },
    { sub: 'admin-1', roles: ['fund-admin'] },
  );
  const steps = Array.from({ length: COUNT }, (_, n) => {
    const createdAt = hour(n);
    const status = STATUSES[n % STATUSES.length]!;
    const batchId = n % 3 === 1 ? BATCH : n % 3 === 2 ? OTHER_BATCH : null;
    const settledAt = status === 'settled' || status === 'failed' ? new Date(START + (200 - n) * 3_600_000).toISOString() : null;
    const payout: Payout = fixturePayout(n, {
      payoutId: newId('payout', Date.parse(createdAt)),
      batchId,
      fundId: n % 2 === 0 ? FUND_A : FUND_B,
      status,
      createdAt,
      settledAt,
    });
    written.push({ payoutId: payout.payoutId, fundId: payout.fundId, status, batchId, createdAt, settledAt });
    const step = payouts.payoutPutStep(payout, newId('message', Date.parse(createdAt)), { payer: 'finance-1' });
    // As a settlement leaves it: in the settlement-time listing too.
    if (settledAt) Object.assign(step.item.Put!.Item!, payouts.payoutSettledKeys(payout.payoutId, settledAt));
    return step;
  });
  for (let i = 0; i < steps.length; i += 25) await transact(steps.slice(i, i + 25));
});

const newestCreatedFirst = (rows: Written[]) => [...rows].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1)).map((r) => r.payoutId);
const newestSettledFirst = (rows: Written[]) => [...rows].sort((a, b) => (a.settledAt! < b.settledAt! ? 1 : -1)).map((r) => r.payoutId);
const createdIn = (from: string, to: string) => (r: Written) => r.createdAt >= from && r.createdAt <= to;

async function ids(query: Record<string, string>, limit = 4): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await call('GET', '/v1/payouts', { query: { ...query, limit: String(limit), ...(cursor ? { cursor } : {}) } });
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    expect(page.body.items.length).toBeLessThanOrEqual(limit);
    out.push(...page.body.items.map((p: { payoutId: string }) => p.payoutId));
    cursor = page.body.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

describe('created date filters', () => {
  const from = hour(10);
  const to = hour(33);

  it('list exactly the payouts created in the range, both ends included, newest first across pages', async () => {
    const expected = newestCreatedFirst(written.filter(createdIn(from, to)));
    expect(expected).toHaveLength(24);
    for (const limit of [1, 4, 100]) expect(await ids({ createdFrom: from, createdTo: to }, limit)).toEqual(expected);
    expect(await ids({ createdFrom: from })).toEqual(newestCreatedFirst(written.filter((r) => r.createdAt >= from)));
    expect(await ids({ createdTo: to })).toEqual(newestCreatedFirst(written.filter((r) => r.createdAt <= to)));
    expect(await ids({ createdFrom: from, createdTo: from })).toEqual([written[10]!.payoutId]);
    expect(await ids({ createdTo: hour(-1) })).toEqual([]);
  });

  it('every listing stays newest first without a range (the sort key now starts with createdAt)', async () => {
    expect(await ids({}, 7)).toEqual(newestCreatedFirst(written));
  });

  it('take bounds in any RFC 3339 form (no milliseconds, an offset)', async () => {
    const plus8 = new Date(Date.parse(from) + 8 * 3_600_000).toISOString().slice(0, 19) + '+08:00';
    expect(await ids({ createdFrom: plus8, createdTo: to })).toEqual(await ids({ createdFrom: from, createdTo: to }));
  });

  it('combine with status (by-status index), batch (batch index), batch and status, and fund', async () => {
    const inRange = written.filter(createdIn(from, to));
    expect(await ids({ createdFrom: from, createdTo: to, status: 'sent' })).toEqual(
      newestCreatedFirst(inRange.filter((r) => r.status === 'sent')),
    );
    expect(await ids({ createdFrom: from, createdTo: to, batchId: BATCH })).toEqual(
      newestCreatedFirst(inRange.filter((r) => r.batchId === BATCH)),
    );
    expect(await ids({ createdFrom: from, createdTo: to, batchId: BATCH, status: 'queued' })).toEqual(
      newestCreatedFirst(inRange.filter((r) => r.batchId === BATCH && r.status === 'queued')),
    );
    expect(await ids({ createdFrom: from, createdTo: to, fundId: FUND_B }, 2)).toEqual(
      newestCreatedFirst(inRange.filter((r) => r.fundId === FUND_B)),
    );
  });

  it('refuse a range that ends before it starts, and a bound that is not RFC 3339', async () => {
    const queries: Record<string, string>[] = [
      { createdFrom: to, createdTo: from },
      { createdFrom: 'yesterday' },
      { createdTo: '2026-11-01' },
    ];
    for (const query of queries) {
      const bad = await call('GET', '/v1/payouts', { query });
      expect([bad.status, bad.body.code], JSON.stringify(query)).toEqual([400, 'validation_failed']);
      expect(bad.contentType).toBe('application/problem+json');
    }
  });

  it('apply to the CSV export too', async () => {
    const reply = await call('GET', '/v1/payouts', {
      query: { createdFrom: from, createdTo: to, fundId: FUND_A },
      headers: { accept: 'text/csv' },
    });
    expect(reply.status).toBe(200);
    const rows = parseCsv(reply.text)
      .slice(1)
      .map((r) => r.fields[0]);
    expect(rows).toEqual(newestCreatedFirst(written.filter(createdIn(from, to)).filter((r) => r.fundId === FUND_A)));
  });
});

describe('a settled range with batchId and a created range', () => {
  const settledOnes = () => written.filter((r) => r.settledAt !== null);

  it('batchId filters the settled range (it used to be ignored there)', async () => {
    const page = await payouts.listPayouts({ batchId: BATCH, settledFrom: hour(0), limit: 100 });
    expect(page.items.map((p) => p.payoutId)).toEqual(newestSettledFirst(settledOnes().filter((r) => r.batchId === BATCH)));
    expect(await ids({ settledFrom: hour(0), batchId: BATCH }, 3)).toEqual(
      newestSettledFirst(settledOnes().filter((r) => r.batchId === BATCH)),
    );
  });

  it('settled + created + batchId + status combine, newest settlement first across pages', async () => {
    const from = hour(6);
    const to = hour(40);
    const expected = newestSettledFirst(
      settledOnes()
        .filter(createdIn(from, to))
        .filter((r) => r.batchId === OTHER_BATCH),
    );
    expect(expected.length).toBeGreaterThan(2);
    expect(await ids({ settledFrom: hour(0), settledTo: hour(300), createdFrom: from, createdTo: to, batchId: OTHER_BATCH }, 2)).toEqual(
      expected,
    );
    expect(await ids({ settledFrom: hour(0), createdFrom: from, createdTo: to, status: 'failed' }, 2)).toEqual(
      newestSettledFirst(
        settledOnes()
          .filter(createdIn(from, to))
          .filter((r) => r.status === 'failed'),
      ),
    );
  });

  it('the CSV export takes the combination too', async () => {
    const query = { settledFrom: hour(0), createdFrom: hour(6), createdTo: hour(40), batchId: OTHER_BATCH };
    const reply = await call('GET', '/v1/payouts', { query, headers: { accept: 'text/csv' } });
    const rows = parseCsv(reply.text)
      .slice(1)
      .map((r) => r.fields[0]);
    expect(rows).toEqual(
      newestSettledFirst(
        settledOnes()
          .filter(createdIn(hour(6), hour(40)))
          .filter((r) => r.batchId === OTHER_BATCH),
      ),
    );
  });
});
