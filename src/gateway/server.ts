// `npm run gateway`: the gateway plugin on a Fastify instance, listening on PORT; closes with grace (close-with-grace in
// runUntilSignal: stop accepting, finish in-flight requests, then close Temporal, Kafka and the store).
import Fastify from 'fastify';
import { runUntilSignal } from '../process/lifecycle';
import { openDashboardStore } from '../store/dashboard-store';
import { storeWaitLogger, whenReachable } from '../store/when-reachable';
import { requestTracing } from '../tracing/request-tracing';
import { startTracingFromConfig } from '../tracing/tracing';
import { gatewayApp, gatewayServerOptions } from './app';
import { buildGatewayDeps } from './gateway-deps';

await runUntilSignal('gateway', async (config, logger) => {
  // Off (undefined) unless an OTLP endpoint is configured: then every request's span starts the order's trace.
  const tracing = startTracingFromConfig(config.tracing);
  // Started while the store is down, the gateway waits for it instead of exiting (its readiness says not ready).
  const store = await whenReachable('the dashboard store', () => openDashboardStore({ dataDir: config.store.dataDir, ...(config.store.databaseUrl ? { databaseUrl: config.store.databaseUrl } : {}) }), { onRetry: storeWaitLogger(logger) });
  const owned = await buildGatewayDeps(config, logger, store, tracing);
  const app = Fastify(gatewayServerOptions(logger));
  if (tracing) await app.register(requestTracing, { tracer: tracing.tracer });
  await app.register(gatewayApp, owned.deps);
  await app.listen({ port: config.http.port, host: config.http.host });
  return {
    async stop() {
      await app.close();
      await owned.close();
      await store.close();
      await tracing?.shutdown();
    },
  };
});
