// ESLint flat config: typescript-eslint's type-checked rules over the TypeScript of every part of the project.
// The project service gives each file the types of its nearest tsconfig.json: console/ gets console/tsconfig.json
// (DOM, preact JSX), everything else the root one. `npm run lint` runs it; `npm test` runs it before the suites.
import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import dataBoundaries from './eslint-rules/data-boundaries.js';

export default defineConfig(
  {
    // Generated or built files, and local state.
    ignores: [
      'client/api.d.ts',
      '**/cdk.out/',
      '**/dist/',
      '.data/',
      '**/node_modules/',
      'coverage/',
      'reports/',
      '.stryker-tmp/',
      '.tmp/',
    ],
  },
  {
    files: ['**/*.{ts,tsx}'],
    extends: [eslint.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: {
          // Config files that no tsconfig includes: typed with the root tsconfig's options.
          allowDefaultProject: ['vitest.stryker.config.ts', 'console/vite.config.ts'],
          defaultProject: 'tsconfig.json',
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // An un-awaited write or a promise handed to a callback that ignores it loses errors in money code.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // `_`-prefixed names are the project's way to drop fields by destructuring (`{ pk: _pk, ...item }`) and to
      // name a parameter a callback signature requires but the body does not use.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Off: handlers and fakes are `async` without an `await` to meet a Promise-returning contract (implement(),
      // a Lambda handler, a test double); `async` also turns a synchronous throw into a rejection, which callers
      // rely on. Dropping `async` to satisfy the rule would change that behaviour.
      '@typescript-eslint/require-await': 'off',
      // The rule's default allows URL and URLSearchParams from the DOM lib; under `types: ["node"]` they come from
      // @types/node's "url" module instead, and stringify the same way.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        {
          allow: [
            { name: ['Error', 'URL', 'URLSearchParams'], from: 'lib' },
            { name: ['URL', 'URLSearchParams'], from: 'package', package: 'url' },
          ],
        },
      ],
    },
  },
  {
    // Off in tests and the bench only: they read HTTP bodies (`await res.json()` is `any`), CDK templates and raw
    // DynamoDB items, and assert on them on the next line; the assertion is the check, and typing every body again
    // would duplicate the zod contracts. Production code (shared/, functions/, local/, infra/, scripts/, console/)
    // keeps all of them.
    files: ['test/**/*.{ts,tsx}', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The layout of shared/data holds only while a rule holds it: no import cycle anywhere in shared/, items
    // files import no verb, and no verb imports another verb (eslint-rules/data-boundaries.js). The
    // resolver follows the `#shared/*` subpath imports of package.json. test/unit/lint-boundaries.test.ts
    // proves both rules still fire.
    files: ['shared/**/*.ts'],
    plugins: { 'import-x': importX, relief: { rules: { 'data-boundaries': dataBoundaries } } },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js'] })],
      // Without it import-x takes .ts files for non-JavaScript and follows no import through them.
      'import-x/extensions': ['.ts', '.js'],
    },
    rules: {
      'import-x/no-cycle': 'error',
      'relief/data-boundaries': [
        'error',
        {
          // Items files besides items.ts: ledger/move.ts is THE way a balance changes and every verb that moves
          // money uses it, and ledger/roll-up.ts applies the pending payments through it (a settlement rolls up
          // after its commit); counters.ts and stats.ts are step builders other contexts' verbs add to their
          // transactions; a notice subject is what a notice's end calls on its source, looked up in
          // notices/subjects.ts; corrections/payout-links.ts claims and links a batch correction's payouts, run by
          // the correction (batches/create.ts) and by the sweeper's resume (corrections/resume-links.ts);
          // webhook-endpoints/subscriptions.ts reads which event types anyone listens to, for every producer of events,
          // from the copies of the subscriptions whose steps every endpoint write adds (webhook-endpoints/copies.ts).
          itemFiles: [
            'ledger/move.ts',
            'ledger/allocation-check.ts',
            'ledger/roll-up.ts',
            'ledger/turn.ts',
            'batches/counters.ts',
            'counties/stats.ts',
            'reports/stats.ts',
            'notices/subjects.ts',
            'batches/notice-subject.ts',
            'disbursements/notice-subject.ts',
            'verifications/plan.ts',
            'verifications/apply.ts',
            'corrections/payout-links.ts',
            'webhook-endpoints/subscriptions.ts',
            'webhook-endpoints/copies.ts',
          ],
        },
      ],
    },
  },
  {
    // This file itself: plain JavaScript outside every tsconfig, so no type-aware rules.
    files: ['**/*.js'],
    extends: [eslint.configs.recommended],
  },
);
