// Prometheus metrics of the gateway on a registry of its own (one per app, so tests and benches never share state):
// requests by route and status, request latency, how long Temporal takes to accept an event (signalWithStart), and
// the count of orders with a parked step and the remediation sweeper's findings, read from the store at scrape time.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RemediationSnapshot } from '../../contracts/remediation';

export interface GatewayMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  requestSeconds: Histogram<'method' | 'route' | 'status'>;
  signalWithStartSeconds: Histogram<'kind' | 'outcome'>;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createGatewayMetrics(options: { processMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: 'oms_http_requests_total',
      help: 'HTTP requests answered, by route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    requestSeconds: new Histogram({
      name: 'oms_http_request_duration_seconds',
      help: 'Time from request received to response sent, by route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    signalWithStartSeconds: new Histogram({
      name: 'oms_temporal_signal_with_start_duration_seconds',
      help: 'Time for Temporal to durably accept a webhook event (signalWithStart, or the late-event start)',
      labelNames: ['kind', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
  };
}

export const PARKED_ORDERS_GAUGE = 'oms_orders_with_parked_steps';

/** Long enough for a loaded database, well inside Prometheus' default 10 s scrape timeout. */
export const PARKED_ORDERS_TIMEOUT_MS = 2_000;

export interface ParkedOrdersSource {
  /** How many orders have a parked step (the store's countParked). */
  count(): Promise<number>;
  /** Told why a scrape could not read the count; the scrape still answers. */
  onError(err: unknown): void;
  /** Give up on the count after this long: a hung database must not hang /metrics. */
  timeoutMs?: number;
}

/**
 * Registers the gauge of orders with a parked step, read at scrape time (alert when it stays above 0). When the
 * read fails or times out, the gauge keeps its last value, or has no sample before the first success: a made-up
 * 0 would read as "nothing parked". Remove it with `registry.removeSingleMetric(PARKED_ORDERS_GAUGE)`.
 */
export function registerParkedOrdersGauge(registry: Registry, source: ParkedOrdersSource): Gauge {
  const timeoutMs = source.timeoutMs ?? PARKED_ORDERS_TIMEOUT_MS;
  let known = false;
  const gauge: Gauge = new Gauge({
    name: PARKED_ORDERS_GAUGE,
    help: 'Orders with a step parked after exhausting its retries (the support PARKED queue), read at scrape time',
    registers: [registry],
    async collect() {
      try {
        gauge.set(await withTimeout(source.count(), timeoutMs));
        known = true;
      } catch (err) {
        source.onError(err);
        if (!known) gauge.remove();
      }
    },
  });
  return gauge;
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The remediation sweeper's gauges (docs/reliability.md, "Remediation: the sweeper"); alert rules use these names. */
export const REMEDIATION_GAUGES = {
  stuckOrders: 'oms_remediation_stuck_orders',
  oldestStuckAge: 'oms_remediation_oldest_stuck_age_seconds',
  parkedSteps: 'oms_remediation_parked_steps',
  oldestParkedAge: 'oms_remediation_oldest_parked_age_seconds',
  refundsOwed: 'oms_remediation_refunds_owed',
  lateEventFailures: 'oms_remediation_late_event_failures',
  lastRun: 'oms_remediation_sweeper_last_run_timestamp_seconds',
} as const;

export interface RemediationSnapshotSource {
  /** The newest sweep's snapshot (the store's latestRemediationSnapshot); undefined before the first sweep. */
  latest(): Promise<RemediationSnapshot | undefined>;
  onError(err: unknown): void;
  timeoutMs?: number;
}

/**
 * Registers the sweeper's gauges, read from its newest snapshot at scrape time (one store read per scrape, shared by
 * all seven). They show what the last sweep found; how old that is, is the last-run timestamp's job (alert on
 * `time() - oms_remediation_sweeper_last_run_timestamp_seconds`). Before the first sweep, and while the store cannot
 * be read before any success, they have no samples: a made-up 0 would read as "nothing stuck". Returns the remover.
 */
export function registerRemediationGauges(registry: Registry, source: RemediationSnapshotSource): () => void {
  const timeoutMs = source.timeoutMs ?? PARKED_ORDERS_TIMEOUT_MS;
  const gaugeCount = Object.keys(REMEDIATION_GAUGES).length;
  let known: RemediationSnapshot | undefined;
  let shared: { read: Promise<RemediationSnapshot | undefined>; uses: number; at: number } | undefined;
  // One scrape collects every gauge once: they share one read, and the next scrape (or one that only asked for some
  // of them, a few seconds ago) reads again.
  const snapshot = (): Promise<RemediationSnapshot | undefined> => {
    const now = Date.now();
    if (!shared || shared.uses >= gaugeCount || now - shared.at > 5_000) {
      const read = withTimeout(source.latest(), timeoutMs)
        .then((s) => (known = s))
        .catch((err: unknown) => {
          source.onError(err);
          return known;
        });
      shared = { read, uses: 0, at: now };
    }
    shared.uses++;
    return shared.read;
  };
  const gauge = <L extends string>(name: string, help: string, labelNames: L[], fill: (g: Gauge<L>, s: RemediationSnapshot) => void): Gauge<L> => {
    const g: Gauge<L> = new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const s = await snapshot();
        g.reset();
        if (s) fill(g, s);
        // reset() leaves an unlabeled gauge at 0: before the first snapshot it must have no sample at all.
        else if (labelNames.length === 0) g.remove();
      },
    });
    return g;
  };
  gauge(REMEDIATION_GAUGES.stuckOrders, 'Open orders resting in one status longer than its threshold, by status (last sweep)', ['status'], (g, s) => {
    for (const t of s.stuck) g.set({ status: t.status }, t.count);
  });
  gauge(REMEDIATION_GAUGES.oldestStuckAge, 'Age in its status of the oldest stuck order, by status (last sweep; 0 when none)', ['status'], (g, s) => {
    for (const t of s.stuck) g.set({ status: t.status }, t.oldest_age_seconds);
  });
  gauge(REMEDIATION_GAUGES.parkedSteps, 'Steps parked after exhausting their retries, of open and closed orders (last sweep)', [], (g, s) => g.set(s.parked_steps.count));
  gauge(REMEDIATION_GAUGES.oldestParkedAge, 'Age of the oldest parked step (last sweep; 0 when none)', [], (g, s) => g.set(s.parked_steps.oldest_age_seconds));
  gauge(REMEDIATION_GAUGES.refundsOwed, 'Captured payments of CANCELLED/EXPIRED orders not refunded yet, or whose refund is parked (last sweep)', [], (g, s) =>
    g.set(s.refunds_owed.count),
  );
  gauge(REMEDIATION_GAUGES.lateEventFailures, 'LateEventWorkflow runs that failed, timed out, were terminated, or run past their threshold (last sweep)', [], (g, s) =>
    g.set(s.late_event_failures.count),
  );
  gauge(REMEDIATION_GAUGES.lastRun, 'When the last sweep that wrote its findings looked (Unix seconds)', [], (g, s) => g.set(Date.parse(s.run_at) / 1000));
  return () => {
    for (const name of Object.values(REMEDIATION_GAUGES)) registry.removeSingleMetric(name);
  };
}
