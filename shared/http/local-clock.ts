/**
 * The local runtime's clock, for the seed: under `npm start` (handler environment `LOCAL_CLOCK=header`, set only by
 * local/environment.ts, never by the CDK stacks) a request may carry `X-Local-Clock: <RFC 3339 instant>` and is
 * then handled as if it had arrived at that instant: a past one only. Every rule of the API applies as it would
 * have then; nothing is written by any other path. Deployed, the variable is absent and the header means nothing.
 */
import { DomainError } from '../domain/errors.ts';

export const LOCAL_CLOCK_HEADER = 'x-local-clock';
export const LOCAL_CLOCK_SETTING = 'header';

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** The time a request is handled at: now, or the past instant its X-Local-Clock names when the runtime allows it. */
export function requestTime(
  headers: Record<string, string>,
  env: Record<string, string | undefined> = process.env,
  now: Date = new Date(),
): Date {
  const value = headers[LOCAL_CLOCK_HEADER];
  if (env.LOCAL_CLOCK !== LOCAL_CLOCK_SETTING || value === undefined) return now;
  const at = new Date(value);
  if (!INSTANT.test(value) || Number.isNaN(at.getTime()) || at.getTime() > now.getTime()) {
    throw new DomainError('validation_failed', 'X-Local-Clock must be a past RFC 3339 instant in UTC', [
      { path: 'header.X-Local-Clock', message: 'a past instant, e.g. 2026-03-01T02:00:00Z' },
    ]);
  }
  return at;
}
