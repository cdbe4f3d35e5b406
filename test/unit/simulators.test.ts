// Unit tests of the external-API simulators (contract §5) through app.inject, plus one real listen via startSimulators.
// Time-dependent behaviour (rate-limit window, eventual consistency) runs on an injected clock, never on sleeps.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  seededCatalogue,
  seededOrders,
  seededPaymentForOrder,
  seededPayments,
  SEEDED_ORDER_COUNT,
} from '../../dev/simulators/seed';
import { buildCommerceSimulator, buildPaymentSimulator, buildPimSimulator, startSimulators } from '../../dev/simulators/server';
import type { SimulatorApp } from '../../dev/simulators/types';

const T0 = Date.parse('2026-11-22T10:00:00.000Z');

/** A clock the test moves by hand. */
function manualClock(start = T0): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

const apps: SimulatorApp[] = [];
function track(app: SimulatorApp): SimulatorApp {
  apps.push(app);
  return app;
}
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

describe('seed', () => {
  it('is a deterministic book of 1000 orders over ~30 catalogue items, each with a captured payment', () => {
    expect(seededCatalogue.length).toBe(30);
    expect(new Set(seededCatalogue.map((i) => i.item_id)).size).toBe(30);
    expect(seededCatalogue.map((i) => i.item_id)).toContain('itm-tee-navy-m');
    const prices = new Map(seededCatalogue.map((i) => [i.item_id, i.unit_price_cents]));

    expect(seededOrders).toHaveLength(SEEDED_ORDER_COUNT);
    expect(seededOrders[0]?.order_id).toBe('ord-0001');
    expect(seededOrders.at(-1)?.order_id).toBe('ord-1000');
    for (const order of seededOrders) {
      expect(order.customer_id).toMatch(/^cus-0(0[1-9]|[1-4]\d|50)$/);
      expect(order.items.length).toBeGreaterThanOrEqual(1);
      expect(order.items.length).toBeLessThanOrEqual(4);
      expect(new Set(order.items.map((l) => l.item_id)).size).toBe(order.items.length);
      for (const line of order.items) {
        expect(prices.has(line.item_id)).toBe(true);
        expect([1, 2, 3]).toContain(line.quantity);
      }
      expect(new Date(order.placed_at).toISOString()).toBe(order.placed_at);

      const payment = seededPaymentForOrder(order.order_id);
      const amount = order.items.reduce((sum, l) => sum + (prices.get(l.item_id) ?? 0) * l.quantity, 0);
      expect(payment).toEqual({ rrn: order.order_id.replace('ord-', 'rrn-'), order_id: order.order_id, amount_cents: amount, status: 'captured' });
    }
    expect(seededPayments).toHaveLength(SEEDED_ORDER_COUNT);
    expect(seededPaymentForOrder('ord-9999')).toBeUndefined();
    // Every customer appears, so the per-customer dashboard has something to show for each of them.
    expect(new Set(seededOrders.map((o) => o.customer_id)).size).toBe(50);
    expect(Object.isFrozen(seededOrders[0])).toBe(true);
  });
});

describe('Commerce App simulator', () => {
  it('answers a seeded order with exactly the contract fields', async () => {
    const app = track(buildCommerceSimulator());
    const res = await app.inject({ method: 'GET', url: '/orders/ord-0001' });
    expect(res.statusCode).toBe(200);
    const seeded = seededOrders[0];
    expect(res.json()).toEqual({
      order_id: 'ord-0001',
      customer_id: seeded?.customer_id,
      items: seeded?.items,
      placed_at: seeded?.placed_at,
    });
  });

  it('answers 404 {error} for an unknown order', async () => {
    const app = track(buildCommerceSimulator());
    const res = await app.inject({ method: 'GET', url: '/orders/ord-nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'order_not_found' });
  });

  it('creates and replaces orders through the admin API', async () => {
    const clock = manualClock();
    const app = track(buildCommerceSimulator({ now: clock.now }));
    const order = { customer_id: 'cus-777', items: [{ item_id: 'itm-cap-navy-os', quantity: 2 }] };
    const created = await app.inject({ method: 'PUT', url: '/_sim/orders/ord-x1', payload: order });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ order_id: 'ord-x1', ...order, placed_at: new Date(T0).toISOString() });

    const replaced = await app.inject({
      method: 'PUT',
      url: '/_sim/orders/ord-x1',
      payload: { ...order, items: [{ item_id: 'itm-cap-navy-os', quantity: 0 }], placed_at: '2026-11-01T00:00:00.000Z' },
    });
    expect(replaced.statusCode).toBe(200);
    const res = await app.inject({ method: 'GET', url: '/orders/ord-x1' });
    // The admin API plants bad data on purpose (quantity 0) so the service's validation can be tested.
    expect(res.json()).toEqual({
      order_id: 'ord-x1',
      customer_id: 'cus-777',
      items: [{ item_id: 'itm-cap-navy-os', quantity: 0 }],
      placed_at: '2026-11-01T00:00:00.000Z',
    });
  });

  it('rejects an invalid admin body with 400 {error}', async () => {
    const app = track(buildCommerceSimulator());
    const res = await app.inject({ method: 'PUT', url: '/_sim/orders/ord-x2', payload: { customer_id: 'cus-1', items: 'no' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('keeps an order invisible (404) until visible_after_ms has passed — on the injected clock', async () => {
    const clock = manualClock();
    const app = track(buildCommerceSimulator({ now: clock.now }));
    await app.inject({
      method: 'PUT',
      url: '/_sim/orders/ord-late',
      payload: { customer_id: 'cus-001', items: [{ item_id: 'itm-tee-navy-m', quantity: 1 }], visible_after_ms: 30_000 },
    });
    expect((await app.inject({ method: 'GET', url: '/orders/ord-late' })).statusCode).toBe(404);
    clock.advance(29_999);
    expect((await app.inject({ method: 'GET', url: '/orders/ord-late' })).statusCode).toBe(404);
    clock.advance(1);
    expect((await app.inject({ method: 'GET', url: '/orders/ord-late' })).statusCode).toBe(200);
  });

  it('keeps an order invisible until visible_after_ms has passed — on the real clock, polled with vi.waitFor', async () => {
    const app = track(buildCommerceSimulator());
    await app.inject({
      method: 'PUT',
      url: '/_sim/orders/ord-late2',
      payload: { customer_id: 'cus-001', items: [{ item_id: 'itm-tee-navy-m', quantity: 1 }], visible_after_ms: 50 },
    });
    expect((await app.inject({ method: 'GET', url: '/orders/ord-late2' })).statusCode).toBe(404);
    await vi.waitFor(
      async () => {
        expect((await app.inject({ method: 'GET', url: '/orders/ord-late2' })).statusCode).toBe(200);
      },
      { timeout: 2000, interval: 10 },
    );
  });

  it('answers 429 with Retry-After: 1 above a small limit, and admits again once the window slides', async () => {
    const clock = manualClock();
    const app = track(buildCommerceSimulator({ now: clock.now, knobs: { rateLimitPerSecond: 3 } }));
    const get = () => app.inject({ method: 'GET', url: '/orders/ord-0002' });
    for (let i = 0; i < 3; i++) expect((await get()).statusCode).toBe(200);
    const limited = await get();
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.json()).toMatchObject({ error: 'rate_limited' });
    // Rejected requests consume no quota: after one second the client is served again.
    clock.advance(1000);
    expect((await get()).statusCode).toBe(200);

    const stats = (await app.inject({ method: 'GET', url: '/_sim/stats' })).json();
    expect(stats).toEqual({
      total: 5,
      rate_limited: 1,
      injected_errors: 0,
      by_route: { 'GET /orders/:order_id': { '200': 4, '429': 1 } },
    });
  });

  it('by default lets 150 requests through in one second and rejects the 151st', async () => {
    const clock = manualClock();
    const app = track(buildCommerceSimulator({ now: clock.now }));
    const get = () => app.inject({ method: 'GET', url: '/orders/ord-0003' });
    // 150 requests spread over the first 999 ms of the window.
    for (let i = 0; i < 150; i++) {
      expect((await get()).statusCode).toBe(200);
      if (i < 149) clock.advance(i % 2 === 0 ? 7 : 6);
    }
    const elapsed = clock.now() - T0;
    expect(elapsed).toBeLessThan(1000);
    const rejected = await get();
    expect(rejected.statusCode).toBe(429);
    expect(rejected.headers['retry-after']).toBe('1');
    // The first request leaves the window exactly one second after it arrived: one slot frees, not more.
    clock.advance(1000 - elapsed);
    expect((await get()).statusCode).toBe(200);
    expect((await get()).statusCode).toBe(429);
  });

  it('answers 503 for every request at error rate 1.0 (set at runtime), while the admin API keeps working', async () => {
    const app = track(buildCommerceSimulator());
    const knobs = await app.inject({ method: 'PUT', url: '/_sim/knobs', payload: { error_rate: 1 } });
    expect(knobs.json()).toEqual({ latency_ms: 0, error_rate: 1, rate_limit_per_second: 150 });
    for (let i = 0; i < 5; i++) {
      const res = await app.inject({ method: 'GET', url: '/orders/ord-0001' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ error: 'service_unavailable' });
    }
    const stats = (await app.inject({ method: 'GET', url: '/_sim/stats' })).json();
    expect(stats).toMatchObject({ total: 5, injected_errors: 5, by_route: { 'GET /orders/:order_id': { '503': 5 } } });
  });

  it('adds latency_ms to public requests', async () => {
    const app = track(buildCommerceSimulator({ knobs: { latencyMs: 40 } }));
    const started = performance.now();
    expect((await app.inject({ method: 'GET', url: '/orders/ord-0001' })).statusCode).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
  });

  it('rejects unknown or out-of-range knobs', async () => {
    const app = track(buildCommerceSimulator());
    for (const payload of [{ error_rate: 1.5 }, { latency_ms: -1 }, { rate_limit_per_second: 0 }, { typo: 1 }]) {
      expect((await app.inject({ method: 'PUT', url: '/_sim/knobs', payload })).statusCode).toBe(400);
    }
    const unlimited = await app.inject({ method: 'PUT', url: '/_sim/knobs', payload: { rate_limit_per_second: null } });
    expect(unlimited.json()).toMatchObject({ rate_limit_per_second: null });
  });

  it('resets data, knobs and stats back to the seed', async () => {
    const app = track(buildCommerceSimulator({ knobs: { rateLimitPerSecond: 2 } }));
    await app.inject({ method: 'PUT', url: '/_sim/orders/ord-0001', payload: { customer_id: 'cus-999', items: [] } });
    await app.inject({ method: 'PUT', url: '/_sim/knobs', payload: { rate_limit_per_second: 1, latency_ms: 5 } });
    await app.inject({ method: 'GET', url: '/orders/ord-0001' });
    expect((await app.inject({ method: 'POST', url: '/_sim/reset' })).statusCode).toBe(204);

    expect((await app.inject({ method: 'GET', url: '/_sim/knobs' })).json()).toEqual({
      latency_ms: 0,
      error_rate: 0,
      rate_limit_per_second: 2,
    });
    expect((await app.inject({ method: 'GET', url: '/_sim/stats' })).json()).toEqual({
      total: 0,
      rate_limited: 0,
      injected_errors: 0,
      by_route: {},
    });
    expect((await app.inject({ method: 'GET', url: '/orders/ord-0001' })).json()).toMatchObject({
      customer_id: seededOrders[0]?.customer_id,
    });
  });

  it('answers 404 {error} for a route it does not have', async () => {
    const app = track(buildCommerceSimulator());
    const res = await app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'route_not_found' });
  });
});

describe('PIM simulator', () => {
  it('answers a catalogue item with exactly {item_id, sku_id, brand_code}, 404 otherwise', async () => {
    const app = track(buildPimSimulator());
    const item = seededCatalogue.find((i) => i.item_id === 'itm-tee-navy-m');
    const res = await app.inject({ method: 'GET', url: '/items/itm-tee-navy-m' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ item_id: 'itm-tee-navy-m', sku_id: item?.sku_id, brand_code: item?.brand_code });

    const missing = await app.inject({ method: 'GET', url: '/items/itm-ghost' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: 'item_not_found' });
  });

  it('creates and replaces items through the admin API', async () => {
    const app = track(buildPimSimulator());
    const put = (sku: string) =>
      app.inject({ method: 'PUT', url: '/_sim/items/itm-new-red-m', payload: { sku_id: sku, brand_code: 'ACME' } });
    expect((await put('SKU-1')).statusCode).toBe(201);
    expect((await put('SKU-2')).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/items/itm-new-red-m' })).json()).toEqual({
      item_id: 'itm-new-red-m',
      sku_id: 'SKU-2',
      brand_code: 'ACME',
    });
  });

  it('answers 503 at error rate 1.0 and has no rate limit by default', async () => {
    const failing = track(buildPimSimulator({ knobs: { errorRate: 1 } }));
    expect((await failing.inject({ method: 'GET', url: '/items/itm-tee-navy-m' })).statusCode).toBe(503);

    const app = track(buildPimSimulator({ now: manualClock().now }));
    for (let i = 0; i < 300; i++) {
      expect((await app.inject({ method: 'GET', url: '/items/itm-tee-navy-m' })).statusCode).toBe(200);
    }
  });
});

describe('Payment API simulator', () => {
  const refund = (app: SimulatorApp, rrn: string, body: object, key?: string) =>
    app.inject({
      method: 'POST',
      url: `/payments/${rrn}/refunds`,
      payload: body,
      headers: key === undefined ? {} : { 'idempotency-key': key },
    });

  it('answers a seeded payment, 404 otherwise', async () => {
    const app = track(buildPaymentSimulator());
    const res = await app.inject({ method: 'GET', url: '/payments/rrn-0001' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(seededPaymentForOrder('ord-0001'));
    expect(res.json()).toMatchObject({ rrn: 'rrn-0001', order_id: 'ord-0001', status: 'captured' });
    const missing = await app.inject({ method: 'GET', url: '/payments/rrn-ghost' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: 'payment_not_found' });
  });

  it('refunds with 201 and answers a repeated Idempotency-Key with the first refund', async () => {
    const clock = manualClock();
    const app = track(buildPaymentSimulator({ now: clock.now }));
    const first = await refund(app, 'rrn-0001', { amount_cents: 100, reason: 'order_expired' }, 'order-ord-0001-refund');
    expect(first.statusCode).toBe(201);
    expect(first.json()).toEqual({
      refund_id: 'ref-000001',
      rrn: 'rrn-0001',
      amount_cents: 100,
      reason: 'order_expired',
      idempotency_key: 'order-ord-0001-refund',
      created_at: new Date(T0).toISOString(),
    });

    clock.advance(5000);
    const again = await refund(app, 'rrn-0001', { amount_cents: 100, reason: 'order_expired' }, 'order-ord-0001-refund');
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(first.json());

    const listed = (await app.inject({ method: 'GET', url: '/_sim/refunds' })).json();
    expect(listed).toEqual({ refunds: [first.json()] });
  });

  it('refuses to reuse an Idempotency-Key for a different refund (422)', async () => {
    const app = track(buildPaymentSimulator());
    expect((await refund(app, 'rrn-0001', { amount_cents: 100, reason: 'r' }, 'k1')).statusCode).toBe(201);
    const reused = await refund(app, 'rrn-0001', { amount_cents: 200, reason: 'r' }, 'k1');
    expect(reused.statusCode).toBe(422);
    expect(reused.json()).toMatchObject({ error: 'idempotency_key_reused' });
  });

  it('requires the Idempotency-Key header (400) and a valid body (400)', async () => {
    const app = track(buildPaymentSimulator());
    const missingKey = await refund(app, 'rrn-0001', { amount_cents: 100, reason: 'r' });
    expect(missingKey.statusCode).toBe(400);
    expect(missingKey.json()).toMatchObject({ error: 'idempotency_key_required' });
    const badBody = await refund(app, 'rrn-0001', { amount_cents: -5, reason: 'r' }, 'k');
    expect(badBody.statusCode).toBe(400);
    expect(badBody.json()).toMatchObject({ error: 'invalid_request' });
    expect((await app.inject({ method: 'GET', url: '/_sim/refunds' })).json()).toEqual({ refunds: [] });
  });

  it('answers 404 for a refund of an unknown rrn', async () => {
    const app = track(buildPaymentSimulator());
    const res = await refund(app, 'rrn-ghost', { amount_cents: 1, reason: 'r' }, 'k');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'payment_not_found' });
  });

  it('refuses more than the captured amount minus what was already refunded (422), and marks a full refund', async () => {
    const app = track(buildPaymentSimulator());
    await app.inject({ method: 'PUT', url: '/_sim/payments/rrn-x', payload: { order_id: 'ord-x', amount_cents: 1000, status: 'captured' } });

    const over = await refund(app, 'rrn-x', { amount_cents: 1001, reason: 'r' }, 'k0');
    expect(over.statusCode).toBe(422);
    expect(over.json()).toMatchObject({ error: 'amount_exceeds_refundable', refundable_cents: 1000 });

    expect((await refund(app, 'rrn-x', { amount_cents: 600, reason: 'r' }, 'k1')).statusCode).toBe(201);
    expect((await app.inject({ method: 'GET', url: '/payments/rrn-x' })).json()).toMatchObject({ status: 'captured' });
    const rest = await refund(app, 'rrn-x', { amount_cents: 401, reason: 'r' }, 'k2');
    expect(rest.statusCode).toBe(422);
    expect(rest.json()).toMatchObject({ refundable_cents: 400 });
    expect((await refund(app, 'rrn-x', { amount_cents: 400, reason: 'r' }, 'k3')).statusCode).toBe(201);

    expect((await app.inject({ method: 'GET', url: '/payments/rrn-x' })).json()).toEqual({
      rrn: 'rrn-x',
      order_id: 'ord-x',
      amount_cents: 1000,
      status: 'refunded',
    });
    expect((await refund(app, 'rrn-x', { amount_cents: 1, reason: 'r' }, 'k4')).statusCode).toBe(422);
    // A retry of an earlier refund still answers its original 201 although nothing is refundable any more.
    expect((await refund(app, 'rrn-x', { amount_cents: 600, reason: 'r' }, 'k1')).statusCode).toBe(201);
    const listed = (await app.inject({ method: 'GET', url: '/_sim/refunds?rrn=rrn-x' })).json();
    expect(listed.refunds.map((r: { idempotency_key: string }) => r.idempotency_key)).toEqual(['k1', 'k3']);
  });

  it('refuses to refund a payment that is only authorized (422)', async () => {
    const app = track(buildPaymentSimulator());
    const put = await app.inject({
      method: 'PUT',
      url: '/_sim/payments/rrn-0002',
      payload: { order_id: 'ord-0002', amount_cents: 500, status: 'authorized' },
    });
    expect(put.statusCode).toBe(200);
    const res = await refund(app, 'rrn-0002', { amount_cents: 1, reason: 'r' }, 'k');
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ error: 'payment_not_captured' });
  });

  it('rejects an invalid payment status in the admin API', async () => {
    const app = track(buildPaymentSimulator());
    const res = await app.inject({
      method: 'PUT',
      url: '/_sim/payments/rrn-y',
      payload: { order_id: 'ord-y', amount_cents: 1, status: 'settled' },
    });
    expect(res.statusCode).toBe(400);
  });

  it('has no rate limit, answers 503 at error rate 1.0, and reset forgets refunds', async () => {
    const app = track(buildPaymentSimulator({ now: manualClock().now }));
    for (let i = 0; i < 300; i++) {
      expect((await app.inject({ method: 'GET', url: '/payments/rrn-0003' })).statusCode).toBe(200);
    }
    expect((await refund(app, 'rrn-0003', { amount_cents: 1, reason: 'r' }, 'k')).statusCode).toBe(201);

    await app.inject({ method: 'PUT', url: '/_sim/knobs', payload: { error_rate: 1 } });
    expect((await app.inject({ method: 'GET', url: '/payments/rrn-0003' })).statusCode).toBe(503);
    expect((await refund(app, 'rrn-0003', { amount_cents: 1, reason: 'r' }, 'k-other')).statusCode).toBe(503);

    await app.inject({ method: 'POST', url: '/_sim/reset' });
    expect((await app.inject({ method: 'GET', url: '/_sim/refunds' })).json()).toEqual({ refunds: [] });
    expect((await app.inject({ method: 'GET', url: '/payments/rrn-0003' })).statusCode).toBe(200);
  });
});

describe('startSimulators', () => {
  it('listens on 127.0.0.1 with random ports, only the simulators asked for, and stops', async () => {
    const sims = await startSimulators({ only: ['pim', 'payment'], logger: false });
    try {
      expect(Object.keys(sims.urls).sort()).toEqual(['payment', 'pim']);
      expect(sims.urls.pim).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const item = await fetch(`${sims.urls.pim}/items/itm-tee-navy-m`);
      expect(item.status).toBe(200);
      const payment = await fetch(`${sims.urls.payment}/payments/rrn-0001`);
      expect(await payment.json()).toMatchObject({ rrn: 'rrn-0001' });
    } finally {
      await sims.stop();
    }
    await expect(fetch(`${sims.urls.pim}/items/itm-tee-navy-m`)).rejects.toThrow();
  });

  it('rejects when a port is taken, leaving nothing running', async () => {
    const first = await startSimulators({ only: ['pim'] });
    try {
      const port = Number(new URL(first.urls.pim ?? '').port);
      await expect(startSimulators({ ports: { payment: port } })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.stop();
    }
  });

  it('hands the knobs to the simulators: latency and error rate to all, the rate limit to commerce only', async () => {
    const sims = await startSimulators({ knobs: { latencyMs: 3, errorRate: 0.25, commerceRateLimitPerSecond: 20 } });
    try {
      const knobsOf = async (url: string | undefined): Promise<unknown> => (await fetch(`${url}/_sim/knobs`)).json();
      expect(await knobsOf(sims.urls.commerce)).toEqual({ latency_ms: 3, error_rate: 0.25, rate_limit_per_second: 20 });
      expect(await knobsOf(sims.urls.pim)).toEqual({ latency_ms: 3, error_rate: 0.25, rate_limit_per_second: null });
      expect(await knobsOf(sims.urls.payment)).toEqual({ latency_ms: 3, error_rate: 0.25, rate_limit_per_second: null });
    } finally {
      await sims.stop();
    }
  });
});
