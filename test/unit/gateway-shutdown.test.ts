// Graceful shutdown of the gateway: on close it stops accepting connections, lets in-flight webhooks finish with
// their 202 (the event is already going into Temporal), and only then resolves so the Temporal connection can close.
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { CommerceOrderEvent } from '../../contracts';
import { signBody } from '../../src/gateway/signature';
import type { DeliveryOutcome, OrderEventSink } from '../../src/temporal/order-events';
import { build } from '../helpers/gateway-app';

const SECRET = 'shutdown-secret';

describe('graceful shutdown', () => {
  it('finishes the in-flight webhook, refuses new connections, then closes', async () => {
    let release: () => void = () => undefined;
    const temporalAccepts = new Promise<void>((resolve) => (release = resolve));
    const received: CommerceOrderEvent[] = [];
    const sink: OrderEventSink = {
      async commerceOrder(event): Promise<DeliveryOutcome> {
        received.push(event);
        await temporalAccepts;
        return 'delivered';
      },
      async paymentCapture(): Promise<DeliveryOutcome> {
        return 'delivered';
      },
    };
    const { app } = await build({ events: sink, secrets: { commerceWebhook: SECRET, paymentWebhook: SECRET, supportApiToken: 't' } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const raw = JSON.stringify({ customer_id: 'c', order: { order_id: 'ord-inflight', items: [{ item_id: 'i', quantity: 1 }] } });
    const inFlight = fetch(`${url}/v1/webhooks/commerce`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-commerce-signature': signBody(SECRET, raw), connection: 'close' },
      body: raw,
    });
    await expect.poll(() => received.length).toBe(1);

    let closed = false;
    const closing = app.close().then(() => (closed = true));
    await expect.poll(() => app.server.listening).toBe(false);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    expect(closed).toBe(false);

    release();
    const response = await inFlight;
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ order_id: 'ord-inflight', workflow_id: 'order-ord-inflight' });
    await closing;
    expect(closed).toBe(true);
  });
});
