// Unit tests of the gateway's HTTP contract (§3) through app.inject: a recording event sink and an in-memory store
// stand in for Temporal and the dashboard store, so every answer below is the gateway's own.
import { createHmac } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DashboardRecord } from '../../contracts';
import type { ReadinessCheck } from '../../src/gateway/routes/health';
import { signBody } from '../../src/gateway/signature';
import { build, dashboardRecord as record, DEFAULT_SECRETS, RecordingCommands } from '../helpers/gateway-app';

const SECRETS = DEFAULT_SECRETS;

const PROBLEM_JSON = 'application/problem+json';
const COMMERCE_V1 = 'application/vnd.oms.commerce-order+json; version=1';
const PAYMENT_V1 = 'application/vnd.oms.payment-capture+json; version=1';

const commerceBody = {
  customer_id: 'cus-007',
  order: {
    order_id: 'ord-0001',
    items: [
      { item_id: 'itm-tee', quantity: 2 },
      { item_id: 'itm-jeans', quantity: 1 },
    ],
  },
};
const paymentBody = { customer_id: 'cus-007', rrn: 'rrn-0001', amount_cents: 7_450, metadata: { order_id: 'ord-0001' } };

// Each gateway comes from the shared build() and closes when its test ends. Unless a test passes its own commands,
// every command refuses (a call would be a 5xx, failing the test): the command routes are gateway-api's subject.
afterEach(() => {
  vi.useRealTimers();
});

interface PostOptions {
  /** Signature header value; default: the correct one. `null` omits the header. */
  signature?: string | null;
  contentType?: string;
}

function post(app: FastifyInstance, kind: 'commerce' | 'payments', body: unknown, options: PostOptions = {}): Promise<LightMyRequestResponse> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const secret = kind === 'commerce' ? SECRETS.commerceWebhook : SECRETS.paymentWebhook;
  const header = kind === 'commerce' ? 'x-commerce-signature' : 'x-payment-signature';
  const signature = options.signature === undefined ? signBody(secret, raw) : options.signature;
  return app.inject({
    method: 'POST',
    url: `/v1/webhooks/${kind}`,
    headers: { 'content-type': options.contentType ?? 'application/json', ...(signature === null ? {} : { [header]: signature }) },
    payload: raw,
  });
}

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors: Array<{ field: string; message: string }>;
}

/** Asserts the answer is an RFC 9457 problem with the given status, and returns its body. */
function problem(res: LightMyRequestResponse, status: number): Problem {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(new RegExp(`^${PROBLEM_JSON.replace('+', '\\+')}`));
  const body = res.json<Problem>();
  expect(body).toEqual({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
    errors: expect.any(Array),
  });
  expect(body.title.length).toBeGreaterThan(0);
  return body;
}

function bearer(token: string = SECRETS.supportApiToken): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

describe('POST /v1/webhooks/commerce', () => {
  it('answers 202 {order_id, workflow_id} and hands the parsed payload to Temporal with its receive time', async () => {
    const { app, sink } = await build();
    const before = Date.now();
    const res = await post(app, 'commerce', { ...commerceBody, channel: 'web' });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual({ order_id: 'ord-0001', workflow_id: 'order-ord-0001' });

    expect(sink.commerceEvents).toHaveLength(1);
    const event = sink.commerceEvents[0];
    // Unknown extra fields are ignored: they never reach the workflow.
    expect(event?.payload).toEqual(commerceBody);
    const receivedAt = event?.receivedAt ?? '';
    expect(new Date(receivedAt).toISOString()).toBe(receivedAt);
    expect(Date.parse(receivedAt)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(receivedAt)).toBeLessThanOrEqual(Date.now() + 1);
  });

  it('accepts a signature computed independently as sha256=<hex HMAC-SHA256 of the raw body>', async () => {
    const { app, sink } = await build();
    // Deliberately unusual whitespace: the HMAC is over the bytes as sent, not over a re-serialization.
    const raw = `{ "customer_id":"cus-007",\n  "order": {"order_id": "ord-0001", "items": [{"item_id": "itm-tee", "quantity": 2}]} }`;
    const hex = createHmac('sha256', SECRETS.commerceWebhook).update(Buffer.from(raw, 'utf8')).digest('hex');
    const res = await post(app, 'commerce', raw, { signature: `sha256=${hex}` });
    expect(res.statusCode, res.body).toBe(202);
    expect(sink.commerceEvents).toHaveLength(1);
  });

  it('answers 202 for every duplicate delivery', async () => {
    const { app, sink } = await build();
    expect((await post(app, 'commerce', commerceBody)).statusCode).toBe(202);
    expect((await post(app, 'commerce', commerceBody)).statusCode).toBe(202);
    expect(sink.commerceEvents).toHaveLength(2);
  });

  it('still answers 202 when the order is already closed (the late event is handled on its own, not an error)', async () => {
    const { app, sink } = await build();
    sink.answer = 'late_event';
    const res = await post(app, 'commerce', commerceBody);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ order_id: 'ord-0001', workflow_id: 'order-ord-0001' });
  });

  it('lets a quantity of 1.5 through to validation (a business mismatch, not a 400)', async () => {
    const { app, sink } = await build();
    const body = { customer_id: 'cus-007', order: { order_id: 'ord-0002', items: [{ item_id: 'itm-tee', quantity: 1.5 }] } };
    expect((await post(app, 'commerce', body)).statusCode).toBe(202);
    expect(sink.commerceEvents[0]?.payload.order.items[0]?.quantity).toBe(1.5);
  });

  describe('401 for a bad signature, and nothing reaches Temporal', () => {
    const raw = JSON.stringify(commerceBody);
    const hex = createHmac('sha256', SECRETS.commerceWebhook).update(raw).digest('hex');
    it.each<[string, string | null]>([
      ['missing', null],
      ['empty', ''],
      ['wrong', signBody('not-the-secret', raw)],
      ['without the sha256= prefix', hex],
      ['signed with the payment webhook secret', signBody(SECRETS.paymentWebhook, raw)],
      ['signed over a different body', signBody(SECRETS.commerceWebhook, JSON.stringify({ ...commerceBody, customer_id: 'cus-666' }))],
    ])('signature %s', async (_name, signature) => {
      const { app, sink } = await build();
      const body = problem(await post(app, 'commerce', raw, { signature }), 401);
      expect(body.errors.map((e) => e.field.toLowerCase())).toEqual(['x-commerce-signature']);
      expect(sink.calls).toBe(0);
    });

    it('a valid signature sent in the payment header does not count', async () => {
      const { app, sink } = await build();
      const res = await app.inject({
        method: 'POST',
        url: '/v1/webhooks/commerce',
        headers: { 'content-type': 'application/json', 'x-payment-signature': signBody(SECRETS.commerceWebhook, raw) },
        payload: raw,
      });
      problem(res, 401);
      expect(sink.calls).toBe(0);
    });
  });

  describe('400 for a body outside the schema, one errors[] entry per bad field', () => {
    it('names the one bad field', async () => {
      const { app, sink } = await build();
      const body = problem(await post(app, 'commerce', { ...commerceBody, customer_id: 42 }), 400);
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0]?.field).toMatch(/(^|\.)customer_id$/);
      expect(body.errors[0]?.message.length).toBeGreaterThan(0);
      expect(sink.calls).toBe(0);
    });

    it('two bad fields → two entries naming them', async () => {
      const { app, sink } = await build();
      const bad = { customer_id: '', order: { order_id: 'ord-0001', items: [{ item_id: 'itm-tee', quantity: '2' }] } };
      const body = problem(await post(app, 'commerce', bad), 400);
      const fields = body.errors.map((e) => e.field);
      expect(fields).toHaveLength(2);
      expect(fields.some((f) => /(^|\.)customer_id$/.test(f))).toBe(true);
      expect(fields.some((f) => /(^|\.)order\.items\.0\.quantity$/.test(f))).toBe(true);
      expect(sink.calls).toBe(0);
    });

    it.each([
      ['a missing order', { customer_id: 'cus-007' }, /(^|\.)order$/],
      ['empty items', { customer_id: 'cus-007', order: { order_id: 'ord-1', items: [] } }, /(^|\.)order\.items$/],
      ['a missing item_id', { customer_id: 'cus-007', order: { order_id: 'ord-1', items: [{ quantity: 1 }] } }, /(^|\.)order\.items\.0\.item_id$/],
    ])('%s', async (_name, bad, field) => {
      const { app, sink } = await build();
      const body = problem(await post(app, 'commerce', bad), 400);
      expect(body.errors.map((e) => e.field)).toEqual([expect.stringMatching(field)]);
      expect(sink.calls).toBe(0);
    });

    it('malformed JSON → 400', async () => {
      const { app, sink } = await build();
      problem(await post(app, 'commerce', '{"customer_id": "cus-007", "order": {'), 400);
      expect(sink.calls).toBe(0);
    });

    it('an empty body → 400', async () => {
      const { app, sink } = await build();
      problem(await post(app, 'commerce', ''), 400);
      expect(sink.calls).toBe(0);
    });

    it('a JSON array → 400', async () => {
      const { app, sink } = await build();
      problem(await post(app, 'commerce', [commerceBody]), 400);
      expect(sink.calls).toBe(0);
    });
  });

  it('413 for a body over 256 KiB', async () => {
    const { app, sink } = await build();
    const big = { ...commerceBody, padding: 'x'.repeat(256 * 1024) };
    problem(await post(app, 'commerce', big), 413);
    expect(sink.calls).toBe(0);
  });

  it('accepts a body just under 256 KiB', async () => {
    const { app } = await build();
    const base = JSON.stringify({ ...commerceBody, padding: '' });
    const body = { ...commerceBody, padding: 'x'.repeat(256 * 1024 - base.length) };
    expect(JSON.stringify(body).length).toBe(256 * 1024);
    expect((await post(app, 'commerce', body)).statusCode).toBe(202);
  });

  describe('media types', () => {
    it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml'])('415 for %s', async (contentType) => {
      const { app, sink } = await build();
      problem(await post(app, 'commerce', commerceBody, { contentType }), 415);
      expect(sink.calls).toBe(0);
    });

    it('415 without a content type', async () => {
      const { app, sink } = await build();
      const raw = JSON.stringify(commerceBody);
      const res = await app.inject({
        method: 'POST',
        url: '/v1/webhooks/commerce',
        headers: { 'x-commerce-signature': signBody(SECRETS.commerceWebhook, raw) },
        payload: Buffer.from(raw),
      });
      problem(res, 415);
      expect(sink.calls).toBe(0);
    });

    it.each([COMMERCE_V1, 'application/vnd.oms.commerce-order+json', 'application/json; charset=utf-8', 'application/vnd.oms.commerce-order+json;version="1"'])(
      'accepts %s as version 1',
      async (contentType) => {
        const { app, sink } = await build();
        const res = await post(app, 'commerce', commerceBody, { contentType });
        expect(res.statusCode, res.body).toBe(202);
        expect(sink.commerceEvents).toHaveLength(1);
      },
    );

    it.each(['version=3', 'version=abc', 'version=0', 'version=1.5'])('415 for %s, naming the supported versions', async (param) => {
      const { app, sink } = await build();
      const body = problem(await post(app, 'commerce', commerceBody, { contentType: `application/vnd.oms.commerce-order+json; ${param}` }), 415);
      expect(body.detail).toMatch(/supported/i);
      expect(body.detail).toContain('1');
      expect(body.detail).toContain('application/vnd.oms.commerce-order+json');
      expect(sink.calls).toBe(0);
    });

    it('415 for the payment media type on the commerce route', async () => {
      const { app, sink } = await build();
      const body = problem(await post(app, 'commerce', commerceBody, { contentType: PAYMENT_V1 }), 415);
      expect(body.detail).toContain('commerce-order');
      expect(sink.calls).toBe(0);
    });

    it('415 for the commerce media type on the payment route', async () => {
      const { app, sink } = await build();
      problem(await post(app, 'payments', paymentBody, { contentType: COMMERCE_V1 }), 415);
      expect(sink.calls).toBe(0);
    });
  });

  describe('Temporal unreachable', () => {
    it('answers 503 with Retry-After, never a false 202, and does not leak the error', async () => {
      const { app, sink } = await build();
      sink.answer = new Error('14 UNAVAILABLE: connect ECONNREFUSED 10.0.0.7:7233');
      const res = await post(app, 'commerce', commerceBody);
      const body = problem(res, 503);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.body).not.toContain('ECONNREFUSED');
      expect(res.body).not.toContain('10.0.0.7');
      expect(body.detail.length).toBeGreaterThan(0);
    });

    it('answers 503 on the payment route too', async () => {
      const { app, sink } = await build();
      sink.answer = new Error('deadline exceeded');
      const res = await post(app, 'payments', paymentBody);
      problem(res, 503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(res.body).not.toContain('deadline exceeded');
    });
  });
});

describe('POST /v1/webhooks/payments', () => {
  it('answers 202 {order_id, workflow_id} and hands the capture to Temporal under metadata.order_id', async () => {
    const { app, sink } = await build();
    const res = await post(app, 'payments', { ...paymentBody, psp: 'acme-pay' });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual({ order_id: 'ord-0001', workflow_id: 'order-ord-0001' });
    expect(sink.paymentEvents).toHaveLength(1);
    expect(sink.paymentEvents[0]?.orderId).toBe('ord-0001');
    expect(sink.paymentEvents[0]?.event.payload).toEqual(paymentBody);
    const receivedAt = sink.paymentEvents[0]?.event.receivedAt ?? '';
    expect(new Date(receivedAt).toISOString()).toBe(receivedAt);
  });

  it('accepts its vendor media type', async () => {
    const { app } = await build();
    expect((await post(app, 'payments', paymentBody, { contentType: PAYMENT_V1 })).statusCode).toBe(202);
  });

  it('accepts an independently computed X-Payment-Signature', async () => {
    const { app } = await build();
    const raw = JSON.stringify(paymentBody);
    const hex = createHmac('sha256', SECRETS.paymentWebhook).update(raw).digest('hex');
    expect((await post(app, 'payments', raw, { signature: `sha256=${hex}` })).statusCode).toBe(202);
  });

  it('still answers 202 for a closed order', async () => {
    const { app, sink } = await build();
    sink.answer = 'late_event';
    expect((await post(app, 'payments', paymentBody)).statusCode).toBe(202);
  });

  it.each<[string, string | null]>([
    ['missing', null],
    ['wrong', signBody('nope', JSON.stringify(paymentBody))],
    ['without the sha256= prefix', createHmac('sha256', SECRETS.paymentWebhook).update(JSON.stringify(paymentBody)).digest('hex')],
    ['signed with the commerce webhook secret', signBody(SECRETS.commerceWebhook, JSON.stringify(paymentBody))],
  ])('401 for a %s signature, nothing reaches Temporal', async (_name, signature) => {
    const { app, sink } = await build();
    const body = problem(await post(app, 'payments', paymentBody, { signature }), 401);
    expect(body.errors.map((e) => e.field.toLowerCase())).toEqual(['x-payment-signature']);
    expect(sink.calls).toBe(0);
  });

  it('400 naming each bad field', async () => {
    const { app, sink } = await build();
    const body = problem(await post(app, 'payments', { ...paymentBody, amount_cents: '7450', metadata: {} }), 400);
    const fields = body.errors.map((e) => e.field);
    expect(fields).toHaveLength(2);
    expect(fields.some((f) => /(^|\.)amount_cents$/.test(f))).toBe(true);
    expect(fields.some((f) => /(^|\.)metadata\.order_id$/.test(f))).toBe(true);
    expect(sink.calls).toBe(0);
  });

  it('413 for a body over 256 KiB', async () => {
    const { app, sink } = await build();
    problem(await post(app, 'payments', { ...paymentBody, padding: 'x'.repeat(300 * 1024) }), 413);
    expect(sink.calls).toBe(0);
  });

  it('415 for text/plain', async () => {
    const { app } = await build();
    problem(await post(app, 'payments', paymentBody, { contentType: 'text/plain' }), 415);
  });
});

describe('support and order read API (Bearer)', () => {
  const routes = ['/v1/orders/ord-0001', '/v1/customers/cus-007/orders', '/v1/support/orders?status=NEEDS_CORRECTION'];

  it.each(routes)('GET %s without a token → 401 problem with WWW-Authenticate', async (url) => {
    const { app, store } = await build();
    store.put(record('ord-0001'));
    const res = await app.inject({ method: 'GET', url });
    problem(res, 401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.body).not.toContain('ord-0001');
  });

  it.each([
    ['a wrong token', bearer('wrong-token')],
    ['a token one character short', bearer(SECRETS.supportApiToken.slice(0, -1))],
    ['the token without the Bearer scheme', { authorization: SECRETS.supportApiToken }],
    ['a webhook secret', bearer(SECRETS.commerceWebhook)],
  ])('GET /v1/orders/:id with %s → 401', async (_name, headers) => {
    const { app, store } = await build();
    store.put(record('ord-0001'));
    const res = await app.inject({ method: 'GET', url: '/v1/orders/ord-0001', headers });
    problem(res, 401);
    expect(res.body).not.toContain('cus-007');
  });

  it('GET /v1/orders/:id of an unknown order → 404 problem', async () => {
    const { app } = await build();
    const body = problem(await app.inject({ method: 'GET', url: '/v1/orders/ord-404', headers: bearer() }), 404);
    expect(body.detail).toContain('ord-404');
  });

  it('GET /v1/orders/:id → 200 with the dashboard record', async () => {
    const { app, store } = await build();
    const rec = record('ord-0001', {
      status: 'FORWARDED',
      payment: { rrn: 'rrn-0001', amount_cents: 7_450, captured_at: '2026-11-22T10:01:00.000Z' },
    });
    store.put(rec);
    const res = await app.inject({ method: 'GET', url: '/v1/orders/ord-0001', headers: bearer() });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual(rec);
  });

  it('GET /v1/customers/:id/orders → 200 {orders} newest first, only that customer', async () => {
    const { app, store } = await build();
    store.put(
      record('ord-old', { submitted_at: '2026-11-01T00:00:00.000Z' }),
      record('ord-new', { submitted_at: '2026-11-20T00:00:00.000Z' }),
      record('ord-other', { customer_id: 'cus-008' }),
    );
    const res = await app.inject({ method: 'GET', url: '/v1/customers/cus-007/orders', headers: bearer() });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{ orders: DashboardRecord[] }>();
    expect(body.orders.map((o) => o.order_id)).toEqual(['ord-new', 'ord-old']);
  });

  it('GET /v1/customers/:id/orders of a customer without orders → 200 {orders: []}', async () => {
    const { app } = await build();
    const res = await app.inject({ method: 'GET', url: '/v1/customers/cus-none/orders', headers: bearer() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ orders: [] });
  });

  it('GET /v1/support/orders?status=NEEDS_CORRECTION → 200 {orders} in that status', async () => {
    const { app, store } = await build();
    const needs = record('ord-bad', {
      status: 'NEEDS_CORRECTION',
      status_reason: 'validation_failed',
      validation_errors: [{ code: 'quantity_mismatch', item_id: 'itm-tee', detail: 'itm-tee has quantity 3, the Commerce App has 2' }],
    });
    store.put(needs, record('ord-fine'));
    const res = await app.inject({ method: 'GET', url: '/v1/support/orders?status=NEEDS_CORRECTION', headers: bearer() });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ orders: [needs] });
    expect(store.statusQueries.map((q) => q.status)).toEqual(['NEEDS_CORRECTION']);
  });

  it('GET /v1/support/orders without status → the NEEDS_CORRECTION queue', async () => {
    const { app, store } = await build();
    const res = await app.inject({ method: 'GET', url: '/v1/support/orders', headers: bearer() });
    expect(res.statusCode).toBe(200);
    expect(store.statusQueries.map((q) => q.status)).toEqual(['NEEDS_CORRECTION']);
  });

  it('GET /v1/support/orders?status=SHIPPED → 400 naming the status parameter', async () => {
    const { app, store } = await build();
    const body = problem(await app.inject({ method: 'GET', url: '/v1/support/orders?status=SHIPPED', headers: bearer() }), 400);
    expect(body.errors.map((e) => e.field)).toEqual([expect.stringMatching(/status$/)]);
    expect(store.statusQueries).toHaveLength(0);
  });

  it('GET /v1/support/orders?limit=0 → 400 naming limit', async () => {
    const { app } = await build();
    const body = problem(await app.inject({ method: 'GET', url: '/v1/support/orders?limit=0', headers: bearer() }), 400);
    expect(body.errors.map((e) => e.field)).toEqual([expect.stringMatching(/limit$/)]);
  });
});

describe('reads while the store is down', () => {
  const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

  it.each([
    ['GET /v1/orders/{id}', '/v1/orders/ord-0001'],
    ["GET /v1/customers/{id}/orders", '/v1/customers/cus-007/orders'],
    ['GET /v1/support/orders', '/v1/support/orders?status=PARKED'],
  ])('%s → 503 store-unavailable with Retry-After, not a 500', async (_name, url) => {
    const { app, store } = await build();
    store.get = async () => Promise.reject(refused());
    store.listByCustomer = async () => Promise.reject(refused());
    store.listByStatus = async () => Promise.reject(refused());
    const res = await app.inject({ method: 'GET', url, headers: bearer() });
    const body = problem(res, 503);
    expect(body.type).toBe('https://oms.example/problems/store-unavailable');
    expect(res.headers['retry-after']).toBe('5');
  });

  it('a record the store refuses for good (a permanent SQLSTATE) stays a 500: retrying would not help', async () => {
    const { app, store } = await build();
    store.get = async () => Promise.reject(Object.assign(new Error('relation "dashboard_records" does not exist'), { code: '42P01' }));
    problem(await app.inject({ method: 'GET', url: '/v1/orders/ord-0001', headers: bearer() }), 500);
  });
});

describe('ids in a path (contract §4 "Identifiers and text")', () => {
  it('GET /v1/orders/ctl%00x → 400 naming params.order_id, never a store query (it once was a 500 from PostgreSQL)', async () => {
    const { app, store } = await build();
    const reads: string[] = [];
    store.get = async (id) => {
      reads.push(id);
      return undefined;
    };
    const body = problem(await app.inject({ method: 'GET', url: '/v1/orders/ctl%00x', headers: bearer() }), 400);
    expect(body.errors.map((e) => e.field)).toEqual(['params.order_id']);
    expect(reads).toEqual([]);
  });

  it('an order id of 128 code points (256 UTF-16 units) is readable: the router bound is above any valid id', async () => {
    const { app, store } = await build();
    const id = '𝐀'.repeat(127) + '9';
    store.put(record(id));
    const res = await app.inject({ method: 'GET', url: `/v1/orders/${encodeURIComponent(id)}`, headers: bearer() });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    expect(res.json<DashboardRecord>().order_id).toBe(id);
  });

  it.each([
    ['broken percent-encoding', '/v1/orders/ord%E0%A4%A', 400, 'bad-url'],
    ['an encoded lone surrogate', '/v1/orders/ord%ED%A0%80', 400, 'bad-url'],
    ['a path parameter over 1024 characters', `/v1/orders/${'a'.repeat(1025)}`, 414, 'uri-too-long'],
  ])('%s → %s problem+json from the router, not Fastify\'s own JSON', async (_name, url, status, slug) => {
    const { app } = await build();
    const body = problem(await app.inject({ method: 'GET', url, headers: bearer() }), status);
    expect(body.type).toBe(`https://oms.example/problems/${slug}`);
  });

  it('POST …/retry without any body reaches the command with no agent and no note (docs/api.md: the body is optional)', async () => {
    const commands = new RecordingCommands();
    const { app } = await build({ commands });
    const res = await app.inject({ method: 'POST', url: '/v1/support/orders/ord-1/retry', headers: bearer() });
    expect(res.statusCode, res.body).toBe(200);
    expect(commands.calls).toEqual([{ command: 'retryParked', orderId: 'ord-1', request: {} }]);
    problem(await app.inject({ method: 'POST', url: '/v1/support/orders/ord-1/retry', headers: { ...bearer(), 'content-type': 'application/json' }, payload: 'null' }), 400);
    expect(commands.calls).toHaveLength(1);
  });
});

describe('everything else', () => {
  it('an unknown route → 404 problem+json', async () => {
    const { app } = await build();
    const body = problem(await app.inject({ method: 'GET', url: '/v1/nothing-here?x=1' }), 404);
    expect(body.detail).toContain('/v1/nothing-here');
  });

  it('GET on a webhook route → 404 problem+json (only POST exists)', async () => {
    const { app } = await build();
    problem(await app.inject({ method: 'GET', url: '/v1/webhooks/commerce' }), 404);
  });

  it('/healthz → 200', async () => {
    const { app } = await build();
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz → 200 when every check passes', async () => {
    const temporal = vi.fn<ReadinessCheck>(async () => undefined);
    const kafka = vi.fn<ReadinessCheck>(async () => undefined);
    const { app } = await build({ readiness: { temporal, kafka } });
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', checks: { temporal: 'ok', kafka: 'ok' } });
    expect(temporal).toHaveBeenCalledOnce();
    expect(kafka).toHaveBeenCalledOnce();
  });

  it('/readyz → 503 naming the failing check', async () => {
    const { app } = await build({
      readiness: {
        temporal: async () => undefined,
        kafka: async () => Promise.reject(new Error('There is no leader for this topic-partition')),
      },
    });
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    const body = res.json<{ status: string; checks: Record<string, string> }>();
    expect(body.status).toBe('unavailable');
    expect(body.checks.temporal).toBe('ok');
    expect(body.checks.kafka).toMatch(/^unavailable/);
  });

  it('/readyz → 503 when a check hangs (Temporal unreachable often means no answer at all)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { app } = await build({ readiness: { temporal: () => new Promise<void>(() => undefined), kafka: async () => undefined } });
    const pending = app.inject({ method: 'GET', url: '/readyz' });
    await vi.advanceTimersByTimeAsync(5_000);
    const res = await pending;
    expect(res.statusCode).toBe(503);
    expect(res.json<{ checks: Record<string, string> }>().checks.temporal).toMatch(/^unavailable/);
  });
});
