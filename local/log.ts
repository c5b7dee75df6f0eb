/**
 * The local runtime's own log lines: one JSON object per line on stdout, like the handlers' Powertools
 * logs. Not the Powertools Logger: with AWS_LAMBDA_MAX_CONCURRENCY set it keeps its state in the
 * InvokeStore, which exists only inside an invocation, and the runtime logs outside of any.
 */
import { redactingReplacer } from '#shared/logger';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface RuntimeLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

function write(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
  const line = { level, message, timestamp: new Date().toISOString(), service: 'relief-fund-local', ...fields };
  try {
    process.stdout.write(`${JSON.stringify(line, redactingReplacer)}\n`);
  } catch {
    // stdout is gone (the terminal or pipe closed): logging must never take the runtime down.
  }
}

export const runtimeLog: RuntimeLog = {
  info: (message, fields) => write('INFO', message, fields),
  warn: (message, fields) => write('WARN', message, fields),
  error: (message, fields) => write('ERROR', message, fields),
};

/** An error as log fields: the name and message only, never a stack of an AWS response body. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) return { error: { name: error.name, message: error.message } };
  return { error: { name: 'NonError', message: String(error) } };
}
