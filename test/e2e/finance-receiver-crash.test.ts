/**
 * The reference finance receiver as a bank would run it: a real process, killed with SIGKILL between
 * taking an instruction and reporting its settlement. After a restart it reports the settlement once
 * and the stand-in bank has paid once; a redelivery of the same message is acknowledged, not paid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { sameNodeEnv, tsxArgs } from '#test/support/node-process';
import { startFinanceReceiver } from '../../scripts/finance-receiver.ts';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const PAYOUT = {
  payoutId: 'pay_01M8MB7QKGZ7EXTNFH95G3P5TD',
  fundId: 'fund_01M8MB7QKGZ7EXTNFH95G3P5TD',
  amount: 250_000,
  currency: 'CNY',
  beneficiary: {
    name: 'Xiushan Tea Cooperative',
    account: { bankName: 'ABC', accountName: 'Xiushan Tea', accountNumber: '6228480012345678' },
  },
};

/** Waits until `check` stops throwing (or throws its last failure after `timeoutMs`). */
async function waitFor(check: () => Promise<void>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

let dir: string;
let api: Server;
let apiUp = false;
const settlements: { payoutId: string; key: string; body: string }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'receiver-'));
  // The relief-fund API as the receiver sees it: the payout read (the instruction it confirms) answers; the
  // settlement route is down at first (503), then up.
  api = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === `/v1/payouts/${PAYOUT.payoutId}`) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...PAYOUT, status: 'sent' }));
        return;
      }
      if (!apiUp) {
        res.writeHead(503).end();
        return;
      }
      settlements.push({ payoutId: req.url!.split('/')[3]!, key: String(req.headers['idempotency-key']), body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  await new Promise((r) => api.close(r));
  await rm(dir, { recursive: true, force: true });
});

/**
 * The receiver as a process of its own, on a port the system picks (`--port 0`): a port chosen here could be taken
 * meanwhile by another test file's server. `ready` gives the port it listens on.
 */
function startReceiver(): { child: ChildProcess; ready: Promise<number>; output: () => string } {
  const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  const child = spawn(
    process.execPath,
    tsxArgs('scripts/finance-receiver.ts', ['--port', '0', '--api-url', apiUrl, '--journal', join(dir, 'journal.jsonl')]),
    {
      env: sameNodeEnv({ ...process.env, WEBHOOK_SECRET: SECRET, FINANCE_TOKEN: 'token-from-env' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const ready = waitFor(async () => expect(out).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+\//), 30_000).then(() =>
    Number(/listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(out)![1]),
  );
  return { child, ready, output: () => out };
}

async function deliver(port: number, messageId: string): Promise<number> {
  const body = JSON.stringify({ type: 'payout.requested', timestamp: new Date().toISOString(), data: PAYOUT });
  const at = new Date();
  const signature = new Webhook(SECRET).sign(messageId, at, body);
  const res = await fetch(`http://127.0.0.1:${port}/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': messageId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signature,
    },
    body,
  });
  return res.status;
}

const bankLines = async () => (await readFile(join(dir, 'bank.jsonl'), 'utf8').catch(() => '')).split('\n').filter(Boolean);

describe('the finance receiver survives SIGKILL', () => {
  it('between taking an instruction and reporting it: after a restart, one settlement and one payment', async () => {
    const first = startReceiver();
    let port = await first.ready;
    expect(await deliver(port, 'msg_01M8MB7QKGZ7EXTNFH95G3P5TD')).toBe(202);
    // Paid at the bank, the report refused by a down API: killed while it waits to retry.
    await waitFor(async () => expect(await bankLines()).toHaveLength(1), 10_000);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    expect(settlements).toHaveLength(0);

    apiUp = true;
    // Restarted (on a port of its own again: what it remembers is in its journal, not its port).
    const second = startReceiver();
    port = await second.ready;
    await waitFor(async () => expect(settlements).toHaveLength(1), 15_000);
    // The sender retries the same message: acknowledged as a duplicate, not paid again.
    expect(await deliver(port, 'msg_01M8MB7QKGZ7EXTNFH95G3P5TD')).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(await bankLines()).toHaveLength(1);
    expect(settlements).toHaveLength(1);
    expect(settlements[0]).toMatchObject({ payoutId: PAYOUT.payoutId, key: `settlement-${PAYOUT.payoutId}` });
    expect(JSON.parse(settlements[0]!.body)).toMatchObject({ outcome: 'succeeded' });
    expect(second.output()).not.toContain(PAYOUT.beneficiary.account.accountNumber);
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
  }, 60_000);

  it('refuses secrets on the command line and unknown flags with usage and exit 2, no stack trace', async () => {
    for (const args of [['--secret', SECRET], ['--token', 'x'], ['--bogus']]) {
      const child = spawn(process.execPath, tsxArgs('scripts/finance-receiver.ts', args), {
        env: sameNodeEnv({ ...process.env }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      expect(code, args.join(' ')).toBe(2);
      expect(err).toContain('usage:');
      expect(err).not.toMatch(/\n\s+at /);
    }
  }, 60_000);
});

describe('a request the receiver fails to handle', () => {
  it('answers 500 (the sender retries) and logs what failed, without the body, secrets or the account number', async () => {
    const lines: string[] = [];
    // An endpoint secret mistyped in WEBHOOK_SECRET: the library refuses the key itself, for every request.
    const receiver = await startFinanceReceiver({
      secrets: ['whsec_'],
      apiUrl: 'http://127.0.0.1:9',
      token: 'token-from-env',
      log: (l) => lines.push(l),
    });
    try {
      expect(await deliver(Number(new URL(receiver.url).port), 'msg_01M8MB7QKGZ7EXTNFH95G3P5TE')).toBe(500);
      expect(lines).toEqual([
        expect.stringMatching(
          /^webhook request failed message=msg_01M8MB7QKGZ7EXTNFH95G3P5TE while verifying the signature: Error; answered 500/,
        ),
      ]);
      expect(lines.join('\n')).not.toContain(PAYOUT.beneficiary.account.accountNumber);
      expect(lines.join('\n')).not.toContain('whsec_');
    } finally {
      await receiver.stop();
    }
  });
});
