// Runs the worker and the gateway inside the `npm start` process, sharing one embedded dashboard store
// (PGlite is single-process; production runs `npm run worker` and `npm run gateway` against PostgreSQL).
import type { Config } from '../../src/config';
import { buildGateway } from '../../src/gateway/app';
import { buildGatewayDeps } from '../../src/gateway/gateway-deps';
import type { Logger } from '../../src/logger';
import type { DashboardStore } from '../../src/store/dashboard-store';
import { connectWorker } from '../../src/temporal/connection';
import { createWorkers } from '../../src/worker/create-workers';
import { installTemporalRuntime } from '../../src/worker/runtime';
import { buildWorkerDeps } from '../../src/worker/worker-deps';

export interface InProcessService {
  port: number;
  running: Promise<void>;
  stop(): Promise<void>;
}

export async function startServiceInProcess(config: Config, logger: Logger, store: DashboardStore): Promise<InProcessService> {
  installTemporalRuntime(logger.child({ process: 'worker' }), config.workerMetricsAddress);
  const workerDeps = buildWorkerDeps(config, logger.child({ process: 'worker' }), store);
  const connection = await connectWorker(config);
  const workers = await createWorkers({ connection, namespace: config.temporal.namespace, deps: workerDeps.deps, commerceApiRps: config.commerceApiRps });
  const running = workers.run();

  const gatewayDeps = await buildGatewayDeps(config, logger.child({ process: 'gateway' }), store);
  const app = await buildGateway(gatewayDeps.deps);
  await app.listen({ port: config.http.port, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;

  return {
    port,
    running,
    async stop() {
      await app.close();
      await gatewayDeps.close();
      workers.shutdown();
      await running.catch(() => undefined);
      await workerDeps.close();
      await connection.close();
    },
  };
}
