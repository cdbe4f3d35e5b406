// Contract §4 "Identifiers and text" through the HTTP API: every id and text field of every route that takes one,
// in the body or in the path. Each value the rule refuses is a 400 whose errors[] names exactly that field with a
// message stating the rule, and nothing reaches Temporal, a command or the store; each value it allows is accepted
// and passed on exactly as sent (never trimmed or rewritten). The named cases live in test/helpers/fixtures.ts.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { INPUT_RULES } from '../../contracts';
import { signBody } from '../../src/gateway/signature';
import {
  AGENTS_INSIDE_THE_RULE,
  AGENTS_OUTSIDE_THE_RULE,
  IDS_INSIDE_THE_RULE,
  IDS_OUTSIDE_THE_RULE,
  NOTES_INSIDE_THE_RULE,
  NOTES_OUTSIDE_THE_RULE,
  REASONS_INSIDE_THE_RULE,
  REASONS_OUTSIDE_THE_RULE,
} from '../helpers/fixtures';
import { bearer, build, dashboardRecord, DEFAULT_SECRETS, InMemoryStore, isLoneSurrogate, navigate, pathSegment, ProblemShape, RecordingCommands, RecordingSink, type Json } from '../helpers/gateway-app';

const SECRETS = DEFAULT_SECRETS;
const AUTH = bearer(SECRETS.supportApiToken);

/** The read side, counting reads: a path id outside the rule must never become a store query. */
class CountingStore extends InMemoryStore {
  /** The ids the store was asked for, in order. */
  readonly reads: string[] = [];
  override async get(orderId: string) {
    this.reads.push(orderId);
    return super.get(orderId);
  }
  override async listByCustomer(customerId: string) {
    this.reads.push(customerId);
    return super.listByCustomer(customerId);
  }
}

const sink = new RecordingSink();
const commands = new RecordingCommands();
let store = new CountingStore();
let app: FastifyInstance;

beforeAll(async () => {
  // One gateway for the whole matrix; the store is swapped per test through a stable delegate.
  const delegate = {
    get: (id: string) => store.get(id),
    listByCustomer: (id: string) => store.listByCustomer(id),
    listByStatus: (...args: Parameters<InMemoryStore['listByStatus']>) => store.listByStatus(...args),
  };
  ({ app } = await build({ events: sink, commands, store: delegate, secrets: SECRETS, shared: true }));
});

afterAll(async () => {
  await app.close();
});

beforeEach(() => {
  sink.reset();
  commands.reset();
  store = new CountingStore();
});

function webhook(kind: 'commerce' | 'payments', body: unknown): Promise<LightMyRequestResponse> {
  const raw = JSON.stringify(body);
  const [secret, header] = kind === 'commerce' ? [SECRETS.commerceWebhook, 'x-commerce-signature'] : [SECRETS.paymentWebhook, 'x-payment-signature'];
  return app.inject({ method: 'POST', url: `/v1/webhooks/${kind}`, headers: { 'content-type': 'application/json', [header]: signBody(secret, raw) }, payload: raw });
}

function command(url: string, body: unknown): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url, headers: { ...AUTH, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
}

const items = [
  { item_id: 'itm-tee', quantity: 2 },
  { item_id: 'itm-jeans', quantity: 1 },
];
const commerceBody = { customer_id: 'cus-007', order: { order_id: 'ord-1', items } };
const paymentBody = { customer_id: 'cus-007', rrn: 'rrn-1', amount_cents: 7_450, metadata: { order_id: 'ord-1' } };
const correctionBody = { customer_id: 'cus-007', order: { order_id: 'ord-1', items }, note: 'checked with the customer', agent: 'ann' };

/** Sets `value` at a dotted path of a copy of `body`. */
function withField(body: object, path: string, value: string): Json {
  const copy = structuredClone(body) as Record<string, unknown>;
  const keys = path.split('.');
  const last = keys.pop() ?? '';
  let here: Record<string, unknown> = copy;
  for (const key of keys) here = here[key] as Record<string, unknown>;
  here[last] = value;
  return copy as Json;
}

interface FieldUnderTest {
  /** The route and field, e.g. `POST /v1/webhooks/commerce body.order.order_id`. */
  name: string;
  /** The name errors[] must give it. */
  errorField: string;
  rule: keyof typeof INPUT_RULES;
  send(value: string): Promise<LightMyRequestResponse>;
  acceptedStatus: number;
  /** What reached Temporal, the command or the store where the value was; undefined when nothing did. */
  received(): unknown;
  inPath?: boolean;
}

/** A dotted path as navigate() takes it: array indices as numbers. */
const steps = (path: string) => path.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
const lastCommerce = (path: string) => () => navigate(sink.commerceEvents.at(-1)?.payload as Json, steps(path));
const lastPayment = (path: string) => () => navigate(sink.paymentEvents.at(-1)?.event.payload as Json, steps(path));
const lastRequest = (path: string) => () => navigate(commands.calls.at(-1)?.request as Json, steps(path));
const lastOrderId = () => commands.calls.at(-1)?.orderId;

function bodyField(route: string, path: string, rule: FieldUnderTest['rule'], send: (value: string) => Promise<LightMyRequestResponse>, acceptedStatus: number, received: () => unknown): FieldUnderTest {
  return { name: `${route} body.${path}`, errorField: `body.${path}`, rule, send, acceptedStatus, received };
}

const FIELDS: FieldUnderTest[] = [
  ...['customer_id', 'order.order_id', 'order.items.0.item_id', 'order.items.1.item_id'].map((path) =>
    bodyField('POST /v1/webhooks/commerce', path, 'id', (v) => webhook('commerce', withField(commerceBody, path, v)), 202, lastCommerce(path)),
  ),
  ...['customer_id', 'rrn', 'metadata.order_id'].map((path) =>
    bodyField('POST /v1/webhooks/payments', path, 'id', (v) => webhook('payments', withField(paymentBody, path, v)), 202, lastPayment(path)),
  ),
  bodyField('POST /v1/support/orders/{id}/correction', 'customer_id', 'id', (v) => command('/v1/support/orders/ord-1/correction', withField(correctionBody, 'customer_id', v)), 200, lastRequest('customer_id')),
  // The corrected order keeps the path's id, so an accepted value is sent in both places.
  bodyField(
    'POST /v1/support/orders/{id}/correction',
    'order.order_id',
    'id',
    (v) => command(`/v1/support/orders/${pathSegment(isRefusedId(v) ? 'ord-1' : v)}/correction`, withField(correctionBody, 'order.order_id', v)),
    200,
    lastRequest('order.order_id'),
  ),
  bodyField('POST /v1/support/orders/{id}/correction', 'order.items.0.item_id', 'id', (v) => command('/v1/support/orders/ord-1/correction', withField(correctionBody, 'order.items.0.item_id', v)), 200, lastRequest('order.items.0.item_id')),
  bodyField('POST /v1/support/orders/{id}/correction', 'agent', 'agent', (v) => command('/v1/support/orders/ord-1/correction', withField(correctionBody, 'agent', v)), 200, lastRequest('agent')),
  bodyField('POST /v1/support/orders/{id}/correction', 'note', 'note', (v) => command('/v1/support/orders/ord-1/correction', withField(correctionBody, 'note', v)), 200, lastRequest('note')),
  bodyField('POST /v1/orders/{id}/cancel', 'reason', 'reason', (v) => command('/v1/orders/ord-1/cancel', { reason: v }), 200, lastRequest('reason')),
  bodyField('POST /v1/support/orders/{id}/retry', 'agent', 'agent', (v) => command('/v1/support/orders/ord-1/retry', { agent: v }), 200, lastRequest('agent')),
  bodyField('POST /v1/support/orders/{id}/retry', 'note', 'note', (v) => command('/v1/support/orders/ord-1/retry', { note: v }), 200, lastRequest('note')),
  ...(
    [
      ['POST /v1/orders/{order_id}/cancel', (v: string) => command(`/v1/orders/${pathSegment(v)}/cancel`, { reason: 'customer asked' })],
      ['POST /v1/support/orders/{order_id}/correction', (v: string) => command(`/v1/support/orders/${pathSegment(v)}/correction`, withField(correctionBody, 'order.order_id', isRefusedId(v) ? 'ord-1' : v))],
      ['POST /v1/support/orders/{order_id}/retry', (v: string) => command(`/v1/support/orders/${pathSegment(v)}/retry`, {})],
    ] as const
  ).map(([route, send]): FieldUnderTest => ({ name: `${route} params.order_id`, errorField: 'params.order_id', rule: 'id', send, acceptedStatus: 200, received: lastOrderId, inPath: true })),
  {
    name: 'GET /v1/orders/{order_id} params.order_id',
    errorField: 'params.order_id',
    rule: 'id',
    inPath: true,
    send: (v) => {
      store.put(dashboardRecord(v));
      return app.inject({ method: 'GET', url: `/v1/orders/${pathSegment(v)}`, headers: AUTH });
    },
    acceptedStatus: 200,
    received: () => store.reads.at(-1),
  },
  {
    name: 'GET /v1/customers/{customer_id}/orders params.customer_id',
    errorField: 'params.customer_id',
    rule: 'id',
    inPath: true,
    send: (v) => {
      store.put(dashboardRecord('ord-1', { customer_id: v }));
      return app.inject({ method: 'GET', url: `/v1/customers/${pathSegment(v)}/orders`, headers: AUTH });
    },
    acceptedStatus: 200,
    received: () => store.reads.at(-1),
  },
];

/** True for the values of IDS_OUTSIDE_THE_RULE, so a correction whose order id is under test keeps a valid path. */
function isRefusedId(value: string): boolean {
  return IDS_OUTSIDE_THE_RULE.some(([, bad]) => bad === value);
}

const CASES: Record<FieldUnderTest['rule'], { outside: typeof IDS_OUTSIDE_THE_RULE; inside: typeof IDS_INSIDE_THE_RULE }> = {
  id: { outside: IDS_OUTSIDE_THE_RULE, inside: IDS_INSIDE_THE_RULE },
  agent: { outside: AGENTS_OUTSIDE_THE_RULE, inside: AGENTS_INSIDE_THE_RULE },
  note: { outside: NOTES_OUTSIDE_THE_RULE, inside: NOTES_INSIDE_THE_RULE },
  reason: { outside: REASONS_OUTSIDE_THE_RULE, inside: REASONS_INSIDE_THE_RULE },
};

function problemOf(res: LightMyRequestResponse, status: number): ProblemShape {
  expect(res.statusCode, res.body.slice(0, 400)).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  return ProblemShape.parse(res.json());
}

describe.each(FIELDS)('$name', (target) => {
  const { outside, inside } = CASES[target.rule];

  it.each(outside)('refuses %s with a 400 naming the field and stating the rule; nothing is passed on', async (name, value) => {
    const res = await target.send(value);
    const named = [{ field: target.errorField, message: `must be ${INPUT_RULES[target.rule].rule}` }];
    if (target.inPath && Array.from(value).some(isLoneSurrogate)) {
      // No UTF-8 can carry a lone surrogate, so the router refuses the path before any route (400 bad-url).
      expect(problemOf(res, 400).type).toMatch(/bad-url$/);
    } else if (target.inPath && (value === '.' || value === '..')) {
      // Dot segments resolve to another path: no such route (404), or this route with an empty id (400 naming it).
      const problem = problemOf(res, res.statusCode === 404 ? 404 : 400);
      if (problem.status === 400) expect(problem.errors, name).toEqual(named);
    } else {
      expect(problemOf(res, 400).errors, name).toEqual(named);
    }
    expect(sink.calls).toBe(0);
    expect(commands.calls).toHaveLength(0);
    expect(store.reads).toEqual([]);
  });

  it.each(inside)('accepts %s and passes it on exactly as sent', async (_name, value) => {
    const res = await target.send(value);
    expect(res.statusCode, res.body.slice(0, 400)).toBe(target.acceptedStatus);
    expect(target.received()).toBe(value);
  });
});
