// Liveness and readiness: /healthz says the process serves; /readyz says Temporal and Kafka are reachable.
import type { FastifyBaseLogger } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

export type ReadinessCheck = () => Promise<void>;

export interface HealthRouteOptions {
  checks: Record<string, ReadinessCheck>;
}

const CHECK_TIMEOUT_MS = 2_000;

/** 'ok' or 'unavailable'; the reason goes to the log, not to an unauthenticated caller (it names internal hosts). */
async function probe(name: string, check: ReadinessCheck, log: FastifyBaseLogger): Promise<string> {
  try {
    await Promise.race([check(), new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS).unref())]);
    return 'ok';
  } catch (err) {
    log.warn({ err, check: name }, 'readiness check failed');
    return 'unavailable';
  }
}

export const healthRoutes: FastifyPluginAsyncZod<HealthRouteOptions> = async (app, opts) => {
  const Status = z.object({ status: z.enum(['ok', 'unavailable']), checks: z.record(z.string(), z.string()) });

  app.get('/healthz', { schema: { tags: ['health'], response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', { schema: { tags: ['health'], response: { 200: Status, 503: Status } } }, async (_request, reply) => {
    const names = Object.keys(opts.checks);
    const results = await Promise.all(names.map((name) => probe(name, opts.checks[name] as ReadinessCheck, app.log)));
    const checks = Object.fromEntries(names.map((name, i) => [name, results[i] as string]));
    const ready = results.every((r) => r === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks });
  });
};
