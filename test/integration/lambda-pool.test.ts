/**
 * The Lambda process pool (local/lambda-pool.ts) under load: an environment whose init (its handler's import)
 * takes longer than the callers wait is not ended for it, as Lambda does not end an environment because API
 * Gateway stopped waiting. Without that, on a loaded machine every new environment was ended before its
 * import finished and the next request started another: settlements from 16 worker processes never got a
 * warm environment and every one of them was a 503 (the concurrency bench's settle runs).
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { InvocationTimeout, invoke } from '#local/invoke';
import { createLambdaPool, type LambdaPool } from '#local/lambda-pool';

const SLOW_INIT = fileURLToPath(new URL('../support/slow-init.ts', import.meta.url));
/** What the callers wait (API Gateway's 29 s, scaled down); the init takes longer. */
const CALLER_WAITS_MS = 400;
const INIT_MS = 1_500;
const health = {
  version: '2.0',
  routeKey: 'GET /health',
  rawPath: '/health',
  rawQueryString: '',
  headers: {},
  requestContext: { http: { method: 'GET', path: '/health', sourceIp: '127.0.0.1' }, requestId: 'r', routeKey: 'GET /health' },
  isBase64Encoded: false,
};

let pool: LambdaPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

/** A call as the HTTP adapter makes it: it stops waiting after CALLER_WAITS_MS (a 503 there). */
async function call(p: LambdaPool): Promise<'answered' | 'gave up'> {
  try {
    const reply = (await invoke(p.handler('http', 'public', 'relief-fund-public'), health, {
      functionName: 'relief-fund-public',
      timeoutMs: CALLER_WAITS_MS,
    })) as { statusCode: number };
    expect(reply.statusCode).toBe(200);
    return 'answered';
  } catch (error) {
    if (error instanceof InvocationTimeout) return 'gave up';
    throw error;
  }
}

describe('the Lambda process pool', () => {
  it('keeps an environment whose init outlasts its first callers, and answers once it is warm', async () => {
    pool = createLambdaPool({
      concurrency: 2,
      env: { ...process.env, LAMBDA_TEST_INIT_MS: String(INIT_MS) },
      preload: [SLOW_INIT],
      graceMs: 100,
    });
    const outcomes: string[] = [];
    // Callers keep coming, two at a time, each waiting less than an init takes.
    for (let round = 0; round < 40 && !outcomes.includes('answered'); round++) {
      outcomes.push(...(await Promise.all([call(pool), call(pool)])));
    }
    expect(outcomes).toContain('answered');
    // The first callers gave up on the cold environments, which were kept: no more than the pool's two ever started.
    expect(outcomes[0]).toBe('gave up');
    expect(pool.servedBy()['http/public']!.length).toBeLessThanOrEqual(2);
  }, 120_000);
});
