// Prometheus metrics of the gateway on a registry of its own (one per app, so tests and benches never share state):
// requests by route and status, request latency, and how long Temporal takes to accept an event (signalWithStart).
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
