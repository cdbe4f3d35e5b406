// Prometheus metrics of the gateway on a registry of its own (one per app, so tests and benches never share state):
// requests by route and status, request latency, how long Temporal takes to accept an event (signalWithStart), and
// the count of orders with a parked step, read from the dashboard store at scrape time.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
