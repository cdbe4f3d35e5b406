// Test projects: fast unit tests, workflow tests on the time-skipping server (and the replay gate, which needs no server),
// integration/E2E on real servers.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000 } },
      {
        test: {
          name: 'workflow',
          include: ['test/workflow/**/*.test.ts', 'test/replay/**/*.test.ts'],
          setupFiles: ['test/setup/temporal-runtime.ts'],
          testTimeout: 120_000,
          hookTimeout: 15 * 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          setupFiles: ['test/setup/temporal-runtime.ts'],
          testTimeout: 180_000,
          // First-time builds of the Temporal CLI and the Kafka jars happen inside beforeAll on a fresh machine.
          hookTimeout: 30 * 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
