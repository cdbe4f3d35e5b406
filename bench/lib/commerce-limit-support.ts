// Helpers of `npm run bench -- commerce-limit`: the three external APIs as instant fakes that never throttle (the
// Commerce one records when every validation call arrives), the sliding-window count over those arrivals, and the
// CPU time of a set of processes by pid.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CommerceOrderRecord, PimItem } from '../../contracts';
import type { FromFakes } from './commerce-fakes-child';
import { processCpuMs } from './cpu';
import type { FromStore } from './shared-store-child';

export interface InstantApis {
  urls: { commerce: string; pim: string; payment: string };
  /** performance.now() of each Commerce call's arrival (the request line parsed), in arrival order. */
  arrivals(): readonly number[];
  /** Distinct order ids the Commerce fake was asked about. */
  distinctOrders(): number;
  /** Resolves once `n` distinct orders have been asked about (or never, if they are not). */
  whenDistinct(n: number): Promise<void>;
  /** Called once, at the first Commerce call. */
  onFirstCall(cb: () => void): void;
  stop(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    handler(req, res);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const urlOf = (s: Server): string => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

/**
 * `order(orderId)` is the record the Commerce fake answers, the one the bench submitted (so validation passes and the
 * order goes on as a real one would). Every answer is immediate: 200, never 429.
 */
export async function startInstantApis(order: (orderId: string) => CommerceOrderRecord): Promise<InstantApis> {
  const arrivals: number[] = [];
  const seen = new Set<string>();
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  let first: (() => void) | undefined;
  const commerce = await listen((req, res) => {
    const at = performance.now();
    arrivals.push(at);
    if (arrivals.length === 1) first?.();
    const match = /^\/orders\/([^/?]+)$/.exec(req.url ?? '');
    if (!match?.[1]) return send(res, 404, { error: 'not found' });
    const id = decodeURIComponent(match[1]);
    seen.add(id);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i];
      if (w !== undefined && seen.size >= w.n) {
        waiters.splice(i, 1);
        w.resolve();
      }
    }
    send(res, 200, order(id));
  });
  const pim = await listen((req, res) => {
    const match = /^\/items\/([^/?]+)$/.exec(req.url ?? '');
    if (!match?.[1]) return send(res, 404, { error: 'not found' });
    const itemId = decodeURIComponent(match[1]);
    const item: PimItem = { item_id: itemId, sku_id: `SKU-${itemId}`, brand_code: 'BENCH' };
    send(res, 200, item);
  });
  // No capture is ever sent in this bench: any Payment call is a surprise, answered 404.
  const payment = await listen((_req, res) => send(res, 404, { error: 'not found' }));
  const servers = [commerce, pim, payment];
  return {
    urls: { commerce: urlOf(commerce), pim: urlOf(pim), payment: urlOf(payment) },
    arrivals: () => arrivals,
    distinctOrders: () => seen.size,
    whenDistinct: (n) => (seen.size >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    onFirstCall: (cb) => {
      first = cb;
    },
    async stop() {
      for (const s of servers) s.closeAllConnections();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

/** The most arrivals in any half-open window [t, t + windowMs), t anywhere (ascending input), and where it starts. */
export function maxInSlidingWindow(sortedMs: readonly number[], windowMs = 1000): { count: number; startMs: number } {
  let best = 0;
  let bestStart = Number.NaN;
  let j = 0;
  for (let i = 0; i < sortedMs.length; i++) {
    const t = sortedMs[i] ?? 0;
    while ((sortedMs[j] ?? 0) <= t - windowMs) j++;
    if (i - j + 1 > best) {
      best = i - j + 1;
      bestStart = sortedMs[j] ?? 0;
    }
  }
  return { count: best, startMs: bestStart };
}

/** Calls per second between the p-th and (1-p)-th arrival: the steady part, without ramp-up and tail. */
export function steadyRate(sortedMs: readonly number[], trim = 0.1): { rate: number; fromMs: number; toMs: number; calls: number } {
  const n = sortedMs.length;
  const a = Math.floor(n * trim);
  const b = Math.max(a, Math.ceil(n * (1 - trim)) - 1);
  const fromMs = sortedMs[a] ?? Number.NaN;
  const toMs = sortedMs[b] ?? Number.NaN;
  return { rate: b > a ? ((b - a) * 1000) / (toMs - fromMs) : Number.NaN, fromMs, toMs, calls: b - a };
}

export type PidCpu = Map<number, number | undefined>;

export function pidCpuSnapshot(pids: readonly number[]): PidCpu {
  return new Map(pids.map((p) => [p, processCpuMs(p)]));
}

/** CPU ms per pid since `start`. */
export function pidCpuSince(start: PidCpu): Map<number, number | undefined> {
  const out = new Map<number, number | undefined>();
  for (const [pid, before] of start) {
    const now = processCpuMs(pid);
    out.set(pid, before === undefined || now === undefined ? undefined : now - before);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// The fakes in their own process (commerce-fakes-child.ts).

export interface FakesProcess {
  readonly pid: number;
  urls: InstantApis['urls'];
  /** Resolves at the first Commerce call (as the child saw it, one IPC hop later). */
  firstCall: Promise<void>;
  whenDistinct(n: number): Promise<void>;
  /** Arrival times (the child's performance.now(), ms) and distinct orders so far. */
  collect(): Promise<{ arrivals: number[]; distinct: number }>;
  close(): Promise<void>;
}

export async function startFakesProcess(): Promise<FakesProcess> {
  type Msg = FromFakes;
  const child = fork(fileURLToPath(new URL('./commerce-fakes-child.ts', import.meta.url)), [], {
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the fakes process');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const listeners = new Set<(m: Msg) => void>();
  child.on('message', (raw) => {
    for (const l of [...listeners]) l(raw as Msg);
  });
  const next = <T extends Msg['type']>(type: T, pred: (m: Extract<Msg, { type: T }>) => boolean = () => true): Promise<Extract<Msg, { type: T }>> =>
    new Promise((resolve, reject) => {
      const l = (m: Msg): void => {
        if (m.type === type && pred(m as Extract<Msg, { type: T }>)) {
          listeners.delete(l);
          resolve(m as Extract<Msg, { type: T }>);
        }
      };
      listeners.add(l);
      void exited.then(() => {
        if (listeners.delete(l)) reject(new Error('the fakes process exited'));
      });
    });
  const ready = await Promise.race([next('ready'), exited.then(() => Promise.reject(new Error('the fakes process exited at start')))]);
  const firstCall = next('first').then(() => undefined);
  firstCall.catch(() => undefined);
  return {
    pid,
    urls: ready.urls,
    firstCall,
    whenDistinct(n) {
      const reached = next('reached', (m) => m.distinct === n).then(() => undefined);
      child.send({ type: 'watch', distinct: n });
      return reached;
    },
    async collect() {
      const reply = next('arrivals');
      child.send({ type: 'collect' });
      const m = await reply;
      return { arrivals: m.arrivals, distinct: m.distinct };
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ type: 'exit' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The shared embedded store in its own process (shared-store-child.ts). */
export async function startSharedStoreProcess(dataDir: string): Promise<{ pid: number; databaseUrl: string; close(): Promise<void> }> {
  const child = fork(fileURLToPath(new URL('./shared-store-child.ts', import.meta.url)), [dataDir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the shared store process');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const msg = await new Promise<FromStore>((resolve, reject) => {
    child.once('message', (m) => resolve(m as FromStore));
    void exited.then(() => reject(new Error('the shared store process exited at start')));
  });
  if (msg.type === 'error') throw new Error(`shared store: ${msg.message}`);
  return {
    pid,
    databaseUrl: msg.databaseUrl,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
