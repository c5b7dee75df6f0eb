// ESLint flat config: typescript-eslint's type-checked rules over the TypeScript of every part of the project.
// The project service gives each file the types of its nearest tsconfig.json: console/ gets console/tsconfig.json
// (DOM, preact JSX), everything else the root one. `npm run lint` runs it; `npm test` runs it before the suites.
import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    // Generated or built files, and local state.
    ignores: ['client/api.d.ts', '**/cdk.out/', '**/dist/', '.data/', '**/node_modules/', 'coverage/', 'reports/', '.stryker-tmp/', '.tmp/'],
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
    },
  },
  {
    // This file itself: plain JavaScript outside every tsconfig, so no type-aware rules.
    files: ['**/*.js'],
    extends: [eslint.configs.recommended],
  },
);
