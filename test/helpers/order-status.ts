// Waiting for an order to reach a status, as an integrator does: polling GET /v1/orders/{id} until its record says so.
import { expect, vi } from 'vitest';
import type { GatewayClient } from './gateway-client';

/** Long enough for a restarted stack's workers to pick the order up again. */
export const ORDER_WAIT = { timeout: 90_000, interval: 250 };

/** The order's record once it is in `status` (and `also` holds for it). */
export async function recordInStatus<R extends { status: string } = Record<string, unknown> & { status: string }>(
  gateway: GatewayClient,
  orderId: string,
  status: string,
  also: (record: R) => boolean = () => true,
): Promise<R> {
  let record = {} as R;
  await vi.waitFor(async () => {
    const res = await gateway.getOrder(orderId);
    expect(res.status).toBe(200);
    record = res.body as R;
    expect(record.status).toBe(status);
    expect(also(record)).toBe(true);
  }, ORDER_WAIT);
  return record;
}
