// Lint rules: type-aware safety everywhere, and the physical sandbox boundary around workflows/.
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['fs', 'path', 'os', 'crypto', 'http', 'https', 'net', 'child_process', 'worker_threads', 'stream', 'events', 'util', 'url', 'timers', 'dns', 'zlib', 'process'];

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
          paths: ['pino', 'fastify', 'kafkajs', 'pg', '@electric-sql/pglite', 'bottleneck', '@temporalio/activity', '@temporalio/client', '@temporalio/worker'],
          patterns: [
            { group: [...nodeBuiltins, ...nodeBuiltins.map((m) => `node:${m}`), 'node:*'], message: 'Workflow code runs in the deterministic sandbox: no Node built-ins.' },
            { group: ['**/src/**', '../src/*'], message: 'Workflows import only @temporalio/workflow, @temporalio/common, zod and contracts/.' },
            { group: ['**/activities/*', '**/activities'], allowTypeImports: true, message: 'Import activities as types only (proxyActivities).' },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'process'],
    },
  },
);
