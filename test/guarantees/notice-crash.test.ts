/**
 * The whole local runtime killed with SIGKILL (node, pollers and the DynamoDB Local JVM at once)
 * while a batch's public notice ends: the sweeper closes the notice and the expansion of its many
 * rows into payouts is under way. Restarted on the same DATA_DIR, every row that was not objected to
 * gets exactly one payout, the held row none, and the allocation reserves exactly the rows' money.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '#local/ports';
import { sameNodeEnv, tsxArgs } from '#test/support/node-process';

/** The finance system that pays the crash test's fund and owns its endpoint. */
const FINANCE_SYSTEM = 'ledger-bot';
const run = promisify(execFile);

let dataDir: string;
const children: ChildProcess[] = [];

function start(port: number): Promise<ChildProcess> {
  const env: NodeJS.ProcessEnv = sameNodeEnv({ ...process.env, PORT: String(port), DATA_DIR: dataDir, OUTBOX_SWEEP_SECONDS: '2' });
  for (const name of ['TABLE_NAME', 'DELIVERY_QUEUE_URL', 'EXPANSION_QUEUE_URL', 'APP_SECRETS_FILE', 'PII_SECRETS_FILE', 'AWS_LAMBDA_MAX_CONCURRENCY']) {
    delete env[name];
  }
  // Its own process group, so one kill(-pid) takes node and the JVM down together, as a crash would.
  const child = spawn(process.execPath, tsxArgs('local/main.ts'), { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', () => undefined);
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 60_000;
    const poll = setInterval(() => {
      if (out.includes('listening on')) {
        clearInterval(poll);
        resolve(child);
      } else if (child.exitCode !== null || Date.now() > deadline) {
        clearInterval(poll);
        reject(new Error(`runtime did not start: ${out.slice(-1000)}`));
      }
    }, 50);
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

afterAll(async () => {
  for (const child of children) killGroup(child, 'SIGKILL');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function api(port: number, token: string, method: string, path: string, body?: unknown, key?: string) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
}

const ROWS = 80;

async function allPayouts(port: number, token: string, batchId: string) {
  const items: { payoutId: string; amount: number }[] = [];
  let cursor: string | undefined;
  do {
    const page = await api(port, token, 'GET', `/v1/disbursement-batches/${batchId}/payouts?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(page.status).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

describe('SIGKILL of the whole runtime while a notice ends', () => {
  it('every clean row of the batch gets exactly one payout after the restart', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'relief-fund-notice-crash-'));
    const port = await freePort();
    const first = await start(port);
    const token = async (roles: string, sub: string) =>
      (await run(process.execPath, tsxArgs('scripts/token.ts', ['--role', roles, '--sub', sub]), { env: sameNodeEnv({ ...process.env, PORT: String(port), DATA_DIR: dataDir }) }))
        .stdout.trim();
    const admin = await token('fund-admin', 'admin');
    const requester = await token('requester', 'maker');
    const approver = await token('approver', 'checker');

    expect((await api(port, admin, 'PUT', '/v1/counties/522701', { name: 'Duyun', province: 'Guizhou' })).status).toBe(201);
    const fund = await api(port, admin, 'POST', '/v1/funds', { name: 'Notice crash fund', currency: 'CNY', totalBudget: 10_000_000, financeSystem: FINANCE_SYSTEM, noticePeriod: 'PT3S', dualApprovalThreshold: 9_000_000 }, 'notice-crash-fund');
    expect(fund.status).toBe(201);
    await api(port, admin, 'PUT', `/v1/funds/${fund.body.fundId}/allocations/522701`, { amount: 5_000_000 });

    const amountOf = (n: number) => 1_000 + n;
    const items = Array.from({ length: ROWS }, (_, n) => ({
      amount: amountOf(n),
      beneficiary: { kind: 'farmer', name: `农户${n}`, account: { bankName: 'ABC', accountName: `农户${n}`, accountNumber: `622848${String(n).padStart(10, '0')}` } },
    }));
    const created = await api(port, requester, 'POST', '/v1/disbursement-batches', { fundId: fund.body.fundId, countyCode: '522701', purpose: 'produce-subsidy', items }, 'notice-crash-batch');
    expect(created.status).toBe(201);
    const batchId = created.body.batchId as string;
    const approved = await api(port, approver, 'POST', `/v1/disbursement-batches/${batchId}/approve`, {});
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('in_notice');
    const noticeId = approved.body.notice.noticeId as string;
    // One row held by an objection: it must not proceed at the end.
    const objected = await fetch(`http://127.0.0.1:${port}/public/notices/${noticeId}/objections`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ itemRef: `${batchId}-0`, reason: '此户已迁出本村，请核实。' }),
    });
    expect(objected.status).toBe(202);
    await sleep(500); // the objection reaches DynamoDB Local's file (see the other crash test)

    // The sweeper (every 2 s) ends the notice after 3 s; pull the plug as soon as it is closed, while
    // the expansion of the rows runs (or has just been queued, and is lost with the queue).
    const deadline = Date.now() + 30_000;
    let status = 'open';
    while (status === 'open' && Date.now() < deadline) {
      await sleep(100);
      status = ((await (await fetch(`http://127.0.0.1:${port}/public/notices/${noticeId}`)).json()) as any).status;
    }
    expect(status).toBe('closed');
    killGroup(first, 'SIGKILL');
    await new Promise((r) => first.once('exit', r));
    await sleep(500);

    await start(port);
    const until = Date.now() + 150_000;
    let payouts: { payoutId: string; amount: number }[] = [];
    do {
      await sleep(1_000);
      payouts = await allPayouts(port, admin, batchId);
    } while (payouts.length < ROWS - 1 && Date.now() < until);
    await sleep(2_500); // one more sweep: nothing is created twice
    payouts = await allPayouts(port, admin, batchId);
    const amounts = payouts.map((p) => p.amount).sort((a, b) => a - b);
    expect(amounts).toEqual(Array.from({ length: ROWS - 1 }, (_, n) => amountOf(n + 1)));
    expect(new Set(payouts.map((p) => p.payoutId)).size).toBe(ROWS - 1);
    const total = items.reduce((s, i) => s + i.amount, 0);
    const allocations = await api(port, admin, 'GET', `/v1/funds/${fund.body.fundId}/allocations`);
    const line = allocations.body.items.find((a: { countyCode: string }) => a.countyCode === '522701');
    expect(line).toMatchObject({ reserved: total, paid: 0, available: 5_000_000 - total });
    const notice = (await (await fetch(`http://127.0.0.1:${port}/public/notices/${noticeId}`)).json()) as any;
    expect(notice.items.map((i: { status: string }) => i.status)).toEqual(['objected', ...Array.from({ length: ROWS - 1 }, () => 'proceeding')]);
  }, 300_000);
});
