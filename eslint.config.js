// ESLint (npm run lint). The TypeScript is linted with types: typescript-eslint reads it
// through the TypeScript 6 API (the `typescript` package here is @typescript/typescript6),
// while `tsc` is TypeScript 7 (@typescript/native), which has no JavaScript API yet.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import dbcerts from './scripts/eslint-rules.mjs';

export default defineConfig(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'tmp/**'] },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { console: 'readonly', process: 'readonly', URL: 'readonly' },
    },
  },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'web/src/**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.base, tseslint.configs.eslintRecommended],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { dbcerts },
    rules: {
      // The core rule misreads TypeScript (parameter names in function types, overloads).
      'no-unused-vars': 'off',
      'dbcerts/layering': 'error',
      'dbcerts/no-cycle': 'error',
      'dbcerts/no-unused-exports': [
        'error',
        {
          entries: [
            'src/cli/main.ts',
            'src/pki/key-generator-thread.ts',
            'bench/run.ts',
            'bench/cpu-cost.ts',
            'bench/load-generator.ts',
            'bench/references.ts',
          ],
        },
      ],
      // node:test runs a test() or describe() it is not awaited for: their promises float by design.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
    },
  },
);
