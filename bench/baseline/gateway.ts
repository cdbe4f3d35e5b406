// The gateway process of the baseline path: src/gateway/server.ts line for line — the same Fastify options, the real
// gateway plugin, its production dependencies from buildGatewayDeps — except that webhook events go to the baseline
// workflow (order-events.ts). Configured by the environment like the service's (src/config.ts), plus
// BENCH_BASELINE_WORKFLOW_TYPE.
import Fastify from 'fastify';
import { runUntilSignal } from '../../src/process/lifecycle';
import { openDashboardStore } from '../../src/store/dashboard-store';
import { gatewayApp, gatewayServerOptions } from '../../src/gateway/app';
import { buildGatewayDeps } from '../../src/gateway/gateway-deps';
import { connectClient } from '../../src/temporal/connection';
import { BASELINE_WORKFLOW_TYPES } from './names';
import { createBaselineOrderEvents } from './order-events';

await runUntilSignal('gateway', async (config, logger) => {
  const store = await openDashboardStore({ dataDir: config.store.dataDir, ...(config.store.databaseUrl ? { databaseUrl: config.store.databaseUrl } : {}) });
  const owned = await buildGatewayDeps(config, logger, store);
  // buildGatewayDeps keeps its client to itself (readiness, commands); the events get one of their own, built alike.
  const client = await connectClient(config);
  const workflowType = process.env['BENCH_BASELINE_WORKFLOW_TYPE'] ?? BASELINE_WORKFLOW_TYPES.queued;
  const app = Fastify(gatewayServerOptions(logger));
  await app.register(gatewayApp, { ...owned.deps, events: createBaselineOrderEvents({ client, workflowType, windows: config.windows }) });
  await app.listen({ port: config.http.port, host: config.http.host });
  return {
    async stop() {
      await app.close();
      await client.connection.close();
      await owned.close();
      await store.close();
    },
  };
});
