// The command line of `npm run chaos`, and the fault schedule it implies (durations and offsets × --fault-scale).

export interface ChaosArgs {
  orders: number;
  /** Orders started per second. */
  rate: number;
  /** Orders being delivered at once, at most. */
  concurrency: number;
  /** Multiplies every fault's offset and duration (the worker kills stay every 5 s). */
  faultScale: number;
  workers: number;
  seed: number;
  /** Total deadline of the run after the stack is ready, in ms. */
  deadlineMs: number;
  /** PAYMENT_CAPTURE_WINDOW given to the stack, in ms. */
  captureWindowMs: number;
  /** Seconds between two worker kills. */
  killEverySeconds: number;
  dataDir: string | undefined;
  /** Run a real Prometheus beside the stack and report the alerts that fired (dev/chaos/prometheus.ts). */
  prometheus: boolean;
}

export class ChaosUsageError extends Error {
  override readonly name = 'ChaosUsageError';
}

export const USAGE = `usage: npm run chaos -- [--orders N] [--rate R] [--concurrency C] [--fault-scale S] [--workers W]
                       [--seed N] [--deadline-min M] [--capture-window-s S] [--kill-every-s S] [--data-dir DIR]
                       [--prometheus]
  --orders N            orders to run (default 1000)
  --rate R              orders started per second (default 10)
  --concurrency C       orders being delivered at once, at most (default 40)
  --fault-scale S       multiplies fault durations and offsets (default 1; 0.3 for a short run)
  --workers W           npm start -- --workers W (default 2)
  --seed N              seed of the order mix (default 13)
  --deadline-min M      total deadline once the stack is ready (default 20)
  --capture-window-s S  PAYMENT_CAPTURE_WINDOW (default max(60, 150 × fault-scale))
  --kill-every-s S      a worker SIGKILL every S seconds (default 5)
  --data-dir DIR        where the stack, logs and report go (default .data/chaos/<run id>)
  --prometheus          also run Prometheus on the service's alert rules and list the alerts that fired`;

export function parseChaosArgs(argv: readonly string[]): ChaosArgs {
  const values = new Map<string, string>();
  let prometheus = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    if (flag === '--help' || flag === '-h') throw new ChaosUsageError(USAGE);
    if (flag === '--prometheus') {
      prometheus = true;
      continue;
    }
    const [name, inline] = flag.startsWith('--') && flag.includes('=') ? [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)] : [flag, undefined];
    if (!name.startsWith('--')) throw new ChaosUsageError(`unexpected argument "${flag}"\n${USAGE}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ChaosUsageError(`${name} needs a value\n${USAGE}`);
    values.set(name.slice(2), value);
  }
  const known = ['orders', 'rate', 'concurrency', 'fault-scale', 'workers', 'seed', 'deadline-min', 'capture-window-s', 'kill-every-s', 'data-dir'];
  for (const k of values.keys()) if (!known.includes(k)) throw new ChaosUsageError(`unknown flag --${k}\n${USAGE}`);
  const num = (name: string, fallback: number, ok: (n: number) => boolean) => {
    const v = values.get(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || !ok(n)) throw new ChaosUsageError(`--${name} "${v}" is out of range\n${USAGE}`);
    return n;
  };
  const faultScale = num('fault-scale', 1, (n) => n > 0 && n <= 10);
  return {
    orders: num('orders', 1000, (n) => Number.isInteger(n) && n >= 1 && n <= 20_000),
    rate: num('rate', 10, (n) => n > 0 && n <= 200),
    concurrency: num('concurrency', 40, (n) => Number.isInteger(n) && n >= 1 && n <= 500),
    faultScale,
    workers: num('workers', 2, (n) => Number.isInteger(n) && n >= 1 && n <= 16),
    seed: num('seed', 13, (n) => Number.isInteger(n)),
    deadlineMs: num('deadline-min', 20, (n) => n > 0 && n <= 120) * 60_000,
    captureWindowMs: num('capture-window-s', Math.max(60, Math.round(150 * faultScale)), (n) => n >= 10 && n <= 3600) * 1000,
    killEverySeconds: num('kill-every-s', 5, (n) => n >= 1 && n <= 600),
    dataDir: values.get('data-dir'),
    prometheus,
  };
}

export type FaultKind = 'commerce-errors' | 'kafka-restart' | 'pim-down' | 'store-unreachable' | 'temporal-restart';

export interface ScheduledFault {
  kind: FaultKind;
  /** ms after the orders start. */
  atMs: number;
  /** How long it lasts (0 for a restart: it lasts as long as the restart takes). */
  durationMs: number;
}

/** Issue 13 item 1 at scale 1; every offset and duration is multiplied by `scale`. */
export function faultSchedule(scale: number): ScheduledFault[] {
  const s = (seconds: number) => Math.round(seconds * 1000 * scale);
  return [
    { kind: 'commerce-errors', atMs: s(10), durationMs: s(60) },
    { kind: 'kafka-restart', atMs: s(20), durationMs: 0 },
    { kind: 'pim-down', atMs: s(30), durationMs: s(120) },
    { kind: 'store-unreachable', atMs: s(45), durationMs: s(30) },
    { kind: 'temporal-restart', atMs: s(60), durationMs: 0 },
    { kind: 'kafka-restart', atMs: s(95), durationMs: 0 },
  ];
}
