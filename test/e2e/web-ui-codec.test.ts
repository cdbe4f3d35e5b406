// What an operator sees in the local Temporal Web UI of `npm start` (contract §9): the payloads decoded in a real
// browser through the dev codec token relay, while the raw history on the server holds only ciphertext and the
// gateway's codec server itself still refuses a caller without the token. Screenshots land in test-artifacts/.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, saveScreenshot } from '../helpers/browser';
import { bootE2eWorld, type E2eWorld } from '../helpers/e2e-stack';
import { COMMERCE_V2_CONTENT_TYPE } from '../helpers/gateway-client';
import { newPiiOrder, ourPayloads, rawHistory, text, toWire } from '../helpers/pii-probes';

const UI_TIMEOUT_MS = 45_000;

let world: E2eWorld;
let browser: Browser | undefined;

beforeAll(async () => {
  // The browser first: a missing chromium fails in a second, not after the stack's boot.
  browser = await launchChromium();
  world = await bootE2eWorld();
}, 25 * 60_000);

afterAll(async () => {
  await browser?.close();
  await world?.stop();
});


interface BrowserAnswer {
  status: number;
  body: string;
}

/** A POST from the page's own origin, as the Web UI's JavaScript makes it (CORS preflight included). */
async function postFromPage(page: Page, url: string, body: unknown): Promise<BrowserAnswer | { error: string }> {
  return page.evaluate(
    async ({ url, body }) => {
      try {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-namespace': 'default' }, body: JSON.stringify(body) });
        return { status: res.status, body: await res.text() };
      } catch (err) {
        return { error: String(err) };
      }
    },
    { url, body },
  );
}

describe('the local Web UI decodes payloads through the codec token relay', () => {
  it('shows the order decoded in chromium, while the raw history holds only ciphertext and the gateway wants its token', async () => {
    if (!browser) throw new Error('no browser');
    const { stack, gateway } = world;
    const order = newPiiOrder(world.apis);
    const workflowId = `order-${order.orderId}`;
    expect((await gateway.postCommerce(order.webhook, { contentType: COMMERCE_V2_CONTENT_TYPE })).status).toBe(202);
    // Validated and enriched: the item's id has been through activity inputs and results as well.
    await vi.waitFor(async () => expect((await gateway.getOrder(order.orderId)).body).toMatchObject({ status: 'AWAITING_PAYMENT' }), { timeout: 90_000, interval: 250 });

    // Negative control, read as the server stores it (a client without codec): every payload of ours is sealed, and
    // neither the order's input nor the item's id (which lives only in payloads) is there in clear.
    const history = await rawHistory(world.temporal, order.orderId);
    const payloads = ourPayloads(history);
    expect(payloads.length).toBeGreaterThanOrEqual(3);
    for (const { at, payload } of payloads) {
      expect(text(payload.metadata?.encoding), at).toBe('binary/encrypted');
      expect(text(payload.data), at).not.toContain(order.itemId);
    }
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    if (!started) throw new Error(`no input on the first event of ${workflowId}`);
    expect(text(started.data)).not.toContain('orderTtlMs');
    expect(text(started.data)).not.toContain(order.orderId);
    const rawBytes = Buffer.concat(payloads.map(({ payload }) => Buffer.from(payload.data ?? new Uint8Array())));
    expect(rawBytes.includes(order.itemId)).toBe(false);

    const page = await browser.newPage();
    let passed = false;
    try {
      // The workflow's page, as an operator opens it (it redirects to …/<runId>/history). Never wait for network
      // idle: the UI polls.
      await page.goto(`${stack.temporalUiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
      const inputAndResult = page.locator('[data-testid="input-and-result"]');
      // Undecoded, this box would show {"metadata":…,"data":…}: the order id and the input's field names appear only
      // once the relay has had the gateway decode the payload.
      await expect.poll(() => inputAndResult.getByText(order.orderId).count(), { timeout: UI_TIMEOUT_MS }).toBeGreaterThan(0);
      await expect.poll(() => inputAndResult.getByText('paymentCaptureWindowMs').count(), { timeout: UI_TIMEOUT_MS }).toBeGreaterThan(0);
      expect(await page.getByTestId('data-encoder-status-success').count()).toBeGreaterThan(0);
      await saveScreenshot(page, 'web-ui-codec-workflow-input');

      // The commerce event the gateway signalled: the item's id is only inside that payload.
      await page.locator('[data-testid="event-summary-row"]').filter({ hasText: 'Workflow Execution Signaled' }).first().click();
      await expect.poll(() => page.getByText(order.itemId).count(), { timeout: UI_TIMEOUT_MS }).toBeGreaterThan(0);
      // The codec opens what the workers read, never the e-mail: that stays sealed under the customer's own key.
      expect(await page.getByText(order.email).count()).toBe(0);
      await saveScreenshot(page, 'web-ui-codec-signal-input');

      // From the Web UI's origin, as its JavaScript calls: the gateway answers 401 without the token (a 401 the page
      // can read: its CORS headers are on it), the relay decodes the very same payload.
      const sealed = { payloads: [toWire(started)] };
      const direct = await postFromPage(page, `${stack.gatewayUrl}/codec/decode`, sealed);
      expect(direct).toMatchObject({ status: 401 });
      const relayed = await postFromPage(page, `${stack.codecRelayUrl}/decode`, sealed);
      expect(relayed).toMatchObject({ status: 200 });
      const decoded = (JSON.parse((relayed as BrowserAnswer).body) as { payloads: Array<{ data: string }> }).payloads[0];
      expect(JSON.parse(Buffer.from(decoded?.data ?? '', 'base64').toString())).toMatchObject({ orderId: order.orderId });

      // The other name of the same Web UI (whichever host the operator typed) is let through too.
      await page.goto(stack.temporalUiUrl.replace('127.0.0.1', 'localhost'));
      expect(await postFromPage(page, `${stack.codecRelayUrl}/decode`, sealed)).toMatchObject({ status: 200 });
      expect(await postFromPage(page, `${stack.gatewayUrl}/codec/decode`, sealed)).toMatchObject({ status: 401 });
      passed = true;
    } finally {
      // What the page showed when it failed (e.g. the UI's "Codec Server could not connect" banner).
      if (!passed) await saveScreenshot(page, 'web-ui-codec-failure').catch(() => undefined);
      await page.close();
    }
  });
});
