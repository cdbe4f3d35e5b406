// Writes the workflow bundle to the file named by its first argument, of the service's workflows or of the workflows
// module given second (an earlier release's, extracted from git by test/e2e/risk-release.test.ts); run by
// src/worker/workflow-bundle.ts with the first argument only.
import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from './create-workers';
import { workflowBundleOptions } from './workflow-bundle';

const [out, workflowsPath = WORKFLOWS_PATH] = process.argv.slice(2);
if (!out) {
  process.stderr.write('usage: bundle-workflows <output file> [workflows module]\n');
  process.exit(2);
}
// With the tracing workflow interceptors, as every bundle of the service (workflow-bundle.ts).
const { code } = await bundleWorkflowCode(workflowBundleOptions(workflowsPath));
await writeFile(out, code);
