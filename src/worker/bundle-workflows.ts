// Writes the workflow bundle to the file named by its one argument (src/worker/workflow-bundle.ts runs this).
import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from './create-workers';

const [out] = process.argv.slice(2);
if (!out) {
  process.stderr.write('usage: bundle-workflows <output file>\n');
  process.exit(2);
}
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: silent });
await writeFile(out, code);
