// The support console in a real browser (Debian's chromium, playwright-core) on the real stack (`npm start` with
// independent fakes of the external APIs): the queues, the order page and each action, an axe-core check of every
// page, and one whole flow by keyboard alone. Screenshots go to test-artifacts/ (and, with UPDATE_DOC_IMAGES=1, the
// README's to docs/images/).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchChromium, saveScreenshot } from '../helpers/browser';
import { bootE2eWorld, E2E_SECRETS, type E2eWorld } from '../helpers/e2e-stack';
import { commerceWebhook, paymentCapture, uniqueOrderId } from '../helpers/fixtures';
import { recordInStatus } from '../helpers/order-status';

const AGENT = 'agent-ann';
const UI_WAIT = { timeout: 30_000 };
const DOC_IMAGES = path.resolve(import.meta.dirname, '../../docs/images');

/** The page's globals this file touches (it compiles without the DOM library; evaluate() runs them in the page). */
interface Focused {
  tagName: string;
  textContent: string | null;
  id: string;
  getAttribute(name: string): string | null;
}
interface AxeRun {
  violations: Array<{ id: string; help: string; nodes: Array<{ target: unknown[] }> }>;
  passes: unknown[];
}
interface PageGlobals {
  document: { activeElement: Focused | null };
  sessionStorage: { length: number };
  consoleTestMark?: number;
  axe: { run(context: unknown, options: object): Promise<AxeRun> };
}

let world: E2eWorld;
let browser: Browser | undefined;
let axeSource = '';
const contexts: BrowserContext[] = [];
/** What axe-core found on each page checked, for the test's output. */
const axeResults: Array<{ page: string; violations: number; passes: number }> = [];

beforeAll(async () => {
  // The browser first: a missing chromium fails in a second, not after the stack's boot.
  browser = await launchChromium();
  axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // A step budget short enough for PIM down to park an order within the file's run, yet long enough for the Kafka
  // publish, which is never started in an attempt that could end before its own 15 s send budget does
  // (activities/fulfillment.ts): with a budget under ~20 s every forwarding would park.
  world = await bootE2eWorld({ STEP_RETRY_BUDGET: '25s', REMEDIATION_SWEEP_INTERVAL: '10s' });
  // The parked order is started first, so that its budget runs out while the other tests run.
  parkedOrderId = await startParkedOrder();
}, 25 * 60_000);

let parkedOrderId = '';
let parkedItemId = '';

/** An order whose one item PIM keeps refusing (503): after the step budget it is PARKED (enrichment). */
async function startParkedOrder(): Promise<string> {
  const orderId = uniqueOrderId('ord-con-park');
  parkedItemId = `itm-parka-${orderId}`;
  world.apis.items.set(parkedItemId, { item_id: parkedItemId, sku_id: 'PARKA-1', brand_code: 'BRAND-C' });
  const webhook = commerceWebhook(orderId, { order: { order_id: orderId, items: [{ item_id: parkedItemId, quantity: 1 }] } });
  world.apis.orders.set(orderId, { order_id: orderId, customer_id: webhook.customer_id, items: webhook.order.items, placed_at: '2026-11-20T09:00:00.000Z' });
  world.apis.payments.set(`rrn-${orderId}`, { rrn: `rrn-${orderId}`, order_id: orderId, amount_cents: 7_450, status: 'captured' });
  world.apis.failingItems.add(parkedItemId);
  expect((await world.gateway.postPayment(paymentCapture(orderId))).status).toBe(202);
  expect((await world.gateway.postCommerce(webhook)).status).toBe(202);
  return orderId;
}

afterAll(async () => {
  if (axeResults.length > 0) console.log('axe-core results:\n' + axeResults.map((r) => `  ${r.page}: ${r.violations} violations, ${r.passes} rules passed`).join('\n'));
  for (const c of contexts) await c.close();
  await browser?.close();
  await world?.stop();
});

async function newPage(): Promise<Page> {
  if (!browser) throw new Error('no browser');
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(UI_WAIT.timeout);
  return page;
}

/**
 * axe-core on the page as it is now: every WCAG 2.x A/AA rule and axe's best practices. The script is evaluated
 * through the DevTools protocol, which the page's CSP does not govern (the console itself runs no inline script).
 */
async function expectAccessible(page: Page, name: string): Promise<void> {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const g = globalThis as unknown as PageGlobals;
    const r = await g.axe.run(g.document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } });
    return { violations: r.violations.map((v) => ({ id: v.id, help: v.help, targets: v.nodes.map((n) => JSON.stringify(n.target)) })), passes: r.passes.length };
  });
  axeResults.push({ page: name, violations: result.violations.length, passes: result.passes });
  expect(result.violations, `axe-core on ${name}`).toEqual([]);
}

async function shot(page: Page, name: string, docImage?: string): Promise<void> {
  await saveScreenshot(page, `console-${name}`);
  if (docImage && process.env.UPDATE_DOC_IMAGES === '1') await page.screenshot({ path: path.join(DOC_IMAGES, docImage), fullPage: true });
}

async function signIn(page: Page): Promise<void> {
  await page.goto(`${world.stack.gatewayUrl}/console`);
  await page.getByLabel('Your name').fill(AGENT);
  await page.getByLabel('Support API token').fill(E2E_SECRETS.support);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Needs correction' }).waitFor();
}

/** Waits until the page shows `status` (pressing its Refresh button meanwhile); the record's state if it never does. */
async function waitForStatusOnPage(page: Page, orderId: string, status: string, press: () => Promise<void>): Promise<void> {
  try {
    await vi.waitFor(async () => {
      if ((await statusOnPage(page).textContent()) !== status) await press();
      expect(await statusOnPage(page).textContent()).toBe(status);
    }, { timeout: 60_000, interval: 1_000 });
  } catch (err) {
    const { body } = await world.gateway.getOrder(orderId);
    throw new Error(`order ${orderId} never showed ${status}: ${JSON.stringify(body)}`, { cause: err });
  }
}

/** The status badge of the order page's record. */
const statusOnPage = (page: Page) => page.locator('dl.facts dd .badge').first();

/** A mark on the window: it survives everything but a reload, so its presence proves the page was not reloaded. */
async function markWindow(page: Page): Promise<void> {
  await page.evaluate(() => ((globalThis as unknown as PageGlobals).consoleTestMark = 42));
}
async function expectNotReloaded(page: Page): Promise<void> {
  expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).consoleTestMark)).toBe(42);
}

/** An order whose webhook says 2 tees where the Commerce App has 1: NEEDS_CORRECTION (quantity_mismatch). */
async function invalidOrder(prefix: string, paid: boolean): Promise<string> {
  const orderId = uniqueOrderId(prefix);
  world.seedOrder(orderId, 1);
  expect((await world.gateway.postCommerce(commerceWebhook(orderId))).status).toBe(202);
  if (paid) expect((await world.gateway.postPayment(paymentCapture(orderId))).status).toBe(202);
  await recordInStatus(world.gateway, orderId, 'NEEDS_CORRECTION');
  return orderId;
}

describe('the support console', () => {
  it('a refused token and the sign-in page: nothing is stored, the 401 is said in words', async () => {
    const page = await newPage();
    await page.goto(`${world.stack.gatewayUrl}/console/`);
    await page.getByLabel('Your name').waitFor();
    await expectAccessible(page, 'sign-in');
    await shot(page, 'sign-in');
    await page.getByLabel('Your name').fill(AGENT);
    await page.getByLabel('Support API token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#signin-error').textContent()).toContain('refused (401)');
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.length)).toBe(0);
    expect(page.url()).not.toContain('not-the-token');
  });

  it('an invalid order is in the NEEDS_CORRECTION queue; a bad correction shows the 422 on the field; a good one takes it to FORWARDED', async () => {
    const orderId = await invalidOrder('ord-con-fix', true);
    const page = await newPage();
    await signIn(page);
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: orderId, exact: true }) });
    await row.waitFor();
    expect(await row.textContent()).toContain('quantity_mismatch');
    await expectAccessible(page, 'queue NEEDS_CORRECTION');
    await shot(page, 'queue-needs-correction', 'console-queue.png');

    // Search by customer id lists the customer's orders; by order id it opens the order.
    await page.getByLabel('or customer id').fill('cus-007');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.locator('#search-results').getByRole('link', { name: orderId, exact: true }).waitFor();
    await page.getByLabel('or customer id').fill('');
    await page.getByLabel('Order id').fill(orderId);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('heading', { level: 1, name: `Order ${orderId}` }).waitFor();
    await page.locator('#correction-form').waitFor();
    await markWindow(page);

    // The validation error beside what the Commerce App holds; the link to the workflow in the Web UI.
    expect(await page.locator('.errors-list').textContent()).toContain('quantity_mismatch');
    expect(await page.locator('table.compare tr.differs').textContent()).toMatch(/itm-tee-navy-m\s*2\s*1/);
    expect(await page.locator('#workflow-link').getAttribute('href')).toBe(`${world.stack.temporalUiUrl}/namespaces/default/workflows/order-${encodeURIComponent(orderId)}`);
    expect(await page.locator('svg.lifecycle g.is-current').getAttribute('data-state')).toBe('NEEDS_CORRECTION');

    // Filled from the submission: the tee row says 2. Three is still wrong: 422, on that row's field.
    const tee = page.locator('.item-row').filter({ has: page.locator('input[name=item_id][value="itm-tee-navy-m"]') });
    const teeQty = tee.locator('input[name=quantity]');
    expect(await teeQty.inputValue()).toBe('2');
    await teeQty.fill('3');
    await page.getByLabel('Note (optional)').first().fill('checked with the customer');
    await page.getByRole('button', { name: 'Submit correction' }).click();
    await expect.poll(() => page.locator('#outcome').textContent()).toContain('Still invalid (422)');
    expect(await tee.locator('.field-error').textContent()).toContain('quantity_mismatch');
    expect(await teeQty.getAttribute('aria-invalid')).toBe('true');
    // The error is the field's description, so a screen reader reads it with the field.
    const describedBy = (await teeQty.getAttribute('aria-describedby')) ?? '';
    expect(await page.locator(`[id="${describedBy}"]`).textContent()).toContain('quantity_mismatch');
    expect((await world.gateway.getOrder(orderId)).body).toMatchObject({ status: 'NEEDS_CORRECTION' });
    await expectAccessible(page, 'order page with the 422 on the field');
    await shot(page, 'correction-422', 'console-correction-422.png');

    // One is right; the order was paid already, so it goes on to FORWARDED, and the page follows it.
    await teeQty.fill('1');
    await page.getByRole('button', { name: 'Submit correction' }).click();
    await expect.poll(() => page.locator('#outcome').textContent()).toContain('Correction accepted (200)');
    await waitForStatusOnPage(page, orderId, 'FORWARDED', () => page.getByRole('button', { name: 'Refresh' }).click());
    await expectNotReloaded(page);
    const record = await recordInStatus<{ status: string; history: Array<{ reason?: string }> }>(world.gateway, orderId, 'FORWARDED');
    expect(record.history.map((e) => e.reason ?? '').join('\n')).toContain(`corrected by ${AGENT}: checked with the customer`);
    expect(await page.locator('svg.lifecycle g.is-current').getAttribute('data-state')).toBe('FORWARDED');
    expect(await page.locator('svg.lifecycle g#state-NEEDS_CORRECTION').getAttribute('class')).toContain('is-visited');
    expect(await page.locator('#path-text').textContent()).toMatch(/VALIDATING → NEEDS_CORRECTION → .*FORWARDED/);
    await vi.waitFor(() => expect(world.topic.forKey(orderId)).toHaveLength(1), { timeout: 20_000 });
    await expectAccessible(page, 'order page FORWARDED');
    await shot(page, 'order-forwarded', 'console-order.png');
  });

  it('cancel with a reason: CANCELLED with the agent on the history; a paid order\'s 409 is explained in words', async () => {
    const orderId = await invalidOrder('ord-con-cancel', false);
    const page = await newPage();
    await signIn(page);
    await page.goto(`${world.stack.gatewayUrl}/console/#/order/${encodeURIComponent(orderId)}`);
    await page.locator('#cancel-form').waitFor();
    await markWindow(page);
    // No reason: said on the field, nothing sent.
    await page.getByRole('button', { name: 'Cancel order' }).click();
    expect(await page.locator('#cancel-reason-error').textContent()).toBe('Enter a reason.');
    await page.getByLabel('Reason', { exact: true }).fill('customer asked by phone');
    await page.getByRole('button', { name: 'Cancel order' }).click();
    await expect.poll(() => page.locator('#outcome').textContent()).toContain('Cancelled (200)');
    await expect.poll(() => statusOnPage(page).textContent()).toBe('CANCELLED');
    await expectNotReloaded(page);
    const record = await recordInStatus<{ status: string; status_reason: string | null }>(world.gateway, orderId, 'CANCELLED');
    expect(record.status_reason).toBe(`customer asked by phone (agent: ${AGENT})`);
    expect(await page.locator('#cancel-form').count()).toBe(0);
    await shot(page, 'cancelled');

    // A paid order in RISK_REVIEW cannot be cancelled: the 409 in words, and the order is unchanged.
    const paidId = uniqueOrderId('ord-con-paid');
    world.seedOrder(paidId);
    world.apis.riskDecisions.set(paidId, 'review');
    await world.gateway.postPayment(paymentCapture(paidId));
    await world.gateway.postCommerce(commerceWebhook(paidId));
    await recordInStatus(world.gateway, paidId, 'RISK_REVIEW');
    await page.goto(`${world.stack.gatewayUrl}/console/#/order/${encodeURIComponent(paidId)}`);
    await page.getByLabel('Reason', { exact: true }).fill('duplicate order');
    await page.getByRole('button', { name: 'Cancel order' }).click();
    await expect.poll(() => page.locator('#outcome').textContent()).toContain('Not cancelled (409): a valid payment was already captured');
    expect((await world.gateway.getOrder(paidId)).body).toMatchObject({ status: 'RISK_REVIEW' });
    await expectAccessible(page, 'order page RISK_REVIEW after a 409');
  });

  it('retry: an order parked by PIM is in the PARKED queue; once PIM is back, Retry now takes it to FORWARDED', async () => {
    const orderId = parkedOrderId;
    await recordInStatus(world.gateway, orderId, 'PARKED');

    const page = await newPage();
    await signIn(page);
    await page.getByRole('link', { name: 'Parked and refunds owed' }).click();
    const link = page.getByRole('link', { name: orderId, exact: true });
    await link.waitFor();
    expect(await page.getByRole('row').filter({ has: link }).textContent()).toContain('enrichment');
    // Below the queue, the remediation sweeper's report (npm start schedules it): its findings once it has run, and
    // until then a line saying so, never an error.
    const owed = page.locator('section[aria-labelledby=owed-title]');
    await owed.waitFor();
    expect(await owed.textContent()).toMatch(/From the sweep of|has not reported yet/);
    await expectAccessible(page, 'queue PARKED');
    await shot(page, 'queue-parked');
    await link.click();
    await page.locator('#retry-form').waitFor();
    await markWindow(page);
    await expectAccessible(page, 'order page PARKED');

    world.apis.failingItems.delete(parkedItemId);
    await page.getByRole('button', { name: 'Retry now' }).click();
    await expect.poll(() => page.locator('#outcome').textContent()).toContain('Retry started (200)');
    await waitForStatusOnPage(page, orderId, 'FORWARDED', () => page.getByRole('button', { name: 'Refresh' }).click());
    await expectNotReloaded(page);
    // The agent signed in goes with the retry into the order's history, as with the other actions.
    const record = await recordInStatus<{ status: string; history: Array<{ reason?: string }> }>(world.gateway, orderId, 'FORWARDED');
    expect(record.history.map((e) => e.reason ?? '').join('\n')).toContain(`parked steps retried by ${AGENT}`);
    await shot(page, 'retried');
  });

  it('by keyboard alone: sign in, open the risk-review queue, open the order, approve it (FORWARDED)', async () => {
    const orderId = uniqueOrderId('ord-con-kbd');
    world.seedOrder(orderId);
    world.apis.riskDecisions.set(orderId, 'review');
    await world.gateway.postPayment(paymentCapture(orderId));
    await world.gateway.postCommerce(commerceWebhook(orderId));
    await recordInStatus(world.gateway, orderId, 'RISK_REVIEW');

    const page = await newPage();
    const kb = page.keyboard;
    /** Tab until the focused element matches (what a keyboard user does, reading the focus ring); throws after 40. */
    const tabTo = async (matches: (el: { tag: string; text: string; id: string; name: string }) => boolean, what: string) => {
      for (let i = 0; i < 40; i++) {
        await kb.press('Tab');
        const el = await page.evaluate(() => {
          const a = (globalThis as unknown as PageGlobals).document.activeElement;
          return { tag: a?.tagName.toLowerCase() ?? '', text: (a?.textContent ?? '').trim(), id: a?.id ?? '', name: a?.getAttribute('name') ?? '' };
        });
        if (matches(el)) return;
      }
      throw new Error(`no focusable ${what} within 40 tabs`);
    };
    await page.goto(`${world.stack.gatewayUrl}/console/`);
    await page.locator('#agent:focus').waitFor(); // the form takes the focus itself
    await kb.type(AGENT);
    await kb.press('Tab');
    await kb.type(E2E_SECRETS.support);
    await kb.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Needs correction' }).waitFor();
    // The heading has the focus: the skip link and the navigation come first again with Shift+Tab from the top.
    await tabTo((el) => el.tag === 'a' && el.text === 'Risk review', 'Risk review link');
    await kb.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Risk review' }).waitFor();
    await page.getByRole('link', { name: orderId, exact: true }).waitFor();
    await tabTo((el) => el.tag === 'a' && el.text === orderId, 'order link');
    await kb.press('Enter');
    await page.locator('#risk-form').waitFor();
    await expectAccessible(page, 'order page RISK_REVIEW');
    await shot(page, 'risk-review');
    await tabTo((el) => el.id === 'risk-approve' || el.id === 'risk-reject', 'decision');
    // A radio group is one tab stop; Space checks the focused one, the arrows move within the group.
    if ((await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.id)) === 'risk-reject') await kb.press('ArrowUp');
    await kb.press('Space');
    expect(await page.locator('#risk-approve').isChecked()).toBe(true);
    await kb.press('Tab');
    await kb.type('verified with the card issuer');
    await kb.press('Tab');
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.textContent)).toBe('Record decision');
    await kb.press('Enter');
    await expect.poll(() => page.locator('#outcome').textContent()).toContain('Decision recorded (200)');
    // The outcome takes the focus, so the keyboard user is where the answer is.
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.id)).toBe('outcome');
    await waitForStatusOnPage(page, orderId, 'FORWARDED', async () => {
      await tabTo((el) => el.text === 'Refresh', 'Refresh button');
      await kb.press('Enter');
    });
  });

  it('the lifecycle page: the generated diagram, accessible', async () => {
    const page = await newPage();
    await signIn(page);
    await page.getByRole('link', { name: 'Lifecycle' }).click();
    await page.locator('svg.lifecycle').waitFor();
    expect(await page.locator('svg.lifecycle g.state').count()).toBe(11);
    await expectAccessible(page, 'lifecycle');
    await shot(page, 'lifecycle', 'console-lifecycle.png');
  });
});
