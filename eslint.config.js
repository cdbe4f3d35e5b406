// Lint rules: type-aware safety everywhere, and the physical sandbox boundary around workflows/.
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

// Every Node built-in of the running Node, subpaths included (fs/promises), each as `x` and as `node:x`.
const SANDBOX_MESSAGE = 'Workflow code runs in the deterministic sandbox: no Node built-ins.';
const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]).map((name) => ({ name, message: SANDBOX_MESSAGE }));

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'dist/**', 'coverage/**', '.scratch/**'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js'] } } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['pino', 'fastify', 'kafkajs', 'pg', '@electric-sql/pglite', 'bottleneck', '@temporalio/activity', '@temporalio/client', '@temporalio/worker', ...nodeBuiltins],
          patterns: [
            // Built-ins that exist only with the prefix (node:test, node:sea) are not in builtinModules.
            { group: ['node:*'], message: SANDBOX_MESSAGE },
            { group: ['**/src/**', '../src/*', '**/dev/**', '../dev/*'], message: 'Workflows import only @temporalio/workflow, @temporalio/common and contracts/.' },
            { group: ['**/activities/*', '**/activities'], allowTypeImports: true, message: 'Import activities as types only (proxyActivities).' },
            // A module a workflow loads is evaluated again for every workflow in the worker's cache (the SDK shares
            // only its own modules): the contracts index would bring zod's schemas into each, ≈ 1 MiB apiece.
            {
              regex: '(^|/)contracts(/(index|inputs|external|order|state))?$|^zod(/|$)',
              allowTypeImports: true,
              message: 'Values come from contracts/temporal or contracts/errors (no zod in the workflow bundle); types from anywhere.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'process'],
    },
  },
);
