// `npm run gateway`: the gateway plugin on a Fastify instance, listening on PORT; closes with grace (close-with-grace in
// runUntilSignal: stop accepting, finish in-flight requests, then close Temporal, Kafka and the store).
import Fastify from 'fastify';
import { runUntilSignal } from '../process/lifecycle';
import { openDashboardStore } from '../store/dashboard-store';
import { gatewayApp, gatewayServerOptions } from './app';
import { buildGatewayDeps } from './gateway-deps';

await runUntilSignal('gateway', async (config, logger) => {
  const store = await openDashboardStore({ dataDir: config.store.dataDir, ...(config.store.databaseUrl ? { databaseUrl: config.store.databaseUrl } : {}) });
  const owned = await buildGatewayDeps(config, logger, store);
  const app = Fastify(gatewayServerOptions(logger));
  await app.register(gatewayApp, owned.deps);
  await app.listen({ port: config.http.port, host: config.http.host });
  return {
    async stop() {
      await app.close();
      await owned.close();
      await store.close();
    },
  };
});
