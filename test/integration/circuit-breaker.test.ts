// Circuit breaking on a real worker (the production entry, src/worker/main.ts) against a real Temporal dev server and a
// real HTTP PIM that is down: the calls N retrying orders make to it drop from their backoff's rate to about one probe
// per cool-down, the orders go on when PIM is back, and the worker's Prometheus endpoint shows the breaker open, then
// closed. Measured twice at once, with the breakers off (CIRCUIT_BREAKER_FAILURES=0) and on: two worker processes, each
// on a dev server of its own (they would share the task queues of one).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getOrderState, orderWorkflowId } from '../../contracts';
import { freeLoopbackPort } from '../../dev/stack/free-port';
import { loadConfig } from '../../src/config';
import { encryptingDataConverter } from '../../src/pii/data-converter';
import { createTemporalOrderEvents } from '../../src/temporal/order-events';
import { startTestDevServer, type TestDevServer } from '../helpers/dev-server';
import { commerceWebhook, uniqueOrderId } from '../helpers/fixtures';
import { startIndependentApis, type IndependentApis } from '../helpers/independent-apis';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const ORDERS = 20;
const THRESHOLD = 5;
const COOLDOWN_MS = 2_000;
/** The measured window, from the first PIM call of a phase; the first 2 s (the first round of attempts) are left out. */
const WINDOW_MS = 8_000;
const SKIP_MS = 2_000;

/** One measurement: a dev server, the dead PIM, N orders, and a worker process configured by `breakerEnv`. */
interface Phase {
  dev: TestDevServer;
  client: Client;
  pim: Awaited<ReturnType<typeof startPim>>;
  orderIds: string[];
  worker: WorkerProcess;
}

let apis: IndependentApis;
let bundlePath: string;
let workDir: string;
let off: Phase | undefined;
let on: Phase | undefined;

async function startPhase(name: string, breakerEnv: Record<string, string>): Promise<Phase> {
  const [dev, pim] = await Promise.all([startTestDevServer({ name }), startPim()]);
  // The worker encrypts every payload (dev key outside production): the test's client must read and write the same.
  const client = new Client({ connection: dev.client.connection, dataConverter: encryptingDataConverter(loadConfig({}).pii.keyring) });
  // Submitted before the worker polls: it takes them up together, so their first attempts come close together.
  const orderIds = await startOrders(client, `ord-${name}`);
  return { dev, client, pim, orderIds, worker: await startWorker(dev, pim.url, breakerEnv) };
}

async function stopPhase(phase: Phase | undefined): Promise<void> {
  await phase?.worker.stop();
  await phase?.pim.close();
  await phase?.dev.stop();
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'oms-breaker-'));
  bundlePath = path.join(workDir, 'workflow-bundle.js');
  // One bundle for both worker processes.
  const [, independent] = await Promise.all([
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/worker/bundle-workflows.ts', bundlePath], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 }),
    startIndependentApis(),
  ]);
  apis = independent;
  [off, on] = await Promise.all([
    startPhase('breaker-off', { CIRCUIT_BREAKER_FAILURES: '0' }),
    startPhase('breaker-on', { CIRCUIT_BREAKER_FAILURES: String(THRESHOLD), CIRCUIT_BREAKER_COOLDOWN_MS: String(COOLDOWN_MS) }),
  ]);
});

afterAll(async () => {
  await Promise.all([stopPhase(off), stopPhase(on)]);
  await apis?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** A PIM that answers 503 while `down`, and notes the time of every call it gets. */
async function startPim(): Promise<{ url: string; calls: number[]; down: { value: boolean }; close(): Promise<void> }> {
  const calls: number[] = [];
  const down = { value: true };
  const server: Server = createServer((req, res) => {
    calls.push(Date.now());
    const itemId = decodeURIComponent(/^\/items\/([^/]+)$/.exec(req.url ?? '')?.[1] ?? '');
    res.writeHead(down.value ? 503 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(down.value ? { error: 'down' } : { item_id: itemId, sku_id: `SKU-${itemId}`, brand_code: 'BRAND-CB' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    down,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface WorkerProcess {
  metricsUrl: string;
  output(): string;
  stop(): Promise<void>;
}

/** `npm run worker` as production runs it, on its own embedded store, with the breakers configured by `breakerEnv`. */
async function startWorker(dev: TestDevServer, pimUrl: string, breakerEnv: Record<string, string>): Promise<WorkerProcess> {
  const metricsAddress = `127.0.0.1:${await freeLoopbackPort()}`;
  const dataDir = await mkdtemp(path.join(workDir, 'worker-'));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/worker/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      TMPDIR: tmpdir(),
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      TEMPORAL_ADDRESS: dev.server.address,
      COMMERCE_API_URL: apis.urls.commerce,
      PIM_API_URL: pimUrl,
      PAYMENT_API_URL: apis.urls.payment,
      RISK_API_URL: apis.urls.risk,
      OMS_DATA_DIR: dataDir,
      WORKER_METRICS_ADDRESS: metricsAddress,
      WORKFLOW_BUNDLE_PATH: bundlePath,
      ...breakerEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = once(child, 'exit');
  await vi.waitFor(() => expect(child.exitCode === null && output.includes('"msg":"worker started"'), output.slice(-2_000)).toBe(true), { timeout: 60_000, interval: 100 });
  return {
    metricsUrl: `http://${metricsAddress}/metrics`,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      // Its orders are terminated first: nothing is left to drain, so the graceful stop is quick.
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** N orders whose one item is looked up in PIM (a local activity: fewer than 50 items), valid in the Commerce App. */
async function startOrders(client: Client, prefix: string): Promise<string[]> {
  const events = createTemporalOrderEvents({ client, windows: { orderTtlMs: 86_400_000, paymentCaptureWindowMs: 86_400_000, stepRetryBudgetMs: 30 * 60_000 } });
  const ids = Array.from({ length: ORDERS }, () => uniqueOrderId(prefix));
  for (const orderId of ids) {
    const items = [{ item_id: `itm-${orderId}`, quantity: 1 }];
    const webhook = commerceWebhook(orderId, { order: { order_id: orderId, items } });
    apis.orders.set(orderId, { order_id: orderId, customer_id: webhook.customer_id, items, placed_at: '2026-12-01T09:00:00.000Z' });
    await events.commerceOrder({ receivedAt: new Date().toISOString(), payload: webhook });
  }
  return ids;
}

/** Calls per second the dead PIM got after the first round of attempts: [first call + SKIP_MS, first call + WINDOW_MS). */
async function measureDeadPimRate(calls: number[]): Promise<number> {
  await vi.waitFor(() => expect(calls.length).toBeGreaterThan(0), { timeout: 30_000, interval: 50 });
  const t0 = calls[0] as number;
  // Until a call comes after the window (with the breaker open that is the next probe): then the window is complete.
  await vi.waitFor(() => expect(calls.some((t) => t >= t0 + WINDOW_MS)).toBe(true), { timeout: WINDOW_MS + 20_000, interval: 100 });
  const inWindow = calls.filter((t) => t >= t0 + SKIP_MS && t < t0 + WINDOW_MS).length;
  return inWindow / ((WINDOW_MS - SKIP_MS) / 1000);
}

async function breakerState(metricsUrl: string, api: string): Promise<number | undefined> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith('oms_circuit_breaker_state{') && l.includes(`api="${api}"`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function responses(metricsUrl: string, api: string, outcome: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith('oms_external_api_responses_total{') && l.includes(`api="${api}"`) && l.includes(`outcome="${outcome}"`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function terminate(client: Client, ids: readonly string[]): Promise<void> {
  await Promise.all(ids.map((id) => client.workflow.getHandle(orderWorkflowId(id)).terminate('circuit-breaker test: phase over')));
}

describe('circuit breaker on a dead API', () => {
  it(`${ORDERS} orders retrying against a dead PIM: from their backoff's rate to one probe per cool-down; recovers; the metric shows open then closed`, async () => {
    if (!off || !on) throw new Error('the phases did not start');
    const [before, after] = [off, on];
    const [idsOff, idsOn] = [before.orderIds, after.orderIds];
    // Both at once. Without a breaker every order's local activity retries at its backoff (1 s, 2 s, 4 s…) against
    // PIM; with one (5 failures, 2 s cool-down) the orders' retries are refused in the worker but for one probe.
    const [withoutBreaker, withBreaker] = await Promise.all([measureDeadPimRate(before.pim.calls), measureDeadPimRate(after.pim.calls)]);
    await terminate(before.client, idsOff);
    expect(await breakerState(before.worker.metricsUrl, 'pim')).toBe(0);

    // The worker's own Core endpoint, names as they are: open (2) while PIM is down, refused calls counted.
    const metrics = after.worker.metricsUrl;
    await vi.waitFor(async () => expect(await breakerState(metrics, 'pim')).toBe(2), { timeout: 10_000, interval: 50 });
    expect(await responses(metrics, 'pim', 'breaker_open')).toBeGreaterThan(0);
    expect(await responses(metrics, 'pim', '503')).toBeGreaterThanOrEqual(THRESHOLD);
    expect(await breakerState(metrics, 'commerce')).toBe(0);

    process.stdout.write(
      `circuit-breaker: dead PIM, ${ORDERS} orders retrying — ${withoutBreaker.toFixed(2)} calls/s without a breaker, ` +
        `${withBreaker.toFixed(2)} calls/s with it (${THRESHOLD} failures, ${COOLDOWN_MS} ms cool-down: probe rate ${(1000 / COOLDOWN_MS).toFixed(2)}/s)\n`,
    );
    // About the probe rate (a probe goes when the first retry lands after a cool-down), far below the backoff's.
    expect(withBreaker).toBeLessThanOrEqual((1000 / COOLDOWN_MS) * 1.5);
    // Without it: 4 rounds of 20 in the first 8 s, 2 of them in the window (≈ 6.7/s on an idle machine).
    expect(withoutBreaker).toBeGreaterThan(3 * withBreaker);

    // PIM is back: the next probe closes the breaker and every order goes on to wait for its payment.
    after.pim.down.value = false;
    await vi.waitFor(
      async () => {
        const states = await Promise.all(idsOn.map((id) => after.client.workflow.getHandle(orderWorkflowId(id)).query(getOrderState)));
        expect(states.filter((s) => s.status !== 'AWAITING_PAYMENT').map((s) => `${s.orderId}: ${s.status}`)).toEqual([]);
      },
      { timeout: 40_000, interval: 250 },
    );
    expect(await breakerState(metrics, 'pim')).toBe(0);
    expect(await responses(metrics, 'pim', '200')).toBe(ORDERS);

    // A local activity honours nextRetryDelay (Core's retry_logic.rs takes it over the policy's backoff): past the
    // local retry threshold (1 s) the wait is a workflow timer of that length, so the breaker's jitter (whole
    // milliseconds, not the policy's whole seconds) shows in the order's history.
    const history = await after.client.workflow.getHandle(orderWorkflowId(idsOn[0] as string)).fetchHistory();
    const timerMs = (history.events ?? []).flatMap((e) => {
      const d = e.timerStartedEventAttributes?.startToFireTimeout;
      return d ? [Number(d.seconds ?? 0) * 1000 + Math.round((d.nanos ?? 0) / 1e6)] : [];
    });
    expect(timerMs.filter((ms) => ms < 60_000 && ms % 1000 !== 0).length, `timers: ${timerMs.join(', ')}`).toBeGreaterThan(0);
    await terminate(after.client, idsOn);
  });
});
