// One Commerce limit for all workers, held by the real Temporal dev server: the first worker puts it on the queue
// through the API, a worker's own value (or none) cannot move it, a worker configured with another COMMERCE_API_RPS
// refuses to start with a message that says how to change it, and running workers follow a deliberate change.
// The shared pacer hands out one slot schedule to every worker on the same PostgreSQL (TEST_DATABASE_URL).
// No timing is asserted: what the server reports, what the error says, what the slot arithmetic in the store gives.
import { randomBytes } from 'node:crypto';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TASK_QUEUES } from '../../contracts';
import { encryptingDataConverter } from '../../src/pii/data-converter';
import { DEV_PII_KEY, parseKeyring } from '../../src/pii/keyring';
import { openPgClient } from '../../src/store/sql-client';
import { createWorkers, type WorkerDeps } from '../../src/worker/create-workers';
import { createInProcessPacer, ensureSlotTable, reserveSlot } from '../../src/worker/commerce-pacer';
import {
  commerceDispatchRate,
  CommerceRateLimitConflictError,
  describeCommerceQueueRateLimit,
  reconcileCommerceRateLimit,
} from '../../src/worker/commerce-rate-limit';
import { bundleWorkflows, startTestDevServer, type TestDevServer } from '../helpers/dev-server';

const WAIT = { timeout: 60_000, interval: 100 };
const NAMESPACE = 'default';

let dev: TestDevServer;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [dev, bundle] = await Promise.all([startTestDevServer({ name: 'commerce-rate-limit' }), bundleWorkflows()]);
});

afterAll(async () => {
  await dev?.stop();
});

/** Never called: these workers poll, but no test starts an order. */
/** The codec every worker of the service runs with (the dev key: this test reads no payload). */
const dataConverter = encryptingDataConverter(parseKeyring(DEV_PII_KEY));

const unusedDeps = new Proxy({} as WorkerDeps, {
  get: () => new Proxy({}, { get: () => () => Promise.reject(new Error('not used in this test')) }),
});

describe('the Commerce queue rate limit on the Temporal server', () => {
  it('is set through the API by the first worker, and a poller with its own value does not move it', async () => {
    const fresh = await describeCommerceQueueRateLimit(dev.native.workflowService, NAMESPACE);
    expect(fresh.configured).toBeUndefined();

    const result = await reconcileCommerceRateLimit({ connection: dev.native, namespace: NAMESPACE, commerceApiRps: 40, identity: 'test-first' });
    expect(result).toEqual({ requestsPerSecond: commerceDispatchRate(40), action: 'set' });

    // A worker of another build, polling with a rate of its own: before 1.28 the server took the last poller's value.
    const foreign = await Worker.create({
      connection: dev.native,
      taskQueue: TASK_QUEUES.commerce,
      activities: { validateOrder: () => Promise.reject(new Error('not used')) },
      maxTaskQueueActivitiesPerSecond: 500,
    });
    await foreign.runUntil(async () => {
      await vi.waitFor(async () => {
        const res = await dev.native.workflowService.describeTaskQueue({ namespace: NAMESPACE, taskQueue: { name: TASK_QUEUES.commerce }, taskQueueType: 2 });
        expect(res.pollers?.length ?? 0).toBeGreaterThan(0);
      }, WAIT);
      const limit = await describeCommerceQueueRateLimit(dev.native.workflowService, NAMESPACE);
      expect(limit.configured).toMatchObject({ requestsPerSecond: commerceDispatchRate(40), updatedBy: 'test-first' });
      expect(limit.effective).toEqual({ requestsPerSecond: commerceDispatchRate(40), source: 'RATE_LIMIT_SOURCE_API' });
    });

    // The same value again is a match, not a change.
    await expect(reconcileCommerceRateLimit({ connection: dev.native, namespace: NAMESPACE, commerceApiRps: 40 })).resolves.toEqual({
      requestsPerSecond: commerceDispatchRate(40),
      action: 'matched',
    });
  });

  it('refuses to start a worker configured with another COMMERCE_API_RPS, and says how to change it on purpose', async () => {
    const started = createWorkers({ connection: dev.native, namespace: NAMESPACE, deps: unusedDeps, dataConverter, commerceApiRps: 150, workflowBundle: bundle });
    await expect(started).rejects.toBeInstanceOf(CommerceRateLimitConflictError);
    const message = await started.then(
      () => '',
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    );
    expect(message).toContain('COMMERCE_API_RPS=150');
    expect(message).toContain(`rate limit of ${commerceDispatchRate(40)}/s`);
    expect(message).toContain('COMMERCE_API_RPS=40 sets');
    expect(message).toContain(
      `temporal task-queue config set --namespace ${NAMESPACE} --task-queue ${TASK_QUEUES.commerce} --task-queue-type activity --queue-rps-limit ${commerceDispatchRate(150)}`,
    );
    // Refused before polling: the queue still has the one limit.
    const limit = await describeCommerceQueueRateLimit(dev.native.workflowService, NAMESPACE);
    expect(limit.effective).toEqual({ requestsPerSecond: commerceDispatchRate(40), source: 'RATE_LIMIT_SOURCE_API' });
  });

  it('lets running workers follow a deliberate change of the queue limit', async () => {
    const pacer = createInProcessPacer(1);
    const changes: Array<{ from: number; to: number }> = [];
    const workers = await createWorkers({
      connection: dev.native,
      namespace: NAMESPACE,
      deps: unusedDeps,
      dataConverter,
      commerceApiRps: 40,
      commercePacer: pacer,
      rateLimitCheckMs: 100,
      onRateLimitChange: (c) => changes.push(c),
      workflowBundle: bundle,
    });
    // Started on the queue's limit, whatever the pacer was built with.
    expect(pacer.rate).toBe(commerceDispatchRate(40));
    const running = workers.run();
    try {
      // What the operator runs (temporal task-queue config set … --queue-rps-limit 19), through the same API.
      await dev.native.workflowService.updateTaskQueueConfig({
        namespace: NAMESPACE,
        identity: 'test-operator',
        taskQueue: TASK_QUEUES.commerce,
        taskQueueType: 2,
        updateQueueRateLimit: { rateLimit: { requestsPerSecond: 19 }, reason: 'Commerce App asked for 20/s' },
      });
      await vi.waitFor(() => expect(pacer.rate).toBe(19), WAIT);
      expect(changes).toEqual([{ from: commerceDispatchRate(40), to: 19 }]);
    } finally {
      workers.shutdown();
      await running;
    }
    // A new worker must now be configured for the new limit: 20 × 0.95 = 19.
    await expect(reconcileCommerceRateLimit({ connection: dev.native, namespace: NAMESPACE, commerceApiRps: 40 })).rejects.toThrow('COMMERCE_API_RPS=20 sets');
    await expect(reconcileCommerceRateLimit({ connection: dev.native, namespace: NAMESPACE, commerceApiRps: 20 })).resolves.toMatchObject({ action: 'matched' });
  });
});

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

describe.skipIf(!TEST_DATABASE_URL && !process.env.CI)('the shared Commerce pacer (PostgreSQL)', () => {
  it('gives the workers sharing a store one slot schedule, 1/rate apart whoever asks', async () => {
    if (!TEST_DATABASE_URL) throw new Error('TEST_DATABASE_URL is unset (export "$(bash .ci/postgres.sh | tail -n 1)")');
    // Two pools, as two worker processes would have; a slot name of this test's own so reruns and suites never meet.
    const a = openPgClient(TEST_DATABASE_URL, { max: 2 });
    const b = openPgClient(TEST_DATABASE_URL, { max: 2 });
    const name = `test-${randomBytes(6).toString('hex')}`;
    try {
      await Promise.all([ensureSlotTable(a), ensureSlotTable(b)]);
      // An interval of 1000 s: the reservations themselves take far less, so each one finds the previous slot ahead.
      const intervalMs = 1_000_000;
      const slots = await Promise.all([a, b, a, b, a, b].map((sql) => reserveSlot(sql, intervalMs, name)));
      const waits = slots.map((s) => s.waitMs).sort((x, y) => x - y);
      const times = slots.map((s) => s.slotMs).sort((x, y) => x - y);
      // The first slot is free now; every next one is exactly one interval later, by the database's one clock.
      expect(waits[0]).toBeLessThan(1_000);
      for (let i = 1; i < times.length; i++) {
        expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeCloseTo(intervalMs, 0);
        expect(Math.abs((waits[i] ?? 0) - (waits[i - 1] ?? 0) - intervalMs)).toBeLessThan(1_000);
      }
    } finally {
      await a.query('DELETE FROM oms_rate_slots WHERE name = $1', [name]).catch(() => undefined);
      await Promise.all([a.close(), b.close()]);
    }
  });
});
