/** What the Lambda process pool (local/lambda-pool.ts) and its workers (local/lambda-worker.ts) say over IPC. */
export interface InvokeMessage {
  type: 'invoke';
  id: number;
  event: unknown;
  functionName: string;
  timeoutMs: number;
  requestId: string;
}

/** Asks what the preloaded probes have to report (the bench's count of failed transaction attempts). */
export interface ReportRequest {
  type: 'report';
  id: number;
}

export interface ReportMessage {
  type: 'reported';
  id: number;
  pid: number;
  value: unknown;
}

/** What a preloaded probe module sets to answer a report request. */
export const REPORT_HOOK = Symbol.for('relief-fund.lambda-worker.report');

/** Modules the pool asks every worker to import before the handler (comma-separated absolute paths). */
export const PRELOAD_VARIABLE = 'LAMBDA_WORKER_PRELOAD';

/**
 * The worker is past its init (its handler imported) and runs the invocation now: the function timeout counts
 * from here, as Lambda's does. An init that outlasts API Gateway's wait does not end the environment.
 */
export interface StartedMessage {
  type: 'started';
  id: number;
}

export interface ResultMessage {
  type: 'result';
  id: number;
  pid: number;
  ok: boolean;
  value?: unknown;
  error?: { name: string; message: string; stack?: string; timeout?: boolean };
}
