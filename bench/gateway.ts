// `npm run bench -- gateway`: POST /v1/webhooks/commerce through the real gateway against a bare Temporal client making
// the same signalWithStart calls, alternated in one run on a private Temporal dev server; req/s, p50/p99, ratios.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { CommerceWebhookV1, SEARCH_ATTRIBUTES } from '../contracts';
import { loadConfig, type Config } from '../src/config';
import { startTemporalDevServer, type TemporalDevServer } from '../src/devstack/temporal-dev-server';
import { buildGateway, type GatewayDeps } from '../src/gateway/app';
import { isValidSignature, signBody } from '../src/gateway/signature';
import { connectClient } from '../src/temporal/connection';
import { createTemporalOrderEvents, type DeliveryOutcome, type OrderEventSink } from '../src/temporal/order-events';
import { UsageError, type BenchContext, type Benchmark } from './lib/benchmark';
import { cpuSince, cpuSnapshot, type CpuDelta } from './lib/cpu';
import { describeError, runConcurrentLoops, runHttpLoad, type LoadResult } from './lib/drivers';
import { describeMachine, formatLoadavg, machineInfo } from './lib/machine';
import { freeLoopbackPort } from './lib/net';
import { addInto, openProfiler, type PhaseProfiler } from './lib/profile';
import { durationMs, positiveInt } from './lib/options';
import { fmt, median, summarizeLatencies, table } from './lib/stats';

/** The issue's goal: the gateway keeps ≥ 90 % of the bare client's throughput, with p99 within 1.2×. */
const GOAL = { minThroughputRatio: 0.9, maxP99Ratio: 1.2 } as const;

const WEBHOOK_PATH = '/v1/webhooks/commerce';
const DRAIN_TIMEOUT_MS = 30_000;
const BREAKDOWN_WARMUP_MS = 2_000;

interface Options {
  connections: number;
  durationMs: number;
  rounds: number;
  warmupMs: number;
  /** 0 = skip the CPU breakdown phases. */
  breakdownMs: number;
  /** Directory for V8 CPU profiles of the measured phases; undefined = no profiling (it perturbs the figures). */
  profileDir: string | undefined;
}

const USAGE = [
  '--connections N   requests in flight, the same for both paths (default 32; env BENCH_CONNECTIONS)',
  '--duration D      measured window of each phase: 10, 10s, 1500ms (default 10 s; env BENCH_DURATION)',
  '--rounds R        rounds of bare + gateway, alternating which goes first (default 3; env BENCH_ROUNDS)',
  '--warmup D        unmeasured warm-up of each path before round 1 (default 3 s; env BENCH_WARMUP)',
  '--breakdown D     window of each CPU-breakdown phase, 0 to skip (default 5 s; env BENCH_BREAKDOWN)',
  '--profile DIR     V8 CPU profile of every measured phase into DIR, and self time per package in the report',
  '                  (diagnosis only: the profiler costs CPU, so do not quote figures from such a run)',
] as const;

function parseOptions(argv: readonly string[]): Options {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        connections: { type: 'string' },
        duration: { type: 'string' },
        rounds: { type: 'string' },
        warmup: { type: 'string' },
        breakdown: { type: 'string' },
        profile: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const breakdownRaw = values['breakdown'] ?? process.env['BENCH_BREAKDOWN'];
  return {
    connections: positiveInt('connections', values['connections'], 'BENCH_CONNECTIONS', 32),
    durationMs: durationMs('duration', values['duration'], 'BENCH_DURATION', 10_000),
    rounds: positiveInt('rounds', values['rounds'], 'BENCH_ROUNDS', 3),
    warmupMs: durationMs('warmup', values['warmup'], 'BENCH_WARMUP', 3_000),
    breakdownMs: breakdownRaw?.trim() === '0' ? 0 : durationMs('breakdown', values['breakdown'], 'BENCH_BREAKDOWN', 5_000),
    profileDir: values['profile'] === undefined || values['profile'] === '' ? undefined : path.resolve(values['profile']),
  };
}

export const gatewayBenchmark: Benchmark = {
  name: 'gateway',
  summary: 'webhook gateway vs a bare Temporal client, same signalWithStart calls, same concurrency, one run',
  usage: USAGE,
  budgetMs(argv) {
    let o: Options;
    try {
      o = parseOptions(argv);
    } catch {
      return 10 * 60_000;
    }
    // Load time plus generous slack per phase (autocannon's tail, drains), plus a first-time Temporal CLI build.
    const phases = 2 * o.rounds + 2 + (o.breakdownMs > 0 ? 4 : 0);
    const load = 2 * o.warmupMs + 2 * o.rounds * o.durationMs + (o.breakdownMs > 0 ? 2 * (o.breakdownMs + BREAKDOWN_WARMUP_MS) : 0);
    return load + phases * 15_000 + 6 * 60_000;
  },
  run: runGatewayBenchmark,
};

// ---------------------------------------------------------------------------------------------------------------------
// Workload: every call a fresh order id, so each signalWithStart starts a new workflow (a reused id would only signal,
// a closed one would take the late-event path: different work, not comparable).

function orderIdGenerator(runId: string): () => string {
  let n = 0;
  // Fixed width: every body has the same size on both paths.
  return () => `bench-${runId}-${String(++n).padStart(9, '0')}`;
}

function commercePayload(orderId: string): CommerceWebhookV1 {
  return {
    customer_id: 'cust-bench-0001',
    order: {
      order_id: orderId,
      items: [
        { item_id: 'SKU-TSHIRT-M-BLUE', quantity: 2 },
        { item_id: 'SKU-JEANS-32-32', quantity: 1 },
      ],
    },
  };
}

function signedRequest(secret: string, orderId: string): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(commercePayload(orderId));
  return { body, headers: { 'content-type': 'application/json', 'x-commerce-signature': signBody(secret, body) } };
}

// ---------------------------------------------------------------------------------------------------------------------
// The event sink both paths go through, wrapped only to count what is in flight (so a phase ends with nothing of it
// still running into the next) and to notice an outcome other than a new delivery. The wrapper is the same on both.

interface TrackedSink {
  sink: OrderEventSink;
  settled(): number;
  unexpected(): string | undefined;
  drained(): Promise<void>;
}

function tracked(inner: OrderEventSink): TrackedSink {
  let inFlight = 0;
  let settled = 0;
  let unexpected: string | undefined;
  const around = async (deliver: () => Promise<DeliveryOutcome>): Promise<DeliveryOutcome> => {
    inFlight += 1;
    try {
      const outcome = await deliver();
      if (outcome !== 'delivered') unexpected ??= `outcome "${outcome}" (an order id was reused?)`;
      return outcome;
    } catch (err) {
      unexpected ??= describeError(err);
      throw err;
    } finally {
      inFlight -= 1;
      settled += 1;
    }
  };
  return {
    sink: {
      commerceOrder: (event) => around(() => inner.commerceOrder(event)),
      paymentCapture: (orderId, event) => around(() => inner.paymentCapture(orderId, event)),
    },
    settled: () => settled,
    unexpected: () => unexpected,
    async drained() {
      const deadline = performance.now() + DRAIN_TIMEOUT_MS;
      while (inFlight > 0) {
        if (performance.now() > deadline) throw new Error(`${inFlight} signalWithStart calls still in flight after ${DRAIN_TIMEOUT_MS} ms`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  };
}

/** The webhook path must make no store or command call: these throw, and the gateway would answer 500. */
const refusingStore: GatewayDeps['store'] = {
  get: () => Promise.reject(new Error('bench: the webhook path read the store')),
  listByCustomer: () => Promise.reject(new Error('bench: the webhook path read the store')),
  listByStatus: () => Promise.reject(new Error('bench: the webhook path read the store')),
};
const refusingCommands: GatewayDeps['commands'] = {
  cancel: () => Promise.reject(new Error('bench: the webhook path sent a command')),
  correct: () => Promise.reject(new Error('bench: the webhook path sent a command')),
  retryParked: () => Promise.reject(new Error('bench: the webhook path sent a command')),
};

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as AddressInfo;
  return `http://127.0.0.1:${address.port}`;
}

// ---------------------------------------------------------------------------------------------------------------------
// Phases

type PathName = 'bare' | 'gateway';

interface PhaseResult {
  path: PathName;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  ok: number;
  errors: number;
  firstError: string | undefined;
  /** Calls settled in the phase, its tail after the window included: the denominator of the CPU figures. */
  calls: number;
  /** This Node process's CPU per call settled in the phase (for the gateway: load generator included). */
  nodeCpuUs: number;
  serverCpuUs: number | undefined;
  cpu: CpuDelta;
}

function phaseResult(pathName: PathName, load: LoadResult, cpu: CpuDelta, calls: number): PhaseResult {
  const lat = summarizeLatencies(load.latencies);
  const perCall = (ms: number | undefined): number | undefined => (ms === undefined || calls === 0 ? undefined : (ms * 1000) / calls);
  return {
    path: pathName,
    rps: load.ok / (load.windowMs / 1000),
    p50: lat.p50,
    p99: lat.p99,
    max: lat.max,
    ok: load.ok,
    errors: load.errors,
    firstError: load.firstError,
    calls,
    nodeCpuUs: perCall(cpu.selfMs) ?? Number.NaN,
    serverCpuUs: perCall(cpu.procMs),
    cpu,
  };
}

interface Harness {
  opts: Options;
  ctx: BenchContext;
  serverPid: number | undefined;
  nextOrderId: () => string;
  secret: string;
  gatewayUrl: string;
  gatewaySink: TrackedSink;
  bareSink: TrackedSink;
  profiler: PhaseProfiler | undefined;
  /** Self time (ms) per category and calls, summed over the measured phases of each path. */
  profiles: Record<PathName, { selfMs: Map<string, number>; calls: number }>;
}

/** A measured phase, profiled when asked: the profile covers the window, the tail and the drain, like the CPU figures. */
async function measured(h: Harness, name: string, phase: () => Promise<PhaseResult>): Promise<PhaseResult> {
  if (h.profiler === undefined) return phase();
  await h.profiler.start();
  const result = await phase();
  const selfMs = await h.profiler.stop(name);
  addInto(h.profiles[result.path].selfMs, selfMs);
  h.profiles[result.path].calls += result.calls;
  return result;
}

async function barePhase(h: Harness, windowMs: number): Promise<PhaseResult> {
  const cpu0 = cpuSnapshot(h.serverPid);
  const settled0 = h.bareSink.settled();
  const load = await runConcurrentLoops({
    concurrency: h.opts.connections,
    durationMs: windowMs,
    signal: h.ctx.signal,
    // What the gateway's route does after validation: the event envelope with the receive time, then the sink.
    call: async () => {
      await h.bareSink.sink.commerceOrder({ receivedAt: new Date().toISOString(), payload: commercePayload(h.nextOrderId()) });
    },
  });
  await h.bareSink.drained();
  return phaseResult('bare', load, cpuSince(cpu0, h.serverPid), h.bareSink.settled() - settled0);
}

async function gatewayPhase(h: Harness, windowMs: number): Promise<PhaseResult> {
  const cpu0 = cpuSnapshot(h.serverPid);
  const settled0 = h.gatewaySink.settled();
  const load = await runHttpLoad({
    url: h.gatewayUrl,
    path: WEBHOOK_PATH,
    connections: h.opts.connections,
    durationMs: windowMs,
    expectStatus: 202,
    signal: h.ctx.signal,
    nextRequest: () => signedRequest(h.secret, h.nextOrderId()),
  });
  // autocannon closes its sockets at the end; requests the gateway already accepted still finish their Temporal call.
  await h.gatewaySink.drained();
  return phaseResult('gateway', load, cpuSince(cpu0, h.serverPid), h.gatewaySink.settled() - settled0);
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

// ---------------------------------------------------------------------------------------------------------------------
// CPU breakdown: where the gateway's extra CPU per call goes, measured apart from Temporal.

interface Breakdown {
  /** Both stand-ins answer after this long: the bare call's median p50, so they run at the rounds' rate. */
  delayMs: number;
  /** autocannon against bare node:http. */
  raw: PhaseResult;
  /** autocannon against the gateway with a no-op sink. */
  noop: PhaseResult;
  micro: { generateUs: number; hmacUs: number; jsonParseUs: number; zodUs: number };
}

/** Mean µs per call of `fn`, after a warm-up, over at least `minMs`. */
function microUs(fn: () => unknown, minMs = 300): number {
  for (let i = 0; i < 2_000; i++) fn();
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 1_000; i++) fn();
    n += 1_000;
    elapsed = performance.now() - start;
  }
  return (elapsed * 1000) / n;
}

function microBenchmarks(secret: string, nextOrderId: () => string): Breakdown['micro'] {
  const sample = signedRequest(secret, 'bench-micro-000000001');
  const raw = Buffer.from(sample.body);
  const signature = sample.headers['x-commerce-signature'];
  const parsed: unknown = JSON.parse(sample.body);
  let sink = 0;
  const result = {
    generateUs: microUs(() => (sink += signedRequest(secret, nextOrderId()).body.length)),
    hmacUs: microUs(() => (sink += isValidSignature(secret, raw, signature) ? 1 : 0)),
    jsonParseUs: microUs(() => JSON.parse(raw.toString('utf8')) as unknown),
    zodUs: microUs(() => CommerceWebhookV1.safeParse(parsed)),
  };
  if (sink < 0) throw new Error('unreachable'); // keeps the measured work observable
  return result;
}

/** Resolves after `ms` — the stand-in for Temporal's latency, so per-request costs are paid at the same rate. */
function after<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

async function breakdownPhases(h: Harness, config: Config, delayMs: number): Promise<Breakdown> {
  const micro = microBenchmarks(h.secret, h.nextOrderId);
  // CPU per request depends on the rate (at 10⁴ req/s an event-loop turn serves many requests, at 300 one or two):
  // answering after the real call's latency keeps N in flight at about the rate the rounds ran at.
  let served = 0;
  const standIn = async (url: string): Promise<PhaseResult> => {
    const load = (durationMs: number): Promise<LoadResult> =>
      runHttpLoad({
        url,
        path: WEBHOOK_PATH,
        connections: h.opts.connections,
        durationMs,
        expectStatus: 202,
        signal: h.ctx.signal,
        nextRequest: () => signedRequest(h.secret, h.nextOrderId()),
      });
    // Unmeasured first: at ~300 req/s a few seconds are only ~10³ requests, and cold code would be compiled on our bill.
    await load(BREAKDOWN_WARMUP_MS);
    throwIfAborted(h.ctx.signal);
    const served0 = served;
    const cpu0 = cpuSnapshot(undefined);
    const measuredLoad = await load(h.opts.breakdownMs);
    // CPU per request counts every request served in the phase, the tail after the window included, as the rounds do.
    const result = phaseResult('gateway', measuredLoad, cpuSince(cpu0, undefined), served - served0);
    if (result.errors > 0) throw new Error(`breakdown phase had ${result.errors} errors, first: ${result.firstError ?? '?'}`);
    return result;
  };

  // The floor: autocannon against node:http that reads the body and answers a fixed 202 (no Fastify, no Temporal).
  const reply = Buffer.from(JSON.stringify({ order_id: 'x', workflow_id: 'order-x' }));
  const raw: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    served += 1;
    req.resume();
    req.on('end', () => {
      void after(delayMs, undefined).then(() => res.writeHead(202, { 'content-type': 'application/json', 'content-length': reply.length }).end(reply));
    });
  });
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  let rawResult: PhaseResult;
  try {
    rawResult = await standIn(`http://127.0.0.1:${(raw.address() as AddressInfo).port}`);
  } finally {
    raw.closeAllConnections();
    await new Promise<void>((resolve) => raw.close(() => resolve()));
  }
  throwIfAborted(h.ctx.signal);

  // The real gateway with a sink that accepts after the delay: Fastify, media type, HMAC, JSON, zod, reply — no Temporal.
  const accept = (): Promise<DeliveryOutcome> => {
    served += 1;
    return after(delayMs, 'delivered');
  };
  const noop = await buildGateway({
    logger: false,
    events: { commerceOrder: accept, paymentCapture: accept },
    commands: refusingCommands,
    store: refusingStore,
    secrets: config.secrets,
    readiness: {},
  });
  let noopResult: PhaseResult;
  try {
    noopResult = await standIn(await listen(noop));
  } finally {
    await noop.close();
  }
  return { delayMs, raw: rawResult, noop: noopResult, micro };
}

// ---------------------------------------------------------------------------------------------------------------------
// Run

async function runGatewayBenchmark(argv: readonly string[], ctx: BenchContext): Promise<number> {
  const opts = parseOptions(argv);
  const machine = machineInfo();
  const runId = randomBytes(3).toString('hex');
  const started = Date.now();

  ctx.out(`# gateway benchmark — ${new Date().toISOString()}  (run ${runId})`);
  ctx.out(`command   npm run bench -- gateway ${argv.join(' ')}`.trimEnd());
  for (const line of describeMachine(machine)) ctx.out(line);
  ctx.out(
    `settings  ${opts.connections} connections/loops, ${opts.rounds} rounds × ${opts.durationMs / 1000} s per path, ` +
      `warm-up ${opts.warmupMs / 1000} s per path, breakdown ${opts.breakdownMs > 0 ? `${opts.breakdownMs / 1000} s per phase` : 'off'}`,
  );

  const workDir = await mkdtemp(path.join(tmpdir(), 'oms-bench-'));
  let server: TemporalDevServer | undefined;
  let gatewayClient: Client | undefined;
  let bareClient: Client | undefined;
  let app: FastifyInstance | undefined;
  let profiler: PhaseProfiler | undefined;
  try {
    // A private, in-memory, headless dev server on a free port: never the user's running stack, discarded at the end.
    const port = await freeLoopbackPort();
    server = await startTemporalDevServer({
      port,
      namespace: 'default',
      searchAttributes: { ...SEARCH_ATTRIBUTES },
      logFile: path.join(workDir, 'temporal.log'),
      log: ctx.log,
    });
    throwIfAborted(ctx.signal);

    // Production defaults (30-day windows, dev secrets), nothing from the caller's environment.
    const config = loadConfig({ TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default' });
    // One client each, as two processes would have: the gateway's and the bare one, built the same way.
    gatewayClient = await connectClient(config);
    bareClient = await connectClient(config);
    const info = await bareClient.connection.workflowService.getSystemInfo({});
    ctx.out(`temporal  dev server ${info.serverVersion ?? '?'} at ${server.address} (in-memory SQLite, headless, pid ${server.pid ?? '—'}, no worker)`);

    const gatewaySink = tracked(createTemporalOrderEvents({ client: gatewayClient, windows: config.windows }));
    const bareSink = tracked(createTemporalOrderEvents({ client: bareClient, windows: config.windows }));
    app = await buildGateway({
      // Logging every request to a terminal would measure the terminal.
      logger: false,
      events: gatewaySink.sink,
      commands: refusingCommands,
      store: refusingStore,
      secrets: config.secrets,
      readiness: {},
    });
    const gatewayUrl = await listen(app);
    const h: Harness = {
      opts,
      ctx,
      serverPid: server.pid,
      nextOrderId: orderIdGenerator(runId),
      secret: config.secrets.commerceWebhook,
      gatewayUrl,
      gatewaySink,
      bareSink,
      profiler: undefined,
      profiles: { bare: { selfMs: new Map(), calls: 0 }, gateway: { selfMs: new Map(), calls: 0 } },
    };
    if (opts.profileDir !== undefined) {
      await mkdir(opts.profileDir, { recursive: true });
      h.profiler = await openProfiler(opts.profileDir);
      profiler = h.profiler;
      ctx.out(`profile   V8 CPU profiles of the measured phases in ${opts.profileDir} (figures of this run are perturbed)`);
    }

    // Preflight: one request through each path, so a wiring mistake fails loudly instead of as a fast error loop.
    const probe = signedRequest(h.secret, h.nextOrderId());
    const res = await fetch(`${gatewayUrl}${WEBHOOK_PATH}`, { method: 'POST', headers: probe.headers, body: probe.body });
    if (res.status !== 202) throw new Error(`preflight: the gateway answered ${res.status}: ${await res.text()}`);
    await res.body?.cancel();
    await bareSink.sink.commerceOrder({ receivedAt: new Date().toISOString(), payload: commercePayload(h.nextOrderId()) });

    const generateUs = microUs(() => signedRequest(h.secret, h.nextOrderId()), 200);

    ctx.log(`warm-up: ${opts.warmupMs / 1000} s per path…`);
    await barePhase(h, opts.warmupMs);
    await gatewayPhase(h, opts.warmupMs);

    const rounds: { bare: PhaseResult; gateway: PhaseResult }[] = [];
    for (let r = 1; r <= opts.rounds; r++) {
      throwIfAborted(ctx.signal);
      // Alternating which path goes first cancels a drift over the run (the server's store grows with every call).
      const order: PathName[] = r % 2 === 1 ? ['bare', 'gateway'] : ['gateway', 'bare'];
      const results: Partial<Record<PathName, PhaseResult>> = {};
      for (const p of order) {
        ctx.log(`round ${r}/${opts.rounds}: ${p} for ${opts.durationMs / 1000} s…`);
        results[p] = await measured(h, `round${r}-${p}`, () => (p === 'bare' ? barePhase(h, opts.durationMs) : gatewayPhase(h, opts.durationMs)));
        throwIfAborted(ctx.signal);
      }
      const { bare, gateway } = results;
      if (bare === undefined || gateway === undefined) throw new Error('a round lost a phase');
      rounds.push({ bare, gateway });
    }

    let breakdown: Breakdown | undefined;
    if (opts.breakdownMs > 0) {
      ctx.log(`CPU breakdown: ${BREAKDOWN_WARMUP_MS / 1000} + ${opts.breakdownMs / 1000} s against bare node:http, the same against a no-op gateway…`);
      breakdown = await breakdownPhases(h, config, Math.max(1, Math.round(median(rounds.map((r) => r.bare.p50)))));
    }

    const valid = report(ctx, opts, rounds, breakdown, generateUs, [gatewaySink.unexpected(), bareSink.unexpected()]);
    if (h.profiler !== undefined) reportProfile(ctx, h.profiles);
    ctx.out('');
    ctx.out(`load avg  ${formatLoadavg(machineInfo().loadavg)} at end; total ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return valid ? 0 : 1;
  } finally {
    await closeAll([
      () => profiler?.close(),
      () => app?.close(),
      () => gatewayClient?.connection.close(),
      () => bareClient?.connection.close(),
      () => server?.stop(),
      () => rm(workDir, { recursive: true, force: true }),
    ], ctx);
  }
}

/** Runs every cleanup step even if one fails: the dev server must be stopped whatever happened before. */
async function closeAll(steps: readonly (() => Promise<unknown> | undefined)[], ctx: BenchContext): Promise<void> {
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      ctx.log(`cleanup: ${describeError(err)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Report

function standInNote(p: PhaseResult): string {
  return `${fmt(p.rps, 0)} req/s, other load ${fmt(p.cpu.otherPct, 0)} %`;
}

function report(
  ctx: BenchContext,
  opts: Options,
  rounds: readonly { bare: PhaseResult; gateway: PhaseResult }[],
  breakdown: Breakdown | undefined,
  generateUs: number,
  unexpected: readonly (string | undefined)[],
): boolean {
  const ms = (v: number): string => fmt(v, 1);
  const row = (label: string, p: PhaseResult): string[] => [
    label,
    fmt(p.rps, 0),
    ms(p.p50),
    ms(p.p99),
    ms(p.max),
    String(p.errors),
    fmt(p.nodeCpuUs, 0),
    fmt(p.serverCpuUs, 0),
    fmt(p.cpu.machineBusyPct, 0),
    fmt(p.cpu.otherPct, 0),
  ];
  ctx.out('');
  ctx.out(`## Per round (${opts.durationMs / 1000} s windows, ${opts.connections} in flight; latency in ms; CPU in µs per call)`);
  ctx.out(
    table(
      ['round / path', 'req/s', 'p50', 'p99', 'max', 'errors', 'node CPU', 'server CPU', 'machine %', 'other %'],
      rounds.flatMap((r, i) => [row(`${i + 1} bare`, r.bare), row(`${i + 1} gateway`, r.gateway)]),
    ),
  );
  ctx.out('node CPU = this process per call (gateway: incl. autocannon); server CPU = the Temporal dev server per call;');
  ctx.out('machine % = all cores busy; other % = busy minus both of those (other load on the machine).');

  const med = (pathName: PathName, pick: (p: PhaseResult) => number): number => median(rounds.map((r) => pick(r[pathName])));
  const thrRatios = rounds.map((r) => r.gateway.rps / r.bare.rps);
  const p99Ratios = rounds.map((r) => r.gateway.p99 / r.bare.p99);
  const p50Ratios = rounds.map((r) => r.gateway.p50 / r.bare.p50);
  const thrRatio = median(thrRatios);
  const p99Ratio = median(p99Ratios);

  ctx.out('');
  ctx.out(`## Median of ${rounds.length} rounds`);
  const medRow = (pathName: PathName): string[] => [
    pathName,
    fmt(med(pathName, (p) => p.rps), 0),
    ms(med(pathName, (p) => p.p50)),
    ms(med(pathName, (p) => p.p99)),
    fmt(med(pathName, (p) => p.nodeCpuUs), 0),
    fmt(med(pathName, (p) => p.serverCpuUs ?? Number.NaN), 0),
  ];
  ctx.out(table(['path', 'req/s', 'p50 ms', 'p99 ms', 'node CPU µs', 'server CPU µs'], [medRow('bare'), medRow('gateway')]));
  const list = (xs: readonly number[]): string => xs.map((x) => x.toFixed(2)).join(', ');
  ctx.out('');
  ctx.out('## Gateway / bare (median of the per-round ratios; each round measures both side by side)');
  const thrOk = thrRatio >= GOAL.minThroughputRatio;
  const p99Ok = p99Ratio <= GOAL.maxP99Ratio;
  ctx.out(`throughput  ${thrRatio.toFixed(3)}   (rounds: ${list(thrRatios)})   goal ≥ ${GOAL.minThroughputRatio.toFixed(2)}   ${thrOk ? 'PASS' : 'MISS'}`);
  ctx.out(`p99         ${p99Ratio.toFixed(3)}   (rounds: ${list(p99Ratios)})   goal ≤ ${GOAL.maxP99Ratio.toFixed(2)}   ${p99Ok ? 'PASS' : 'MISS'}`);
  ctx.out(`p50         ${median(p50Ratios).toFixed(3)}   (rounds: ${list(p50Ratios)})`);
  // A round whose two halves saw different outside load compares the load, not the paths: show it beside the ratios.
  const otherDelta = rounds.map((r) => (r.gateway.cpu.otherPct ?? Number.NaN) - (r.bare.cpu.otherPct ?? Number.NaN));
  ctx.out(`other load during gateway minus during bare, per round (percentage points): ${otherDelta.map((d) => fmt(d, 0)).join(', ')}`);
  // On a machine the server and the gateway share, throughput is bounded by total CPU per call; this ratio is what the
  // throughput ratio tends to when the machine is saturated, and it moves less with outside load than req/s does.
  const totalCpu = (p: PhaseResult): number => p.nodeCpuUs + (p.serverCpuUs ?? Number.NaN);
  const cpuRatios = rounds.map((r) => totalCpu(r.bare) / totalCpu(r.gateway));
  ctx.out(`CPU per call, bare total / gateway total (node + server): ${fmt(median(cpuRatios), 3)}   (rounds: ${list(cpuRatios)})`);

  const gwCpu = med('gateway', (p) => p.nodeCpuUs);
  const bareCpu = med('bare', (p) => p.nodeCpuUs);
  ctx.out('');
  ctx.out('## Where the gateway path spends its extra CPU (µs per call, this process)');
  const lines: string[][] = [
    ['bare client: signalWithStart (grpc-js, protobuf, payload conversion)', fmt(bareCpu, 0)],
    ['gateway path: autocannon + HTTP + Fastify + the same signalWithStart', fmt(gwCpu, 0)],
    ['  difference', fmt(gwCpu - bareCpu, 0)],
  ];
  if (breakdown !== undefined) {
    lines.push(
      [`stand-ins answering after ${breakdown.delayMs} ms (the bare p50), no Temporal:`, ''],
      [`  autocannon + bare node:http 202: load generator + HTTP floor (${standInNote(breakdown.raw)})`, fmt(breakdown.raw.nodeCpuUs, 0)],
      [`  autocannon + the gateway with a no-op sink (${standInNote(breakdown.noop)})`, fmt(breakdown.noop.nodeCpuUs, 0)],
      ['  → Fastify route, media type, HMAC, JSON, zod, reply beyond node:http', fmt(breakdown.noop.nodeCpuUs - breakdown.raw.nodeCpuUs, 0)],
      ['  → rest: the same Temporal calls cost more when spread out by HTTP (+ noise)', fmt(gwCpu - bareCpu - breakdown.noop.nodeCpuUs, 0)],
      ['  of which HMAC-SHA256 verify (micro)', fmt(breakdown.micro.hmacUs, 1)],
      ['  of which JSON.parse of the body (micro)', fmt(breakdown.micro.jsonParseUs, 1)],
      ['  of which zod CommerceWebhookV1 (micro)', fmt(breakdown.micro.zodUs, 1)],
    );
  }
  lines.push(['building + signing one request body (load generator side)', fmt(generateUs, 1)]);
  ctx.out(table(['', 'µs'], lines));

  const errors = rounds.reduce((n, r) => n + r.bare.errors + r.gateway.errors, 0);
  const problems = unexpected.filter((u): u is string => u !== undefined);
  if (errors > 0 || problems.length > 0) {
    const first = rounds.flatMap((r) => [r.bare.firstError, r.gateway.firstError]).find((e) => e !== undefined);
    ctx.out('');
    ctx.out(`INVALID RUN: ${errors} failed calls${first !== undefined ? ` (first: ${first})` : ''}${problems.length > 0 ? `; ${problems.join('; ')}` : ''}`);
    return false;
  }
  ctx.out('');
  ctx.out(`verdict   ${thrOk && p99Ok ? 'PASS' : 'MISS'} (throughput ${thrOk ? 'met' : 'missed'}, p99 ${p99Ok ? 'met' : 'missed'})`);
  return true;
}

function reportProfile(ctx: BenchContext, profiles: Harness['profiles']): void {
  const perCall = (pathName: PathName, category: string): number => {
    const p = profiles[pathName];
    return p.calls === 0 ? Number.NaN : ((p.selfMs.get(category) ?? 0) * 1000) / p.calls;
  };
  const categories = [...new Set([...profiles.bare.selfMs.keys(), ...profiles.gateway.selfMs.keys()])].filter((c) => c !== '(idle)');
  categories.sort((a, b) => perCall('gateway', b) - perCall('gateway', a));
  const shown = categories.slice(0, 16);
  const rest = categories.slice(16);
  const sum = (pathName: PathName, cats: readonly string[]): number => cats.reduce((n, c) => n + perCall(pathName, c), 0);
  const rows = shown.map((c) => [c, fmt(perCall('bare', c), 0), fmt(perCall('gateway', c), 0), fmt(perCall('gateway', c) - perCall('bare', c), 0)]);
  if (rest.length > 0) rows.push([`(${rest.length} more)`, fmt(sum('bare', rest), 0), fmt(sum('gateway', rest), 0), fmt(sum('gateway', rest) - sum('bare', rest), 0)]);
  rows.push(['total on the main thread (busy)', fmt(sum('bare', categories), 0), fmt(sum('gateway', categories), 0), fmt(sum('gateway', categories) - sum('bare', categories), 0)]);
  ctx.out('');
  ctx.out(`## CPU profile of the measured phases: self time on the main thread, µs per call (${profiles.bare.calls} bare, ${profiles.gateway.calls} gateway calls)`);
  ctx.out('(sampled wall time while the main thread was not idle: on a saturated machine it includes time descheduled)');
  ctx.out(table(['category', 'bare', 'gateway', 'Δ'], rows));
}
