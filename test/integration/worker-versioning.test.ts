// Worker Deployments on a real dev server: the versioning mode this release does NOT ship (it patches, docs/versioning.md),
// shown working. Deployment `oms`, PINNED versions v1 and v2 of one workflow type whose code differs in a way replay
// rejects: an order started on v1 finishes on v1's code after v2 became current, only on a v1 worker, and v1 drains.
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config';
import { workerDeploymentOptions } from '../../src/worker/create-workers';
import { bundleWorkflows, startTestDevServer, type TestDevServer } from '../helpers/dev-server';
import { proceedSignal, stageQuery, VERSIONED_WORKFLOW_TYPE, type VersionedResult } from './fixtures/versioned-shared';

const { VersioningBehavior, PendingWorkflowTaskState, TaskQueueType, VersionDrainageStatus, WorkerDeploymentVersionStatus } = temporal.api.enums.v1;

const NAMESPACE = 'default';
const DEPLOYMENT = 'oms';
const TASK_QUEUE = 'versioning-demo';
type BuildId = 'v1' | 'v2';
type VersionedWorkflow = () => Promise<VersionedResult>;

/**
 * The server's defaults re-check a draining version every 3 min and treat a version as draining for 3 min after it
 * stopped being current (visibility lag): 1 s each lets the test see v1 become DRAINED when its last pinned order closes.
 */
const DRAINAGE_DYNAMIC_CONFIG = {
  'matching.wv.VersionDrainageStatusRefreshInterval': '1s',
  'matching.wv.VersionDrainageStatusVisibilityGracePeriod': '1s',
};

const fixture = (variant: BuildId): string => new URL(`./fixtures/versioned-${variant}.ts`, import.meta.url).pathname;

let dev: TestDevServer;
const bundles = {} as Record<BuildId, WorkflowBundleWithSourceMap>;

beforeAll(async () => {
  [dev, bundles.v1, bundles.v2] = await Promise.all([
    startTestDevServer({ name: 'worker-versioning', dynamicConfig: DRAINAGE_DYNAMIC_CONFIG }),
    bundleWorkflows(fixture('v1')),
    bundleWorkflows(fixture('v2')),
  ]);
});

afterAll(async () => {
  await dev?.stop();
});

/** A worker of one version, configured as `npm run worker` is: from the environment, through the same options builder. */
function versionWorker(buildId: BuildId): Promise<Worker> {
  const { workerDeployment } = loadConfig({ WORKER_DEPLOYMENT_NAME: DEPLOYMENT, WORKER_BUILD_ID: buildId, WORKER_VERSIONING_BEHAVIOR: 'PINNED' });
  expect(workerDeployment).toEqual({ deploymentName: DEPLOYMENT, buildId, defaultVersioningBehavior: 'PINNED' });
  return Worker.create({
    ...workerDeploymentOptions(workerDeployment),
    connection: dev.native,
    namespace: NAMESPACE,
    taskQueue: TASK_QUEUE,
    workflowBundle: bundles[buildId],
    // No sticky cache: a signal's task then goes straight to the version's queue instead of first waiting 10 s on a
    // stopped worker's sticky queue, and every task of an order is replayed from its whole history on its version's code.
    maxCachedWorkflows: 0,
    activities: { note: async (label: string) => `${label}@${buildId}` },
  });
}

/**
 * `temporal worker deployment set-current-version --deployment-name oms --build-id <id>` as an API call. A version
 * exists once its first poll reached the server, so the call is repeated until the server knows it.
 */
async function setCurrentVersion(buildId: BuildId): Promise<void> {
  await vi.waitFor(
    () => dev.client.workflowService.setWorkerDeploymentCurrentVersion({ namespace: NAMESPACE, deploymentName: DEPLOYMENT, buildId, identity: 'worker-versioning.test' }),
    { timeout: 30_000, interval: 250 },
  );
  const { workerDeploymentInfo } = await dev.client.workflowService.describeWorkerDeployment({ namespace: NAMESPACE, deploymentName: DEPLOYMENT });
  expect(workerDeploymentInfo?.routingConfig?.currentDeploymentVersion).toMatchObject({ deploymentName: DEPLOYMENT, buildId });
}

async function describeVersion(buildId: BuildId): Promise<temporal.api.workflowservice.v1.DescribeWorkerDeploymentVersionResponse> {
  return dev.client.workflowService.describeWorkerDeploymentVersion({
    namespace: NAMESPACE,
    deploymentVersion: { deploymentName: DEPLOYMENT, buildId },
    reportTaskQueueStats: true,
  });
}

/** The deployment versions of the workflow pollers the server saw on TASK_QUEUE (it remembers them for 5 min). */
async function pollerVersions(): Promise<string[]> {
  const { pollers } = await dev.client.workflowService.describeTaskQueue({
    namespace: NAMESPACE,
    taskQueue: { name: TASK_QUEUE },
    taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return pollers.map((p) => `${p.deploymentOptions?.deploymentName ?? ''}:${p.deploymentOptions?.buildId ?? ''}`);
}

/** The workflow's versioning info as `temporal workflow describe` shows it: behavior and the version it is pinned to. */
async function versioningOf(handle: WorkflowHandle): Promise<{ behavior: number | null | undefined; version: string | undefined }> {
  const info = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
  const version = info?.deploymentVersion;
  return { behavior: info?.behavior, version: version ? `${version.deploymentName}:${version.buildId}` : undefined };
}

async function pendingWorkflowTask(handle: WorkflowHandle): Promise<{ state: number | null | undefined; attempt: number | null | undefined; historyLength: number }> {
  const { raw } = await handle.describe();
  return { state: raw.pendingWorkflowTask?.state, attempt: raw.pendingWorkflowTask?.attempt, historyLength: Number(raw.workflowExecutionInfo?.historyLength ?? 0) };
}

function startOrder(name: string): Promise<WorkflowHandle<VersionedWorkflow>> {
  return dev.client.workflow.start<VersionedWorkflow>(VERSIONED_WORKFLOW_TYPE, { taskQueue: TASK_QUEUE, workflowId: `${name}-${randomUUID()}` });
}

/** Its first step done, the order waits for `proceed` (asked through a query, answered by a worker of its version). */
async function waitUntilWaiting(handle: WorkflowHandle): Promise<void> {
  await vi.waitFor(async () => expect(await handle.query(stageQuery)).toBe('waiting'), { timeout: 30_000, interval: 200 });
}

describe('Worker Deployments, PINNED (not this release: it patches on an unversioned queue)', () => {
  it('finishes an order pinned to v1 on v1 after v2 became current, only on a v1 worker; new orders go to v2; v1 drains', async () => {
    const pinned = { behavior: VersioningBehavior.VERSIONING_BEHAVIOR_PINNED };

    // 1. v1 alone, current: the first order starts there and is pinned to it.
    const v1 = await versionWorker('v1');
    const first = await v1.runUntil(async () => {
      await setCurrentVersion('v1');
      const handle = await startOrder('first');
      await waitUntilWaiting(handle);
      return handle;
    });
    expect(await versioningOf(first)).toEqual({ ...pinned, version: 'oms:v1' });

    const v2 = await versionWorker('v2');
    await v2.runUntil(async () => {
      // 2. v1 and v2 side by side; v2 becomes current and takes the second order. The first stays pinned to v1.
      const v1Again = await versionWorker('v1');
      const second = await v1Again.runUntil(async () => {
        await setCurrentVersion('v2');
        const handle = await startOrder('second');
        await waitUntilWaiting(handle);
        expect(await versioningOf(handle)).toEqual({ ...pinned, version: 'oms:v2' });
        expect(await versioningOf(first)).toEqual({ ...pinned, version: 'oms:v1' });
        // No longer current, one pinned order open: v1 is draining, and its workers must stay.
        await vi.waitFor(async () => {
          const info = (await describeVersion('v1')).workerDeploymentVersionInfo;
          expect(info?.status).toBe(WorkerDeploymentVersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINING);
          expect(info?.drainageInfo?.status).toBe(VersionDrainageStatus.VERSION_DRAINAGE_STATUS_DRAINING);
        }, { timeout: 30_000, interval: 250 });
        return handle;
      });

      // 3. v1's workers gone, v2's polling the same task queue. The first order's signal queues a workflow task…
      await first.signal(proceedSignal);
      await vi.waitFor(async () => expect((await pendingWorkflowTask(first)).state).toBe(PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED), { timeout: 10_000, interval: 100 });
      const queued = await pendingWorkflowTask(first);
      expect(queued.attempt).toBe(1);
      expect(await pollerVersions()).toContain('oms:v2');
      // …then v2 takes a whole order through that queue (signal, workflow task, activity, completion)…
      await second.signal(proceedSignal);
      expect(await second.result()).toEqual({ variant: 'v2', notes: ['v2:finish@v2'], finishedOn: 'oms:v2' });
      // …and the first order's task is still where it was: never started, nothing added to its history.
      expect(await pendingWorkflowTask(first)).toEqual(queued);

      // 4. A v1 worker back: the first order completes on v1's code, its activities on v1's worker.
      const v1Back = await versionWorker('v1');
      expect(await v1Back.runUntil(first.result())).toEqual({ variant: 'v1', notes: ['v1:start@v1', 'v1:finish@v1'], finishedOn: 'oms:v1' });
      expect(await versioningOf(first)).toEqual({ ...pinned, version: 'oms:v1' });

      // 5. Its last pinned order closed: v1 is drained, and only now may its workers go for good.
      await vi.waitFor(async () => {
        const info = (await describeVersion('v1')).workerDeploymentVersionInfo;
        expect(info?.drainageInfo?.status).toBe(VersionDrainageStatus.VERSION_DRAINAGE_STATUS_DRAINED);
        expect(info?.status).toBe(WorkerDeploymentVersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINED);
      }, { timeout: 30_000, interval: 250 });

      // Why pinning was needed here: each version's code rejects the other's history.
      const firstHistory = await first.fetchHistory();
      const secondHistory = await second.fetchHistory();
      await expect(Worker.runReplayHistory({ workflowBundle: bundles.v1 }, firstHistory, first.workflowId)).resolves.toBeUndefined();
      await expect(Worker.runReplayHistory({ workflowBundle: bundles.v2 }, firstHistory, first.workflowId)).rejects.toBeInstanceOf(DeterminismViolationError);
      await expect(Worker.runReplayHistory({ workflowBundle: bundles.v1 }, secondHistory, second.workflowId)).rejects.toBeInstanceOf(DeterminismViolationError);
    });
  });
});
