// `npm run bench -- e2e`: whole orders through the local stack — both signed webhooks into the real gateway, the worker
// with its activities against API fakes that answer at once, the enriched order read back from Kafka by a real
// consumer — for the service (OrderWorkflow) and for a minimal baseline workflow making the same external calls
// (bench/baseline/), side by side on one Temporal server in one run. Phases: settled histories (events and billable
// actions per order), burst rounds A-B-A (throughput ratio, latency, CPU and memory per process), a sustained-rate
// ladder, and many open orders waiting for their capture across a worker restart.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import pg from 'pg';
import { ORDER_WORKFLOW_TYPE, orderWorkflowId } from '../contracts';
import type { KafkaBroker } from '../dev/stack/kafka-broker';
import type { TemporalDevServer } from '../dev/stack/temporal-dev-server';
import { BASELINE_WORKFLOW_TYPES, type BaselineVariant } from './baseline/names';
import { UsageError, type BenchContext, type Benchmark } from './lib/benchmark';
import { monotonicUs, summarizeProfiles, type ProfileSummary } from './lib/cpuprofile';
import { describeError } from './lib/drivers';
import {
  connectBenchClient,
  externalPostgresStore,
  FULFILLMENT_TOPIC,
  spawnService,
  startKafka,
  startStoreProcess,
  startTemporal,
  type PathName,
  type Secrets,
  type ServiceEnv,
  type ServiceKind,
  type ServiceProcess,
  type Store,
} from './lib/e2e-stack';
import { startFakeApis, type FakeApis } from './lib/fake-apis';
import { startFulfillmentConsumer, type FulfillmentConsumer } from './lib/fulfillment-consumer';
import { fetchCosts, summarizeCosts, type CostSummary } from './lib/histories';
import { codeRevision, describeMachine, formatLoadavg, machineInfo } from './lib/machine';
import { durationMs, positiveInt } from './lib/options';
import {
  burst,
  captureWebhook,
  commerceWebhook,
  gatewayTarget,
  OrderBook,
  sendOrder,
  sustained,
  type ArrivalOrder,
  type Gateway,
  type OrderTiming,
} from './lib/order-load';
import { multiCpuSince, multiCpuSnapshot, processMemory, RssSampler, type MultiCpuDelta, type WatchedPids } from './lib/process-stats';
import { fmt, median, percentile, table } from './lib/stats';
import { orderIdGenerator } from './lib/workloads';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/** The issue's goals (issue 9, item 2). */
const GOAL = {
  minThroughputRatio: 0.8,
  maxEventsPerOrder: 30,
  openOrders: 10_000,
  maxWorkerRssMiB: 512,
  maxCaptureToForwardedP99Ms: 2_000,
  sustainedP99Ms: 5_000,
  sustainedWindowMs: 60_000,
} as const;

const PHASES = ['histories', 'burst', 'sustained', 'open'] as const;
type Phase = (typeof PHASES)[number];

interface Options {
  phases: Phase[];
  orders: number;
  rounds: number;
  concurrency: number;
  warmup: number;
  arrival: ArrivalOrder;
  historyOrders: number;
  rates: number[] | undefined;
  sustainMs: number;
  open: number;
  openCaptures: number;
  openCaptureRate: number;
  baseline: BaselineVariant;
  commerceRps: number;
  logLevel: string;
  store: 'pglite' | 'postgres';
  profileDir: string | undefined;
  keep: boolean;
}

const USAGE = [
  `--phases LIST        which phases, in this order: ${PHASES.join(',')} (default all; with --profile: burst)`,
  '--orders N           orders per path per burst round, A-B-A: the split path sends N/2 twice (default 300)',
  '--rounds R           burst rounds; the split path alternates (default 3)',
  '--concurrency C      orders whose webhooks are in flight at once in a burst (default 32)',
  '--warmup N           unmeasured orders per path before the rounds (default 50)',
  '--arrival A          burst and sustained arrival order: webhook-first or capture-first (default webhook-first)',
  '--history-orders M   settled orders per path and arrival order for the event counts (default 10)',
  '--rates LIST         sustained ladder in orders/s, e.g. 10,20,30 (default: 0.5…2 × the burst rate, or 5,10,20,40)',
  `--sustain D          time at each sustained rate (default ${GOAL.sustainedWindowMs / 1000} s)`,
  `--open K             open orders waiting for their capture (default ${GOAL.openOrders}; the goal is stated for 10000)`,
  '--open-captures S    captures then sent to S of them, after the worker restart (default 200)',
  '--open-capture-rate  those captures per second (default 20)',
  '--baseline V         queued (every step a queued activity) or local (PIM, Payment, Kafka local) (default queued)',
  '--commerce-rps N     COMMERCE_API_RPS of both workers (default 150, the production limit)',
  '--log-level L        LOG_LEVEL of every gateway and worker process (default warn)',
  '--store S            pglite (dev/stack/shared-store.ts, as npm start) or postgres (BENCH_DATABASE_URL or',
  '                     TEST_DATABASE_URL, a fresh schema) (default pglite)',
  '--profile DIR        run gateways and workers with node --cpu-prof into DIR; top self time per process, burst only',
  '--keep               keep the work directory (logs, store, Kafka data) instead of deleting it',
] as const;

function list(raw: string | undefined): string[] | undefined {
  return raw === undefined ? undefined : raw.split(',').map((s) => s.trim()).filter(Boolean);
}

function parseOptions(argv: readonly string[]): Options {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        phases: { type: 'string' },
        orders: { type: 'string' },
        rounds: { type: 'string' },
        concurrency: { type: 'string' },
        warmup: { type: 'string' },
        arrival: { type: 'string' },
        'history-orders': { type: 'string' },
        rates: { type: 'string' },
        sustain: { type: 'string' },
        open: { type: 'string' },
        'open-captures': { type: 'string' },
        'open-capture-rate': { type: 'string' },
        baseline: { type: 'string' },
        'commerce-rps': { type: 'string' },
        'log-level': { type: 'string' },
        store: { type: 'string' },
        profile: { type: 'string' },
        keep: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const profile = str('profile');
  const phaseList = list(str('phases')) ?? (profile !== undefined ? ['burst'] : [...PHASES]);
  for (const p of phaseList) if (!(PHASES as readonly string[]).includes(p)) throw new UsageError(`--phases: unknown phase "${p}" (${PHASES.join(', ')})`);
  const arrival = str('arrival') ?? 'webhook-first';
  if (arrival !== 'webhook-first' && arrival !== 'capture-first') throw new UsageError('--arrival must be webhook-first or capture-first');
  const baseline = str('baseline') ?? 'queued';
  if (baseline !== 'queued' && baseline !== 'local') throw new UsageError('--baseline must be queued or local');
  const store = str('store') ?? 'pglite';
  if (store !== 'pglite' && store !== 'postgres') throw new UsageError('--store must be pglite or postgres');
  const rates = list(str('rates'))?.map((r) => {
    const n = Number(r);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--rates: "${r}" is not a positive number`);
    return n;
  });
  const orders = positiveInt('orders', str('orders'), 'BENCH_E2E_ORDERS', 300);
  if (orders < 2) throw new UsageError('--orders must be at least 2 (the split path sends N/2 twice)');
  const open = positiveInt('open', str('open'), 'BENCH_E2E_OPEN', GOAL.openOrders);
  const openCaptures = Math.min(open, positiveInt('open-captures', str('open-captures'), 'BENCH_E2E_OPEN_CAPTURES', 200));
  return {
    // Always in the canonical order, whatever order they were given in.
    phases: PHASES.filter((p) => phaseList.includes(p)),
    orders,
    rounds: positiveInt('rounds', str('rounds'), 'BENCH_ROUNDS', 3),
    concurrency: positiveInt('concurrency', str('concurrency'), 'BENCH_CONCURRENCY', 32),
    warmup: positiveInt('warmup', str('warmup'), 'BENCH_E2E_WARMUP', 50),
    arrival,
    historyOrders: positiveInt('history-orders', str('history-orders'), 'BENCH_E2E_HISTORY_ORDERS', 10),
    rates,
    sustainMs: durationMs('sustain', str('sustain'), 'BENCH_E2E_SUSTAIN', GOAL.sustainedWindowMs),
    open,
    openCaptures,
    openCaptureRate: positiveInt('open-capture-rate', str('open-capture-rate'), 'BENCH_E2E_OPEN_CAPTURE_RATE', 20),
    baseline,
    commerceRps: positiveInt('commerce-rps', str('commerce-rps'), 'BENCH_COMMERCE_RPS', 150),
    logLevel: str('log-level') ?? 'warn',
    store,
    profileDir: profile === undefined || profile === '' ? undefined : path.resolve(profile),
    keep: values['keep'] === true,
  };
}

// Time limits: every wait of the run is bounded, and the budget is their sum (bench/main.ts aborts past it).
const STARTUP_MS = 6 * 60_000;
const burstTimeoutMs = (orders: number): number => 60_000 + orders * 250;
const DRAIN_TIMEOUT_MS = 60_000;
const openFillTimeoutMs = (open: number): number => 120_000 + open * 100;
const DEFAULT_RATES = [5, 10, 20, 40];
const AUTO_RATE_FACTORS = [0.5, 0.75, 1, 1.5, 2];

function budgetOf(o: Options): number {
  let ms = STARTUP_MS;
  if (o.phases.includes('histories')) ms += 4 * Math.ceil(o.historyOrders / 5) * 60_000;
  if (o.phases.includes('burst')) ms += 2 * burstTimeoutMs(o.warmup) + o.rounds * 3 * (burstTimeoutMs(o.orders) + DRAIN_TIMEOUT_MS);
  if (o.phases.includes('sustained')) ms += (o.rates?.length ?? AUTO_RATE_FACTORS.length) * (o.sustainMs + 2 * DRAIN_TIMEOUT_MS);
  if (o.phases.includes('open')) ms += openFillTimeoutMs(o.open) + 4 * 60_000 + (o.openCaptures / o.openCaptureRate) * 1000 + DRAIN_TIMEOUT_MS;
  return ms + 5 * 60_000;
}

export const e2eBenchmark: Benchmark = {
  name: 'e2e',
  summary: 'whole orders through gateway, worker, Temporal and Kafka vs a minimal baseline workflow; goals of issue 9',
  usage: USAGE,
  budgetMs(argv) {
    try {
      return budgetOf(parseOptions(argv));
    } catch {
      return 10 * 60_000;
    }
  },
  run: runE2e,
};

// ---------------------------------------------------------------------------------------------------------------------
// The harness

interface PathProcs {
  gateway: ServiceProcess;
  worker: ServiceProcess;
  target: Gateway;
  workflowType: string;
}

interface Harness {
  opts: Options;
  ctx: BenchContext;
  client: Client;
  book: OrderBook;
  env: ServiceEnv;
  logDir: string;
  temporalPid: number | undefined;
  kafkaPid: number;
  storePid: number | undefined;
  databaseUrl: string;
  paths: Record<PathName, PathProcs>;
  rss: RssSampler;
  runId: string;
  segment: number;
  /** Workers replaced during the run (the open phase restarts ours), stopped at the end like the rest. */
  retired: ServiceProcess[];
  /** VmHWM of each replaced process, read just before it was stopped. */
  retiredMemory: [string, number | undefined][];
}

function watched(h: Harness): WatchedPids {
  return {
    'gateway ours': h.paths.ours.gateway.pid,
    'worker ours': h.paths.ours.worker.pid,
    'gateway baseline': h.paths.baseline.gateway.pid,
    'worker baseline': h.paths.baseline.worker.pid,
    temporal: h.temporalPid,
    kafka: h.kafkaPid,
    ...(h.storePid !== undefined ? { store: h.storePid } : {}),
  };
}

/** Ids of one segment: unique within the run, the same length on both paths. */
function idsFor(h: Harness, p: PathName, n: number): string[] {
  h.segment += 1;
  const next = orderIdGenerator(`${h.runId}-${p === 'ours' ? 'o' : 'b'}${String(h.segment).padStart(3, '0')}`);
  return Array.from({ length: n }, next);
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  throwIfAborted(signal);
  await new Promise((r) => setTimeout(r, ms));
  throwIfAborted(signal);
}

/** Waits until no workflow of `type` is running any more (visibility), polling every 100 ms. */
async function drained(h: Harness, type: string, timeoutMs = DRAIN_TIMEOUT_MS): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const { count } = await h.client.workflow.count(`WorkflowType = '${type}' AND ExecutionStatus = 'Running'`);
    if (count === 0) return;
    if (performance.now() > deadline) throw new Error(`${count} ${type} workflows still running ${Math.round(timeoutMs / 1000)} s after their last order`);
    await sleep(100, h.ctx.signal);
  }
}

function failed(orders: readonly OrderTiming[]): OrderTiming[] {
  return orders.filter((o) => o.error !== undefined);
}

// ---------------------------------------------------------------------------------------------------------------------
// Phase: settled histories — each order's second webhook sent only once its workflow is idle, so the count is the
// happy path's own and not an artefact of two events racing.

interface HistoryResult {
  path: PathName;
  arrival: ArrivalOrder;
  summary: CostSummary;
}

async function idle(h: Harness, workflowId: string, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let quietPolls = 0;
  for (;;) {
    const { raw } = await h.client.workflow.getHandle(workflowId).describe();
    const busy = (raw.pendingActivities?.length ?? 0) > 0 || raw.pendingWorkflowTask != null;
    quietPolls = busy ? 0 : quietPolls + 1;
    if (quietPolls >= 2) return;
    if (performance.now() > deadline) throw new Error(`workflow ${workflowId} was not idle after ${timeoutMs / 1000} s`);
    await sleep(100, h.ctx.signal);
  }
}

async function settledOrder(h: Harness, p: PathName, orderId: string, arrival: ArrivalOrder): Promise<void> {
  const target = h.paths[p].target;
  const [first, second] = arrival === 'webhook-first' ? [commerceWebhook, captureWebhook] : [captureWebhook, commerceWebhook];
  const timing = h.book.open(orderId, performance.now());
  const a = await first(target, orderId);
  if (a.status !== 202) throw new Error(`${p}: first webhook of ${orderId} answered ${a.status}: ${a.body}`);
  await idle(h, orderWorkflowId(orderId));
  timing.lastSentAt = performance.now();
  const b = await second(target, orderId);
  if (b.status !== 202) throw new Error(`${p}: second webhook of ${orderId} answered ${b.status}: ${b.body}`);
  timing.acceptedAt = performance.now();
  await h.book.allOnKafka([orderId], 60_000, h.ctx.signal);
  await h.client.workflow.getHandle(orderWorkflowId(orderId)).result();
}

async function historiesPhase(h: Harness): Promise<HistoryResult[]> {
  const results: HistoryResult[] = [];
  for (const p of ['ours', 'baseline'] as const) {
    for (const arrival of ['webhook-first', 'capture-first'] as const) {
      throwIfAborted(h.ctx.signal);
      h.ctx.log(`histories: ${h.opts.historyOrders} settled ${arrival} orders through ${p}…`);
      const ids = idsFor(h, p, h.opts.historyOrders);
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(5, ids.length) }, async () => {
          while (next < ids.length) await settledOrder(h, p, ids[next++] as string, arrival);
        }),
      );
      const costs = await fetchCosts(h.client, ids.map(orderWorkflowId));
      results.push({ path: p, arrival, summary: summarizeCosts(costs) });
    }
  }
  return results;
}

// ---------------------------------------------------------------------------------------------------------------------
// Phase: burst rounds

interface SegmentRaw {
  path: PathName;
  orders: OrderTiming[];
  /** From the first webhook sent to the moment every order was on Kafka and no workflow of the path still ran. */
  elapsedMs: number;
  cpu: MultiCpuDelta;
}

interface BurstResult {
  path: PathName;
  orders: number;
  errors: number;
  firstError: string | undefined;
  closedPerS: number;
  /** Completing webhook → Kafka. */
  p50: number;
  p99: number;
  /** First webhook → Kafka. */
  firstP50: number;
  firstP99: number;
  /** CPU ms per order, by process label. */
  cpuPerOrderMs: Record<string, number | undefined>;
  machineBusyPct: number | undefined;
  otherPct: number | undefined;
  rssPeakKiB: Map<string, number>;
}

async function burstSegment(h: Harness, p: PathName, n: number): Promise<SegmentRaw> {
  const ids = idsFor(h, p, n);
  const cpu0 = multiCpuSnapshot(watched(h));
  const t0 = performance.now();
  const orders = await burst({ target: h.paths[p].target, book: h.book, ids, concurrency: h.opts.concurrency, arrival: h.opts.arrival, signal: h.ctx.signal });
  const sent = ids.filter((id) => h.book.get(id)?.error === undefined);
  await h.book.allOnKafka(sent, burstTimeoutMs(n), h.ctx.signal);
  await drained(h, h.paths[p].workflowType);
  const elapsedMs = performance.now() - t0;
  return { path: p, orders, elapsedMs, cpu: multiCpuSince(cpu0, watched(h)) };
}

function latencies(orders: readonly OrderTiming[], from: 'last' | 'first'): Float64Array {
  const values = orders.flatMap((o) => {
    const start = from === 'last' ? o.lastSentAt : o.firstSentAt;
    return o.kafkaAt !== undefined && start !== undefined ? [o.kafkaAt - start] : [];
  });
  return Float64Array.from(values).sort();
}

function summarizeSegments(h: Harness, parts: readonly SegmentRaw[], rssPeakKiB: Map<string, number>): BurstResult {
  const first = parts[0];
  if (first === undefined) throw new Error('no segment');
  const orders = parts.flatMap((s) => s.orders);
  const n = orders.length;
  const elapsedMs = parts.reduce((t, s) => t + s.elapsedMs, 0);
  const cpuPerOrderMs: Record<string, number | undefined> = {};
  const labels = new Set(parts.flatMap((s) => Object.keys(s.cpu.procMs)));
  for (const label of labels) {
    const values = parts.map((s) => s.cpu.procMs[label]);
    cpuPerOrderMs[label] = values.some((v) => v === undefined) ? undefined : values.reduce<number>((t, v) => t + (v ?? 0), 0) / n;
  }
  const weighted = (pick: (d: MultiCpuDelta) => number | undefined): number | undefined => {
    if (parts.some((s) => pick(s.cpu) === undefined)) return undefined;
    return parts.reduce((t, s) => t + (pick(s.cpu) ?? 0) * s.cpu.elapsedMs, 0) / parts.reduce((t, s) => t + s.cpu.elapsedMs, 0);
  };
  const last = latencies(orders, 'last');
  const firstL = latencies(orders, 'first');
  const errs = failed(orders);
  void h;
  return {
    path: first.path,
    orders: n,
    errors: errs.length,
    firstError: errs[0]?.error,
    closedPerS: (n - errs.length) / (elapsedMs / 1000),
    p50: percentile(last, 50),
    p99: percentile(last, 99),
    firstP50: percentile(firstL, 50),
    firstP99: percentile(firstL, 99),
    cpuPerOrderMs,
    machineBusyPct: weighted((d) => d.machineBusyPct),
    otherPct: weighted((d) => d.otherPct),
    rssPeakKiB,
  };
}

interface BurstPhaseResult {
  rounds: { ours: BurstResult; baseline: BurstResult }[];
  burstCosts: Record<PathName, CostSummary>;
  window: { fromUs: number; toUs: number };
}

async function burstPhase(h: Harness): Promise<BurstPhaseResult> {
  h.ctx.log(`warm-up: ${h.opts.warmup} orders per path…`);
  for (const p of ['ours', 'baseline'] as const) await burstSegment(h, p, h.opts.warmup);
  const fromUs = monotonicUs();
  const rounds: BurstPhaseResult['rounds'] = [];
  const lastIds: Record<PathName, string[]> = { ours: [], baseline: [] };
  for (let r = 1; r <= h.opts.rounds; r++) {
    // A-B-A with half bursts for A, A alternating: both paths are centred on the same moment of the run, so a linear
    // drift of the machine or the server cancels within the round (bench/gateway.ts explains why).
    const [outer, inner]: [PathName, PathName] = r % 2 === 1 ? ['baseline', 'ours'] : ['ours', 'baseline'];
    const half = Math.floor(h.opts.orders / 2);
    const plan: [PathName, number][] = [
      [outer, half],
      [inner, h.opts.orders],
      [outer, h.opts.orders - half],
    ];
    const parts: Record<PathName, SegmentRaw[]> = { ours: [], baseline: [] };
    const peaks: Record<PathName, Map<string, number>> = { ours: new Map(), baseline: new Map() };
    for (const [p, n] of plan) {
      throwIfAborted(h.ctx.signal);
      h.ctx.log(`round ${r}/${h.opts.rounds}: burst of ${n} orders through ${p}…`);
      h.rss.takePeaks();
      const seg = await burstSegment(h, p, n);
      for (const [label, kib] of h.rss.takePeaks()) peaks[p].set(label, Math.max(peaks[p].get(label) ?? 0, kib));
      parts[p].push(seg);
      if (r === h.opts.rounds) lastIds[p].push(...seg.orders.map((o) => o.orderId));
    }
    rounds.push({ ours: summarizeSegments(h, parts.ours, peaks.ours), baseline: summarizeSegments(h, parts.baseline, peaks.baseline) });
  }
  const toUs = monotonicUs();
  // Histories of (up to) 50 orders of the last round per path: the event count under load, races included.
  const sample = (ids: string[]): string[] => ids.filter((_id, i) => i % Math.max(1, Math.floor(ids.length / 50)) === 0).slice(0, 50);
  const burstCosts = {
    ours: summarizeCosts(await fetchCosts(h.client, sample(lastIds.ours).map(orderWorkflowId))),
    baseline: summarizeCosts(await fetchCosts(h.client, sample(lastIds.baseline).map(orderWorkflowId))),
  };
  return { rounds, burstCosts, window: { fromUs, toUs } };
}

// ---------------------------------------------------------------------------------------------------------------------
// Phase: sustained ladder (ours)

interface LadderStep {
  rate: number;
  orders: number;
  errors: number;
  missing: number;
  p50: number;
  p99: number;
  /** Least-squares slope of the backlog over the second half of the window, orders/s. */
  backlogSlope: number;
  backlogEnd: number;
  growing: boolean;
  lateStarts: number;
  cpu: MultiCpuDelta;
  pass: boolean;
}

/** The backlog is "growing" when it rises faster than this over the second half of the window: arrivals outrun
 * completions by more than 5 % of the rate (and by more than half an order a second, so that the noise of single
 * orders at low rates is not mistaken for a trend). */
function growthLimit(rate: number): number {
  return Math.max(0.5, 0.05 * rate);
}

function backlogSeries(orders: readonly OrderTiming[], startedAt: number, durationMs: number): { t: number; backlog: number }[] {
  const out: { t: number; backlog: number }[] = [];
  for (let s = 1; s * 1000 <= durationMs; s++) {
    const t = startedAt + s * 1000;
    const backlog = orders.filter((o) => o.firstSentAt <= t && !(o.kafkaAt !== undefined && o.kafkaAt <= t)).length;
    out.push({ t: s, backlog });
  }
  return out;
}

function slope(points: readonly { t: number; backlog: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((a, p) => a + p.t, 0) / n;
  const mb = points.reduce((a, p) => a + p.backlog, 0) / n;
  const num = points.reduce((a, p) => a + (p.t - mt) * (p.backlog - mb), 0);
  const den = points.reduce((a, p) => a + (p.t - mt) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

async function ladderStep(h: Harness, rate: number): Promise<LadderStep> {
  h.segment += 1;
  const nextId = orderIdGenerator(`${h.runId}-s${String(h.segment).padStart(3, '0')}`);
  const cpu0 = multiCpuSnapshot(watched(h));
  const run = await sustained({
    target: h.paths.ours.target,
    book: h.book,
    nextId,
    ratePerSecond: rate,
    durationMs: h.opts.sustainMs,
    maxInFlight: 1_000,
    arrival: h.opts.arrival,
    signal: h.ctx.signal,
  });
  const sent = run.orders.filter((o) => o.error === undefined).map((o) => o.orderId);
  let missing = 0;
  try {
    await h.book.allOnKafka(sent, DRAIN_TIMEOUT_MS, h.ctx.signal);
  } catch (err) {
    if (h.ctx.signal.aborted) throw err;
    missing = sent.filter((id) => h.book.get(id)?.kafkaAt === undefined).length;
  }
  if (missing === 0) await drained(h, ORDER_WORKFLOW_TYPE).catch(() => undefined);
  const cpu = multiCpuSince(cpu0, watched(h));
  const lat = latencies(run.orders, 'last');
  const series = backlogSeries(run.orders, run.startedAt, h.opts.sustainMs);
  const secondHalf = series.slice(Math.floor(series.length / 2));
  const backlogSlope = slope(secondHalf);
  const growing = backlogSlope > growthLimit(rate);
  const errors = failed(run.orders).length;
  // An order that never reached Kafka has an unbounded latency: it fails the step whatever the percentile says.
  const p99 = missing > 0 ? Number.POSITIVE_INFINITY : percentile(lat, 99);
  return {
    rate,
    orders: run.orders.length,
    errors,
    missing,
    p50: percentile(lat, 50),
    p99,
    backlogSlope,
    backlogEnd: series[series.length - 1]?.backlog ?? 0,
    growing,
    lateStarts: run.lateStarts,
    cpu,
    pass: errors === 0 && missing === 0 && p99 <= GOAL.sustainedP99Ms && !growing,
  };
}

async function sustainedPhase(h: Harness, burstRate: number | undefined): Promise<{ steps: LadderStep[]; rates: number[] }> {
  const rates =
    h.opts.rates ??
    (burstRate !== undefined && Number.isFinite(burstRate)
      ? [...new Set(AUTO_RATE_FACTORS.map((f) => Math.max(1, Math.round(burstRate * f))))]
      : DEFAULT_RATES);
  const steps: LadderStep[] = [];
  for (const rate of rates) {
    throwIfAborted(h.ctx.signal);
    h.ctx.log(`sustained: ${rate} orders/s for ${h.opts.sustainMs / 1000} s through ours…`);
    const step = await ladderStep(h, rate);
    steps.push(step);
    h.ctx.log(`  p99 ${fmt(step.p99 / 1000, 2)} s, backlog slope ${fmt(step.backlogSlope, 2)}/s → ${step.pass ? 'held' : 'not held'}`);
    // A bounded ladder: the first rate that does not hold ends it.
    if (!step.pass) break;
  }
  return { steps, rates };
}

// ---------------------------------------------------------------------------------------------------------------------
// Phase: open orders waiting for their capture (ours), across a worker restart

interface OpenResult {
  open: number;
  fillMs: number;
  workerBefore: { hwmKiB: number | undefined; rssKiB: number | undefined };
  workerAfter: { hwmKiB: number | undefined; rssKiB: number | undefined };
  gatewayHwmKiB: number | undefined;
  captures: number;
  errors: number;
  toForwarded: Float64Array;
  toKafka: Float64Array;
  missing: number;
  /** Histories of the captured orders: a sticky-queue timeout or a retry after the restart shows here. */
  costs: CostSummary;
}

async function countStatus(db: pg.Client, prefix: string, status: string): Promise<number> {
  const res = await db.query<{ n: string }>(`SELECT count(*) AS n FROM dashboard_orders WHERE status = $1 AND order_id LIKE $2`, [status, `${prefix}%`]);
  return Number(res.rows[0]?.n ?? 0);
}

async function openPhase(h: Harness): Promise<OpenResult> {
  const k = h.opts.open;
  h.segment += 1;
  const prefix = `bench-${h.runId}-w${String(h.segment).padStart(3, '0')}`;
  const nextId = orderIdGenerator(`${h.runId}-w${String(h.segment).padStart(3, '0')}`);
  const ids = Array.from({ length: k }, nextId);
  const db = new pg.Client({ connectionString: h.databaseUrl });
  await db.connect();
  try {
    h.ctx.log(`open: ${k} commerce webhooks, no capture yet…`);
    const t0 = performance.now();
    let next = 0;
    let errors = 0;
    let firstError: string | undefined;
    await Promise.all(
      Array.from({ length: h.opts.concurrency }, async () => {
        while (next < ids.length && !h.ctx.signal.aborted) {
          const id = ids[next++] as string;
          const res = await commerceWebhook(h.paths.ours.target, id).catch((err: unknown) => ({ status: 0, body: describeError(err) }));
          if (res.status !== 202) {
            errors += 1;
            firstError ??= `HTTP ${res.status}: ${res.body.slice(0, 200)}`;
          }
        }
      }),
    );
    if (errors > 0) throw new Error(`open: ${errors} commerce webhooks failed (first: ${firstError})`);
    // Waiting for the capture = the record says AWAITING_PAYMENT (the store is what the dashboard reads).
    const deadline = performance.now() + openFillTimeoutMs(k);
    let waiting = 0;
    let lastLog = 0;
    for (;;) {
      waiting = await countStatus(db, prefix, 'AWAITING_PAYMENT');
      if (waiting >= k) break;
      if (performance.now() > deadline) throw new Error(`open: only ${waiting} of ${k} orders AWAITING_PAYMENT after ${Math.round(openFillTimeoutMs(k) / 1000)} s`);
      if (performance.now() - lastLog > 10_000) {
        h.ctx.log(`  ${waiting} of ${k} AWAITING_PAYMENT…`);
        lastLog = performance.now();
      }
      await sleep(1_000, h.ctx.signal);
    }
    const fillMs = performance.now() - t0;
    // Let the last workflow tasks finish before the memory is read.
    await sleep(3_000, h.ctx.signal);
    const before = processMemory(h.paths.ours.worker.pid);
    const gatewayMem = processMemory(h.paths.ours.gateway.pid);
    h.ctx.log(`  ${k} open in ${(fillMs / 1000).toFixed(0)} s; worker RSS ${fmt((before?.rssKiB ?? NaN) / 1024, 0)} MiB (peak ${fmt((before?.hwmKiB ?? NaN) / 1024, 0)} MiB)`);

    // Replay included: a fresh worker process has none of these workflows in its cache, so each capture's workflow
    // task replays that order's whole history first.
    h.ctx.log('  restarting the worker (so that every capture replays its order)…');
    const old = h.paths.ours.worker;
    h.retiredMemory.push([`${old.label} (before the restart)`, processMemory(old.pid)?.hwmKiB]);
    await old.stop();
    h.retired.push(old);
    h.paths.ours.worker = await spawnService({ path: 'ours', kind: 'worker', label: 'worker ours (restarted)', env: h.env, client: h.client, logDir: h.logDir });

    // Captures for a spread-out sample of the open orders, open loop at a fixed rate.
    const s = h.opts.openCaptures;
    const step = Math.max(1, Math.floor(k / s));
    const chosen = Array.from({ length: s }, (_v, i) => ids[(i * step) % k] as string);
    h.ctx.log(`  ${s} captures at ${h.opts.openCaptureRate}/s…`);
    const sentAt = new Map<string, number>();
    const forwardedAt = new Map<string, number>();
    let captureErrors = 0;
    const pending = new Set<Promise<void>>();
    const startedAt = performance.now();
    let stopPolling = false;
    // The FORWARDED record as a reader sees it: polled every 100 ms for the captured orders not yet forwarded.
    const poller = (async () => {
      while (!stopPolling) {
        const open = [...sentAt.keys()].filter((id) => !forwardedAt.has(id));
        if (open.length > 0) {
          const res = await db.query<{ order_id: string }>(`SELECT order_id FROM dashboard_orders WHERE status = 'FORWARDED' AND order_id = ANY($1)`, [open]);
          const now = performance.now();
          for (const row of res.rows) forwardedAt.set(row.order_id, now);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      for (let i = 0; i < chosen.length; i++) {
        throwIfAborted(h.ctx.signal);
        const due = startedAt + (i * 1000) / h.opts.openCaptureRate;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        const id = chosen[i] as string;
        const timing = h.book.open(id, performance.now());
        timing.lastSentAt = timing.firstSentAt;
        sentAt.set(id, timing.firstSentAt);
        const p = captureWebhook(h.paths.ours.target, id).then(
          (res) => {
            if (res.status !== 202) captureErrors += 1;
            pending.delete(p);
          },
          () => {
            captureErrors += 1;
            pending.delete(p);
          },
        );
        pending.add(p);
      }
      await Promise.all(pending);
      let missing = 0;
      await h.book.allOnKafka(chosen, DRAIN_TIMEOUT_MS, h.ctx.signal).catch((err: unknown) => {
        if (h.ctx.signal.aborted) throw err;
        missing = chosen.filter((id) => h.book.get(id)?.kafkaAt === undefined).length;
      });
      const until = performance.now() + 10_000;
      while (forwardedAt.size < chosen.length - missing && performance.now() < until) await sleep(100, h.ctx.signal);
      const after = processMemory(h.paths.ours.worker.pid);
      const toForwarded = Float64Array.from(chosen.flatMap((id) => (forwardedAt.has(id) ? [(forwardedAt.get(id) as number) - (sentAt.get(id) as number)] : []))).sort();
      const toKafka = latencies(chosen.map((id) => h.book.get(id) as OrderTiming), 'last');
      return {
        open: k,
        fillMs,
        workerBefore: { hwmKiB: before?.hwmKiB, rssKiB: before?.rssKiB },
        workerAfter: { hwmKiB: after?.hwmKiB, rssKiB: after?.rssKiB },
        gatewayHwmKiB: gatewayMem?.hwmKiB,
        captures: chosen.length,
        errors: captureErrors,
        toForwarded,
        toKafka,
        missing: Math.max(missing, chosen.length - forwardedAt.size),
        costs: summarizeCosts(await fetchCosts(h.client, chosen.map(orderWorkflowId))),
      };
    } finally {
      stopPolling = true;
      await poller.catch(() => undefined);
    }
  } finally {
    await db.end().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// The run

async function runE2e(argv: readonly string[], ctx: BenchContext): Promise<number> {
  const opts = parseOptions(argv);
  const started = Date.now();
  const runId = randomBytes(3).toString('hex');
  ctx.out(`# npm run bench -- e2e ${argv.join(' ')}`.trimEnd());
  for (const line of describeMachine(machineInfo())) ctx.out(line);
  ctx.out(`code      ${codeRevision() ?? 'unknown'}`);
  ctx.out(
    `settings  phases ${opts.phases.join(',')}; burst ${opts.orders} orders/path/round × ${opts.rounds} rounds, ${opts.concurrency} in flight, ` +
      `${opts.arrival}; baseline ${opts.baseline}; COMMERCE_API_RPS ${opts.commerceRps}; LOG_LEVEL ${opts.logLevel}`,
  );

  const workDir = await mkdtemp(path.join(tmpdir(), 'oms-bench-e2e-'));
  // A forced exit (a second Ctrl-C) skips the cleanup below; the dev-stack registry then kills the children on exit,
  // and this removes what they leave behind.
  const removeWorkDir = (): void => {
    if (!opts.keep) rmSync(workDir, { recursive: true, force: true });
  };
  process.once('exit', removeWorkDir);
  const logDir = path.join(workDir, 'logs');
  await mkdir(logDir, { recursive: true });
  let server: TemporalDevServer | undefined;
  let kafka: KafkaBroker | undefined;
  let store: Store | undefined;
  let fakes: FakeApis | undefined;
  let consumer: FulfillmentConsumer | undefined;
  let client: Client | undefined;
  let rss: RssSampler | undefined;
  const services: ServiceProcess[] = [];
  let h: Harness | undefined;
  const stopServices = async (): Promise<void> => {
    const all = [...services, ...(h?.retired ?? []), ...(h ? [h.paths.ours.worker] : [])];
    await Promise.allSettled([...new Set(all)].map((s) => s.stop()));
  };
  try {
    ctx.log('starting Temporal, Kafka, the store and the API fakes…');
    [server, kafka] = await Promise.all([startTemporal(workDir, ctx.log), startKafka(workDir, ctx.log)]);
    throwIfAborted(ctx.signal);
    if (opts.store === 'pglite') {
      store = await startStoreProcess(path.join(workDir, 'store'), path.join(logDir, 'store.log'));
    } else {
      const url = process.env['BENCH_DATABASE_URL'] || process.env['TEST_DATABASE_URL'];
      if (!url) throw new UsageError('--store postgres needs BENCH_DATABASE_URL or TEST_DATABASE_URL (e.g. export "$(bash .ci/postgres.sh | tail -n 1)")');
      store = await externalPostgresStore(url, `oms_bench_${runId}`);
    }
    fakes = await startFakeApis();
    client = await connectBenchClient(server.address);
    const info = await client.workflowService.getSystemInfo({});
    const book = new OrderBook();
    consumer = await startFulfillmentConsumer({ brokers: kafka.brokers, topic: FULFILLMENT_TOPIC, onMessage: (id, at) => book.onKafka(id, at) });

    const secrets: Secrets = {
      commerceWebhook: randomBytes(16).toString('hex'),
      paymentWebhook: randomBytes(16).toString('hex'),
      supportApiToken: randomBytes(16).toString('hex'),
    };
    const env: ServiceEnv = {
      temporalAddress: server.address,
      kafkaBrokers: kafka.brokers,
      databaseUrl: store.databaseUrl,
      apis: fakes.urls,
      secrets,
      commerceApiRps: opts.commerceRps,
      logLevel: opts.logLevel,
      dataDir: path.join(workDir, 'data'),
    };
    const baselineType = BASELINE_WORKFLOW_TYPES[opts.baseline];
    const spawn = async (p: PathName, kind: ServiceKind): Promise<ServiceProcess> => {
      const label = `${kind} ${p}`;
      const s = await spawnService({
        path: p,
        kind,
        label,
        env,
        client: client as Client,
        logDir,
        extraEnv: p === 'baseline' ? { BENCH_BASELINE_WORKFLOW_TYPE: baselineType } : {},
        cpuProfileDir: opts.profileDir === undefined ? undefined : path.join(opts.profileDir, label.replace(' ', '-')),
      });
      services.push(s);
      return s;
    };
    ctx.log('starting the gateways and workers (each its own process; the workers bundle their workflows)…');
    // One at a time: four bundling Node processes at once on 2 cores only make each start slower.
    const oursWorker = await spawn('ours', 'worker');
    const baseWorker = await spawn('baseline', 'worker');
    const oursGateway = await spawn('ours', 'gateway');
    const baseGateway = await spawn('baseline', 'gateway');
    throwIfAborted(ctx.signal);
    const target = (g: ServiceProcess): Gateway => gatewayTarget(g.url as string, secrets, Math.max(opts.concurrency * 2, 64));
    h = {
      opts,
      ctx,
      client,
      book,
      env,
      logDir,
      temporalPid: server.pid,
      kafkaPid: kafka.pid,
      storePid: store.pid,
      databaseUrl: store.databaseUrl,
      paths: {
        ours: { gateway: oursGateway, worker: oursWorker, target: target(oursGateway), workflowType: ORDER_WORKFLOW_TYPE },
        baseline: { gateway: baseGateway, worker: baseWorker, target: target(baseGateway), workflowType: baselineType },
      },
      rss: new RssSampler(() => watched(h as Harness)),
      runId,
      segment: 0,
      retired: [],
      retiredMemory: [],
    };
    rss = h.rss;

    ctx.out(`temporal  dev server ${info.serverVersion ?? '?'} at ${server.address} (in-memory SQLite, headless), pid ${server.pid ?? '—'}`);
    ctx.out(`kafka     ${kafka.brokers.join(',')} topic ${FULFILLMENT_TOPIC} (3 partitions), pid ${kafka.pid}; read back by a kafkajs consumer in this process`);
    ctx.out(`store     ${store.kind}${store.pid !== undefined ? `, pid ${store.pid}` : ''}`);
    ctx.out(`apis      fakes in this process (pid ${process.pid}), answering at once: Commerce ${fakes.urls.commerce}, PIM ${fakes.urls.pim}, Payment ${fakes.urls.payment}`);
    ctx.out(`ours      gateway pid ${oursGateway.pid} (src/gateway/server.ts), worker pid ${oursWorker.pid} (src/worker/main.ts): ${ORDER_WORKFLOW_TYPE}`);
    ctx.out(`baseline  gateway pid ${baseGateway.pid} (bench/baseline/gateway.ts), worker pid ${baseWorker.pid} (bench/baseline/worker.ts): ${baselineType}`);
    if (opts.profileDir !== undefined) ctx.out(`profile   node --cpu-prof into ${opts.profileDir} (figures of this run are perturbed by the profiler)`);

    // Preflight: one order through each path, end to end, so a wiring mistake fails loudly at once.
    for (const p of ['ours', 'baseline'] as const) {
      const [id] = idsFor(h, p, 1);
      const t = await sendOrder(h.paths[p].target, book, id as string, 'webhook-first');
      if (t.error !== undefined) throw new Error(`preflight through ${p}: ${t.error}`);
      await book.allOnKafka([id as string], 120_000, ctx.signal).catch((err: unknown) => {
        throw new Error(`preflight through ${p}: ${describeError(err)} (logs in ${logDir}; --keep keeps them)`);
      });
    }

    let histories: HistoryResult[] | undefined;
    let bursts: BurstPhaseResult | undefined;
    let ladder: { steps: LadderStep[]; rates: number[] } | undefined;
    let open: OpenResult | undefined;
    if (opts.phases.includes('histories')) histories = await historiesPhase(h);
    if (opts.phases.includes('burst')) bursts = await burstPhase(h);
    if (opts.phases.includes('sustained')) {
      const oursRate = bursts === undefined ? undefined : median(bursts.rounds.map((r) => r.ours.closedPerS));
      ladder = await sustainedPhase(h, oursRate);
    }
    if (opts.phases.includes('open')) open = await openPhase(h);

    const memory = Object.entries(watched(h)).map(([label, pid]) => [label, processMemory(pid)?.hwmKiB] as const);

    let profiles: [string, ProfileSummary][] | undefined;
    if (opts.profileDir !== undefined && bursts !== undefined) {
      ctx.log('stopping the services so that they write their profiles…');
      await stopServices();
      profiles = [];
      for (const s of services) profiles.push([s.label, await summarizeProfiles(path.join(opts.profileDir, s.label.replace(' ', '-')), bursts.window, REPO)]);
    }

    const valid = report(ctx, h, { histories, bursts, ladder, open, memory, retiredMemory: h.retiredMemory, profiles, fakes: fakes.counts(), book });
    ctx.out('');
    ctx.out(`load avg  ${formatLoadavg(machineInfo().loadavg)} at end; total ${((Date.now() - started) / 1000).toFixed(0)} s; work dir ${opts.keep ? workDir : '(deleted)'}`);
    return valid ? 0 : 1;
  } finally {
    rss?.stop();
    const steps: [string, () => Promise<unknown> | undefined][] = [
      ['services', stopServices],
      ['consumer', () => consumer?.stop()],
      ['client', () => client?.connection.close()],
      ['fakes', () => fakes?.close()],
      ['store', () => store?.stop()],
      ['kafka', () => kafka?.stop()],
      ['temporal', () => server?.stop()],
      ['work dir', () => (opts.keep ? undefined : rm(workDir, { recursive: true, force: true }))],
    ];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (err) {
        ctx.log(`cleanup of ${name}: ${describeError(err)}`);
      }
    }
    for (const p of h ? Object.values(h.paths) : []) p.target.agent.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Report

interface Results {
  histories: HistoryResult[] | undefined;
  bursts: BurstPhaseResult | undefined;
  ladder: { steps: LadderStep[]; rates: number[] } | undefined;
  open: OpenResult | undefined;
  memory: (readonly [string, number | undefined])[];
  retiredMemory: (readonly [string, number | undefined])[];
  profiles: [string, ProfileSummary][] | undefined;
  fakes: { commerce: number; pim: number; payment: number };
  book: OrderBook;
}

const mib = (kib: number | undefined): string => fmt(kib === undefined ? undefined : kib / 1024, 0);
const sec = (ms: number): string => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '—');

function verdict(ok: boolean): string {
  return ok ? 'PASS' : 'MISS';
}

function report(ctx: BenchContext, h: Harness, r: Results): boolean {
  const goals: string[] = [];
  let invalid: string | undefined;

  if (r.histories !== undefined) {
    ctx.out('');
    ctx.out('## History events and billable actions per happy-path order (settled: the second webhook sent once the workflow was idle)');
    ctx.out(
      table(
        ['path', 'arrival', 'orders', 'events median', 'events max', 'actions median', 'actions max'],
        r.histories.map((x) => [x.path, x.arrival, String(x.summary.orders), fmt(x.summary.eventsMedian, 0), fmt(x.summary.eventsMax, 0), fmt(x.summary.actionsMedian, 0), fmt(x.summary.actionsMax, 0)]),
      ),
    );
    for (const x of r.histories) ctx.out(`  ${x.path} ${x.arrival}: ${x.summary.medianByType.map(([t, n]) => `${t} ${fmt(n, 0)}`).join(', ')}`);
    ctx.out('actions: Temporal Cloud billable actions estimated from the history (https://docs.temporal.io/cloud/actions; bench/lib/histories.ts)');
    for (const arrival of ['webhook-first', 'capture-first'] as const) {
      const x = r.histories.find((y) => y.path === 'ours' && y.arrival === arrival);
      if (x !== undefined) {
        goals.push(`history events per happy-path order, ${arrival}: ${fmt(x.summary.eventsMax, 0)} (max of ${x.summary.orders}; median ${fmt(x.summary.eventsMedian, 0)})   goal ≤ ${GOAL.maxEventsPerOrder}   ${verdict(x.summary.eventsMax <= GOAL.maxEventsPerOrder)}`);
      }
    }
  }

  if (r.bursts !== undefined) {
    const { rounds, burstCosts } = r.bursts;
    ctx.out('');
    ctx.out(`## Burst rounds (A-B-A; ${h.opts.orders} orders per path per round, ${h.opts.concurrency} in flight; latency in s; CPU in ms per order)`);
    const cpuLabels = (p: PathName): [string, string][] => [
      ['gateway', `gateway ${p}`],
      ['worker', `worker ${p}`],
      ['temporal', 'temporal'],
      ['kafka', 'kafka'],
      ['store', 'store'],
      ['bench', 'self'],
    ];
    const row = (label: string, b: BurstResult): string[] => [
      label,
      String(b.orders),
      fmt(b.closedPerS, 1),
      sec(b.p50),
      sec(b.p99),
      sec(b.firstP99),
      ...cpuLabels(b.path).map(([, key]) => fmt(b.cpuPerOrderMs[key], 2)),
      mib(b.rssPeakKiB.get(`worker ${b.path}`)),
      mib(b.rssPeakKiB.get(`gateway ${b.path}`)),
      fmt(b.machineBusyPct, 0),
      fmt(b.otherPct, 0),
      String(b.errors),
    ];
    ctx.out(
      table(
        ['round / path', 'orders', 'closed/s', 'p50', 'p99', 'first p99', 'gateway', 'worker', 'temporal', 'kafka', 'store', 'bench', 'worker MiB', 'gateway MiB', 'machine %', 'other %', 'errors'],
        rounds.flatMap((x, i) => [row(`${i + 1} ours`, x.ours), row(`${i + 1} baseline`, x.baseline)]),
      ),
    );
    ctx.out('closed/s = orders ÷ (first webhook sent → all on Kafka and no workflow of the path running); p50/p99 = completing webhook sent →');
    ctx.out('message consumed from order-fulfillment; first p99 = from the first webhook; CPU per order of each process over the same span;');
    ctx.out('MiB = peak sampled VmRSS in the round; bench = this process (load, fakes, Kafka consumer); other % = load from outside.');
    const ratios = rounds.map((x) => x.ours.closedPerS / x.baseline.closedPerS);
    const ratio = median(ratios);
    const med = (p: PathName, pick: (b: BurstResult) => number | undefined): number => median(rounds.map((x) => pick(x[p]) ?? Number.NaN));
    ctx.out('');
    ctx.out(`## Median of ${rounds.length} rounds`);
    ctx.out(
      table(
        ['path', 'closed/s', 'p50 s', 'p99 s', 'gateway ms', 'worker ms', 'temporal ms', 'events/order', 'actions/order'],
        (['ours', 'baseline'] as const).map((p) => [
          p,
          fmt(med(p, (b) => b.closedPerS), 1),
          sec(med(p, (b) => b.p50)),
          sec(med(p, (b) => b.p99)),
          fmt(med(p, (b) => b.cpuPerOrderMs[`gateway ${p}`]), 2),
          fmt(med(p, (b) => b.cpuPerOrderMs[`worker ${p}`]), 2),
          fmt(med(p, (b) => b.cpuPerOrderMs['temporal']), 2),
          `${fmt(burstCosts[p].eventsMedian, 0)} (max ${fmt(burstCosts[p].eventsMax, 0)})`,
          `${fmt(burstCosts[p].actionsMedian, 0)} (max ${fmt(burstCosts[p].actionsMax, 0)})`,
        ]),
      ),
    );
    ctx.out(`events/actions per order: histories of ${burstCosts.ours.orders} orders per path of the last round (under load, events may race)`);
    ctx.out('');
    ctx.out(`throughput ours ÷ baseline (median of per-round ratios): ${ratio.toFixed(3)}   (rounds: ${ratios.map((x) => x.toFixed(2)).join(', ')})`);
    const otherDelta = rounds.map((x) => (x.ours.otherPct ?? Number.NaN) - (x.baseline.otherPct ?? Number.NaN));
    ctx.out(`outside load during ours minus during baseline, per round (points of machine %): ${otherDelta.map((d) => fmt(d, 0)).join(', ')}`);
    goals.unshift(`end-to-end throughput ours ÷ baseline: ${ratio.toFixed(3)}   goal ≥ ${GOAL.minThroughputRatio.toFixed(2)}   ${verdict(ratio >= GOAL.minThroughputRatio)}`);
    const errors = rounds.reduce((n, x) => n + x.ours.errors + x.baseline.errors, 0);
    if (errors > 0) invalid = `${errors} orders failed in the burst rounds (first: ${rounds.flatMap((x) => [x.ours.firstError, x.baseline.firstError]).find(Boolean)})`;
  }

  if (r.ladder !== undefined) {
    ctx.out('');
    ctx.out(`## Sustained arrival rates through ours (${h.opts.sustainMs / 1000} s each, ${h.opts.arrival}; the ladder stops at the first rate not held)`);
    ctx.out(
      table(
        ['orders/s', 'orders', 'p50 s', 'p99 s', 'backlog slope /s', 'limit /s', 'backlog at end', 'late starts', 'missing', 'errors', 'worker ms/order', 'temporal ms/order', 'held'],
        r.ladder.steps.map((s) => [
          fmt(s.rate, 1),
          String(s.orders),
          sec(s.p50),
          sec(s.p99),
          fmt(s.backlogSlope, 2),
          fmt(growthLimit(s.rate), 2),
          String(s.backlogEnd),
          String(s.lateStarts),
          String(s.missing),
          String(s.errors),
          fmt((s.cpu.procMs['worker ours'] ?? Number.NaN) / s.orders, 2),
          fmt((s.cpu.procMs['temporal'] ?? Number.NaN) / s.orders, 2),
          s.pass ? 'yes' : 'no',
        ]),
      ),
    );
    ctx.out('held = every order on Kafka, p99 (completing webhook → Kafka) ≤ 5 s, and no growing backlog. backlog(t) = orders whose first');
    ctx.out('webhook was sent by t and whose message was not consumed by t, sampled each second; growing = its least-squares slope over');
    ctx.out('the second half of the window above max(0.5, 5 % of the rate) orders/s, i.e. completions falling behind arrivals.');
    const held = r.ladder.steps.filter((s) => s.pass);
    const best = held.length === 0 ? undefined : Math.max(...held.map((s) => s.rate));
    const topHeld = r.ladder.steps.length === r.ladder.rates.length && r.ladder.steps.every((s) => s.pass);
    const what =
      best === undefined
        ? `none of ${r.ladder.rates[0]} orders/s and up held`
        : `${fmt(best, 1)} orders/s${topHeld ? ' (the top of the ladder: a lower bound; raise --rates)' : ''}`;
    const shorter = h.opts.sustainMs < GOAL.sustainedWindowMs ? ` (steps of ${h.opts.sustainMs / 1000} s, not the goal's ${GOAL.sustainedWindowMs / 1000} s)` : '';
    goals.push(`highest sustained rate with p99 ≤ 5 s and no growing backlog: ${what}${shorter}   ${verdict(best !== undefined)}`);
  }

  if (r.open !== undefined) {
    const o = r.open;
    ctx.out('');
    ctx.out(`## ${o.open} open orders waiting for their capture (ours), then ${o.captures} captures at ${h.opts.openCaptureRate}/s after a worker restart`);
    ctx.out(
      table(
        ['', 'value'],
        [
          ['time to get all of them to AWAITING_PAYMENT', `${(o.fillMs / 1000).toFixed(0)} s`],
          ['worker RSS holding them (VmRSS / VmHWM, MiB)', `${mib(o.workerBefore.rssKiB)} / ${mib(o.workerBefore.hwmKiB)}`],
          [`restarted worker after ${o.captures} replays (VmRSS / VmHWM, MiB)`, `${mib(o.workerAfter.rssKiB)} / ${mib(o.workerAfter.hwmKiB)}`],
          ['gateway VmHWM (MiB)', mib(o.gatewayHwmKiB)],
          ['capture sent → record FORWARDED (polled every 100 ms): p50 / p99 / max s', `${sec(percentile(o.toForwarded, 50))} / ${sec(percentile(o.toForwarded, 99))} / ${sec(o.toForwarded[o.toForwarded.length - 1] ?? NaN)}`],
          ['capture sent → message on Kafka: p50 / p99 s', `${sec(percentile(o.toKafka, 50))} / ${sec(percentile(o.toKafka, 99))}`],
          ['captures failed / orders not forwarded', `${o.errors} / ${o.missing}`],
        ],
      ),
    );
    ctx.out(`events per captured order: median ${fmt(o.costs.eventsMedian, 0)}, max ${fmt(o.costs.eventsMax, 0)}; over all ${o.costs.orders}: ${o.costs.totalByType.map(([t, n]) => `${t} ${n}`).join(', ')}`);
    ctx.out('Replay included: the worker is restarted once all orders wait, so no order is in its cache and every capture replays its');
    ctx.out("order's history first (the SDK's default cache would also hold fewer than 10,000: see docs/performance.md).");
    const peakKiB = Math.max(o.workerBefore.hwmKiB ?? Number.POSITIVE_INFINITY, o.workerAfter.hwmKiB ?? 0);
    const p99 = o.missing > 0 ? Number.POSITIVE_INFINITY : percentile(o.toForwarded, 99);
    const scaled = o.open < GOAL.openOrders ? ` (with ${o.open} open, not the goal's ${GOAL.openOrders})` : '';
    goals.push(`worker peak RSS with ${o.open} open orders: ${mib(peakKiB)} MiB   goal ≤ ${GOAL.maxWorkerRssMiB} MiB${scaled}   ${verdict(peakKiB / 1024 <= GOAL.maxWorkerRssMiB)}`);
    goals.push(`capture → FORWARDED p99 with ${o.open} open, replay included: ${sec(p99)} s   goal ≤ ${GOAL.maxCaptureToForwardedP99Ms / 1000} s${scaled}   ${verdict(p99 <= GOAL.maxCaptureToForwardedP99Ms)}`);
    if (o.errors > 0) invalid ??= `${o.errors} captures failed in the open phase`;
  }

  ctx.out('');
  ctx.out('## Peak RSS of each process (VmHWM since it started, MiB)');
  ctx.out(table(['process', 'MiB'], [...r.retiredMemory, ...r.memory].map(([label, kib]) => [label, mib(kib)])));
  ctx.out(`fakes answered: Commerce ${r.fakes.commerce}, PIM ${r.fakes.pim}, Payment ${r.fakes.payment}; Kafka messages of unknown orders ${r.book.unknownMessages}, duplicates ${r.book.duplicateMessages}`);

  if (r.profiles !== undefined) {
    for (const [label, p] of r.profiles) {
      ctx.out('');
      ctx.out(`## CPU profile of ${label} during the burst rounds: ${p.files} thread profile(s), ${fmt(p.busyMs, 0)} ms busy`);
      ctx.out(table(['function (self time)', 'category', 'ms', '%'], p.top.map((f) => [f.name, f.category, fmt(f.selfMs, 0), fmt((100 * f.selfMs) / p.busyMs, 1)])));
      ctx.out(`by category: ${p.byCategory.slice(0, 10).map(([c, ms]) => `${c} ${fmt((100 * ms) / p.busyMs, 0)} %`).join(', ')}`);
    }
  }

  ctx.out('');
  ctx.out('## Goals (issue 9)');
  for (const g of goals) ctx.out(g);
  if (r.book.duplicateMessages > 0 || r.book.unknownMessages > 0) {
    ctx.out(`note: ${r.book.duplicateMessages} duplicate and ${r.book.unknownMessages} unknown messages on the topic`);
  }
  if (invalid !== undefined) {
    ctx.out('');
    ctx.out(`INVALID RUN: ${invalid}`);
    return false;
  }
  return true;
}
