// OrderStatusSince on the time-skipping server: the workflow sets it in the same upsert as every new OrderStatus, at
// the workflow's time of the move, so the remediation sweeper can tell how long an order rests where it is.
import { describe, expect, it, vi } from 'vitest';
import { uniqueOrderId } from '../helpers/fixtures';
import { DAY, eventually, useOrderWorkflowHarness } from '../helpers/order-workflow-harness';

const harness = useOrderWorkflowHarness();
const { withWorkers, sendCommerce, sendCapture } = harness;

/** The attribute as the server holds it, whatever type the test server registered it with (an ISO string). */
async function statusSince(handle: Awaited<ReturnType<typeof sendCommerce>>): Promise<{ status: unknown; since: number }> {
  const attributes = (await handle.describe()).searchAttributes;
  const since = attributes.OrderStatusSince?.[0];
  return { status: attributes.OrderStatus?.[0], since: since instanceof Date ? since.getTime() : Date.parse(String(since)) };
}

describe('OrderStatusSince', () => {
  it('moves with every new status, to the time of the move', async () => {
    const orderId = uniqueOrderId();
    await withWorkers({}, async () => {
      const handle = await sendCommerce(orderId);
      await eventually(handle, { status: 'AWAITING_PAYMENT' });
      const waiting = await vi.waitFor(async () => {
        const shown = await statusSince(handle);
        expect(shown.status).toBe('AWAITING_PAYMENT');
        expect(Number.isFinite(shown.since)).toBe(true);
        return shown;
      });
      // A day in AWAITING_PAYMENT leaves the attribute where it was: no status change, no upsert.
      await harness.env.sleep(DAY);
      expect((await statusSince(handle)).since).toBe(waiting.since);
      const paidAt = await harness.env.currentTimeMs();
      await sendCapture(orderId);
      await handle.result();
      const forwarded = await statusSince(handle);
      expect(forwarded.status).toBe('FORWARDED');
      expect(forwarded.since).toBeGreaterThanOrEqual(paidAt);
    });
  });
});
