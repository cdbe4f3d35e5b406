// Records every answered request in the gateway's metrics and serves them at /metrics (Prometheus text format),
// with the gauges read at scrape time (orders with a parked step).
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { PARKED_ORDERS_GAUGE, registerParkedOrdersGauge, type GatewayMetrics } from '../../metrics';

export interface MetricsPluginOptions {
  metrics: GatewayMetrics;
  /** The store's countParked; without it there is no oms_orders_with_parked_steps gauge. */
  countParked?: (() => Promise<number>) | undefined;
}

export const metricsPlugin = fp<MetricsPluginOptions>(
  async (app: FastifyInstance, { metrics, countParked }) => {
    if (countParked) {
      registerParkedOrdersGauge(metrics.registry, {
        count: countParked,
        onError: (err) => app.log.warn({ err }, 'could not count orders with parked steps for /metrics'),
      });
      // The registry may outlive this app (passed in through the gateway's options): the next app registers its own gauge.
      app.addHook('onClose', async () => metrics.registry.removeSingleMetric(PARKED_ORDERS_GAUGE));
    }
    app.addHook('onResponse', async (request, reply) => {
      // The route pattern, never the raw URL: order ids in labels would explode the series count.
      const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
      metrics.requests.inc(labels);
      metrics.requestSeconds.observe(labels, reply.elapsedTime / 1000);
    });
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  },
  { name: 'metrics' },
);
