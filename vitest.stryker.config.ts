import { defineConfig } from 'vitest/config';

// Mutation testing (`npm run mutation`) runs the unit tests alone: pure rules need no local services,
// so no globalSetup, and each of the hundreds of mutant runs stays fast.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 30_000,
    silent: 'passed-only',
    env: { POWERTOOLS_LOG_LEVEL: 'WARN' },
  },
});
