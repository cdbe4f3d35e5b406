// The gateway's oms_orders_with_parked_steps gauge through app.inject: read from the store at scrape time, and a
// store that fails or hangs never breaks /metrics. A fake store stands in for the dashboard store.
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { createGatewayMetrics, PARKED_ORDERS_GAUGE, registerParkedOrdersGauge } from '../../src/gateway/metrics';
import { build } from '../helpers/gateway-app';

/** The sample line, not the HELP and TYPE lines. */
const SAMPLE = new RegExp(`^${PARKED_ORDERS_GAUGE} (\\S+)$`, 'm');

async function scrape(app: FastifyInstance): Promise<{ status: number; body: string; parked: string | undefined }> {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  return { status: res.statusCode, body: res.body, parked: SAMPLE.exec(res.body)?.[1] };
}

/** A pino logger whose JSON lines land in an array. */
function capturingLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

describe('oms_orders_with_parked_steps', () => {
  it('reads the store\'s countParked at every scrape', async () => {
    const counts = [3, 0, 12];
    const countParked = vi.fn(async () => counts.shift() ?? 0);
    const { app } = await build({ countParked });
    expect(countParked).not.toHaveBeenCalled();

    const first = await scrape(app);
    expect(first.status).toBe(200);
    expect(first.body).toContain(`# TYPE ${PARKED_ORDERS_GAUGE} gauge`);
    expect(first.parked).toBe('3');
    expect((await scrape(app)).parked).toBe('0');
    expect((await scrape(app)).parked).toBe('12');
    expect(countParked).toHaveBeenCalledTimes(3);
  });

  it('keeps /metrics answering when the store fails: no sample before a first success, the last value after, each failure logged', async () => {
    const { logger, lines } = capturingLogger();
    const answers: Array<number | Error> = [new Error('connect ECONNREFUSED 127.0.0.1:5432'), 4, new Error('terminating connection')];
    const countParked = vi.fn(async () => {
      const next = answers.shift() ?? 0;
      if (next instanceof Error) throw next;
      return next;
    });
    const { app } = await build({ countParked, logger });

    const failed = await scrape(app);
    expect(failed.status).toBe(200);
    // Unknown is not zero: an alert on "> 0" must not read a store outage as "nothing parked".
    expect(failed.parked).toBeUndefined();
    expect(failed.body).toContain(`# TYPE ${PARKED_ORDERS_GAUGE} gauge`);
    expect(failed.body).toContain('oms_http_requests_total');
    expect(failed.body).toContain('process_cpu_seconds_total');

    expect((await scrape(app)).parked).toBe('4');
    const failedAgain = await scrape(app);
    expect(failedAgain.status).toBe(200);
    expect(failedAgain.parked).toBe('4');

    const warnings = lines.filter((l) => l.msg === 'could not count orders with parked steps for /metrics');
    expect(warnings).toHaveLength(2);
    expect(warnings.map((w) => (w.err as { message?: string } | undefined)?.message)).toStrictEqual([
      'connect ECONNREFUSED 127.0.0.1:5432',
      'terminating connection',
    ]);
  });

  it('exports no such gauge for a store without countParked', async () => {
    const res = await scrape((await build()).app);
    expect(res.status).toBe(200);
    expect(res.body).not.toContain(PARKED_ORDERS_GAUGE);
  });

  it('lets a new app register the gauge again on a registry that outlived the previous app', async () => {
    const metrics = createGatewayMetrics({ processMetrics: false });
    const { app: first } = await build({ metrics, countParked: async () => 1 });
    expect((await scrape(first)).parked).toBe('1');
    await first.close();

    const { app: second } = await build({ metrics, countParked: async () => 2 });
    expect((await scrape(second)).parked).toBe('2');
  });

  it('gives up on a store that does not answer in time, so a hung database cannot hang the scrape', async () => {
    const registry = new Registry();
    const onError = vi.fn<(err: unknown) => void>();
    registerParkedOrdersGauge(registry, { count: () => new Promise<number>(() => undefined), onError, timeoutMs: 50 });

    const text = await registry.metrics();
    expect(SAMPLE.exec(text)).toBeNull();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(String(onError.mock.calls[0]?.[0])).toMatch(/no answer within 50 ms/);
  });
});
