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
    // (tests that inspect logs raise the level themselves). The metrics' EMF lines go straight to
    // stdout, past vitest's console capture: off, except in the test that reads them back
    // (test/integration/business-metrics.test.ts switches them on).
    env: { POWERTOOLS_LOG_LEVEL: 'WARN', POWERTOOLS_METRICS_DISABLED: 'true' },
  },
});
