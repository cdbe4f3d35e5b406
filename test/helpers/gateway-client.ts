// What an integrator does against the gateway: signed webhooks and Bearer reads, over real HTTP.
import { signBody } from '../../src/gateway/signature';

/** Contract §3: the media type of version 2 of the commerce webhook (adds `customer_email`). */
export const COMMERCE_V2_CONTENT_TYPE = 'application/vnd.oms.commerce-order+json; version=2';

/** The answer's JSON, or its text when it is not JSON (a proxy's or a crashed handler's page must not hide the status). */
async function bodyOf(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export interface GatewayClient {
  postCommerce(body: unknown, options?: { secret?: string; contentType?: string }): Promise<{ status: number; body: unknown }>;
  postPayment(body: unknown, options?: { secret?: string; contentType?: string }): Promise<{ status: number; body: unknown }>;
  /** GET /v1/orders/{order_id}, the id URL-encoded (encodeURIComponent) whatever it contains. */
  getOrder(orderId: string): Promise<{ status: number; body: unknown }>;
  /** Any Bearer-authenticated route: GET without a body, POST with one. */
  support(path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
}

export function gatewayClient(baseUrl: string, secrets: { commerce: string; payment: string; support: string }): GatewayClient {
  async function post(path: string, header: string, secret: string, body: unknown, contentType = 'application/json') {
    const raw = JSON.stringify(body);
    const res = await fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': contentType, [header]: signBody(secret, raw) }, body: raw });
    return { status: res.status, body: await bodyOf(res) };
  }
  return {
    postCommerce: (body, o = {}) => post('/v1/webhooks/commerce', 'x-commerce-signature', o.secret ?? secrets.commerce, body, o.contentType),
    postPayment: (body, o = {}) => post('/v1/webhooks/payments', 'x-payment-signature', o.secret ?? secrets.payment, body, o.contentType),
    async getOrder(orderId) {
      const res = await fetch(`${baseUrl}/v1/orders/${encodeURIComponent(orderId)}`, { headers: { authorization: `Bearer ${secrets.support}` } });
      return { status: res.status, body: await bodyOf(res) };
    },
    async support(path, body) {
      const res = await fetch(`${baseUrl}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${secrets.support}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: await bodyOf(res) };
    },
  };
}
