/**
 * One Lambda execution environment of the process pool (local/lambda-pool.ts): a child process that
 * serves ONE function, one invocation at a time, with module state of its own. Started as
 * `node --import tsx local/lambda-worker.ts <http|queue|schedule> <name>`; invocations come over IPC.
 */
import { pathToFileURL } from 'node:url';
import { InvocationTimeout, invoke, invokeStore, loadInStore, type LambdaHandler } from './invoke.ts';
import {
  PRELOAD_VARIABLE,
  REPORT_HOOK,
  type InvokeMessage,
  type ReportMessage,
  type ReportRequest,
  type ResultMessage,
  type StartedMessage,
} from './lambda-protocol.ts';

const [folder, name] = process.argv.slice(2);
if (!process.send || !folder || !name || !['http', 'queue', 'schedule'].includes(folder)) {
  process.stderr.write('lambda-worker: start me through the pool (node local/lambda-worker.ts <folder> <name>, with IPC)\n');
  process.exit(2);
}

// Before the first SDK request, as the runtime does in its own process.
await invokeStore();
for (const file of (process.env[PRELOAD_VARIABLE] ?? '').split(',').filter(Boolean)) {
  await loadInStore(() => import(pathToFileURL(file).href));
}

let handler: Promise<LambdaHandler> | undefined;
const loadHandler = (): Promise<LambdaHandler> =>
  (handler ??= loadInStore(async () => {
    const module = (await import(`#functions/${folder}/${name}`)) as { handler?: LambdaHandler };
    if (typeof module.handler !== 'function') throw new Error(`functions/${folder}/${name}.ts exports no handler`);
    return module.handler;
  }).catch((error: unknown) => {
    handler = undefined;
    throw error;
  }));

const reply = (message: ResultMessage) => new Promise<void>((resolve) => process.send!(message, undefined, {}, () => resolve()));

process.on('message', (message: InvokeMessage | ReportRequest) => {
  if (message?.type === 'report') {
    const hook = (globalThis as { [REPORT_HOOK]?: () => unknown })[REPORT_HOOK];
    const answer: ReportMessage = { type: 'reported', id: message.id, pid: process.pid, value: hook?.() };
    process.send!(answer);
    return;
  }
  if (message?.type !== 'invoke') return;
  void (async () => {
    try {
      const loaded = await loadHandler();
      const started: StartedMessage = { type: 'started', id: message.id };
      process.send!(started);
      const value = await invoke(loaded, message.event, {
        functionName: message.functionName,
        timeoutMs: message.timeoutMs,
        requestId: message.requestId,
      });
      await reply({ type: 'result', id: message.id, pid: process.pid, ok: true, value });
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught));
      const timeout = error instanceof InvocationTimeout;
      await reply({
        type: 'result',
        id: message.id,
        pid: process.pid,
        ok: false,
        error: { name: error.name, message: error.message, stack: error.stack, timeout },
      });
      // Lambda resets an environment whose invocation timed out: the handler may still be running.
      if (timeout) process.exit(0);
    }
  })();
});

// The pool going away (its process ended) ends this environment too.
process.on('disconnect', () => process.exit(0));
