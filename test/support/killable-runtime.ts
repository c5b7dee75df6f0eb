/**
 * The whole local runtime (`local/main.ts`: node, pollers and the DynamoDB Local JVM) in its own process
 * group, for the crash tests: started on a DATA_DIR, killed with SIGKILL as a power cut would, and
 * started again on the same DATA_DIR.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '#local/ports';
import { sameNodeEnv, tsxArgs } from '#test/support/node-process';

const run = promisify(execFile);

/** Settings the test environment carries that would point the runtime at the suite's own services. */
const SUITE_SETTINGS = [
  'TABLE_NAME',
  'DELIVERY_QUEUE_URL',
  'EXPANSION_QUEUE_URL',
  'APP_SECRETS_FILE',
  'PII_SECRETS_FILE',
  'AWS_LAMBDA_MAX_CONCURRENCY',
];

export interface KillableRuntime {
  port: number;
  dataDir: string;
  /** Starts the runtime (again) and resolves once it listens. */
  start(): Promise<void>;
  /** SIGKILL to the whole process group; resolves once it is gone. */
  crash(): Promise<void>;
  /** A token from `scripts/token.ts` for this runtime. */
  token(role: string, sub: string): Promise<string>;
  api(token: string, method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; body: any }>;
  /** Kills whatever still runs and removes the DATA_DIR. */
  dispose(): Promise<void>;
}

export async function killableRuntime(name: string): Promise<KillableRuntime> {
  const dataDir = await mkdtemp(join(tmpdir(), `relief-fund-${name}-`));
  const port = await freePort();
  const children: ChildProcess[] = [];
  let current: ChildProcess | undefined;

  const killGroup = (child: ChildProcess) => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };

  return {
    port,
    dataDir,
    start() {
      const env: NodeJS.ProcessEnv = sameNodeEnv({ ...process.env, PORT: String(port), DATA_DIR: dataDir, OUTBOX_SWEEP_SECONDS: '2' });
      for (const setting of SUITE_SETTINGS) delete env[setting];
      // Its own process group, so one kill(-pid) takes node and the JVM down together, as a crash would.
      const child = spawn(process.execPath, tsxArgs('local/main.ts'), { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      children.push(child);
      current = child;
      let out = '';
      child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr?.on('data', () => undefined);
      return new Promise((resolve, reject) => {
        const deadline = Date.now() + 60_000;
        const poll = setInterval(() => {
          if (out.includes('listening on')) {
            clearInterval(poll);
            resolve();
          } else if (child.exitCode !== null || Date.now() > deadline) {
            clearInterval(poll);
            reject(new Error(`runtime did not start: ${out.slice(-1000)}`));
          }
        }, 50);
      });
    },
    async crash() {
      const child = current;
      if (!child) return;
      const gone = new Promise((r) => child.once('exit', r));
      killGroup(child);
      await gone;
      current = undefined;
      await sleep(500);
    },
    async token(role, sub) {
      const env = sameNodeEnv({ ...process.env, PORT: String(port), DATA_DIR: dataDir });
      return (await run(process.execPath, tsxArgs('scripts/token.ts', ['--role', role, '--sub', sub]), { env })).stdout.trim();
    },
    async api(token, method, path, body, key) {
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
    },
    async dispose() {
      for (const child of children) killGroup(child);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
