// The gateway's API surface beyond the basic routes, through app.inject: payload versions and the PII rule of
// version 2, the OpenAPI document generated from the route schemas, Prometheus metrics, command error mapping.
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { CommerceWebhookV2, INPUT_RULES, type DashboardRecord } from '../../contracts';
import { signBody } from '../../src/gateway/signature';
import { OrderCommandError } from '../../src/temporal/order-commands';
import { bearer, build, DEFAULT_SECRETS } from '../helpers/gateway-app';

const SECRETS = DEFAULT_SECRETS;
const TOKEN = SECRETS.supportApiToken;
const EMAIL = 'ada.lovelace@example.com';
const V2 = 'application/vnd.oms.commerce-order+json; version=2';

function commerce(app: FastifyInstance, body: unknown, contentType: string) {
  const raw = JSON.stringify(body);
  return app.inject({
    method: 'POST',
    url: '/v1/webhooks/commerce',
    headers: { 'content-type': contentType, 'x-commerce-signature': signBody(SECRETS.commerceWebhook, raw) },
    payload: raw,
  });
}

const order = { customer_id: 'cus-1', order: { order_id: 'ord-1', items: [{ item_id: 'itm-1', quantity: 1 }] } };

describe('payload versions and the customer e-mail (PII)', () => {
  it('accepts version 2 with customer_email, and the e-mail does not reach Temporal', async () => {
    const { app, sink, emails } = await build();
    const res = await commerce(app, { ...order, customer_email: EMAIL }, V2);
    expect(res.statusCode, res.body).toBe(202);
    expect(sink.commerceEvents).toHaveLength(1);
    const event = sink.commerceEvents[0];
    // Nowhere in the event, under any key: only its sealed form travels on.
    expect(JSON.stringify(event)).not.toContain(EMAIL);
    expect(JSON.stringify(event).toLowerCase()).not.toContain(EMAIL.split('@')[0]);
    expect(event).toMatchObject({ payload: order });
    expect(event?.payload).not.toHaveProperty('customer_email');
    const sealed = event?.sealedEmail ?? '';
    expect(sealed).toMatch(/^pii1\./);
    // The gateway's own envelope opens it again (what GET /v1/orders/{id} does).
    expect(await emails.open(sealed)).toEqual({ state: 'readable', email: EMAIL });
  });

  it('accepts version 2 without the optional e-mail', async () => {
    const { app, sink } = await build();
    expect((await commerce(app, order, V2)).statusCode).toBe(202);
    expect(sink.commerceEvents).toHaveLength(1);
    expect(sink.commerceEvents[0]).not.toHaveProperty('sealedEmail');
  });

  it('refuses a malformed e-mail in version 2 with 400 naming the field, and forwards nothing', async () => {
    const { app, sink } = await build();
    const res = await commerce(app, { ...order, customer_email: 'not-an-email' }, V2);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json<{ errors: Array<{ field: string }> }>().errors.map((e) => e.field)).toEqual(['body.customer_email']);
    expect(sink.commerceEvents).toHaveLength(0);
  });

  it('ignores customer_email in version 1 (an unknown field), and still does not forward it', async () => {
    const { app, sink } = await build();
    for (const contentType of ['application/json', 'application/vnd.oms.commerce-order+json; version=1']) {
      expect((await commerce(app, { ...order, customer_email: 'whatever' }, contentType)).statusCode).toBe(202);
    }
    expect(JSON.stringify(sink.commerceEvents)).not.toContain('whatever');
  });

  it('answers 415 naming versions 1 and 2 for version 3', async () => {
    const { app } = await build();
    const res = await commerce(app, order, 'application/vnd.oms.commerce-order+json; version=3');
    expect(res.statusCode).toBe(415);
    expect(res.json<{ detail: string }>().detail).toContain('version=1|2');
  });
});

describe('OpenAPI at /docs', () => {
  it('documents every route of contract §3 from the route schemas', async () => {
    const { app } = await build();
    const res = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{ openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown>; required?: string[] } }> } }>> }>();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/healthz',
        '/readyz',
        '/v1/customers/{customer_id}/orders',
        '/v1/orders/{order_id}',
        '/v1/orders/{order_id}/cancel',
        '/v1/support/orders',
        '/v1/support/orders/{order_id}/correction',
        '/v1/support/orders/{order_id}/retry',
        // Contract §10 (vNext): an agent's decision on an order in RISK_REVIEW.
        '/v1/support/orders/{order_id}/risk-decision',
        // The support console's reads (docs/console.md): the Commerce App's view of an order, the Web UI link.
        '/v1/support/orders/{order_id}/commerce',
        '/v1/support/console-settings',
        '/v1/webhooks/commerce',
        '/v1/webhooks/payments',
        // Contract §9: the Web UI's codec server.
        '/codec/decode',
        '/codec/encode',
      ].sort(),
    );
    const commerceBody = doc.paths['/v1/webhooks/commerce']?.post?.requestBody?.content['application/json']?.schema;
    // Generated from the same zod object that validates: its fields, and exactly its required ones.
    expect(Object.keys(commerceBody?.properties ?? {}).sort()).toEqual(Object.keys(CommerceWebhookV2.shape).sort());
    expect(commerceBody?.required?.sort()).toEqual(['customer_id', 'order']);
  });

  it('shows the id and text rules of contract §4 on every field and path id: the pattern, lengths in code points, the rule in words', async () => {
    const { app } = await build();
    type Schema = { type?: string; pattern?: string; minLength?: number; maxLength?: number; description?: string; properties?: Record<string, Schema>; items?: Schema };
    type Operation = { requestBody?: { content: Record<string, { schema: Schema }> }; parameters?: Array<{ in: string; name: string; description?: string; schema: Schema }> };
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, Record<string, Operation>> }>();
    const body = (path: string): Schema => doc.paths[path]?.post?.requestBody?.content['application/json']?.schema ?? {};
    const at = (schema: Schema, ...keys: string[]): Schema => keys.reduce<Schema>((s, k) => (k === '[]' ? (s.items ?? {}) : (s.properties?.[k] ?? {})), schema);
    const expectRule = (schema: Schema, rule: (typeof INPUT_RULES)[keyof typeof INPUT_RULES], where: string) => {
      expect(schema, where).toMatchObject({ type: 'string', pattern: rule.pattern.source, minLength: rule.minLength, maxLength: rule.maxLength, description: rule.rule });
    };

    const commerce = body('/v1/webhooks/commerce');
    expectRule(at(commerce, 'customer_id'), INPUT_RULES.id, 'commerce customer_id');
    expectRule(at(commerce, 'order', 'order_id'), INPUT_RULES.id, 'commerce order.order_id');
    expectRule(at(commerce, 'order', 'items', '[]', 'item_id'), INPUT_RULES.id, 'commerce item_id');
    const payment = body('/v1/webhooks/payments');
    for (const key of ['customer_id', 'rrn']) expectRule(at(payment, key), INPUT_RULES.id, `payment ${key}`);
    expectRule(at(payment, 'metadata', 'order_id'), INPUT_RULES.id, 'payment metadata.order_id');
    const correction = body('/v1/support/orders/{order_id}/correction');
    expectRule(at(correction, 'customer_id'), INPUT_RULES.id, 'correction customer_id');
    expectRule(at(correction, 'order', 'order_id'), INPUT_RULES.id, 'correction order.order_id');
    expectRule(at(correction, 'agent'), INPUT_RULES.agent, 'correction agent');
    expectRule(at(correction, 'note'), INPUT_RULES.note, 'correction note');
    expectRule(at(body('/v1/orders/{order_id}/cancel'), 'reason'), INPUT_RULES.reason, 'cancel reason');
    const retry = body('/v1/support/orders/{order_id}/retry');
    expectRule(at(retry, 'agent'), INPUT_RULES.agent, 'retry agent');
    expectRule(at(retry, 'note'), INPUT_RULES.note, 'retry note');

    const pathIds: Array<[string, string, string]> = [
      ['/v1/orders/{order_id}', 'get', 'order_id'],
      ['/v1/customers/{customer_id}/orders', 'get', 'customer_id'],
      ['/v1/orders/{order_id}/cancel', 'post', 'order_id'],
      ['/v1/support/orders/{order_id}/correction', 'post', 'order_id'],
      ['/v1/support/orders/{order_id}/retry', 'post', 'order_id'],
    ];
    for (const [path, method, name] of pathIds) {
      const param = doc.paths[path]?.[method]?.parameters?.find((p) => p.in === 'path' && p.name === name);
      expect(param?.schema, `${method} ${path}`).toMatchObject({ pattern: INPUT_RULES.id.pattern.source, minLength: 1, maxLength: 128 });
      // The generator moves a path parameter's description from its schema onto the parameter.
      expect(param?.description ?? param?.schema.description, `${method} ${path}`).toBe(INPUT_RULES.id.rule);
    }

    // The published pattern means the rule when compiled as JSON Schema requires (ECMA-262 with Unicode semantics).
    const published = new RegExp(at(commerce, 'customer_id').pattern ?? '', 'u');
    expect(['Ωmega-ünï', '𝐀'.repeat(128), 'a.b_c:d@e#f+g-h'].every((id) => published.test(id))).toBe(true);
    expect(['a b', 'a/b', '..', 'a\u0000', '𝐀'.repeat(129)].some((id) => published.test(id))).toBe(false);
  });

  it('serves the UI at /docs', async () => {
    const { app } = await build();
    const res = await app.inject({ method: 'GET', url: '/docs' });
    expect([200, 302]).toContain(res.statusCode);
  });
});

describe('metrics and health', () => {
  it('counts requests by route pattern and status, and times signalWithStart', async () => {
    const { app } = await build();
    await commerce(app, order, 'application/json');
    await commerce(app, { nope: true }, 'application/json');
    await app.inject({ method: 'GET', url: '/v1/orders/ord-123', headers: bearer(TOKEN) });
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/oms_http_requests_total\{method="POST",route="\/v1\/webhooks\/commerce",status="202"\} 1/);
    expect(text).toMatch(/oms_http_requests_total\{method="POST",route="\/v1\/webhooks\/commerce",status="400"\} 1/);
    // The route pattern, not the order id: bounded label values.
    expect(text).toContain('route="/v1/orders/:order_id",status="404"');
    expect(text).not.toContain('ord-123');
    expect(text).toMatch(/oms_temporal_signal_with_start_duration_seconds_count\{kind="commerce",outcome="delivered"\} 1/);
    expect(text).toContain('oms_http_request_duration_seconds_bucket');
    expect(text).toContain('process_cpu_seconds_total');
  });

  it('/readyz names the failing dependency without leaking its address', async () => {
    const { app } = await build({
      readiness: { temporal: async () => undefined, kafka: async () => Promise.reject(new Error('broker at 10.1.2.3:9092 refused')) },
    });
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'unavailable', checks: { temporal: 'ok', kafka: 'unavailable' } });
    expect(res.body).not.toContain('10.1.2.3');
  });

  it('accepts the Bearer scheme in any case, never a wrong token', async () => {
    const { app } = await build();
    const get = (authorization: string) => app.inject({ method: 'GET', url: '/v1/orders/x', headers: { authorization } });
    expect((await get(`bearer ${TOKEN}`)).statusCode).toBe(404);
    expect((await get(`BEARER ${TOKEN}`)).statusCode).toBe(404);
    expect((await get(`Bearer ${TOKEN}-2`)).statusCode).toBe(401);
    expect((await get(`Basic ${TOKEN}`)).statusCode).toBe(401);
  });
});

describe('commands map onto the contract statuses', () => {
  const auth = bearer(TOKEN);
  const record = { order_id: 'ord-1', status: 'CANCELLED' } as unknown as DashboardRecord;

  it('cancel: 409 for a refused update, 404 unknown, 503 dependency down, 400 bad body', async () => {
    const outcomes: Array<[Error, number]> = [
      [new OrderCommandError('conflict', 'payment already captured', 'PAYMENT_ALREADY_CAPTURED'), 409],
      [new OrderCommandError('not_found', 'no order'), 404],
      [new OrderCommandError('unavailable', 'pim down'), 503],
    ];
    for (const [error, status] of outcomes) {
      const { app } = await build({ commands: { cancel: async () => Promise.reject(error) } });
      const res = await app.inject({ method: 'POST', url: '/v1/orders/ord-1/cancel', headers: auth, payload: { reason: 'x' } });
      expect(res.statusCode).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const { app } = await build();
    expect((await app.inject({ method: 'POST', url: '/v1/orders/ord-1/cancel', headers: auth, payload: {} })).statusCode).toBe(400);
  });

  it('correction: 422 with the reasons, 400 when the body names another order', async () => {
    const reasons = [{ code: 'quantity_mismatch' as const, item_id: 'itm-1', detail: 'quantity 1, Commerce has 2' }];
    const { app } = await build({ commands: { correct: async () => ({ accepted: false, errors: reasons, record }) } });
    const body = { customer_id: 'cus-1', order: { order_id: 'ord-1', items: [{ item_id: 'itm-1', quantity: 1 }] }, note: '', agent: 'ann' };
    const res = await app.inject({ method: 'POST', url: '/v1/support/orders/ord-1/correction', headers: auth, payload: body });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 422, validation_errors: reasons, errors: [{ field: 'order.items[itm-1]' }] });
    // The same problem document as every other error (contract §3), plus the reasons.
    expect(res.json()).toEqual({
      type: 'https://oms.example/problems/still-invalid',
      title: 'Unprocessable Content',
      status: 422,
      detail: expect.stringContaining('NEEDS_CORRECTION'),
      errors: [{ field: 'order.items[itm-1]', message: 'quantity_mismatch: quantity 1, Commerce has 2' }],
      validation_errors: reasons,
    });
    const other = await app.inject({ method: 'POST', url: '/v1/support/orders/ord-2/correction', headers: auth, payload: body });
    expect(other.statusCode).toBe(400);
  });
});
