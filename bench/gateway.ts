// `npm run bench -- gateway`: POST /v1/webhooks/commerce through the real gateway against a bare Temporal client making
// the same signalWithStart calls, alternated in one run on a private Temporal dev server; req/s, p50/p99, ratios.
import { createCustomerEmails } from '../src/pii/customer-emails';
import { AesGcmPayloadCodec } from '../src/pii/payload-codec';
import { createMemoryCustomerKeyStore } from '../src/store/customer-key-store';
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
import pino from 'pino';
import { loadConfig, type Config } from '../src/config';
import { startTemporalDevServer, type TemporalDevServer } from '../dev/stack/temporal-dev-server';
import { buildGateway, type GatewayDeps } from '../src/gateway/app';
import { PII_REDACT_PATHS, type Logger } from '../src/logger';
import { isValidSignature } from '../src/gateway/signature';
import { connectClient } from '../src/temporal/connection';
import { createTemporalOrderEvents, type DeliveryOutcome, type OrderEventSink } from '../src/temporal/order-events';
import { UsageError, type BenchContext, type Benchmark } from './lib/benchmark';
import { combineCpuDeltas, cpuSince, cpuSnapshot, type CpuDelta } from './lib/cpu';
import { describeError, runConcurrentLoops, type LoadResult } from './lib/drivers';
import { startLoadProcess, type LoadProcess } from './lib/load-process';
import { codeRevision, describeMachine, formatLoadavg, machineInfo } from './lib/machine';
import { freeLoopbackPort } from '../dev/stack/free-port';
import { durationMs, positiveInt } from './lib/options';
import { addInto, openProfiler, type PhaseProfiler } from './lib/profile';
import { fmt, median, summarizeLatencies, table } from './lib/stats';
import { commercePayload, orderIdGenerator, signedCommerceRequest } from './lib/workloads';

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
  '--duration D      measured time per path per round: 10, 10s, 1500ms (default 10 s; env BENCH_DURATION)',
  '--rounds R        rounds A-B-A (A in two half windows), A = bare and gateway in turn (default 3; env BENCH_ROUNDS)',
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
  const profile = values['profile'];
  return {
    connections: positiveInt('connections', values['connections'], 'BENCH_CONNECTIONS', 32),
    durationMs: durationMs('duration', values['duration'], 'BENCH_DURATION', 10_000),
    rounds: positiveInt('rounds', values['rounds'], 'BENCH_ROUNDS', 3),
    warmupMs: durationMs('warmup', values['warmup'], 'BENCH_WARMUP', 3_000),
    breakdownMs: breakdownRaw?.trim() === '0' ? 0 : durationMs('breakdown', values['breakdown'], 'BENCH_BREAKDOWN', 5_000),
    profileDir: profile === undefined || profile === '' ? undefined : path.resolve(profile),
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
    const phases = 3 * o.rounds + 2 + (o.breakdownMs > 0 ? 6 : 0);
    const load = 2 * o.warmupMs + 2 * o.rounds * o.durationMs + (o.breakdownMs > 0 ? 3 * (o.breakdownMs + BREAKDOWN_WARMUP_MS) : 0);
    return load + phases * 15_000 + 6 * 60_000;
  },
  run: runGatewayBenchmark,
};

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
  decideRisk: () => Promise.reject(new Error('bench: the webhook path sent a command')),
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
  /** CPU per call of the process making the Temporal calls (the bare loops, or the gateway). */
  clientCpuUs: number;
  /** CPU per call of the autocannon process; undefined for the bare path, which needs no load generator. */
  loadgenCpuUs: number | undefined;
  serverCpuUs: number | undefined;
  cpu: CpuDelta;
}

/** What one phase measured, before it is summarized (alone, or merged with the other half of its path's round). */
interface PhaseRaw {
  path: PathName;
  load: LoadResult;
  cpu: CpuDelta;
  /** Calls settled in the phase, its tail after the window included. */
  calls: number;
  loadgenCpuMs: number | undefined;
}

function summarize(parts: readonly PhaseRaw[]): PhaseResult {
  const first = parts[0];
  if (first === undefined) throw new Error('nothing to summarize');
  const ok = parts.reduce((n, p) => n + p.load.ok, 0);
  const windowMs = parts.reduce((n, p) => n + p.load.windowMs, 0);
  const calls = parts.reduce((n, p) => n + p.calls, 0);
  const loadgenCpuMs = parts.some((p) => p.loadgenCpuMs === undefined) ? undefined : parts.reduce((n, p) => n + (p.loadgenCpuMs ?? 0), 0);
  const cpu = combineCpuDeltas(parts.map((p) => p.cpu));
  const lat = summarizeLatencies(parts.flatMap((p) => p.load.latencies));
  const perCall = (ms: number | undefined): number | undefined => (ms === undefined || calls === 0 ? undefined : (ms * 1000) / calls);
  return {
    path: first.path,
    rps: ok / (windowMs / 1000),
    p50: lat.p50,
    p99: lat.p99,
    max: lat.max,
    ok,
    errors: parts.reduce((n, p) => n + p.load.errors, 0),
    firstError: parts.find((p) => p.load.firstError !== undefined)?.load.firstError,
    calls,
    clientCpuUs: perCall(cpu.selfMs) ?? Number.NaN,
    loadgenCpuUs: perCall(loadgenCpuMs),
    serverCpuUs: perCall(cpu.procMs),
    cpu,
  };
}

interface Harness {
  opts: Options;
  ctx: BenchContext;
  runId: string;
  phaseNo: number;
  serverPid: number | undefined;
  loadgen: LoadProcess;
  secret: string;
  gatewayUrl: string;
  gatewaySink: TrackedSink;
  bareSink: TrackedSink;
  profiler: PhaseProfiler | undefined;
  /** Self time (ms) per category and calls, summed over the measured phases of each path. */
  profiles: Record<PathName, { selfMs: Map<string, number>; calls: number }>;
}

/** Each phase gets its own id prefix: order ids never repeat within a run, and all have the same length. */
function nextIdPrefix(h: Harness): string {
  h.phaseNo += 1;
  return `${h.runId}-${String(h.phaseNo).padStart(3, '0')}`;
}

async function barePhase(h: Harness, windowMs: number): Promise<PhaseRaw> {
  const nextId = orderIdGenerator(nextIdPrefix(h));
  const cpu0 = cpuSnapshot(h.serverPid, h.loadgen.pid);
  const settled0 = h.bareSink.settled();
  const load = await runConcurrentLoops({
    concurrency: h.opts.connections,
    durationMs: windowMs,
    signal: h.ctx.signal,
    // What the gateway's route does after validation: the event envelope with the receive time, then the sink.
    call: async () => {
      await h.bareSink.sink.commerceOrder({ receivedAt: new Date().toISOString(), payload: commercePayload(nextId()) });
    },
  });
  await h.bareSink.drained();
  const cpu = cpuSince(cpu0, h.serverPid, h.loadgen.pid);
  return { path: 'bare', load, cpu, calls: h.bareSink.settled() - settled0, loadgenCpuMs: undefined };
}

async function gatewayPhase(h: Harness, windowMs: number): Promise<PhaseRaw> {
  const idPrefix = nextIdPrefix(h);
  const cpu0 = cpuSnapshot(h.serverPid, h.loadgen.pid);
  const settled0 = h.gatewaySink.settled();
  const load = await h.loadgen.run(
    {
      url: h.gatewayUrl,
      path: WEBHOOK_PATH,
      connections: h.opts.connections,
      durationMs: windowMs,
      expectStatus: 202,
      workload: { kind: 'commerce-webhook', secret: h.secret, idPrefix },
    },
    h.ctx.signal,
  );
  // autocannon closes its sockets at the end; requests the gateway already accepted still finish their Temporal call.
  await h.gatewaySink.drained();
  const cpu = cpuSince(cpu0, h.serverPid, h.loadgen.pid);
  return { path: 'gateway', load, cpu, calls: h.gatewaySink.settled() - settled0, loadgenCpuMs: load.loadgenCpuMs };
}

/** A measured phase, profiled when asked: the profile covers the window, the tail and the drain, like the CPU figures. */
async function measured(h: Harness, name: string, phase: () => Promise<PhaseRaw>): Promise<PhaseRaw> {
  if (h.profiler === undefined) return phase();
  await h.profiler.start();
  const result = await phase();
  const selfMs = await h.profiler.stop(name);
  addInto(h.profiles[result.path].selfMs, selfMs);
  h.profiles[result.path].calls += result.calls;
  return result;
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

// ---------------------------------------------------------------------------------------------------------------------
// CPU breakdown: what the gateway process spends per request apart from Temporal, at the rounds' request rate.

interface Breakdown {
  /** Both stand-ins answer after this long: the bare call's median p50, so they run at the rounds' rate. */
  delayMs: number;
  /** Bare node:http reading the body and answering a fixed 202. */
  raw: PhaseResult;
  /** The real gateway with a sink that accepts after the delay, logger off (as in the rounds). */
  noop: PhaseResult;
  /** The same with production logging (pino, JSON, info) into /dev/null. */
  logged: PhaseResult;
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

function microBenchmarks(secret: string, idPrefix: string): Breakdown['micro'] {
  const nextId = orderIdGenerator(idPrefix);
  const sample = signedCommerceRequest(secret, nextId());
  const raw = Buffer.from(sample.body);
  const signature = sample.headers['x-commerce-signature'];
  const parsed: unknown = JSON.parse(sample.body);
  let sink = 0;
  const result = {
    generateUs: microUs(() => (sink += signedCommerceRequest(secret, nextId()).body.length)),
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
  const micro = microBenchmarks(h.secret, nextIdPrefix(h));
  // CPU per request depends on the rate (at 10⁴ req/s an event-loop turn serves many requests, at 300 one or two):
  // answering after the real call's latency keeps N in flight at about the rate the rounds ran at.
  let served = 0;
  const standIn = async (url: string): Promise<PhaseResult> => {
    const load = (windowMs: number): ReturnType<LoadProcess['run']> =>
      h.loadgen.run(
        {
          url,
          path: WEBHOOK_PATH,
          connections: h.opts.connections,
          durationMs: windowMs,
          expectStatus: 202,
          workload: { kind: 'commerce-webhook', secret: h.secret, idPrefix: nextIdPrefix(h) },
        },
        h.ctx.signal,
      );
    // Unmeasured first: at ~300 req/s a few seconds are only ~10³ requests, and cold code would be compiled on our bill.
    await load(BREAKDOWN_WARMUP_MS);
    throwIfAborted(h.ctx.signal);
    const served0 = served;
    const cpu0 = cpuSnapshot(undefined, h.loadgen.pid);
    const result = await load(h.opts.breakdownMs);
    // Every request served in the phase counts, the tail after the window included, as in the rounds.
    const cpu = cpuSince(cpu0, undefined, h.loadgen.pid);
    const phase = summarize([{ path: 'gateway', load: result, cpu, calls: served - served0, loadgenCpuMs: result.loadgenCpuMs }]);
    if (phase.errors > 0) throw new Error(`breakdown phase had ${phase.errors} errors, first: ${phase.firstError ?? '?'}`);
    return phase;
  };

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

  const accept = (): Promise<DeliveryOutcome> => {
    served += 1;
    return after(delayMs, 'delivered');
  };
  const standInGateway = async (logger: Logger | false): Promise<PhaseResult> => {
    const app = await buildGateway({
      logger,
      events: { commerceOrder: accept, paymentCapture: accept },
      commands: refusingCommands,
      store: refusingStore,
      secrets: config.secrets,
      ...storelessPii(config),
      readiness: {},
    });
    try {
      return await standIn(await listen(app));
    } finally {
      await app.close();
    }
  };
  const noopResult = await standInGateway(false);
  throwIfAborted(h.ctx.signal);
  // What production logging costs per request: the same pino options as createLogger off a TTY (JSON, info, PII
  // redaction; Fastify then logs each request twice), written to /dev/null so no terminal or disk is measured.
  const destination = pino.destination({ dest: '/dev/null', sync: true });
  let loggedResult: PhaseResult;
  try {
    loggedResult = await standInGateway(pino({ name: 'oms', level: 'info', redact: { paths: PII_REDACT_PATHS, censor: '[redacted]' } }, destination));
  } finally {
    destination.destroy();
  }
  return { delayMs, raw: rawResult, noop: noopResult, logged: loggedResult, micro };
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
  ctx.out(`code      ${codeRevision() ?? '(not a git checkout)'}`);
  ctx.out(
    `settings  ${opts.connections} in flight per path, ${opts.rounds} rounds × ${opts.durationMs / 1000} s per path, ` +
      `warm-up ${opts.warmupMs / 1000} s per path, breakdown ${opts.breakdownMs > 0 ? `${opts.breakdownMs / 1000} s per stand-in` : 'off'}`,
  );

  const workDir = await mkdtemp(path.join(tmpdir(), 'oms-bench-'));
  let server: TemporalDevServer | undefined;
  let loadgen: LoadProcess | undefined;
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
    loadgen = await startLoadProcess();

    // Production defaults (30-day windows, dev secrets), nothing from the caller's environment.
    const config = loadConfig({ TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default' });
    // One client each, as two processes would have: the gateway's and the bare one, built by the production function.
    gatewayClient = await connectClient(config);
    bareClient = await connectClient(config);
    const info = await bareClient.connection.workflowService.getSystemInfo({});
    ctx.out(`temporal  dev server ${info.serverVersion ?? '?'} at ${server.address} (in-memory SQLite, headless, pid ${server.pid ?? '—'}, no worker)`);
    ctx.out(`loadgen   autocannon in its own process (pid ${loadgen.pid}); the gateway and the bare client run in this one (pid ${process.pid})`);

    const gatewaySink = tracked(createTemporalOrderEvents({ client: gatewayClient, windows: config.windows }));
    const bareSink = tracked(createTemporalOrderEvents({ client: bareClient, windows: config.windows }));
    app = await buildGateway({
      // Logging every request to a terminal would measure the terminal.
      logger: false,
      events: gatewaySink.sink,
      commands: refusingCommands,
      store: refusingStore,
      secrets: config.secrets,
      ...storelessPii(config),
      readiness: {},
    });
    const h: Harness = {
      opts,
      ctx,
      runId,
      phaseNo: 0,
      serverPid: server.pid,
      loadgen,
      secret: config.secrets.commerceWebhook,
      gatewayUrl: await listen(app),
      gatewaySink,
      bareSink,
      profiler: undefined,
      profiles: { bare: { selfMs: new Map(), calls: 0 }, gateway: { selfMs: new Map(), calls: 0 } },
    };

    // Preflight: one request through each path, so a wiring mistake fails loudly instead of as a fast error loop.
    const probeId = orderIdGenerator(nextIdPrefix(h));
    const probe = signedCommerceRequest(h.secret, probeId());
    const res = await fetch(`${h.gatewayUrl}${WEBHOOK_PATH}`, { method: 'POST', headers: probe.headers, body: probe.body });
    if (res.status !== 202) throw new Error(`preflight: the gateway answered ${res.status}: ${await res.text()}`);
    await res.body?.cancel();
    await bareSink.sink.commerceOrder({ receivedAt: new Date().toISOString(), payload: commercePayload(probeId()) });

    if (opts.profileDir !== undefined) {
      await mkdir(opts.profileDir, { recursive: true });
      profiler = await openProfiler(opts.profileDir);
      h.profiler = profiler;
      ctx.out(`profile   V8 CPU profiles of the measured phases in ${opts.profileDir} (figures of this run are perturbed)`);
    }

    ctx.log(`warm-up: ${opts.warmupMs / 1000} s per path…`);
    await barePhase(h, opts.warmupMs);
    await gatewayPhase(h, opts.warmupMs);

    const rounds: { bare: PhaseResult; gateway: PhaseResult }[] = [];
    for (let r = 1; r <= opts.rounds; r++) {
      throwIfAborted(ctx.signal);
      // The server's speed drifts within a run (its CPU per call moved between 3.4 and 6 ms in one run here), and with
      // plain A-B rounds an odd number of them favours whichever path more often goes first. So a round is A-B-A
      // with half windows for A: both paths are centred on the same moment and a linear drift cancels within the
      // round. Which path is split alternates from round to round.
      const [outer, inner]: [PathName, PathName] = r % 2 === 1 ? ['bare', 'gateway'] : ['gateway', 'bare'];
      const plan: [PathName, number, string][] = [
        [outer, opts.durationMs / 2, 'a'],
        [inner, opts.durationMs, ''],
        [outer, opts.durationMs / 2, 'b'],
      ];
      const parts: Record<PathName, PhaseRaw[]> = { bare: [], gateway: [] };
      for (const [p, windowMs, half] of plan) {
        ctx.log(`round ${r}/${opts.rounds}: ${p} for ${windowMs / 1000} s…`);
        parts[p].push(await measured(h, `round${r}-${p}${half}`, () => (p === 'bare' ? barePhase(h, windowMs) : gatewayPhase(h, windowMs))));
        throwIfAborted(ctx.signal);
      }
      rounds.push({ bare: summarize(parts.bare), gateway: summarize(parts.gateway) });
    }

    let breakdown: Breakdown | undefined;
    if (opts.breakdownMs > 0) {
      ctx.log(`CPU breakdown: ${BREAKDOWN_WARMUP_MS / 1000} + ${opts.breakdownMs / 1000} s each against bare node:http, a no-op gateway, the same logging…`);
      breakdown = await breakdownPhases(h, config, Math.max(1, Math.round(median(rounds.map((r) => r.bare.p50)))));
    }

    const valid = report(ctx, opts, rounds, breakdown, [gatewaySink.unexpected(), bareSink.unexpected()]);
    if (h.profiler !== undefined) reportProfile(ctx, h.profiles);
    ctx.out('');
    ctx.out(`load avg  ${formatLoadavg(machineInfo().loadavg)} at end; total ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return valid ? 0 : 1;
  } finally {
    await closeAll(
      [
        () => profiler?.close(),
        () => app?.close(),
        () => gatewayClient?.connection.close(),
        () => bareClient?.connection.close(),
        () => loadgen?.close(),
        () => server?.stop(),
        () => rm(workDir, { recursive: true, force: true }),
      ],
      ctx,
    );
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
    fmt(p.clientCpuUs, 0),
    fmt(p.loadgenCpuUs, 0),
    fmt(p.serverCpuUs, 0),
    fmt(p.cpu.machineBusyPct, 0),
    fmt(p.cpu.otherPct, 0),
  ];
  ctx.out('');
  ctx.out(`## Per round (${opts.durationMs / 1000} s windows, ${opts.connections} in flight; latency in ms; CPU in µs per call)`);
  ctx.out(
    table(
      ['round / path', 'req/s', 'p50', 'p99', 'max', 'errors', 'client', 'loadgen', 'server', 'machine %', 'other %'],
      rounds.flatMap((r, i) => [row(`${i + 1} bare`, r.bare), row(`${i + 1} gateway`, r.gateway)]),
    ),
  );
  ctx.out('client = CPU of the process making the Temporal calls (bare loops / gateway); loadgen = autocannon\'s process;');
  ctx.out('server = the Temporal dev server; machine % = all cores busy; other % = busy minus those three (outside load).');

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
    fmt(med(pathName, (p) => p.clientCpuUs), 0),
    fmt(med(pathName, (p) => p.loadgenCpuUs ?? Number.NaN), 0),
    fmt(med(pathName, (p) => p.serverCpuUs ?? Number.NaN), 0),
  ];
  ctx.out(table(['path', 'req/s', 'p50 ms', 'p99 ms', 'client µs', 'loadgen µs', 'server µs'], [medRow('bare'), medRow('gateway')]));
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
  ctx.out(`outside load during gateway minus during bare, per round (points of machine %): ${otherDelta.map((d) => fmt(d, 0)).join(', ')}`);
  // When everything shares one saturated machine, throughput follows total CPU per call; this ratio moves less with
  // outside load than req/s does. Without the load generator it is what a gateway and a server sharing a box would see.
  const cpuOf = (p: PhaseResult, withLoadgen: boolean): number => p.clientCpuUs + (p.serverCpuUs ?? Number.NaN) + (withLoadgen ? (p.loadgenCpuUs ?? 0) : 0);
  const cpuRatios = rounds.map((r) => cpuOf(r.bare, false) / cpuOf(r.gateway, false));
  const cpuRatiosAll = rounds.map((r) => cpuOf(r.bare, true) / cpuOf(r.gateway, true));
  ctx.out(`CPU per call, bare / gateway (client + server): ${fmt(median(cpuRatios), 3)} (rounds: ${list(cpuRatios)}); with the load generator: ${fmt(median(cpuRatiosAll), 3)}`);

  const gwCpu = med('gateway', (p) => p.clientCpuUs);
  const bareCpu = med('bare', (p) => p.clientCpuUs);
  ctx.out('');
  ctx.out('## Where the gateway process spends its extra CPU (µs per call, medians; the load generator is not in it)');
  const lines: string[][] = [
    ['bare client: signalWithStart (grpc-js, protobuf, payload conversion)', fmt(bareCpu, 0)],
    ['gateway: HTTP server + Fastify + the same signalWithStart', fmt(gwCpu, 0)],
    ['  difference', fmt(gwCpu - bareCpu, 0)],
  ];
  if (breakdown !== undefined) {
    const b = breakdown;
    lines.push(
      [`stand-ins answering after ${b.delayMs} ms (the bare p50, so the rate matches), no Temporal:`, ''],
      [`  bare node:http reading the body, fixed 202 (${standInNote(b.raw)})`, fmt(b.raw.clientCpuUs, 0)],
      [`  the gateway with a no-op sink (${standInNote(b.noop)})`, fmt(b.noop.clientCpuUs, 0)],
      ['  → Fastify routing, media type, HMAC, JSON, zod, metrics, reply: beyond node:http', fmt(b.noop.clientCpuUs - b.raw.clientCpuUs, 0)],
      ['  → rest of the difference (the same Temporal calls driven by HTTP, and noise)', fmt(gwCpu - bareCpu - b.noop.clientCpuUs, 0)],
      [`  the no-op gateway with production logging: pino JSON at info into /dev/null (${standInNote(b.logged)})`, fmt(b.logged.clientCpuUs, 0)],
      ['  → logging (Fastify logs every request twice; off in the rounds: logger false)', fmt(b.logged.clientCpuUs - b.noop.clientCpuUs, 0)],
      ['micro-benchmarks, per request:', ''],
      ['  HMAC-SHA256 verify', fmt(b.micro.hmacUs, 1)],
      ['  JSON.parse of the body', fmt(b.micro.jsonParseUs, 1)],
      ['  zod CommerceWebhookV1', fmt(b.micro.zodUs, 1)],
      ['  building + signing a body (load generator side)', fmt(b.micro.generateUs, 1)],
      [`autocannon's own CPU per request at the rounds' rate (load generator)`, fmt(b.noop.loadgenCpuUs, 0)],
    );
  }
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
  const delta = (cats: readonly string[]): string => fmt(sum('gateway', cats) - sum('bare', cats), 0);
  const rows = shown.map((c) => [c, fmt(perCall('bare', c), 0), fmt(perCall('gateway', c), 0), delta([c])]);
  if (rest.length > 0) rows.push([`(${rest.length} more)`, fmt(sum('bare', rest), 0), fmt(sum('gateway', rest), 0), delta(rest)]);
  rows.push(['total on the main thread (busy)', fmt(sum('bare', categories), 0), fmt(sum('gateway', categories), 0), delta(categories)]);
  ctx.out('');
  ctx.out(`## CPU profile of the measured phases: self time on the main thread, µs per call (${profiles.bare.calls} bare, ${profiles.gateway.calls} gateway calls)`);
  ctx.out('(sampled wall time while the main thread was not idle: on a saturated machine it includes time descheduled)');
  ctx.out(table(['category', 'bare', 'gateway', 'Δ'], rows));
}

/** The gateway's PII parts without a database: the bench's bodies carry no e-mail, and /codec is not measured here. */
function storelessPii(config: Config): Pick<GatewayDeps, 'emails' | 'codec'> {
  return {
    emails: createCustomerEmails(config.pii.keyring, createMemoryCustomerKeyStore()),
    codec: { codec: new AesGcmPayloadCodec(config.pii.keyring), apiToken: config.secrets.codecApiToken, corsOrigins: config.pii.codecCorsOrigins, namespace: config.temporal.namespace },
  };
}
