// The one way integration tests get a real Temporal dev server of their own: free loopback port, a temp dir for its
// SQLite and log, our search attributes, optional dynamic config; a client and a worker connection; stop() by pid.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { SEARCH_ATTRIBUTES, TASK_QUEUES } from '../../contracts';
import { freeLoopbackPort } from '../../dev/stack/free-port';
import { startTemporalDevServer, type TemporalDevServer } from '../../dev/stack/temporal-dev-server';
import { WORKFLOWS_PATH } from '../../src/worker/create-workers';
import { workflowBundleOptions } from '../../src/worker/workflow-bundle';
import type { fakeActivities } from './fake-activities';

export interface TestDevServer {
  server: TemporalDevServer;
  client: Client;
  native: NativeConnection;
  stop(): Promise<void>;
}

export async function startTestDevServer(opts: { name: string; dynamicConfig?: Record<string, unknown> }): Promise<TestDevServer> {
  const dir = await mkdtemp(path.join(tmpdir(), `oms-${opts.name}-`));
  const server = await startTemporalDevServer({
    port: await freeLoopbackPort(),
    namespace: 'default',
    searchAttributes: { ...SEARCH_ATTRIBUTES },
    ...(opts.dynamicConfig ? { dynamicConfig: opts.dynamicConfig } : {}),
    logFile: path.join(dir, 'temporal.log'),
    log: () => undefined,
  });
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  const native = await NativeConnection.connect({ address: server.address });
  return {
    server,
    client,
    native,
    async stop() {
      await native.close();
      await client.connection.close();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The real workflow bundle (or that of another workflows module, e.g. a test's variant), built once per test file
 * with production's options: the tracing interceptors ride in every bundle the service runs.
 */
export function bundleWorkflows(workflowsPath = WORKFLOWS_PATH): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode(workflowBundleOptions(workflowsPath));
}

/** Runs `body` while a worker polls each task queue with the given stand-in activities; outside it nothing runs. */
export async function withFakeWorkers<T>(
  dev: TestDevServer,
  bundle: WorkflowBundleWithSourceMap,
  fakes: ReturnType<typeof fakeActivities>,
  body: () => Promise<T>,
): Promise<T> {
  const orders = await Worker.create({ connection: dev.native, taskQueue: TASK_QUEUES.orders, workflowBundle: bundle, activities: fakes.orders });
  const commerce = await Worker.create({ connection: dev.native, taskQueue: TASK_QUEUES.commerce, activities: fakes.commerce });
  return orders.runUntil(commerce.runUntil(body()));
}
