/**
 * The fund console's build: `console/` → `console/dist`, served under /console/ (by `npm start` and,
 * deployed, by CloudFront from S3). local/console-build.ts runs it when the build is missing or stale.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Inline assets would need `data:` or inline styles in the strict CSP.
    assetsInlineLimit: 0,
    target: 'es2022',
    sourcemap: false,
  },
});
