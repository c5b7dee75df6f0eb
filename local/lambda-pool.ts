/**
 * Lambda's many execution environments, locally: each function's invocations run in up to
 * `concurrency` child processes (local/lambda-worker.ts), one invocation at a time in each, every
 * process with module state of its own (caches, SDK clients) as Lambda environments have.
 * `npm start` uses it with LAMBDA_CONCURRENCY=N; tests use it to run handlers across processes.
 *
 * An invocation that finds every environment of its function busy, and the function at its
 * concurrency, waits for one; the wait counts toward its timeout, as API Gateway's 29 s does, and an
 * invocation whose time ran out while waiting leaves the queue without taking an environment.
 * A new environment's init (its handler's import) does not count toward the function timeout and is
 * never cut short by it: as in Lambda, a caller who stopped waiting does not end an environment that is
 * still starting, so under load environments get warm instead of being started again and again.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { InvocationTimeout, type LambdaHandler } from './invoke.ts';
import {
  PRELOAD_VARIABLE,
  type InvokeMessage,
  type ReportMessage,
  type ReportRequest,
  type ResultMessage,
  type StartedMessage,
} from './lambda-protocol.ts';

export type FunctionFolder = 'http' | 'queue' | 'schedule';

export interface LambdaPoolOptions {
  /** Environments per function at most (Lambda's reserved concurrency); 1 or more. */
  concurrency: number;
  /** Every environment's process environment (the handler environment). */
  env: NodeJS.ProcessEnv;
  /**
   * `warm`: an idle environment serves the next invocation; a new one starts only when all are busy
   * (what Lambda does). `spread`: new environments start until there are `concurrency`, then they take
   * turns, so even sequential calls cross processes (tests use it to find state kept in one process).
   */
  placement?: 'warm' | 'spread';
  /** How long an environment may take to answer beyond the invocation's own timeout before it is killed. */
  graceMs?: number;
  /** Absolute paths of modules every environment imports before its handler (the bench's probes). */
  preload?: string[];
  /** Where the environments' stdout and stderr go (the bench's log file); this process's own by default. */
  output?: ((chunk: Buffer) => void) | 'inherit';
}

export interface LambdaPool {
  readonly concurrency: number;
  /** A handler that runs `functions/<folder>/<name>.ts` in the pool's environments for that function. */
  handler(folder: FunctionFolder, name: string, functionName: string): LambdaHandler;
  /** The process ids that served each function's invocations (`<folder>/<name>` → pids, first use first). */
  servedBy(): Record<string, number[]>;
  /** What the preloaded probes of every live environment report, by function (`http/payouts` → values). */
  report(): Promise<Record<string, { pid: number; value: unknown }[]>>;
  close(): Promise<void>;
}

/** LAMBDA_CONCURRENCY: unset or empty is undefined (one process); otherwise a whole number 1–64. */
export function parseLambdaConcurrency(raw: string | undefined): number | undefined | Error {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(value) || value < 1 || value > MAX_POOL_CONCURRENCY) {
    return new Error(`LAMBDA_CONCURRENCY must be a whole number from 1 to ${MAX_POOL_CONCURRENCY}, not "${raw}"`);
  }
  return value;
}

export const MAX_POOL_CONCURRENCY = 64;
const WORKER_FILE = join(dirname(fileURLToPath(import.meta.url)), 'lambda-worker.ts');

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  /** The function timeout, armed when the worker starts the invocation (after its init). */
  timeoutMs: number;
}

/** A backstop for an init that never ends (a hung import): far beyond any import, even on a loaded machine. */
const INIT_LIMIT_MS = 180_000;

interface Environment {
  child: ChildProcess;
  busy: boolean;
  pending?: { id: number } & Pending;
  lastUsed: number;
}

interface Waiter {
  take(environment: Environment): void;
  fail(error: Error): void;
}

/** Thrown into an invocation whose time ran out before it reached an environment. */
class WaitedTooLong extends InvocationTimeout {}

class FunctionEnvironments {
  private readonly environments: Environment[] = [];
  private readonly waiting: Waiter[] = [];
  private turn = 0;
  private closed = false;
  readonly served: number[] = [];
  private readonly reports = new Map<number, (answer: { pid: number; value: unknown }) => void>();

  constructor(
    private readonly folder: FunctionFolder,
    private readonly name: string,
    private readonly functionName: string,
    private readonly options: Required<LambdaPoolOptions>,
    private readonly ids: () => number,
  ) {}

  /** An environment for one invocation: an idle one, a new one, or the next to come free. */
  private acquire(waitMs: number): Promise<Environment> {
    const idle = this.environments.filter((e) => !e.busy);
    const canStart = this.environments.length < this.options.concurrency;
    if (canStart && (idle.length === 0 || this.options.placement === 'spread')) return Promise.resolve(this.start());
    if (idle.length > 0) {
      const chosen =
        this.options.placement === 'spread'
          ? idle.reduce((a, b) => (a.lastUsed <= b.lastUsed ? a : b))
          : idle.reduce((a, b) => (a.lastUsed >= b.lastUsed ? a : b));
      chosen.busy = true;
      return Promise.resolve(chosen);
    }
    return new Promise((take, fail) => {
      const waiter: Waiter = {
        take: (environment) => {
          clearTimeout(timer);
          take(environment);
        },
        fail: (error) => {
          clearTimeout(timer);
          fail(error);
        },
      };
      // Its time ran out in the queue: it leaves, and the next environment to come free serves someone with time left.
      const timer = setTimeout(() => {
        const at = this.waiting.indexOf(waiter);
        if (at !== -1) this.waiting.splice(at, 1);
        fail(new WaitedTooLong(this.functionName, waitMs));
      }, waitMs);
      timer.unref();
      this.waiting.push(waiter);
    });
  }

  private start(): Environment {
    const env: NodeJS.ProcessEnv = {
      ...this.options.env,
      AWS_LAMBDA_FUNCTION_NAME: this.functionName,
      [PRELOAD_VARIABLE]: this.options.preload.join(','),
    };
    // One invocation at a time per environment, as Lambda without multi-concurrency runs them.
    delete env.AWS_LAMBDA_MAX_CONCURRENCY;
    const child = fork(WORKER_FILE, [this.folder, this.name], {
      execPath: process.execPath,
      execArgv: ['--import', 'tsx'],
      env,
      serialization: 'advanced',
      stdio: this.options.output === 'inherit' ? ['ignore', 'inherit', 'inherit', 'ipc'] : ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const output = this.options.output;
    if (output !== 'inherit') {
      child.stdout?.on('data', output);
      child.stderr?.on('data', output);
    }
    const environment: Environment = { child, busy: true, lastUsed: 0 };
    child.on('message', (message: ResultMessage | ReportMessage | StartedMessage) => {
      if (message?.type === 'reported') return this.reports.get(message.id)?.({ pid: message.pid, value: message.value });
      const pending = environment.pending;
      if (message?.type === 'started') {
        // Init is over: from now the function timeout runs (the environment answers it itself; this is a backstop).
        if (pending?.id === message.id) this.arm(environment, pending, pending.timeoutMs + this.options.graceMs);
        return;
      }
      if (message?.type !== 'result' || !pending || pending.id !== message.id) return;
      environment.pending = undefined;
      clearTimeout(pending.timer);
      if (!this.served.includes(message.pid)) this.served.push(message.pid);
      if (message.ok) pending.resolve(message.value);
      else pending.reject(rebuildError(message.error!, this.functionName));
      if (message.error?.timeout) this.remove(environment);
      else this.release(environment);
    });
    child.once('exit', (code, signal) => {
      this.remove(environment);
      const pending = environment.pending;
      if (pending) {
        environment.pending = undefined;
        clearTimeout(pending.timer);
        pending.reject(new Error(`${this.functionName}: the execution environment exited (${signal ?? `code ${code}`})`));
      }
    });
    child.once('error', () => child.kill('SIGKILL'));
    this.environments.push(environment);
    return environment;
  }

  private release(environment: Environment): void {
    environment.busy = false;
    environment.lastUsed = ++this.turn;
    const next = this.waiting.shift();
    if (next) {
      environment.busy = true;
      next.take(environment);
    }
  }

  private remove(environment: Environment): void {
    const at = this.environments.indexOf(environment);
    if (at === -1) return;
    this.environments.splice(at, 1);
    if (environment.child.exitCode === null && environment.child.signalCode === null) environment.child.kill('SIGKILL');
    // A waiting invocation may now start an environment of its own.
    const next = this.closed ? undefined : this.waiting.shift();
    if (next) next.take(this.start());
  }

  /** The backstop: the environment answers its own timeout; one that cannot (or an init that hangs) is ended here. */
  private arm(environment: Environment, pending: { id: number } & Pending, ms: number): void {
    clearTimeout(pending.timer);
    pending.timer = setTimeout(() => {
      if (environment.pending?.id !== pending.id) return;
      environment.pending = undefined;
      this.remove(environment);
      pending.reject(new InvocationTimeout(this.functionName, pending.timeoutMs));
    }, ms);
    pending.timer.unref();
  }

  async invoke(event: unknown, timeoutMs: number, requestId: string): Promise<unknown> {
    const started = Date.now();
    const environment = await this.acquire(timeoutMs);
    const remaining = Math.max(1, timeoutMs - (Date.now() - started));
    return new Promise((resolve, reject) => {
      const id = this.ids();
      const pending: { id: number } & Pending = { id, resolve, reject, timer: setTimeout(() => undefined, 0), timeoutMs: remaining };
      environment.pending = pending;
      // Until the worker says it started the invocation, it may still be importing its handler: only a hung init is ended.
      this.arm(environment, pending, INIT_LIMIT_MS);
      const message: InvokeMessage = { type: 'invoke', id, event, functionName: this.functionName, timeoutMs: remaining, requestId };
      environment.child.send(message, (error) => {
        if (error && environment.pending?.id === id) {
          environment.pending = undefined;
          clearTimeout(pending.timer);
          this.remove(environment);
          reject(error);
        }
      });
    });
  }

  /** Every live environment's probe report; an environment busy with an invocation answers after it. */
  async report(): Promise<{ pid: number; value: unknown }[]> {
    const answers = this.environments.map(
      (e) =>
        new Promise<{ pid: number; value: unknown } | undefined>((resolve) => {
          const id = this.ids();
          const timer = setTimeout(() => done(undefined), 10_000);
          const done = (answer: { pid: number; value: unknown } | undefined) => {
            clearTimeout(timer);
            this.reports.delete(id);
            resolve(answer);
          };
          this.reports.set(id, done);
          const request: ReportRequest = { type: 'report', id };
          e.child.send(request, (error) => error && done(undefined));
        }),
    );
    return (await Promise.all(answers)).filter((a) => a !== undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter.fail(new Error('the Lambda process pool is closed'));
    const exits = this.environments.map(
      (e) =>
        new Promise<void>((resolve) => {
          if (e.child.exitCode !== null || e.child.signalCode !== null) return resolve();
          e.child.once('exit', () => resolve());
          e.child.kill('SIGTERM');
          setTimeout(() => e.child.kill('SIGKILL'), 2_000).unref();
        }),
    );
    await Promise.all(exits);
  }
}

function rebuildError(error: NonNullable<ResultMessage['error']>, functionName: string): Error {
  if (error.timeout) return new InvocationTimeout(functionName, 0);
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  if (error.stack) rebuilt.stack = error.stack;
  return rebuilt;
}

export function createLambdaPool(options: LambdaPoolOptions): LambdaPool {
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new Error('concurrency must be 1 or more');
  // Options given as undefined take the defaults too.
  const settings: Required<LambdaPoolOptions> = {
    concurrency: options.concurrency,
    env: options.env,
    placement: options.placement ?? 'warm',
    graceMs: options.graceMs ?? 2_000,
    preload: options.preload ?? [],
    output: options.output ?? 'inherit',
  };
  const functions = new Map<string, FunctionEnvironments>();
  let nextId = 0;
  let closed = false;
  const environmentsOf = (folder: FunctionFolder, name: string, functionName: string) => {
    const key = `${folder}/${name}`;
    let found = functions.get(key);
    if (!found) {
      found = new FunctionEnvironments(folder, name, functionName, settings, () => ++nextId);
      functions.set(key, found);
    }
    return found;
  };
  return {
    concurrency: settings.concurrency,
    handler(folder, name, functionName) {
      return async (event, context) => {
        if (closed) throw new Error('the Lambda process pool is closed');
        return environmentsOf(folder, name, functionName).invoke(event, context.getRemainingTimeInMillis(), context.awsRequestId);
      };
    },
    servedBy() {
      return Object.fromEntries([...functions].map(([key, f]) => [key, [...f.served]]));
    },
    async report() {
      const entries = await Promise.all([...functions].map(async ([key, f]) => [key, await f.report()] as const));
      return Object.fromEntries(entries);
    },
    async close() {
      closed = true;
      await Promise.all([...functions.values()].map((f) => f.close()));
    },
  };
}
