/**
 * The whole local runtime killed with SIGKILL (node, pollers and the DynamoDB Local JVM at once)
 * right after approvals, then restarted on the same DATA_DIR. The SQS emulator keeps messages in
 * memory only, so every queued delivery job is lost with it: what brings the payouts out is the
 * outbox in DynamoDB and the sweeper. Every committed payout must reach the finance receiver, each
 * under exactly one webhook-id.
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
import { startReceiver, type Receiver } from '#test/support/receiver';

/** The finance system that pays the crash test's fund and owns its endpoint. */
const FINANCE_SYSTEM = 'ledger-bot';
const run = promisify(execFile);

let dataDir: string;
let receiver: Receiver | undefined;
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
  await receiver?.stop();
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

describe('SIGKILL of the whole runtime right after approvals', () => {
  it('delivers every committed payout after a restart, one webhook-id each', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'relief-fund-crash-'));
    // The receiver holds every delivery for a while, so jobs are still in flight when the runtime dies.
    receiver = await startReceiver({ respond: (_, n) => ({ status: 200, delayMs: n <= 12 ? 1_500 : 0 }) });
    const port = await freePort();
    const first = await start(port);
    const token = async (roles: string, sub: string) =>
      (await run(process.execPath, tsxArgs('scripts/token.ts', ['--role', roles, '--sub', sub]), { env: sameNodeEnv({ ...process.env, PORT: String(port), DATA_DIR: dataDir }) }))
        .stdout.trim();
    const admin = await token('fund-admin', 'admin');
    const requester = await token('requester', 'maker');
    const approver = await token('approver', 'checker');

    expect((await api(port, admin, 'PUT', '/v1/counties/522701', { name: 'Duyun', province: 'Guizhou' })).status).toBe(201);
    const fund = await api(port, admin, 'POST', '/v1/funds', { name: 'Crash fund', currency: 'CNY', totalBudget: 10_000_000, financeSystem: FINANCE_SYSTEM }, 'crash-fund');
    await api(port, admin, 'PUT', `/v1/funds/${fund.body.fundId}/allocations/522701`, { amount: 5_000_000 });
    await api(port, admin, 'POST', '/v1/webhook-endpoints', { url: `${receiver.url}/finance`, events: ['payout.requested'], financeSystem: FINANCE_SYSTEM });

    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const created = await api(
        port,
        requester,
        'POST',
        '/v1/disbursements',
        {
          fundId: fund.body.fundId,
          countyCode: '522701',
          amount: 10_000 + i,
          currency: 'CNY',
          purpose: 'produce-subsidy',
          beneficiary: { kind: 'farmer', name: `Farmer ${i}`, account: { bankName: 'ABC', accountName: `Farmer ${i}`, accountNumber: `62284800000000${String(i).padStart(2, '0')}` } },
        },
        `crash-${i}`,
      );
      expect(created.status).toBe(201);
      ids.push(created.body.disbursementId);
    }
    const approved = await Promise.all(ids.map((id) => api(port, approver, 'POST', `/v1/disbursements/${id}/approve`, {})));
    expect(approved.map((a) => a.status)).toEqual(ids.map(() => 200));
    const payoutIds = new Set(approved.map((a) => a.body.payoutId as string));

    // DynamoDB Local may lose writes acknowledged in the last few hundred ms before a SIGKILL (its
    // own durability, not DynamoDB's): let them reach its file before pulling the plug.
    await sleep(500);
    killGroup(first, 'SIGKILL');
    await new Promise((r) => first.once('exit', r));
    await sleep(500);

    await start(port);
    // A delivery the dead worker had leased is taken over once its lease runs out (function timeout
    // + margin), so recovery takes about a minute here; the records, not the queue, drive it.
    const deadline = Date.now() + 150_000;
    let statuses: string[] = [];
    do {
      await sleep(1_000);
      statuses = await Promise.all([...payoutIds].map(async (p) => (await api(port, admin, 'GET', `/v1/payouts/${p}`)).body.status));
    } while (!statuses.every((s) => s === 'sent') && Date.now() < deadline);
    expect(statuses).toEqual([...payoutIds].map(() => 'sent'));

    const idsByPayout = new Map<string, Set<string>>();
    for (const request of receiver.requests) {
      const payoutId = (request.json as any).data.payoutId as string;
      idsByPayout.set(payoutId, (idsByPayout.get(payoutId) ?? new Set()).add(String(request.headers['webhook-id'])));
    }
    expect([...idsByPayout.keys()].sort()).toEqual([...payoutIds].sort());
    for (const [payoutId, webhookIds] of idsByPayout) expect(webhookIds.size, payoutId).toBe(1);
  }, 240_000);
});
