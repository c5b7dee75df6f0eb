/**
 * `npm start` as a user runs it: a `local/main.ts` child process (on this Node, through tsx) with PORT / DATA_DIR, the token
 * script against it, data kept in DATA_DIR across a restart, SIGTERM taking the JVM down with it, and
 * one clear message (exit code 1) when a port is taken.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { freePort } from '#local/ports';
import { LOCAL_MACHINE_CLIENT_ID } from '#local/keys';
import { sameNodeEnv, tsxArgs } from '#test/support/node-process';

const run = promisify(execFile);

interface Cli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const started: Cli[] = [];

function cliEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = sameNodeEnv({ ...process.env, ...extra });
  // A clean shell: nothing a test worker may have set for in-process handlers.
  for (const name of [
    'TABLE_NAME',
    'DELIVERY_QUEUE_URL',
    'EXPANSION_QUEUE_URL',
    'APP_SECRETS_FILE',
    'PII_SECRETS_FILE',
    'AWS_LAMBDA_MAX_CONCURRENCY',
  ]) {
    delete env[name];
  }
  return env;
}

function startCli(env: Record<string, string>): Cli {
  const child = spawn(process.execPath, tsxArgs('local/main.ts'), { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const cli = { child, stdout: () => out, stderr: () => err, exited };
  started.push(cli);
  return cli;
}

async function waitForOutput(cli: Cli, pattern: RegExp, timeoutMs = 40_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = cli.stdout().match(pattern);
    if (match) return match;
    if (cli.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`no ${pattern} in output.\nstdout: ${cli.stdout().slice(-2000)}\nstderr: ${cli.stderr().slice(-2000)}`);
    }
    await sleep(50);
  }
}

/** Pids of DynamoDB Local JVMs serving this data folder (found through /proc, as `ps` would). */
async function javaPidsFor(dataDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
      if (cmdline.some((a) => a.includes('DynamoDBLocal.jar')) && cmdline.some((a) => a.startsWith(dataDir))) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

async function stopCli(cli: Cli): Promise<number | null> {
  if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGTERM');
  return cli.exited;
}

afterAll(async () => {
  // SIGTERM first, so local/main.ts stops its JVM; SIGKILL only if it hangs.
  for (const cli of started) {
    if (cli.child.exitCode !== null || cli.child.signalCode !== null) continue;
    cli.child.kill('SIGTERM');
    const exited = await Promise.race([cli.exited.then(() => true), sleep(10_000).then(() => false)]);
    if (!exited) cli.child.kill('SIGKILL');
  }
});

describe('npm start', () => {
  let dataDir: string;
  let port: number;
  let dynamoPort: number;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'relief-fund-cli-'));
    [port, dynamoPort] = [await freePort(), await freePort()];
    env = { PORT: String(port), DATA_DIR: dataDir, DYNAMODB_PORT: String(dynamoPort), OUTBOX_SWEEP_SECONDS: '3600' };
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('serves the API, honours its own tokens, keeps data across a restart and stops the JVM on SIGTERM', { timeout: 120_000 }, async () => {
    const first = startCli(env);
    const [line] = await waitForOutput(first, /relief-fund API listening on http:\/\/127\.0\.0\.1:\d+ \(healthy in [\d.]+ s\)/);
    expect(line).toContain(`http://127.0.0.1:${port}`);
    console.info(`npm start: ${line}`);

    // Generated once, private to the user.
    for (const file of ['secrets.json', 'pii-secrets.json', 'jwt-signing-key.json']) {
      expect((await stat(join(dataDir, file))).mode & 0o777).toBe(0o600);
    }
    const { masterKey } = JSON.parse(await readFile(join(dataDir, 'secrets.json'), 'utf8')) as { masterKey: string };
    expect(Buffer.from(masterKey, 'base64url')).toHaveLength(48);

    const { stdout: token } = await run(process.execPath, tsxArgs('scripts/token.ts', ['--role', 'auditor,approver', '--sub', 'alice']), {
      env: cliEnv(env),
    });
    expect(token.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const authorized = await fetch(`http://127.0.0.1:${port}/v1/counties`, { headers: { authorization: `Bearer ${token.trim()}` } });
    expect(authorized.status).toBe(200);
    const anonymous = await fetch(`http://127.0.0.1:${port}/v1/counties`);
    expect(anonymous.status).toBe(401);

    // A --scope token is a client-credentials access token of the local machine client: its scopes grant the role.
    const { stdout: machine } = await run(
      process.execPath,
      tsxArgs('scripts/token.ts', ['--scope', 'finance-system', '--sub', 'ledger-bot']),
      { env: cliEnv(env) },
    );
    const claims = JSON.parse(Buffer.from(machine.trim().split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({
      sub: 'ledger-bot',
      token_use: 'access',
      client_id: LOCAL_MACHINE_CLIENT_ID,
      scope: 'relief-fund/finance-system',
    });
    for (const absent of ['aud', 'username', 'cognito:username', 'cognito:groups']) expect(claims[absent], absent).toBeUndefined();
    const payouts = await fetch(`http://127.0.0.1:${port}/v1/payouts`, { headers: { authorization: `Bearer ${machine.trim()}` } });
    expect(payouts.status).toBe(200);

    const dynamo = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${dynamoPort}`,
      region: 'us-east-1',
      // Other credentials than the runtime's: sharedDb makes it one database for everyone.
      credentials: { accessKeyId: 'someoneElse', secretAccessKey: 'x' },
    });
    const key = { pk: { S: 'RESTART#probe' }, sk: { S: 'RESTART#probe' } };
    await dynamo.send(new PutItemCommand({ TableName: 'relief-fund', Item: { ...key, note: { S: 'kept' } } }));

    const javaBefore = await javaPidsFor(dataDir);
    expect(javaBefore).toHaveLength(1);
    const stoppedAt = Date.now();
    expect(await stopCli(first)).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(8_000);
    expect(await javaPidsFor(dataDir)).toEqual([]);

    const second = startCli(env);
    await waitForOutput(second, /listening on/);
    const { Item } = await dynamo.send(new GetItemCommand({ TableName: 'relief-fund', Key: key, ConsistentRead: true }));
    expect(Item?.note?.S).toBe('kept');
    // The same key pair: a token minted before the restart still works.
    const again = await fetch(`http://127.0.0.1:${port}/v1/counties`, { headers: { authorization: `Bearer ${token.trim()}` } });
    expect(again.status).toBe(200);
    dynamo.destroy();
    expect(await stopCli(second)).toBe(0);
    expect(await javaPidsFor(dataDir)).toEqual([]);
  });
});

describe('a port already in use', () => {
  let blocker: Server;
  let taken: number;
  let dataDir: string;

  beforeAll(async () => {
    taken = await freePort();
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', resolve));
    dataDir = await mkdtemp(join(tmpdir(), 'relief-fund-cli-'));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    await rm(dataDir, { recursive: true, force: true });
  });
  afterEach(async () => expect(await javaPidsFor(dataDir)).toEqual([]));

  it.each([
    ['PORT', 'API, PORT'],
    ['DYNAMODB_PORT', 'DynamoDB Local, DYNAMODB_PORT'],
    ['SQS_PORT', 'SQS emulator, SQS_PORT'],
  ])('%s gives one clear message and exit code 1', { timeout: 60_000 }, async (variable, purpose) => {
    const env: Record<string, string> = { DATA_DIR: dataDir, PORT: String(await freePort()), [variable]: String(taken) };
    const cli = startCli(env);
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toContain(`port ${taken} (${purpose}) is already in use`);
    expect(cli.stderr().trim().split('\n')).toHaveLength(1);
    expect(cli.stderr()).not.toMatch(/\n\s+at /);
  });
});

describe('npm run token', () => {
  it('says clearly that there is no key yet', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'relief-fund-cli-'));
    const failure = await run(process.execPath, tsxArgs('scripts/token.ts', ['--role', 'approver', '--sub', 'alice']), {
      env: cliEnv({ DATA_DIR: empty, PORT: '3999' }),
    }).then(
      () => undefined,
      (error: { code: number; stderr: string; stdout: string }) => error,
    );
    await rm(empty, { recursive: true, force: true });
    expect(failure?.code).toBe(1);
    expect(failure?.stdout).toBe('');
    expect(failure?.stderr).toMatch(/no signing key .* run `npm start`/);
  });
});

/**
 * Every package.json script that runs a file of ours (`tsx <file>`) is a command line, plus the CLIs
 * that are run by path. Read from package.json, so a new script is covered the day it is added.
 */
const PACKAGE_SCRIPTS = (JSON.parse(await readFile('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
const CLIS: [name: string, file: string][] = [
  ...Object.entries(PACKAGE_SCRIPTS).flatMap(([name, command]): [string, string][] => {
    const file = /^tsx (\S+\.ts)$/.exec(command)?.[1];
    return file ? [[name, file]] : [];
  }),
  ['generate-client', 'scripts/lib/generate-client.ts'],
];
/** The prefix of a command's messages where it is not the npm script's name. */
const MESSAGE_PREFIX: Record<string, string> = { start: 'relief-fund' };

describe('every command line', () => {
  async function script(file: string, args: string[], env: Record<string, string> = {}) {
    return run(process.execPath, tsxArgs(file, args), { env: cliEnv(env), timeout: 60_000 }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );
  }

  it('covers every tsx script in package.json, the bench and the ledger check among them', () => {
    const names = CLIS.map(([name]) => name);
    for (const name of ['token', 'seed', 'campaigns', 'finance-receiver', 'openapi', 'bench', 'ledger-check', 'backfill', 'start']) {
      expect(names).toContain(name);
    }
  });

  it.each(CLIS)('%s --help prints its usage and exit codes, and exits 0', async (_name, file) => {
    const { code, stdout, stderr } = await script(file, ['--help']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^usage:/);
    expect(stdout).toContain('exit codes: 0 done, 1 failed, 2 usage error');
  });

  it.each(CLIS)('%s with an unknown flag prints its usage, no stack trace, and exits 2', async (name, file) => {
    const { code, stdout, stderr } = await script(file, ['--no-such-flag']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(new RegExp(`^${MESSAGE_PREFIX[name] ?? name}: .*--no-such-flag`));
    expect(stderr).toContain('usage:');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('npm start --help documents LAMBDA_CONCURRENCY', async () => {
    const { stdout } = await script('local/main.ts', ['--help']);
    expect(stdout).toMatch(/LAMBDA_CONCURRENCY\s+run each function in up to N worker processes/);
  });

  it.each(['0', '65', '2.5'])('npm start with LAMBDA_CONCURRENCY=%s is a usage error, exit 2', async (value) => {
    const { code, stdout, stderr } = await script('local/main.ts', [], { LAMBDA_CONCURRENCY: value });
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr.split('\n')[0]).toBe(`relief-fund: LAMBDA_CONCURRENCY must be a whole number from 1 to 64, not "${value}"`);
  });

  it('bench --help lists its BENCH_* settings and what each figure means', async () => {
    const { stdout } = await script('bench/run.ts', ['--help']);
    for (const setting of [
      'BENCH_ONLY',
      'BENCH_ROUNDS',
      'BENCH_COLD_REPEATS',
      'BENCH_BATCH_ITEMS',
      'BENCH_EXPORT_PAYOUTS',
      'BENCH_CONC_SETTLEMENTS',
      'BENCH_CONC_SETTLERS',
      'BENCH_CONC_APPROVALS',
      'BENCH_CONC_APPROVERS',
    ])
      expect(stdout).toContain(setting);
    expect(stdout).toMatch(/ratio/i);
  });

  it.each([
    ['BENCH_ROUNDS', 'many'],
    ['BENCH_COLD_REPEATS', '0'],
    ['BENCH_ONLY', 'cold,nonsense'],
  ])('bench with %s=%s says so in one line with its usage, no stack trace, and exits 2', async (variable, value) => {
    const { code, stdout, stderr } = await script('bench/run.ts', [], { [variable]: value });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toMatch(new RegExp(`^bench: ${variable}\\b.*"${value}"`));
    expect(stderr).toContain('usage:');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it.each(['PORT', 'DYNAMODB_PORT', 'OUTBOX_SWEEP_SECONDS', 'LAMBDA_CONCURRENCY'])(
    'npm start with %s=soon is a usage error: one message, its usage, exit 2',
    async (variable) => {
      const { code, stdout, stderr } = await script('local/main.ts', [], { [variable]: 'soon' });
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.split('\n')[0]).toMatch(new RegExp(`^relief-fund: ${variable} must be .*"soon"`));
      expect(stderr).toContain('usage:');
      expect(stderr).not.toMatch(/\n\s+at /);
    },
  );

  it(
    'generate-client --check is an option of the shared parser: exit 0 while client/api.d.ts is current',
    { timeout: 60_000 },
    async () => {
      const { code, stderr } = await script('scripts/lib/generate-client.ts', ['--check']);
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    },
  );

  it('ledger-check and backfill name the DynamoDB endpoint they could not reach', { timeout: 90_000 }, async () => {
    const dynamoEndpoint = `http://127.0.0.1:${await freePort()}`;
    const dir = await mkdtemp(join(tmpdir(), 'relief-fund-cli-'));
    // A stack file left by an `npm start` that is gone.
    await writeFile(join(dir, 'local-stack.json'), JSON.stringify({ dynamoEndpoint, tableName: 'relief-fund' }));
    for (const name of ['ledger-check', 'backfill']) {
      const { code, stderr } = await script(`scripts/${name}.ts`, [], { DATA_DIR: dir, AWS_MAX_ATTEMPTS: '1' });
      expect(code, name).toBe(1);
      expect(stderr, name).toContain(dynamoEndpoint);
      expect(stderr, name).not.toMatch(/\n\s+at /);
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('seed and campaigns name the URL they could not reach', { timeout: 90_000 }, async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const dir = await mkdtemp(join(tmpdir(), 'relief-fund-cli-'));
    const plan = join(dir, 'plan.csv');
    await writeFile(
      plan,
      'countyCode,title,channel,startsAt,endsAt,products,subsidyAmount\n' +
        `500236,Orange week,rural-taobao,${new Date(Date.now() + 86_400_000).toISOString()},${new Date(Date.now() + 8 * 86_400_000).toISOString()},SKU-1|Oranges 5 kg|6990|4990,\n`,
    );
    for (const [name, args] of [
      ['seed', ['--url', url]],
      ['campaigns', ['report', '--url', url]],
      ['campaigns', ['launch', plan, '--url', url]],
    ] as const) {
      const { code, stderr } = await script(`scripts/${name}.ts`, [...args], { RELIEF_FUND_TOKEN: 'a.b.c' });
      expect(code, name).toBe(1);
      expect(stderr, name).toContain(`cannot reach ${url}`);
      expect(stderr, name).not.toMatch(/\n\s+at /);
    }
    await rm(dir, { recursive: true, force: true });
  });
});
