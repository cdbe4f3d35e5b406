// Writes the workflow bundle to the file named by its first argument, of the service's workflows or of the workflows
// module given second (an earlier release's, extracted from git by test/e2e/risk-release.test.ts); run by
// src/worker/workflow-bundle.ts with the first argument only.
import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from './create-workers';

const [out, workflowsPath = WORKFLOWS_PATH] = process.argv.slice(2);
if (!out) {
  process.stderr.write('usage: bundle-workflows <output file> [workflows module]\n');
  process.exit(2);
}
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
const { code } = await bundleWorkflowCode({ workflowsPath, logger: silent });
await writeFile(out, code);
