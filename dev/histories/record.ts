// `npm run histories -- record`: runs one real order per path (dev/histories/paths.ts) on the real stack — `npm start`
// with independent fakes of the external APIs and short windows — and writes every workflow history it produced
// under test/replay/histories/<release>/, encrypted with the dev key, plus the release's lines of the manifest.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import ms from 'ms';
import { SEARCH_ATTRIBUTES } from '../../contracts';
import { DEV_PII_KEY, parseKeyring } from '../../src/pii/keyring';
import { encryptingDataConverter } from '../../src/pii/data-converter';
import { freeLoopbackPort } from '../stack/free-port';
import { startTemporalDevServer, type TemporalDevServer } from '../stack/temporal-dev-server';
import { gatewayClient } from '../../test/helpers/gateway-client';
import { startIndependentApis, type IndependentApis } from '../../test/helpers/independent-apis';
import { startLocalStack, type LocalStack } from '../../test/helpers/local-stack';
import { historyToJson, type History } from './history-json';
import {
  checkManifest,
  describeProblems,
  formatManifest,
  HISTORIES_DIR,
  MANIFEST_NAME,
  MANIFEST_PATH,
  readManifest,
  RELEASE_NAME,
  sha256,
  type ManifestEntry,
} from './manifest';
import { ORDER_PATHS, PathError, seedCatalogue, type OrderPath, type PathOutcome, type PathWorld } from './paths';

export const DEFAULT_RELEASE = '2026-12-pii';

/** Short windows, fixed into each order by the gateway at its start (docs/order-lifecycle.md, "Windows"). */
const WINDOWS = { PAYMENT_CAPTURE_WINDOW: '25s', ORDER_TTL: '50s', STEP_RETRY_BUDGET: '3s' } as const;
const WINDOW_MS = { paymentCaptureWindowMs: ms(WINDOWS.PAYMENT_CAPTURE_WINDOW), orderTtlMs: ms(WINDOWS.ORDER_TTL) };
/**
 * The server suggests continue-as-new past this many events (dynamic config of our own dev server; production's default
 * is 4K events): low enough for a flood of bad captures to reach it in seconds, above every other path's history.
 */
const SUGGEST_CONTINUE_AS_NEW_AFTER = 150;
/** The whole run: stack start (bundling included), the longest window, the flood, the late events. */
const DEADLINE_MS = 10 * 60_000;
const PATH_DEADLINE_MS = WINDOW_MS.orderTtlMs + 120_000;
const SECRETS = { commerce: 'histories-commerce-secret', payment: 'histories-payment-secret', support: 'histories-support-token' };
const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

export class RecordError extends Error {
  override readonly name = 'RecordError';
}

interface RecordedFile {
  file: string;
  path: string;
  workflowType: string;
  workflowId: string;
  runId: string;
  events: number;
  bytes: number;
  /** How the run ended: completed, or continued as new (every run of a chain but the last). */
  closing: string;
  json: string;
}

interface PathResult {
  path: OrderPath;
  outcome: PathOutcome;
  status: string;
  reason: string | null;
  files: RecordedFile[];
}

function withDeadline<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RecordError(`${what}: not done within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

function git(...args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** Refuses before anything starts: a bad name, an existing release, a manifest that no longer matches the files. */
export function checkCanRecord(release: string): void {
  if (!RELEASE_NAME.test(release)) throw new RecordError(`--release "${release}": use 1–64 of a-z 0-9 . _ - starting with a letter or digit`);
  const folder = path.join(HISTORIES_DIR, release);
  if (existsSync(folder)) {
    throw new RecordError(
      `test/replay/histories/${release}/ already exists: refusing to overwrite it. Committed histories are never regenerated ` +
        `— they are the evidence that orders of that release replay on new code. Record the next release under a new name: ` +
        `npm run histories -- record --release <new-name>`,
    );
  }
  const problems = describeProblems(checkManifest());
  if (problems) throw new RecordError(`the committed histories do not match ${MANIFEST_NAME}; fix that before recording:\n${problems}`);
  const dirtyWorkflows = git('status', '--porcelain', '--', 'workflows');
  if (dirtyWorkflows) {
    throw new RecordError(`workflows/ has uncommitted changes; histories must come from committed workflow code:\n${dirtyWorkflows}`);
  }
}

/** Every run of `workflowId`, first to last (a continue-as-new chain), each with its raw (still encrypted) history. */
async function runsOf(client: Client, workflowId: string): Promise<Array<{ runId: string; history: History }>> {
  const latest = await client.workflow.getHandle(workflowId).fetchHistory();
  const first = latest.events?.[0]?.workflowExecutionStartedEventAttributes?.firstExecutionRunId;
  if (!first) throw new RecordError(`${workflowId}: its history has no first run id`);
  const runs: Array<{ runId: string; history: History }> = [];
  let runId: string | undefined = first;
  while (runId) {
    if (runs.length >= 20) throw new RecordError(`${workflowId}: more than 20 runs`);
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    runs.push({ runId, history });
    runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId || undefined;
  }
  return runs;
}

function closingOf(history: History): string {
  const last = history.events?.at(-1);
  if (last?.workflowExecutionCompletedEventAttributes) return 'completed';
  if (last?.workflowExecutionContinuedAsNewEventAttributes) return 'continued-as-new';
  return 'not closed';
}

function toFile(pathName: string, file: string, workflowId: string, runId: string, history: History): RecordedFile {
  const json = historyToJson(history);
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  return {
    file,
    path: pathName,
    workflowType: started?.workflowType?.name ?? '?',
    workflowId,
    runId,
    events: history.events?.length ?? 0,
    bytes: Buffer.byteLength(json),
    closing: closingOf(history),
    json,
  };
}

/** Checks a path's order against what it promised and collects the histories of its runs and late events. */
async function collect(world: PathWorld, orderPath: OrderPath, outcome: PathOutcome): Promise<PathResult> {
  const workflowId = `order-${outcome.orderId}`;
  const result = (await withDeadline(`${workflowId} result`, 60_000, world.temporal.workflow.getHandle(workflowId).result())) as { status: string };
  if (result.status !== outcome.expected) throw new PathError(`${workflowId} completed as ${result.status}, expected ${outcome.expected}`);
  const res = await world.gateway.getOrder(outcome.orderId);
  const record = res.body as { status?: string; status_reason?: string | null };
  if (res.status !== 200 || record.status !== outcome.expected) throw new PathError(`GET /v1/orders/${outcome.orderId}: ${res.status} ${record.status ?? ''}, expected ${outcome.expected}`);
  if (outcome.expectedReason !== undefined && record.status_reason !== outcome.expectedReason) {
    throw new PathError(`GET /v1/orders/${outcome.orderId}: status_reason ${JSON.stringify(record.status_reason)}, expected ${outcome.expectedReason}`);
  }

  const runs = await runsOf(world.temporal, workflowId);
  if (outcome.continuesAsNew && runs.length < 2) throw new PathError(`${workflowId}: expected a continue-as-new chain, got ${runs.length} run`);
  if (!outcome.continuesAsNew && runs.length !== 1) throw new PathError(`${workflowId}: expected one run, got ${runs.length} (continued as new unexpectedly)`);
  const files: RecordedFile[] = runs.map(({ runId, history }, i) => {
    const closing = closingOf(history);
    const last = i === runs.length - 1;
    if (closing !== (last ? 'completed' : 'continued-as-new')) throw new PathError(`${workflowId} run ${runId}: ${closing}`);
    return toFile(orderPath.name, runs.length === 1 ? `${orderPath.name}.json` : `${orderPath.name}.run-${i + 1}.json`, workflowId, runId, history);
  });
  for (const late of outcome.late ?? []) {
    const lateRuns = await runsOf(world.temporal, late.workflowId);
    const [only] = lateRuns;
    if (lateRuns.length !== 1 || !only || closingOf(only.history) !== 'completed') throw new PathError(`${late.workflowId}: expected one completed run`);
    files.push(toFile(orderPath.name, `${orderPath.name}.${late.suffix}.json`, late.workflowId, only.runId, only.history));
  }
  return { path: orderPath, outcome, status: record.status, reason: record.status_reason ?? null, files };
}

function recordingNotes(release: string, results: PathResult[], meta: { serverVersion: string; startedAt: Date; seconds: number }): string {
  const commit = git('rev-parse', 'HEAD') ?? 'unknown';
  const dirty = (git('status', '--porcelain') ?? '').split('\n').filter(Boolean).length;
  const sdk = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'node_modules/@temporalio/worker/package.json'), 'utf8')) as { version: string }).version;
  const rows = results.flatMap((r) =>
    r.files.map((f) => {
      const end = f.closing !== 'completed' ? f.closing : f.workflowType === 'OrderWorkflow' ? `${r.status}${r.reason ? ` (${r.reason})` : ''}` : 'completed';
      return `| ${r.path.name} | \`${f.file}\` | ${f.workflowType} | ${f.events} | ${f.bytes} | ${end} |`;
    }),
  );
  return [
    `# Histories of release \`${release}\``,
    '',
    `Recorded by \`npm run histories -- record --release ${release}\` on ${meta.startedAt.toISOString()} in ${meta.seconds.toFixed(0)} s.`,
    'Never regenerated or edited: MANIFEST.sha256 holds their checksums, and the replay gate (test/replay/replay-gate.test.ts)',
    'replays every one of them on the current code in `npm test`.',
    '',
    `- code: commit \`${commit}\`, workflows/ as committed${dirty ? ` (${dirty} files elsewhere had uncommitted changes)` : ''}`,
    `- Temporal: dev server ${meta.serverVersion}, SDK ${sdk}; \`limit.historyCount.suggestContinueAsNew\` = ${SUGGEST_CONTINUE_AS_NEW_AFTER}`,
    `- windows: PAYMENT_CAPTURE_WINDOW ${WINDOWS.PAYMENT_CAPTURE_WINDOW}, ORDER_TTL ${WINDOWS.ORDER_TTL}, STEP_RETRY_BUDGET ${WINDOWS.STEP_RETRY_BUDGET}` +
      ' (two deadlines, so an order paid before its webhook starts a second timer: one event more than with equal windows)',
    "- payloads: encrypted with the dev key (`DEV_PII_KEY`, id `dev-1`, src/pii/keyring.ts); e-mails are @example.test",
    '- external APIs: the independent fakes of test/helpers/independent-apis.ts (the Risk API decides per order; the ' +
      "risk-api-down path's outage is the recorder's per-order 503 gate in front of it)",
    '',
    '| path | file | workflow | events | bytes | how it ended |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    '## Paths',
    '',
    ...results.map((r) => `- **${r.path.name}**: ${r.path.summary}.${r.outcome.notes.length ? ` ${r.outcome.notes.join('; ')}.` : ''}`),
    '',
  ].join('\n');
}

/**
 * The Risk API as the stack sees it: the independent Risk fake, behind a gate that answers 503 for the order ids in
 * `outage` (the risk-api-down path) and passes everything else through unchanged.
 */
async function startRiskGate(riskUrl: string, outage: Set<string>): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      let orderId: unknown;
      try {
        orderId = (JSON.parse(body.toString() || '{}') as { order_id?: unknown }).order_id;
      } catch {
        orderId = undefined;
      }
      if (typeof orderId === 'string' && outage.has(orderId)) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'maintenance (recorder outage)' }));
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
      const upstream = await fetch(`${riskUrl}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, ...(body.length ? { body } : {}) });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    })().catch(() => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'risk gate failure' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function recordHistories(release: string, say: (line: string) => void, signal?: AbortSignal): Promise<void> {
  checkCanRecord(release);
  const startedAt = new Date();
  const work = await mkdtemp(path.join(tmpdir(), 'oms-histories-'));
  const stops: Array<() => Promise<void>> = [];
  let failed = true;
  let closed = false;
  const stopOne = (stop: () => Promise<void>) => stop().catch((err: unknown) => say(`while stopping: ${(err as Error).message}`));
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stopOne(stop);
  };
  /** What started is stopped at the end; something that finishes starting after a deadline or Ctrl-C, at once. */
  const own = async (stop: () => Promise<void>) => {
    if (closed) await stopOne(stop);
    else stops.push(stop);
  };
  const interrupted = new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(new RecordError('interrupted; nothing was written')), { once: true }));
  try {
    await withDeadline('recording', DEADLINE_MS, Promise.race([interrupted, (async () => {
      const apis: IndependentApis = await startIndependentApis();
      await own(() => apis.stop());
      seedCatalogue(apis);
      const riskOutage = new Set<string>();
      const riskGate = await startRiskGate(apis.urls.risk, riskOutage);
      await own(() => riskGate.stop());

      const temporalPort = await freeLoopbackPort();
      const temporal: TemporalDevServer = await startTemporalDevServer({
        port: temporalPort,
        namespace: 'default',
        searchAttributes: { ...SEARCH_ATTRIBUTES },
        dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': SUGGEST_CONTINUE_AS_NEW_AFTER },
        logFile: path.join(work, 'temporal.log'),
        log: say,
      });
      await own(() => temporal.stop());

      say('starting the stack (npm start) on that Temporal server…');
      const stack: LocalStack = await startLocalStack(
        {
          TEMPORAL_ADDRESS: temporal.address,
          OMS_DEV_TEMPORAL_PORT: String(temporalPort),
          TEMPORAL_NAMESPACE: 'default',
          COMMERCE_API_URL: apis.urls.commerce,
          PIM_API_URL: apis.urls.pim,
          PAYMENT_API_URL: apis.urls.payment,
          // The independent Risk fake (decisions per order), through the recorder's per-order outage gate; set, so that
          // npm start runs no Risk simulator of its own.
          RISK_API_URL: riskGate.url,
          COMMERCE_WEBHOOK_SECRET: SECRETS.commerce,
          PAYMENT_WEBHOOK_SECRET: SECRETS.payment,
          SUPPORT_API_TOKEN: SECRETS.support,
          PII_ENCRYPTION_KEYS: DEV_PII_KEY,
          ...WINDOWS,
          NODE_ENV: 'development',
          // Whatever the caller's shell holds: an embedded store, our own Kafka, an unversioned worker.
          DATABASE_URL: '',
          KAFKA_BROKERS: '',
          WORKER_DEPLOYMENT_NAME: '',
          WORKER_BUILD_ID: '',
          WORKFLOW_BUNDLE_PATH: '',
        },
        { readyTimeoutMs: 6 * 60_000, dataDir: path.join(work, 'stack'), keepDataDir: true },
      );
      await own(() => stack.stop());

      const connection = await Connection.connect({ address: temporal.address });
      await own(() => connection.close());
      const client = new Client({ connection, namespace: 'default', dataConverter: encryptingDataConverter(parseKeyring(DEV_PII_KEY)) });
      const { serverVersion } = await connection.workflowService.getSystemInfo({});
      const world: PathWorld = {
        apis,
        gateway: gatewayClient(stack.gatewayUrl, SECRETS),
        temporal: client,
        windows: WINDOW_MS,
        tag: Date.now().toString(36),
        riskOutage,
      };

      const ran = Date.now();
      say(`running ${ORDER_PATHS.length} paths at once (capture window ${WINDOWS.PAYMENT_CAPTURE_WINDOW}, TTL ${WINDOWS.ORDER_TTL})…`);
      const settled = await Promise.allSettled(
        ORDER_PATHS.map(async (p) => {
          const outcome = await withDeadline(p.name, PATH_DEADLINE_MS, p.run(world));
          const result = await collect(world, p, outcome);
          say(`  ${p.name}: ${result.status} after ${((Date.now() - ran) / 1000).toFixed(1)} s, ${result.files.map((f) => `${f.file} (${f.events} events)`).join(', ')}`);
          return result;
        }),
      );
      const failures = settled.flatMap((s, i) => (s.status === 'rejected' ? [`  ${ORDER_PATHS[i]?.name}: ${(s.reason as Error).message}`] : []));
      if (failures.length > 0) {
        throw new RecordError(`${failures.length} of ${ORDER_PATHS.length} paths did not reach their expected status; nothing was written:\n${failures.join('\n')}\n(stack logs kept in ${work})`);
      }
      const results = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      await stopAll();

      await writeRelease(release, results, recordingNotes(release, results, { serverVersion: serverVersion ?? 'unknown', startedAt, seconds: (Date.now() - startedAt.getTime()) / 1000 }));
      const count = results.reduce((n, r) => n + r.files.length, 0);
      say(`wrote ${count} histories to test/replay/histories/${release}/ and updated ${MANIFEST_NAME} in ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s`);
    })()]));
    failed = false;
  } finally {
    closed = true;
    await stopAll();
    // On failure the stack's logs (.data/logs of the stack, temporal.log) stay for a look; on success nothing stays.
    if (!failed) await rm(work, { recursive: true, force: true });
    else say(`logs of this run: ${work}`);
  }
}

/** Writes the release into a hidden folder first and renames it into place, then adds its lines to the manifest. */
async function writeRelease(release: string, results: PathResult[], notes: string): Promise<void> {
  await mkdir(HISTORIES_DIR, { recursive: true });
  const staging = path.join(HISTORIES_DIR, `.${release}.partial`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging);
  const added: ManifestEntry[] = [];
  const write = async (name: string, text: string) => {
    await writeFile(path.join(staging, name), text);
    added.push({ file: `${release}/${name}`, sha256: sha256(await readFile(path.join(staging, name))) });
  };
  for (const file of results.flatMap((r) => r.files)) await write(file.file, file.json);
  await write('RECORDING.md', notes);
  if (existsSync(path.join(HISTORIES_DIR, release))) throw new RecordError(`test/replay/histories/${release}/ appeared while recording; not overwriting it`);
  await rename(staging, path.join(HISTORIES_DIR, release));
  const manifestTmp = `${MANIFEST_PATH}.partial`;
  await writeFile(manifestTmp, formatManifest([...readManifest(), ...added]));
  await rename(manifestTmp, MANIFEST_PATH);
}
