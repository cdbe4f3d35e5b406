// An implementation of the external APIs of contract §5 (and §10's Risk API) written from the contract alone, independent of
// dev/simulators, so that end-to-end tests prove the service against the contract and not against itself.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface IndependentApis {
  urls: { commerce: string; pim: string; payment: string; risk: string };
  orders: Map<string, { order_id: string; customer_id: string; items: Array<{ item_id: string; quantity: number }>; placed_at: string }>;
  items: Map<string, { item_id: string; sku_id: string; brand_code: string }>;
  payments: Map<string, { rrn: string; order_id: string; amount_cents: number; status: 'authorized' | 'captured' | 'voided' | 'refunded' }>;
  refunds: Array<{ rrn: string; idempotencyKey: string; body: unknown }>;
  requests: string[];
  /** Item ids PIM answers 503 for while they are in this set (an outage for those lookups). */
  failingItems: Set<string>;
  /** The Risk API's decision per order id; approve for any other order (contract §10). */
  riskDecisions: Map<string, 'approve' | 'review' | 'reject'>;
  /** While true, the Risk API answers 503 to every assessment. */
  riskDown: { value: boolean };
  /** The bodies of the assessments asked for, in order. */
  assessments: Array<{ order_id: string; customer_id: string; amount_cents: number; items: unknown[] }>;
  /** When each request arrived (epoch ms), per API: the calls per second a chaos run reports. */
  calls: Array<{ api: ApiName; at: number }>;
  /**
   * An injected fault per API, asked before the API's normal answer: a returned answer is sent instead (e.g. 503,
   * or 429 with Retry-After); undefined lets the request through. Unset by default: the APIs behave as specified.
   */
  faults: Partial<Record<ApiName, (req: { method: string; url: string }) => FaultAnswer | undefined>>;
  stop(): Promise<void>;
}

export type ApiName = 'commerce' | 'pim' | 'payment' | 'risk';

/** What a faulty API answers instead of its normal answer. */
export interface FaultAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length ? (JSON.parse(Buffer.concat(chunks).toString()) as unknown) : undefined;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    handler(req, res).catch(() => send(res, 500, { error: 'test server failure' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export async function startIndependentApis(): Promise<IndependentApis> {
  const state: Omit<IndependentApis, 'urls' | 'stop'> = {
    orders: new Map(),
    items: new Map(),
    payments: new Map(),
    refunds: [],
    requests: [],
    failingItems: new Set(),
    riskDecisions: new Map(),
    riskDown: { value: false },
    assessments: [],
    calls: [],
    faults: {},
  };
  /** Notes the request; true when an injected fault has already answered it. */
  const note = (api: ApiName, req: IncomingMessage, res: ServerResponse): boolean => {
    state.requests.push(`${api} ${req.method} ${req.url}`);
    state.calls.push({ api, at: Date.now() });
    const fault = state.faults[api]?.({ method: req.method ?? 'GET', url: req.url ?? '' });
    if (fault === undefined) return false;
    // The request body is not read: drain it so the connection stays usable for keep-alive.
    req.resume();
    send(res, fault.status, fault.body ?? { error: 'injected fault' }, fault.headers);
    return true;
  };

  const commerce = await listen(async (req, res) => {
    if (note('commerce', req, res)) return;
    const match = /^\/orders\/([^/]+)$/.exec(req.url ?? '');
    const order = match && state.orders.get(decodeURIComponent(match[1] ?? ''));
    return order ? send(res, 200, order) : send(res, 404, { error: 'not found' });
  });
  const pim = await listen(async (req, res) => {
    if (note('pim', req, res)) return;
    const match = /^\/items\/([^/]+)$/.exec(req.url ?? '');
    const itemId = decodeURIComponent(match?.[1] ?? '');
    if (state.failingItems.has(itemId)) return send(res, 503, { error: 'maintenance' });
    const item = match && state.items.get(itemId);
    return item ? send(res, 200, item) : send(res, 404, { error: 'not found' });
  });
  const payment = await listen(async (req, res) => {
    if (note('payment', req, res)) return;
    const refund = /^\/payments\/([^/]+)\/refunds$/.exec(req.url ?? '');
    if (refund && req.method === 'POST') {
      const rrn = decodeURIComponent(refund[1] ?? '');
      const key = req.headers['idempotency-key'];
      if (typeof key !== 'string') return send(res, 400, { error: 'Idempotency-Key required' });
      const body = await readBody(req);
      if (!state.payments.has(rrn)) return send(res, 404, { error: 'not found' });
      const earlier = state.refunds.find((r) => r.idempotencyKey === key);
      if (!earlier) state.refunds.push({ rrn, idempotencyKey: key, body });
      return send(res, 201, { refund_id: `refund-${key}`, ...(body as object) });
    }
    const match = /^\/payments\/([^/]+)$/.exec(req.url ?? '');
    const found = match && state.payments.get(decodeURIComponent(match[1] ?? ''));
    return found ? send(res, 200, found) : send(res, 404, { error: 'not found' });
  });

  const risk = await listen(async (req, res) => {
    if (note('risk', req, res)) return;
    if (req.url !== '/assessments' || req.method !== 'POST') return send(res, 404, { error: 'not found' });
    if (state.riskDown.value) return send(res, 503, { error: 'maintenance' });
    const body = (await readBody(req)) as IndependentApis['assessments'][number];
    state.assessments.push(body);
    const decision = state.riskDecisions.get(body.order_id) ?? 'approve';
    return send(res, 200, { decision, score: decision === 'approve' ? 0.05 : decision === 'review' ? 0.5 : 0.97, reasons: decision === 'approve' ? [] : [`independent fake: ${decision}`] });
  });

  const servers = [commerce.server, pim.server, payment.server, risk.server];
  return {
    ...state,
    urls: { commerce: commerce.url, pim: pim.url, payment: payment.url, risk: risk.url },
    async stop() {
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
