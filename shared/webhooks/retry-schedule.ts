/**
 * When to try a webhook again. The schedule (Svix's: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, or
 * WEBHOOK_RETRY_SCHEDULE) gives the wait after each failed attempt; a receiver's `Retry-After` can only
 * lengthen a wait, never shorten it, and is capped so a receiver cannot park an event for months.
 */

/** Longest wait a `Retry-After` may ask for. */
export const RETRY_AFTER_CAP_SECONDS = 24 * 60 * 60;

/** `"5, 300,1800"` → [5, 300, 1800]; anything but comma-separated whole seconds is refused. */
export function parseRetrySchedule(text: string): number[] {
  if (!/^\s*\d+(\s*,\s*\d+)*\s*$/.test(text)) throw new Error('a retry schedule is comma-separated whole seconds');
  // Stryker disable next-line MethodExpression: Number() ignores surrounding whitespace itself; the trim is for the reader
  return text.split(',').map((n) => Number(n.trim()));
}

/**
 * Seconds a `Retry-After` header asks for: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
 * Undefined when absent or unreadable (the schedule alone decides then).
 */
export function parseRetryAfter(header: string | undefined, now: Date): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text);
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

/**
 * The wait after the `failedAttempts`-th failed attempt (1 = the first attempt failed), or undefined
 * when the retries have run out: the schedule holds one wait per retry.
 */
export function retryDelaySeconds(schedule: readonly number[], failedAttempts: number, retryAfterSeconds?: number): number | undefined {
  if (failedAttempts < 1) return 0;
  const scheduled = schedule[failedAttempts - 1];
  if (scheduled === undefined) return undefined;
  const asked = retryAfterSeconds === undefined ? 0 : Math.min(retryAfterSeconds, RETRY_AFTER_CAP_SECONDS);
  return Math.max(scheduled, asked);
}

/** Every attempt that the schedule allows: the first one and one per scheduled wait. */
export function maxAttempts(schedule: readonly number[]): number {
  return schedule.length + 1;
}
