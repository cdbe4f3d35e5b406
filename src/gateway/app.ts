// The gateway as a Fastify plugin (the shape of fastify/demo's src/app.ts): its own plugins, the third-party ones, then
// the routes by resource. Whoever hosts it creates the Fastify instance with `gatewayServerOptions` and registers
// `gatewayApp`: server.ts in production (it also listens and closes with grace), test/helpers/gateway-app.ts in tests.
import type { Server } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyHttpOptions, type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from '../logger';
import type { CustomerEmails } from '../pii/customer-emails';
import type { DashboardStore } from '../store/dashboard-store';
import type { OrderCommands } from '../temporal/order-commands';
import type { OrderEventSink } from '../temporal/order-events';
import { createGatewayMetrics, type GatewayMetrics } from './metrics';
import { metricsPlugin } from './plugins/app/metrics';
import { frameworkErrors, problemErrors } from './plugins/app/problem-errors';
import { BODY_LIMIT_BYTES, rawJsonBody } from './plugins/app/raw-json-body';
import { swaggerDocs } from './plugins/external/swagger';
import { codecRoutes, type CodecRouteOptions } from './routes/codec';
import { commandRoutes } from './routes/commands';
import { consoleRoutes } from './routes/console';
import { healthRoutes, type ReadinessCheck } from './routes/health';
import { orderRoutes } from './routes/orders';
import { supportConsoleRoutes, type SupportConsoleRouteOptions } from './routes/support-console';
import { remediationRoutes } from './routes/remediation';
import { webhookRoutes } from './routes/webhooks';

/** The plugin's options: what the gateway talks to, and the secrets it checks. */
export interface GatewayOptions {
  events: OrderEventSink;
  commands: OrderCommands;
  /** countParked feeds the oms_orders_with_parked_steps gauge; a store without it exports no such gauge. */
  /** latestRemediationSnapshot feeds the sweeper's gauges and GET /v1/support/remediation; a store without it has neither. */
  store: Pick<DashboardStore, 'get' | 'listByCustomer' | 'listByStatus'> & Partial<Pick<DashboardStore, 'countParked' | 'latestRemediationSnapshot'>>;
  secrets: { commerceWebhook: string; paymentWebhook: string; supportApiToken: string };
  /** Seals version 2's e-mail at the door and opens it for GET /v1/orders/{id} only (src/pii/customer-emails.ts). */
  emails: Pick<CustomerEmails, 'seal' | 'open'>;
  /** The Web UI's codec server under /codec (contract §9). */
  codec: CodecRouteOptions;
  readiness: Record<string, ReadinessCheck>;
  /** Defaults to a fresh registry with process metrics. */
  metrics?: GatewayMetrics;
  /** The support console's reads (docs/console.md); without it the Commerce view answers 503 and no Web UI is linked. */
  supportConsole?: Omit<SupportConsoleRouteOptions, 'supportApiToken'>;
}

/** The plugin's options and the logger of the Fastify instance that hosts it (a server option, not a plugin one). */
export interface GatewayDeps extends GatewayOptions {
  logger: Logger | false;
}

/**
 * The options of the Fastify instance that hosts the gateway: they are the instance's, not a plugin's, so the host
 * passes them to Fastify() itself.
 */
export function gatewayServerOptions(logger: Logger | false): FastifyHttpOptions<Server, FastifyBaseLogger> {
  return {
    // pino's Logger is a FastifyBaseLogger; the cast keeps the instance's default generics for callers.
    ...(logger === false ? { logger: false } : { loggerInstance: logger as FastifyBaseLogger }),
    bodyLimit: BODY_LIMIT_BYTES,
    // Behind a load balancer the request id comes from it; otherwise Fastify makes one.
    requestIdHeader: 'x-request-id',
    // An id may be 128 code points (contract §4), i.e. up to 256 UTF-16 units once decoded; Fastify's default bound of
    // 100 would make such an order unreadable by GET /v1/orders/{id}. Longer values still reach the id schema (a 400
    // naming the parameter) up to this bound; beyond it the router answers 414.
    routerOptions: { maxParamLength: 1024 },
    // The router's own errors (bad percent-encoding, a parameter over the bound) leave as problems too.
    frameworkErrors,
  };
}

/**
 * The whole gateway. Wrapped in fastify-plugin so that its error and not-found handlers, its body parser, its hooks
 * and its schema compilers apply to the host instance itself (an encapsulated child could not replace them there).
 */
export const gatewayApp = fp<GatewayOptions>(
  async (app, opts) => {
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);

    const metrics = opts.metrics ?? createGatewayMetrics();
    // The app's own plugins (plugins/app), the third-party ones (plugins/external: before the routes, which the OpenAPI
    // document is generated from), then the routes by resource.
    await app.register(problemErrors);
    await app.register(rawJsonBody);
    await app.register(metricsPlugin, { metrics, countParked: opts.store.countParked?.bind(opts.store) });
    await app.register(swaggerDocs);
    await app.register(healthRoutes, { checks: opts.readiness });
    await app.register(webhookRoutes, { events: opts.events, secrets: opts.secrets, metrics, emails: opts.emails });
    await app.register(orderRoutes, { store: opts.store, supportApiToken: opts.secrets.supportApiToken, emails: opts.emails });
    await app.register(commandRoutes, { commands: opts.commands, supportApiToken: opts.secrets.supportApiToken });
    if (opts.store.latestRemediationSnapshot) await app.register(remediationRoutes, { latest: opts.store.latestRemediationSnapshot.bind(opts.store), supportApiToken: opts.secrets.supportApiToken, metrics });
    await app.register(codecRoutes, opts.codec);
    await app.register(consoleRoutes);
    await app.register(supportConsoleRoutes, {
      ...(opts.supportConsole ?? { commerce: undefined, temporal: { uiUrl: undefined, namespace: opts.codec.namespace } }),
      supportApiToken: opts.secrets.supportApiToken,
    });
  },
  { name: 'oms-gateway', fastify: '5.x' },
);

/**
 * The gateway on a Fastify instance of its own, not listening: what server.ts does before `listen`. For the callers
 * outside src/ that host the gateway in their own process (the dev stack's `npm start`, the gateway bench).
 */
export async function buildGateway(deps: GatewayDeps): Promise<FastifyInstance> {
  const app = Fastify(gatewayServerOptions(deps.logger));
  await app.register(gatewayApp, deps);
  return app;
}
