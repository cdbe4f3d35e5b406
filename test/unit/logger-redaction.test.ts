// The service's logger (src/logger.ts) never writes a customer's e-mail (contract §9): a whole commerce event logged
// in the shapes code really logs it in, the gateway's own request logs, and logging never alters what was logged.
import { describe, expect, it } from 'vitest';
import { signBody } from '../../src/gateway/signature';
import { createLogger, type Logger } from '../../src/logger';
import { build, DEFAULT_SECRETS } from '../helpers/gateway-app';

const EMAIL = 'ada.lovelace@example.com';
const LOCAL_PART = 'ada.lovelace';

/** The version 2 webhook body, as the Commerce App sends it. */
function webhookBody() {
  return {
    customer_id: 'cus-ada',
    order: { order_id: 'ord-log-1', items: [{ item_id: 'itm-1', quantity: 2 }, { item_id: 'itm-2', quantity: 1 }] },
    customer_email: EMAIL,
  };
}

/** The service's logger at its most verbose, writing its JSON lines into memory. */
function capturedLogger(): { logger: Logger; text: () => string; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const logger = createLogger({ level: 'trace', name: 'oms-test' }, { write: (chunk: string) => void chunks.push(chunk) });
  return {
    logger,
    text: () => chunks.join(''),
    lines: () => chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

type Body = ReturnType<typeof webhookBody>;
const event = (body: Body) => ({ receivedAt: '2026-11-22T10:00:00.000Z', payload: body });
const carrying = (message: string, props: Record<string, unknown>) => Object.assign(new Error(message), props);

/** Where code logs a commerce event: as it is, wrapped by a route, a client, an activity, an error. */
const SHAPES: Array<[string, (body: Body) => object]> = [
  ['the body itself', (b) => b],
  ['{ body }', (b) => ({ body: b })],
  ['{ event }', (b) => ({ event: b })],
  ['{ payload }', (b) => ({ payload: b })],
  ['{ req: { body } }', (b) => ({ req: { method: 'POST', url: '/v1/webhooks/commerce', body: b } })],
  ['{ request: { body } }', (b) => ({ request: { body: b } })],
  ['{ event: { receivedAt, payload } }', (b) => ({ event: event(b) })],
  ['{ orderId, input: { event } }', (b) => ({ orderId: 'ord-log-1', input: { event: event(b) } })],
  ['{ args: [event] } (a workflow start)', (b) => ({ workflowId: 'order-ord-log-1', args: [event(b)] })],
  ['{ workflow: { args: [event] } }', (b) => ({ workflow: { args: [event(b)] } })],
  ['{ events: [body, body] }', (b) => ({ events: [b, { ...b }] })],
  ['{ err } carrying the body', (b) => ({ err: carrying('webhook rejected', { body: b }) })],
  ['{ err } carrying the event', (b) => ({ err: carrying('signalWithStart failed', { event: event(b) }) })],
  ['{ err } carrying a request with the body', (b) => ({ err: carrying('upstream refused', { request: { body: b } }) })],
  ['{ err } whose cause carries the body', (b) => ({ err: new Error('could not deliver', { cause: carrying('refused', { body: b }) }) })],
  ['{ err, body } side by side', (b) => ({ err: new Error('x'), body: b })],
];

describe('logger redaction (contract §9: no log line carries the e-mail)', () => {
  it.each(SHAPES)('%s: the e-mail appears nowhere in the output', (_label, shape) => {
    const { logger, text, lines } = capturedLogger();
    logger.info(shape(webhookBody()), 'commerce event');
    logger.error(shape(webhookBody()), 'commerce event');
    expect(lines()).toHaveLength(2);
    expect(text()).not.toContain(EMAIL);
    expect(text()).not.toContain(LOCAL_PART);
  });

  it('the error itself as the log object', () => {
    const { logger, text } = capturedLogger();
    logger.error(carrying('rejected', { body: webhookBody() }));
    logger.error(carrying('rejected', { event: event(webhookBody()) }), 'with a message');
    expect(text()).not.toContain(LOCAL_PART);
  });

  it('the bindings of a child logger', () => {
    const { logger, text } = capturedLogger();
    logger.child({ event: event(webhookBody()) }).info('in a child');
    logger.child({ orderId: 'ord-log-1' }).child({ payload: webhookBody() }).warn('in a grandchild');
    expect(text()).toContain('in a grandchild');
    expect(text()).not.toContain(LOCAL_PART);
  });

  it('keeps the rest of the event readable, and marks where the e-mail was', () => {
    const { logger, lines } = capturedLogger();
    logger.info({ event: event(webhookBody()) }, 'commerce event');
    const [line] = lines();
    expect(line).toMatchObject({ msg: 'commerce event', event: { payload: { customer_id: 'cus-ada', order: { order_id: 'ord-log-1' }, customer_email: '[redacted]' } } });
  });

  it.each(SHAPES)('%s: logging leaves the logged object as it was', (_label, shape) => {
    const { logger } = capturedLogger();
    const body = webhookBody();
    const logged = shape(body);
    logger.info(logged, 'commerce event');
    // The gateway logs what it then hands on: redaction must work on the output, never on the caller's object.
    expect(body).toEqual(webhookBody());
  });
});

describe("the gateway's own logs", () => {
  const V2 = 'application/vnd.oms.commerce-order+json; version=2';

  async function gatewayWithLogs() {
    const captured = capturedLogger();
    const gateway = await build({ logger: captured.logger });
    const send = (body: unknown) => {
      const raw = JSON.stringify(body);
      return gateway.app.inject({
        method: 'POST',
        url: '/v1/webhooks/commerce',
        headers: { 'content-type': V2, 'x-commerce-signature': signBody(DEFAULT_SECRETS.commerceWebhook, raw) },
        payload: raw,
      });
    };
    return { ...gateway, ...captured, send };
  }

  it('a version 2 webhook, accepted, refused for a malformed e-mail, and failing at Temporal, logs no e-mail', async () => {
    const { send, sink, text, lines } = await gatewayWithLogs();
    expect((await send(webhookBody())).statusCode).toBe(202);
    expect((await send({ ...webhookBody(), customer_email: `${LOCAL_PART}@@example.com` })).statusCode).toBe(400);
    sink.answer = new Error('temporal: connection refused');
    expect((await send(webhookBody())).statusCode).toBe(503);
    expect(lines().length).toBeGreaterThan(3);
    expect(text()).toContain('Temporal did not accept the event');
    expect(text()).not.toContain(LOCAL_PART);
  });
});
