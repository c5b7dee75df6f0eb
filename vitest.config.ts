import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    silent: 'passed-only',
    reporters: ['default', './test/summary-reporter.ts'],
    // Handlers log at INFO in production; tests keep their output to warnings and errors
    // (tests that inspect logs raise the level themselves).
    env: { POWERTOOLS_LOG_LEVEL: 'WARN' },
  },
});
