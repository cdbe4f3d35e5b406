// Runs the simulators of the external APIs (contract §5, and §10's Risk API), each as its own Fastify instance, and owns what they
// share: the fault knobs (latency, error rate, sliding-window rate limit), request stats, and the common /_sim routes.
//
// Admin API common to every simulator (never rate-limited, delayed, failed or counted):
//   GET  /_sim/knobs   → {latency_ms, error_rate, rate_limit_per_second}   (null = no rate limit)
//   PUT  /_sim/knobs   {latency_ms?, error_rate?, rate_limit_per_second?: number|null} → the knobs now in force
//   GET  /_sim/stats   → {total, rate_limited, injected_errors, by_route: {"GET /orders/:order_id": {"200": n, "429": n}}}
//   POST /_sim/reset   → 204; data back to seed, refunds and stats cleared, knobs back to their build-time values
// Each simulator adds its own /_sim routes (see commerce.ts, pim.ts, payment.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { z } from 'zod';
import { createCommerceSimulator } from './commerce';
import { createPaymentSimulator } from './payment';
import { createPimSimulator } from './pim';
import { createRiskSimulator } from './risk';
import { SIMULATOR_NAMES, type Knobs, type SimulatorApp, type SimulatorDefinition, type SimulatorEnv, type SimulatorName } from './types';

/** The fixed ports of `npm run simulators`; `startSimulators` defaults to random free ports instead. */
export const DEFAULT_SIMULATOR_PORTS: Readonly<Record<SimulatorName, number>> = { commerce: 4001, pim: 4002, payment: 4003, risk: 4004 };

export interface BuildSimulatorOptions {
  knobs?: Partial<Knobs>;
  logger?: Logger | false;
  now?: () => number;
  /** Drives the error-rate knob; injectable for deterministic tests. */
  random?: () => number;
}

const WINDOW_MS = 1000;

/**
 * Sliding-window log of admitted requests. Only admitted requests are recorded: like nginx `limit_req` or a token
 * bucket at an API gateway, a rejected request consumes no quota, so a client that slows down to the limit is served
 * again as soon as the window slides, while any one-second window never admits more than the limit.
 */
function createSlidingWindow(): { tryAdmit(now: number, limit: number): boolean; clear(): void } {
  let stamps: number[] = [];
  let head = 0;
  return {
    tryAdmit(now, limit) {
      while (head < stamps.length && (stamps[head] ?? now) <= now - WINDOW_MS) head++;
      // Compact now and then instead of shifting on every request.
      if (head > 1024 && head * 2 > stamps.length) {
        stamps = stamps.slice(head);
        head = 0;
      }
      if (stamps.length - head >= limit) return false;
      stamps.push(now);
      return true;
    },
    clear() {
      stamps = [];
      head = 0;
    },
  };
}

interface Stats {
  total: number;
  rate_limited: number;
  injected_errors: number;
  by_route: Record<string, Record<string, number>>;
}

const emptyStats = (): Stats => ({ total: 0, rate_limited: 0, injected_errors: 0, by_route: {} });

const KnobsBody = z.strictObject({
  latency_ms: z.number().int().min(0).max(60_000).optional(),
  error_rate: z.number().min(0).max(1).optional(),
  rate_limit_per_second: z.number().int().positive().nullable().optional(),
});

const knobsView = (k: Knobs): { latency_ms: number; error_rate: number; rate_limit_per_second: number | null } => ({
  latency_ms: k.latencyMs,
  error_rate: k.errorRate,
  rate_limit_per_second: k.rateLimitPerSecond,
});

function buildSimulator(
  create: (env: SimulatorEnv) => SimulatorDefinition,
  opts: BuildSimulatorOptions,
): SimulatorApp {
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const sim = create({ now });
  const initialKnobs: Knobs = {
    latencyMs: opts.knobs?.latencyMs ?? 0,
    errorRate: opts.knobs?.errorRate ?? 0,
    rateLimitPerSecond:
      opts.knobs?.rateLimitPerSecond === undefined ? sim.defaultRateLimitPerSecond : opts.knobs.rateLimitPerSecond,
  };
  let knobs: Knobs = { ...initialKnobs };
  let stats = emptyStats();
  const limiter = createSlidingWindow();

  // Ids are up to 128 code points (docs/contract.md §4), percent-encoded up to 12 bytes each: above Fastify's default
  // bound of 100 characters per path parameter.
  const routerOptions = { maxParamLength: 2048 };
  const base =
    opts.logger === undefined || opts.logger === false
      ? Fastify({ logger: false, routerOptions })
      : Fastify({
          routerOptions,
          loggerInstance: opts.logger.child({ simulator: sim.name }) as FastifyBaseLogger,
          // A line per request would drown the stack's logs at 150 rps; faults are logged where they are injected.
          logController: new LogController({ disableRequestLogging: true }),
        });
  const app: SimulatorApp = base.withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // Error bodies follow the `{error}` shape of contract §5 everywhere, admin routes included.
  app.setErrorHandler<FastifyError>((error, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      return reply.code(400).send({
        error: 'invalid_request',
        message: error.message,
        issues: error.validation.map((v) => ({ path: v.instancePath, message: v.message })),
      });
    }
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'simulator route failed');
    return reply.code(status).send({ error: status === 500 ? 'internal_error' : (error.code ?? 'bad_request'), message: error.message });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'route_not_found', message: `${request.method} ${request.url} is not a route of the ${sim.name} simulator` }),
  );

  void app.register(async (api) => {
    // onRequest runs before the body is parsed: a gateway rejects over-limit traffic before the backend sees it.
    api.addHook('onRequest', async (request, reply) => {
      const limit = knobs.rateLimitPerSecond;
      if (limit !== null && !limiter.tryAdmit(now(), limit)) {
        // Every admitted stamp leaves the window within one second, so one second is always enough.
        return reply
          .code(429)
          .header('retry-after', '1')
          .send({ error: 'rate_limited', message: `more than ${limit} requests in one second` });
      }
      if (knobs.latencyMs > 0) await sleep(knobs.latencyMs);
      if (knobs.errorRate > 0 && random() < knobs.errorRate) {
        stats.injected_errors++;
        request.log.debug({ url: request.url }, 'injected 503');
        return reply.code(503).send({ error: 'service_unavailable', message: 'injected transient failure' });
      }
      return undefined;
    });
    api.addHook('onResponse', async (request, reply) => {
      const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
      const status = String(reply.statusCode);
      const byStatus = (stats.by_route[route] ??= {});
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      stats.total++;
      if (reply.statusCode === 429) stats.rate_limited++;
    });
    sim.api(api.withTypeProvider<ZodTypeProvider>());
  });

  void app.register(
    async (admin) => {
      const typed = admin.withTypeProvider<ZodTypeProvider>();
      typed.get('/knobs', async () => knobsView(knobs));
      typed.put('/knobs', { schema: { body: KnobsBody } }, async (request) => {
        const body = request.body;
        knobs = {
          latencyMs: body.latency_ms ?? knobs.latencyMs,
          errorRate: body.error_rate ?? knobs.errorRate,
          rateLimitPerSecond: body.rate_limit_per_second === undefined ? knobs.rateLimitPerSecond : body.rate_limit_per_second,
        };
        return knobsView(knobs);
      });
      typed.get('/stats', async () => stats);
      typed.post('/reset', async (_request, reply) => {
        sim.reset();
        knobs = { ...initialKnobs };
        stats = emptyStats();
        limiter.clear();
        return reply.code(204).send();
      });
      sim.admin(typed);
    },
    { prefix: '/_sim' },
  );

  return app;
}

export const buildCommerceSimulator = (opts: BuildSimulatorOptions = {}): SimulatorApp =>
  buildSimulator(createCommerceSimulator, opts);
export const buildPimSimulator = (opts: BuildSimulatorOptions = {}): SimulatorApp => buildSimulator(createPimSimulator, opts);
export const buildPaymentSimulator = (opts: BuildSimulatorOptions = {}): SimulatorApp =>
  buildSimulator(createPaymentSimulator, opts);

export const buildRiskSimulator = (opts: BuildSimulatorOptions = {}): SimulatorApp => buildSimulator(createRiskSimulator, opts);

const BUILDERS: Readonly<Record<SimulatorName, (opts: BuildSimulatorOptions) => SimulatorApp>> = {
  commerce: buildCommerceSimulator,
  pim: buildPimSimulator,
  payment: buildPaymentSimulator,
  risk: buildRiskSimulator,
};

export interface StartSimulatorsOptions {
  host?: '127.0.0.1';
  /** Which simulators to start; default all four (npm start passes those whose URL variable is unset). */
  only?: readonly SimulatorName[];
  /** 0 or absent = a random free port. */
  ports?: Partial<Record<SimulatorName, number>>;
  knobs?: { latencyMs?: number; errorRate?: number; commerceRateLimitPerSecond?: number };
  logger?: Logger | false;
}

export interface RunningSimulators {
  /** Base URLs without trailing slash, e.g. COMMERCE_API_URL=http://127.0.0.1:4001. */
  urls: Partial<Record<SimulatorName, string>>;
  stop(): Promise<void>;
}

export async function startSimulators(opts: StartSimulatorsOptions = {}): Promise<RunningSimulators> {
  const host = opts.host ?? '127.0.0.1';
  const names = opts.only ?? SIMULATOR_NAMES;
  const started: SimulatorApp[] = [];
  const urls: Partial<Record<SimulatorName, string>> = {};
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.map((app) => app.close()));
  };
  try {
    for (const name of new Set(names)) {
      const knobs: Partial<Knobs> = {};
      if (opts.knobs?.latencyMs !== undefined) knobs.latencyMs = opts.knobs.latencyMs;
      if (opts.knobs?.errorRate !== undefined) knobs.errorRate = opts.knobs.errorRate;
      if (name === 'commerce' && opts.knobs?.commerceRateLimitPerSecond !== undefined) {
        knobs.rateLimitPerSecond = opts.knobs.commerceRateLimitPerSecond;
      }
      const app = BUILDERS[name](opts.logger === undefined ? { knobs } : { knobs, logger: opts.logger });
      started.push(app);
      // listen() answers the bound address, e.g. http://127.0.0.1:4001 — already without a trailing slash.
      urls[name] = await app.listen({ host, port: opts.ports?.[name] ?? 0 });
    }
  } catch (err) {
    // A port already taken must not leave the other simulators running.
    await stopAll();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    urls,
    stop: () => (stopping ??= stopAll()),
  };
}
