/**
 * Preloaded into a Lambda pool's workers by a test: an init as slow as a loaded machine's, `LAMBDA_TEST_INIT_MS`
 * of waiting before the handler is imported (local/lambda-worker.ts imports preloads first).
 */
import { setTimeout as sleep } from 'node:timers/promises';

await sleep(Number(process.env.LAMBDA_TEST_INIT_MS ?? 0));
