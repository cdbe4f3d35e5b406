// The workflow bundle a worker runs: built by a short-lived child process (or given prebuilt), so that webpack's
// memory never stays in the worker — a worker that bundles in process keeps ≈ 150 MiB of RSS it no longer needs,
// which counts against the memory an order cache of thousands of open orders may use (docs/performance.md).
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BundleOptions, WorkflowBundleOption } from '@temporalio/worker';

const BUILD_SCRIPT = fileURLToPath(new URL('./bundle-workflows.ts', import.meta.url));
const BUILD_TIMEOUT_MS = 180_000;

/**
 * `prebuiltPath` (WORKFLOW_BUNDLE_PATH) is a bundle written by `bundle-workflows.ts`, e.g. once by `npm start` for all
 * its workers; without it the bundle is built now, in a child process with this process's loader (tsx).
 */
export async function workflowBundle(prebuiltPath?: string): Promise<WorkflowBundleOption> {
  if (prebuiltPath) return { codePath: path.resolve(prebuiltPath) };
  const codePath = path.join(await mkdtemp(path.join(tmpdir(), 'oms-workflows-')), 'workflow-bundle.js');
  await buildWorkflowBundle(codePath);
  return { codePath };
}

export async function buildWorkflowBundle(codePath: string): Promise<void> {
  await promisify(execFile)(process.execPath, [...process.execArgv, BUILD_SCRIPT, codePath], { timeout: BUILD_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
}

/**
 * The workflow interceptors every bundle carries, tracing on or off (src/tracing/workflow-interceptors.ts): they make
 * spans only for a workflow a traced client reached, so one bundle, e.g. npm start's prebuilt one, serves both.
 */
export const WORKFLOW_INTERCEPTOR_MODULES = [fileURLToPath(new URL('../tracing/workflow-interceptors.ts', import.meta.url))];

/**
 * How every bundle of the service is built, whoever builds it (bundle-workflows.ts, the replay gate, tests): the
 * workflows module (create-workers.ts's WORKFLOWS_PATH, or an earlier release's) and the workflow interceptors, which
 * must be in the bundle itself, as a worker given a bundle ignores interceptor modules.
 */
export function workflowBundleOptions(workflowsPath: string): BundleOptions {
  const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
  return { workflowsPath, workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES, logger: silent };
}
