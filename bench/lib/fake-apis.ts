// Fakes of the external APIs for the e2e benchmark (contract §5 and §10's Risk API, the shapes of dev/simulators/*), answering at
// once, never throttling, and stateless: every answer is derived from the id in the path, so any bench order id is
// known to all three — the Commerce App holds exactly the order its webhook describes (commercePayload), PIM knows
// every item, and the Payment API shows `benchRrn(orderId)` captured for that order and BENCH_AMOUNT_CENTS.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BENCH_AMOUNT_CENTS, commercePayload } from './workloads';

const PLACED_AT = '2026-11-20T09:00:00.000Z';

export interface FakeApis {
  urls: { commerce: string; pim: string; payment: string; risk: string };
  /** Requests answered per API (all routes), for the report. */
  counts(): { commerce: number; pim: number; payment: number; risk: number };
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function idAfter(prefix: string, url: string | undefined): string | undefined {
  if (url === undefined || !url.startsWith(prefix)) return undefined;
  const rest = url.slice(prefix.length);
  if (rest === '' || rest.includes('/')) return undefined;
  try {
    return decodeURIComponent(rest);
  } catch {
    return undefined;
  }
}

function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    // No body to read on these GETs; drain anything anyway so keep-alive connections stay usable.
    req.resume();
    handler(req, res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  });
}

export async function startFakeApis(): Promise<FakeApis> {
  const counts = { commerce: 0, pim: 0, payment: 0, risk: 0 };
  const commerce = await listen((req, res) => {
    counts.commerce += 1;
    const orderId = req.method === 'GET' ? idAfter('/orders/', req.url) : undefined;
    if (orderId === undefined || !orderId.startsWith('bench-')) return send(res, 404, { error: 'order_not_found', message: 'no such order' });
    const { customer_id, order } = commercePayload(orderId);
    return send(res, 200, { order_id: orderId, customer_id, items: order.items, placed_at: PLACED_AT });
  });
  const pim = await listen((req, res) => {
    counts.pim += 1;
    const itemId = req.method === 'GET' ? idAfter('/items/', req.url) : undefined;
    if (itemId === undefined) return send(res, 404, { error: 'item_not_found', message: 'no such item' });
    return send(res, 200, { item_id: itemId, sku_id: `sku-${itemId}`, brand_code: 'BRAND-BENCH' });
  });
  const payment = await listen((req, res) => {
    counts.payment += 1;
    const rrn = req.method === 'GET' ? idAfter('/payments/', req.url) : undefined;
    if (rrn === undefined || !rrn.startsWith('rrn-bench-')) return send(res, 404, { error: 'payment_not_found', message: 'no such payment' });
    return send(res, 200, { rrn, order_id: rrn.slice('rrn-'.length), amount_cents: BENCH_AMOUNT_CENTS, status: 'captured' });
  });
  // Every bench order is approved: the risk step (vNext) runs on every order, as in production.
  const risk = await listen((req, res) => {
    counts.risk += 1;
    if (req.method !== 'POST' || req.url !== '/assessments') return send(res, 404, { error: 'not_found', message: 'no such route' });
    return send(res, 200, { decision: 'approve', score: 0.01, reasons: [] });
  });
  const servers = [commerce, pim, payment, risk];
  return {
    urls: { commerce: commerce.url, pim: pim.url, payment: payment.url, risk: risk.url },
    counts: () => ({ ...counts }),
    async close() {
      await Promise.all(
        servers.map(
          ({ server }) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}
