// The one seam for workflow tests: a time-skipping Temporal test environment (the bundle: dev-server.ts bundleWorkflows).
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../../contracts';
import { ensureTimeSkippingServer } from '../../dev/tools/time-skipping-server';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
/** Each attribute with its own type, as the dev server and production register it (a Datetime is not a Keyword). */
const INDEXED_VALUE_TYPES = { Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD, Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME } as const;

export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const executable = await ensureTimeSkippingServer((m) => process.stderr.write(`${m}\n`));
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable } });
  // The Java test server rejects unregistered search attributes, as a real cluster does; register ours.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => [name, INDEXED_VALUE_TYPES[type]])),
  });
  return env;
}
