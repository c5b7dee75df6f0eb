/**
 * `finance-receiver --reconcile DATE`: a real process posts what its journal says it paid on DATE (succeeded
 * payments of that UTC day, with their bank references, amounts and payout ids) to `POST /v1/reconciliations`
 * with the token from the environment, prints the result as a table (no account numbers), and says by its exit
 * code whether the API and the journal agree: 0 yes, 1 differences (or the API refused), 2 usage. On a day the
 * journal holds no payment on, it lists the payouts the API settled that day instead (the API takes ≥ 1 line):
 * each is settled here, not in the journal (exit 1); none is exit 0.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sameNodeEnv, tsxArgs } from '#test/support/node-process';
import { startTestRuntime } from '#test/support/runtime';
import { eventually } from '#test/support/eventually';
import { startFinanceReceiver } from '../../scripts/finance-receiver.ts';

const DAY = '2026-12-01';
/** A day on which the journal records no payment at all. */
const EMPTY_DAY = '2026-11-30';
const P1 = 'pay_01M8MB7QKGZ7EXTNFH95G3P5T1';
const P2 = 'pay_01M8MB7QKGZ7EXTNFH95G3P5T2';
const P3 = 'pay_01M8MB7QKGZ7EXTNFH95G3P5T3';
const ACCOUNT = '6228480012345678';
const payout = (payoutId: string, amount: number) => ({
  payoutId,
  amount,
  currency: 'CNY',
  beneficiary: { name: 'Xiushan Tea Cooperative', account: { bankName: 'ABC', accountName: 'Xiushan Tea', accountNumber: ACCOUNT } },
});

let dir: string;
let api: Server;
let answer: Record<string, unknown> = {};
const requests: { path: string; authorization: string; key: string; body: any }[] = [];
/** What `GET /v1/payouts` answers: its pages in turn (page n + 1 is asked for with cursor `page-<n>`), or a status. */
let settledPages: Record<string, unknown>[][] = [];
let listStatus = 200;
const listed: { query: URLSearchParams; authorization: string }[] = [];
const settledPayout = (payoutId: string, bankReference: string, amount: number) => ({
  payoutId,
  bankReference,
  amount,
  status: 'settled',
  settledAt: `${EMPTY_DAY}T08:00:00.000Z`,
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'receiver-reconcile-'));
  const journal = [
    { kind: 'received', messageId: 'msg_1', payout: payout(P1, 150_000), at: `${DAY}T01:00:00.000Z` },
    { kind: 'paid', payoutId: P1, result: { outcome: 'succeeded', bankReference: 'FIN-1' }, at: `${DAY}T01:00:01.000Z` },
    { kind: 'settled', payoutId: P1, at: `${DAY}T01:00:02.000Z` },
    { kind: 'received', messageId: 'msg_2', payout: payout(P2, 250_000), at: `${DAY}T23:59:58.000Z` },
    { kind: 'paid', payoutId: P2, result: { outcome: 'succeeded', bankReference: 'FIN-2' }, at: `${DAY}T23:59:59.000Z` },
    // Failed payments and other days' payments are not on the day's statement.
    { kind: 'received', messageId: 'msg_3', payout: payout(P3, 350_000), at: `${DAY}T02:00:00.000Z` },
    { kind: 'paid', payoutId: P3, result: { outcome: 'failed', failureReason: 'closed account' }, at: `${DAY}T02:00:01.000Z` },
    {
      kind: 'paid',
      payoutId: 'pay_01M8MB7QKGZ7EXTNFH95G3P5T4',
      result: { outcome: 'succeeded', bankReference: 'FIN-4' },
      at: '2026-12-02T00:00:00.000Z',
    },
  ];
  await writeFile(join(dir, 'journal.jsonl'), journal.map((r) => JSON.stringify(r)).join('\n') + '\n');
  api = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://api');
      if (req.method === 'GET' && url.pathname === '/v1/payouts') {
        listed.push({ query: url.searchParams, authorization: String(req.headers.authorization) });
        if (listStatus !== 200) {
          res
            .writeHead(listStatus, { 'content-type': 'application/problem+json' })
            .end(JSON.stringify({ code: 'unauthorized', detail: 'token expired' }));
          return;
        }
        const n = url.searchParams.has('cursor') ? Number(url.searchParams.get('cursor')!.replace('page-', '')) : 0;
        const nextCursor = n + 1 < settledPages.length ? `page-${n + 1}` : null;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items: settledPages[n] ?? [], nextCursor }));
        return;
      }
      requests.push({
        path: req.url!,
        authorization: String(req.headers.authorization),
        key: String(req.headers['idempotency-key']),
        body: JSON.parse(body),
      });
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  await new Promise((r) => api.close(r));
  await rm(dir, { recursive: true, force: true });
});

function reconcile(
  args: string[],
  env: Record<string, string> = { FINANCE_TOKEN: 'token-from-env' },
): Promise<{ code: number; out: string; err: string }> {
  const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      tsxArgs('scripts/finance-receiver.ts', [...args, '--api-url', apiUrl, '--journal', join(dir, 'journal.jsonl')]),
      { env: sameNodeEnv({ PATH: process.env.PATH, ...env }) },
      (error, out, err) => resolve({ code: error ? Number(error.code) : 0, out, err }),
    );
  });
}

const agreed = (statementDate: string) => ({
  reconciliationId: 'rcn_01M8MB7QKGZ7EXTNFH95G3P5TD',
  statementDate,
  matched: [
    { line: 1, payoutId: P1 },
    { line: 2, payoutId: P2 },
  ],
  unmatchedLines: [],
  unmatchedPayouts: [],
  amountMismatches: [],
});

describe('finance-receiver --reconcile DATE', () => {
  it("posts the day's succeeded payments from its journal and exits 0 when the API agrees", async () => {
    answer = agreed(DAY);
    requests.length = 0;
    const { code, out } = await reconcile(['--reconcile', DAY]);
    expect(code).toBe(0);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.path).toBe('/v1/reconciliations');
    expect(requests[0]!.authorization).toBe('Bearer token-from-env');
    expect(requests[0]!.key).toMatch(/^reconcile-2026-12-01-/);
    expect(requests[0]!.body).toEqual({
      statementDate: DAY,
      lines: [
        { bankReference: 'FIN-1', amount: 150_000, currency: 'CNY', valueDate: DAY, payoutId: P1 },
        { bankReference: 'FIN-2', amount: 250_000, currency: 'CNY', valueDate: DAY, payoutId: P2 },
      ],
    });
    expect(out).toContain('rcn_01M8MB7QKGZ7EXTNFH95G3P5TD');
    expect(out).toMatch(/matched\s+2/);
    expect(out).not.toContain(ACCOUNT);
  }, 60_000);

  it('prints every difference as a table row, amounts in yuan, and exits 1', async () => {
    answer = {
      ...agreed(DAY),
      matched: [{ line: 1, payoutId: P1 }],
      amountMismatches: [{ line: 2, payoutId: P2, statementAmount: 250_000, payoutAmount: 240_000 }],
      unmatchedPayouts: [{ payoutId: P3, bankReference: 'FIN-3', amount: 350_000 }],
    };
    const { code, out } = await reconcile(['--reconcile', DAY]);
    expect(code).toBe(1);
    expect(out).toMatch(/amount mismatch\s+2\s+pay_01M8MB7QKGZ7EXTNFH95G3P5T2\s+2,500\.00\s+2,400\.00/);
    expect(out).toMatch(/unmatched payout\s+pay_01M8MB7QKGZ7EXTNFH95G3P5T3\s+FIN-3\s+3,500\.00/);
  }, 60_000);

  it('exits 1 when the API refuses, and 2 for a bad date or no token, posting nothing', async () => {
    requests.length = 0;
    const refused = await new Promise<{ code: number; err: string }>((resolve) => {
      const port = (api.address() as AddressInfo).port;
      execFile(
        process.execPath,
        tsxArgs('scripts/finance-receiver.ts', [
          '--reconcile',
          DAY,
          '--api-url',
          `http://127.0.0.1:${port + 1}`,
          '--journal',
          join(dir, 'journal.jsonl'),
        ]),
        { env: sameNodeEnv({ PATH: process.env.PATH, FINANCE_TOKEN: 't' }) },
        (error, _out, err) => resolve({ code: error ? Number(error.code) : 0, err }),
      );
    });
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('cannot reach');
    for (const [args, env] of [
      [['--reconcile', '2026-02-30'], { FINANCE_TOKEN: 't' }],
      [['--reconcile', 'yesterday'], { FINANCE_TOKEN: 't' }],
      [['--reconcile', DAY], {}],
    ] as const) {
      const { code, err } = await reconcile([...args], env);
      expect(code, args.join(' ')).toBe(2);
      expect(err).toContain('usage:');
    }
    expect(requests).toHaveLength(0);
  }, 60_000);
});

describe('finance-receiver --reconcile DATE of a day the journal holds no payment on', () => {
  it('lists the payouts the API settled that day, every page, and reports each as settled here, not in the journal: exit 1', async () => {
    settledPages = [[settledPayout(P1, 'FIN-11', 150_000)], [settledPayout(P2, 'FIN-12', 250_000)]];
    listStatus = 200;
    listed.length = 0;
    requests.length = 0;
    const { code, out, err } = await reconcile(['--reconcile', EMPTY_DAY]);
    expect(err).toBe('');
    expect(code).toBe(1);
    expect(listed).toHaveLength(2);
    expect(Object.fromEntries(listed[0]!.query)).toEqual({
      status: 'settled',
      settledFrom: `${EMPTY_DAY}T00:00:00.000Z`,
      settledTo: `${EMPTY_DAY}T23:59:59.999Z`,
      limit: '100',
    });
    expect(listed[1]!.query.get('cursor')).toBe('page-1');
    expect(listed[1]!.query.get('settledFrom')).toBe(`${EMPTY_DAY}T00:00:00.000Z`);
    expect(listed.map((l) => l.authorization)).toEqual(['Bearer token-from-env', 'Bearer token-from-env']);
    // Nothing to post: the API takes at least one line.
    expect(requests).toHaveLength(0);
    expect(out).toMatch(/settled here, not in the journal\s+2/);
    expect(out).toMatch(/settled here, not in the journal\s+pay_01M8MB7QKGZ7EXTNFH95G3P5T1\s+FIN-11\s+1,500\.00/);
    expect(out).toMatch(/settled here, not in the journal\s+pay_01M8MB7QKGZ7EXTNFH95G3P5T2\s+FIN-12\s+2,500\.00/);
  }, 60_000);

  it('exits 0 when the API settled none that day either', async () => {
    settledPages = [[]];
    listStatus = 200;
    listed.length = 0;
    const { code, out } = await reconcile(['--reconcile', EMPTY_DAY]);
    expect(code).toBe(0);
    expect(listed).toHaveLength(1);
    expect(out).toContain('nothing to reconcile');
  }, 60_000);

  it('exits 1 with the reason when the API refuses the listing', async () => {
    listStatus = 401;
    const { code, out, err } = await reconcile(['--reconcile', EMPTY_DAY]);
    listStatus = 200;
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toContain('401 unauthorized token expired');
  }, 60_000);
});

describe('finance-receiver --reconcile against the local runtime', () => {
  it('a payout the receiver paid and settled today reconciles with no differences (exit 0)', async () => {
    const rt = await startTestRuntime({ env: { WEBHOOK_RETRY_SCHEDULE: '1,1,1' } });
    const token = await rt.token('finance-system', 'ledger-bot');
    const secrets: string[] = [];
    const journalPath = join(dir, 'runtime', 'journal.jsonl');
    const receiver = await startFinanceReceiver({ secrets, apiUrl: rt.url, token, journalPath, log: () => undefined });
    try {
      const admin = { roles: 'fund-admin', sub: 'admin-wang' };
      expect((await rt.api('PUT', '/v1/counties/530102', { ...admin, body: { name: 'Wuhua', province: 'Yunnan' } })).status).toBe(201);
      const fund = await rt.api('POST', '/v1/funds', {
        ...admin,
        idempotencyKey: randomUUID(),
        body: { name: 'Tea', currency: 'CNY', totalBudget: 500_000_000, financeSystem: 'ledger-bot' },
      });
      await rt.api('PUT', `/v1/funds/${fund.body.fundId}/allocations/530102`, { ...admin, body: { amount: 20_000_000 } });
      const endpoint = await rt.api('POST', '/v1/webhook-endpoints', {
        roles: 'finance-system',
        sub: 'ledger-bot',
        body: { url: `${receiver.url}/webhooks`, events: ['payout.requested'] },
      });
      secrets.push(endpoint.body.secret as string);
      const disbursement = await rt.api('POST', '/v1/disbursements', {
        roles: 'requester',
        sub: 'requester-li',
        idempotencyKey: randomUUID(),
        body: {
          fundId: fund.body.fundId,
          countyCode: '530102',
          amount: 1_234_567,
          currency: 'CNY',
          purpose: 'produce-subsidy',
          beneficiary: { kind: 'cooperative', ...payout(P1, 0).beneficiary },
        },
      });
      expect(disbursement.status).toBe(201);
      const approved = await rt.api('POST', `/v1/disbursements/${disbursement.body.disbursementId}/approve`, {
        roles: 'approver',
        sub: 'approver-zhao',
        body: {},
      });
      const payoutId = approved.body.payoutId as string;
      const settled = await eventually(
        async () => (await rt.api('GET', `/v1/payouts/${payoutId}`, admin)).body,
        (p) => p.status === 'settled',
      );
      await receiver.idle();

      const day = (settled.settledAt as string).slice(0, 10);
      const result = await new Promise<{ code: number; out: string; err: string }>((resolve) => {
        execFile(
          process.execPath,
          tsxArgs('scripts/finance-receiver.ts', ['--reconcile', day, '--api-url', rt.url, '--journal', journalPath]),
          { env: sameNodeEnv({ PATH: process.env.PATH, FINANCE_TOKEN: token }) },
          (error, out, err) => resolve({ code: error ? Number(error.code) : 0, out, err }),
        );
      });
      expect(result.err).toBe('');
      expect(result.code).toBe(0);
      expect(result.out).toMatch(/matched\s+1/);
      expect(result.out).toContain('no differences');

      // A receiver whose journal holds nothing that day: the API's payout is settled here, not in the journal.
      const empty = await new Promise<{ code: number; out: string; err: string }>((resolve) => {
        execFile(
          process.execPath,
          tsxArgs('scripts/finance-receiver.ts', [
            '--reconcile',
            day,
            '--api-url',
            rt.url,
            '--journal',
            join(dir, 'runtime', 'empty.jsonl'),
          ]),
          { env: sameNodeEnv({ PATH: process.env.PATH, FINANCE_TOKEN: token }) },
          (error, out, err) => resolve({ code: error ? Number(error.code) : 0, out, err }),
        );
      });
      expect(empty.err).toBe('');
      expect(empty.code).toBe(1);
      expect(empty.out).toMatch(
        new RegExp(`settled here, not in the journal\\s+${payoutId}\\s+${settled.bankReference as string}\\s+12,345\\.67`),
      );
    } finally {
      await receiver.stop();
      await rt.stop();
    }
  }, 120_000);
});
