// `npm run gateway`: listens on PORT and closes with grace (stop accepting, finish in-flight, close Temporal).
import { runUntilSignal } from '../process/lifecycle';
import { openDashboardStore } from '../store/dashboard-store';
import { buildGateway } from './app';
import { buildGatewayDeps } from './gateway-deps';

await runUntilSignal('gateway', async (config, logger) => {
  const store = await openDashboardStore({ dataDir: config.store.dataDir, ...(config.store.databaseUrl ? { databaseUrl: config.store.databaseUrl } : {}) });
  const owned = await buildGatewayDeps(config, logger, store);
  const app = await buildGateway(owned.deps);
  await app.listen({ port: config.http.port, host: config.http.host });
  return {
    async stop() {
      await app.close();
      await owned.close();
      await store.close();
    },
  };
});
