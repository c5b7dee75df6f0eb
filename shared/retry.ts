/**
 * Trying again, the one way shared/ does it: a bounded number of attempts, each wait drawn at random
 * up to a ceiling that doubles (full jitter), so writers that collided do not collide again in step.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** The ceiling of the first wait; it doubles after each failed attempt. */
  baseMs: number;
  /** No wait is longer than this. */
  maxMs?: number;
}

/** The wait after failed attempt `attempt` (1-based). */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  return Math.random() * Math.min(policy.maxMs ?? Number.POSITIVE_INFINITY, policy.baseMs * 2 ** attempt);
}

/** Runs `work` until it succeeds, `shouldRetry` says no, or the attempts are spent (then the last error). */
export async function retrying<T>(
  policy: RetryPolicy,
  shouldRetry: (error: unknown) => boolean,
  work: (attempt: number) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work(attempt);
    } catch (error) {
      if (attempt >= policy.attempts || !shouldRetry(error)) throw error;
      await sleep(backoffMs(policy, attempt));
    }
  }
}
