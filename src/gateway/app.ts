// The gateway as a Fastify application: plugins first, then routes by resource. server.ts only listens and closes.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from '../logger';
import type { DashboardStore } from '../store/dashboard-store';
import type { OrderCommands } from '../temporal/order-commands';
import type { OrderEventSink } from '../temporal/order-events';
import { createGatewayMetrics, type GatewayMetrics } from './metrics';
import { metricsPlugin } from './plugins/metrics';
import { openApi } from './plugins/openapi';
import { frameworkErrors, problemErrors } from './plugins/problem-errors';
import { BODY_LIMIT_BYTES, rawJsonBody } from './plugins/raw-json-body';
import { commandRoutes } from './routes/commands';
import { healthRoutes, type ReadinessCheck } from './routes/health';
import { orderRoutes } from './routes/orders';
import { webhookRoutes } from './routes/webhooks';

export interface GatewayDeps {
  logger: Logger | false;
  events: OrderEventSink;
  commands: OrderCommands;
  /** countParked feeds the oms_orders_with_parked_steps gauge; a store without it exports no such gauge. */
  store: Pick<DashboardStore, 'get' | 'listByCustomer' | 'listByStatus'> & Partial<Pick<DashboardStore, 'countParked'>>;
  secrets: { commerceWebhook: string; paymentWebhook: string; supportApiToken: string };
  readiness: Record<string, ReadinessCheck>;
  /** Defaults to a fresh registry with process metrics. */
  metrics?: GatewayMetrics;
}

export async function buildGateway(deps: GatewayDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps the instance's default generics for callers.
    ...(deps.logger === false ? { logger: false } : { loggerInstance: deps.logger as FastifyBaseLogger }),
    bodyLimit: BODY_LIMIT_BYTES,
    // Behind a load balancer the request id comes from it; otherwise Fastify makes one.
    requestIdHeader: 'x-request-id',
    // An id may be 128 code points (contract §4), i.e. up to 256 UTF-16 units once decoded; Fastify's default bound of
    // 100 would make such an order unreadable by GET /v1/orders/{id}. Longer values still reach the id schema (a 400
    // naming the parameter) up to this bound; beyond it the router answers 414.
    routerOptions: { maxParamLength: 1024 },
    frameworkErrors,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const metrics = deps.metrics ?? createGatewayMetrics();
  await app.register(problemErrors);
  await app.register(rawJsonBody);
  await app.register(metricsPlugin, { metrics, countParked: deps.store.countParked?.bind(deps.store) });
  await app.register(openApi);
  await app.register(healthRoutes, { checks: deps.readiness });
  await app.register(webhookRoutes, { events: deps.events, secrets: deps.secrets, metrics });
  await app.register(orderRoutes, { store: deps.store, supportApiToken: deps.secrets.supportApiToken });
  await app.register(commandRoutes, { commands: deps.commands, supportApiToken: deps.secrets.supportApiToken });
  return app;
}
