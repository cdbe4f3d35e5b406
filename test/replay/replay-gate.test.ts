// The replay gate: every committed history (test/replay/histories/<release>/*.json, recorded by `npm run histories --
// record`) replays on the current workflow code, the files are exactly those of MANIFEST.sha256, and a deliberately
// non-deterministic copy of the workflows fails on them — so the gate is known to fail when it should. Bundles and
// replay worker are those of production with tracing on: the workflow interceptors of src/tracing in the bundle, the
// worker's tracing interceptors and sinks (with tracing off a worker installs less: the sink alone, same bundle).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { bundleWorkflowCode, Worker, type ReplayResult, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkManifest,
  HISTORIES_DIR,
  historyFiles,
  MANIFEST_NAME,
  NEVER_REGENERATED,
  readManifest,
  releaseFiles,
  sha256,
} from '../../dev/histories/manifest';
import { historyFromJson, type History } from '../../dev/histories/history-json';
import { encryptingDataConverter } from '../../src/pii/data-converter';
import { DEV_PII_KEY, parseKeyring } from '../../src/pii/keyring';
import { startTracing, workerTracingOptions, type Tracing } from '../../src/tracing/tracing';
import { WORKFLOWS_PATH } from '../../src/worker/create-workers';
import { workflowBundleOptions } from '../../src/worker/workflow-bundle';

const NONDETERMINISTIC_WORKFLOWS = fileURLToPath(new URL('./fixtures/nondeterministic-workflows.ts', import.meta.url));
/** Known at collection time, so that each file is its own test and a failure names the path. */
const FILES = historyFiles();
/** The histories were recorded with the committed dev key (payloads stay encrypted in the files). */
const dataConverter = encryptingDataConverter(parseKeyring(DEV_PII_KEY));

function load(file: string): { workflowId: string; history: History } {
  const history = historyFromJson(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
  const workflowId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowId || `replay-${file}`;
  return { workflowId, history };
}

/** All histories through one replay worker; results come back one per history, in order. */
async function replayAll(workflowBundle: WorkflowBundleWithSourceMap, replayName: string): Promise<Map<string, ReplayResult>> {
  const results = new Map<string, ReplayResult>();
  let i = 0;
  const options = { workflowBundle, dataConverter, replayName, ...workerTracingOptions(tracing) };
  for await (const result of Worker.runReplayHistories(options, FILES.map(load))) {
    results.set(FILES[i++] as string, result);
  }
  return results;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

let current: Map<string, ReplayResult>;
let nondeterministic: Map<string, ReplayResult>;
let tracing: Tracing;
let realBundle: WorkflowBundleWithSourceMap;
const spans = new InMemorySpanExporter();

beforeAll(async () => {
  tracing = startTracing({ serviceName: 'oms-replay-gate', spanProcessor: new SimpleSpanProcessor(spans) });
  // One bundle per variant, built side by side, as bundle-workflows.ts builds production's.
  const [real, changed] = await Promise.all([bundleWorkflowCode(workflowBundleOptions(WORKFLOWS_PATH)), bundleWorkflowCode(workflowBundleOptions(NONDETERMINISTIC_WORKFLOWS))]);
  realBundle = real;
  current = await replayAll(real, 'replay-gate');
  nondeterministic = await replayAll(changed, 'replay-gate-negative');
});

afterAll(async () => {
  await tracing?.shutdown();
});

describe('the replay runs the production tracing setup', () => {
  it('the bundle carries the tracing workflow interceptors, and a replay exports no span', () => {
    expect(realBundle.code).toContain('src/tracing/workflow-interceptors.ts');
    expect(realBundle.code).toContain('OpenTelemetryInboundInterceptor');
    expect(spans.getFinishedSpans()).toEqual([]);
  });
});

describe('committed histories replay on the current code', () => {
  it('there are committed histories to replay', () => {
    expect(FILES.length, `no history under ${HISTORIES_DIR}; record the release in production with \`npm run histories -- record\``).toBeGreaterThan(0);
  });

  it.each(FILES)('%s', (file) => {
    const result = current.get(file);
    expect(result, `${file} was not replayed`).toBeDefined();
    if (result?.error) {
      throw new Error(
        `${file} does not replay on the current workflow code (${describeError(result.error)}). Orders of that release are ` +
          `in flight: make the change behind patched() (docs/versioning.md) instead of editing the history; ${NEVER_REGENERATED}`,
      );
    }
  });
});

describe('the gate fails when it should', () => {
  it.each(FILES)('%s fails with DeterminismViolationError on a workflow that starts an extra timer', (file) => {
    const result = nondeterministic.get(file);
    expect(result, `${file} was not replayed`).toBeDefined();
    expect(result?.error, `${file} replayed cleanly on a non-deterministic workflow`).toBeInstanceOf(DeterminismViolationError);
  });
});

describe(`${MANIFEST_NAME}: committed histories are never regenerated or edited`, () => {
  it('lists every file with its sha256, and the files are still those bytes', () => {
    const { missing, changed, duplicated } = checkManifest();
    expect(missing, `listed in ${MANIFEST_NAME} but gone. ${NEVER_REGENERATED}`).toEqual([]);
    expect(changed, `bytes differ from ${MANIFEST_NAME}. ${NEVER_REGENERATED}`).toEqual([]);
    expect(duplicated, `listed twice in ${MANIFEST_NAME}`).toEqual([]);
  });

  it('every file present under a release folder is listed', () => {
    expect(checkManifest().unlisted, `not in ${MANIFEST_NAME}. ${NEVER_REGENERATED}`).toEqual([]);
  });

  it('is sorted by path, one "<sha256>  <release>/<file>" line each', () => {
    const files = readManifest().map((e) => e.file);
    expect(files).toEqual([...files].sort());
    expect(files.length).toBe(releaseFiles().length);
  });

  it('notices an edited, a removed and an unlisted file', () => {
    const entries = readManifest();
    const [first, second, ...rest] = entries;
    if (!first || !second) throw new Error(`${MANIFEST_NAME} lists fewer than two files`);
    const tampered = [{ file: first.file, sha256: sha256('not these bytes') }, ...rest, { file: 'no-such-release/gone.json', sha256: second.sha256 }];
    // Containment, not equality: a real problem on disk is the tests' above to report, not this one's.
    const found = checkManifest(tampered);
    expect(found.missing).toContain('no-such-release/gone.json');
    expect(found.changed).toContain(first.file);
    expect(found.unlisted).toContain(second.file);
  });
});
