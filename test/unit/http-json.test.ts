// Unit tests of requestJson and the three API clients (contract §5) with a fake fetch: status → result or typed failure,
// and against a local node:http server that misbehaves on purpose: oversized, endless and dribbling bodies.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ErrorType, type CommerceOrderRecord, type PaymentRecord, type PimItem } from '../../contracts';
import { createCommerceApi, createCommerceLimiter } from '../../src/clients/commerce-api';
import { DEFAULT_MAX_BODY_BYTES, requestJson, retryAfterMs } from '../../src/clients/http-json';
import { createPaymentApi } from '../../src/clients/payment-api';
import { createPimApi } from '../../src/clients/pim-api';
import { failureOf } from '../helpers/failures';

const BASE = 'http://upstream.test';

const commerceRecord: CommerceOrderRecord = {
  order_id: 'ord-0001',
  customer_id: 'cus-007',
  items: [{ item_id: 'itm-tee', quantity: 2 }],
  placed_at: '2026-11-22T10:00:00.000Z',
};
const pimItem: PimItem = { item_id: 'itm-tee', sku_id: 'SKU-TEE-1', brand_code: 'ACME' };
const payment: PaymentRecord = { rrn: 'rrn-0001', order_id: 'ord-0001', amount_cents: 7_450, status: 'captured' };

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

function empty(status: number, headers: Record<string, string> = {}): Response {
  return new Response(null, { status, headers });
}

/** A fetch that answers every call with a fresh response from `answer`, and records what it was asked. */
function fakeFetch(answer: (url: string, init: RequestInit | undefined) => Response | Promise<Response>) {
  return vi.fn<typeof fetch>(async (input, init) => answer(input instanceof Request ? input.url : String(input), init));
}

const Thing = z.object({ id: z.string(), n: z.number() });

function get(fetchImpl: typeof fetch, extra: { expectedEmpty?: number[] } = {}) {
  return requestJson({ method: 'GET', url: `${BASE}/things/1`, schema: Thing, fetchImpl, ...extra });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('requestJson', () => {
  it('returns the parsed body of a 200, dropping fields outside the schema', async () => {
    const fetchImpl = fakeFetch(() => json(200, { id: 'a', n: 1, extra: true }));
    await expect(get(fetchImpl)).resolves.toEqual({ status: 200, body: { id: 'a', n: 1 } });
    expect(fetchImpl).toHaveBeenCalledOnce();
    const [url, init] = fetchImpl.mock.calls[0] ?? [];
    expect(url).toBe(`${BASE}/things/1`);
    expect(init?.method).toBe('GET');
    expect(new Headers(init?.headers).get('accept')).toBe('application/json');
    expect(init?.body).toBeUndefined();
    expect(init?.signal).toBeInstanceOf(AbortSignal);
  });

  it('returns an empty result for a status the caller expects without a body', async () => {
    await expect(get(fakeFetch(() => json(404, { error: 'nope' })), { expectedEmpty: [404] })).resolves.toEqual({ status: 404, body: undefined });
  });

  it('429 with Retry-After: 3 → UPSTREAM_RATE_LIMITED, retryable, next retry in 3000 ms', async () => {
    const f = await failureOf(get(fakeFetch(() => empty(429, { 'retry-after': '3' }))));
    expect(f.type).toBe(ErrorType.UPSTREAM_RATE_LIMITED);
    expect(f.nonRetryable).toBe(false);
    expect(f.nextRetryDelay).toBe(3_000);
  });

  it('429 without Retry-After → UPSTREAM_RATE_LIMITED, left to the retry policy', async () => {
    const f = await failureOf(get(fakeFetch(() => empty(429))));
    expect(f.type).toBe(ErrorType.UPSTREAM_RATE_LIMITED);
    expect(f.nonRetryable).toBe(false);
    expect(f.nextRetryDelay ?? undefined).toBeUndefined();
  });

  it('429 with an unreadable Retry-After leaves the delay to the retry policy instead of retrying at once', async () => {
    const f = await failureOf(get(fakeFetch(() => empty(429, { 'retry-after': '-3' }))));
    expect(f.type).toBe(ErrorType.UPSTREAM_RATE_LIMITED);
    expect(f.nextRetryDelay ?? undefined).toBeUndefined();
  });

  it.each([500, 502, 503, 504, 408])('%i → UPSTREAM_UNAVAILABLE, retryable', async (status) => {
    const f = await failureOf(get(fakeFetch(() => json(status, { error: 'down' }))));
    expect(f.type).toBe(ErrorType.UPSTREAM_UNAVAILABLE);
    expect(f.nonRetryable).toBe(false);
    expect(f.message).toContain(String(status));
  });

  it('a network error → UPSTREAM_UNAVAILABLE, retryable, keeping the cause', async () => {
    const cause = new TypeError('fetch failed');
    const f = await failureOf(get(vi.fn<typeof fetch>(() => Promise.reject(cause))));
    expect(f.type).toBe(ErrorType.UPSTREAM_UNAVAILABLE);
    expect(f.nonRetryable).toBe(false);
    expect(f.cause).toBe(cause);
    expect(f.message).toContain(`GET ${BASE}/things/1`);
  });

  it('a fetch that rejects with something other than an Error → UPSTREAM_UNAVAILABLE whose cause is an Error saying what', async () => {
    const f = await failureOf(get(vi.fn<typeof fetch>(() => Promise.reject('socket hang up'))));
    expect(f.type).toBe(ErrorType.UPSTREAM_UNAVAILABLE);
    expect(f.nonRetryable).toBe(false);
    expect(f.cause).toBeInstanceOf(Error);
    expect(f.cause?.message).toBe('socket hang up');
    expect(f.message).toBe(`GET ${BASE}/things/1 failed: socket hang up`);
  });

  it('a request that outlives its timeout → UPSTREAM_UNAVAILABLE, retryable', async () => {
    // The fake fetch only settles when the request's own AbortSignal fires.
    const hanging = vi.fn<typeof fetch>(
      (_input, init) =>
        new Promise<Response>((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error));
        }),
    );
    const f = await failureOf(requestJson({ method: 'GET', url: `${BASE}/slow`, schema: Thing, fetchImpl: hanging, timeoutMs: 5 }));
    expect(f.type).toBe(ErrorType.UPSTREAM_UNAVAILABLE);
    expect(f.nonRetryable).toBe(false);
  });

  it.each([400, 401, 403, 409, 422])('%i → UPSTREAM_CONTRACT_VIOLATION, not retryable', async (status) => {
    const f = await failureOf(get(fakeFetch(() => json(status, { error: 'bad request from us' }))));
    expect(f.type).toBe(ErrorType.UPSTREAM_CONTRACT_VIOLATION);
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain(String(status));
  });

  it('a 404 the caller did not expect → UPSTREAM_CONTRACT_VIOLATION, not retryable', async () => {
    const f = await failureOf(get(fakeFetch(() => json(404, {}))));
    expect(f.type).toBe(ErrorType.UPSTREAM_CONTRACT_VIOLATION);
    expect(f.nonRetryable).toBe(true);
  });

  it('a 200 whose body is outside the schema → UPSTREAM_CONTRACT_VIOLATION, not retryable', async () => {
    const f = await failureOf(get(fakeFetch(() => json(200, { id: 'a', n: 'one' }))));
    expect(f.type).toBe(ErrorType.UPSTREAM_CONTRACT_VIOLATION);
    expect(f.nonRetryable).toBe(true);
  });

  it('a 200 that is not JSON → UPSTREAM_CONTRACT_VIOLATION, not retryable', async () => {
    const f = await failureOf(get(fakeFetch(() => new Response('<html>maintenance</html>', { status: 200, headers: { 'content-type': 'text/html' } }))));
    expect(f.type).toBe(ErrorType.UPSTREAM_CONTRACT_VIOLATION);
    expect(f.nonRetryable).toBe(true);
  });

  it('sends a JSON body with its content type and extra headers', async () => {
    const fetchImpl = fakeFetch(() => json(201, { id: 'r', n: 1 }));
    await requestJson({ method: 'POST', url: `${BASE}/things`, schema: Thing, body: { a: 1 }, headers: { 'x-extra': 'yes' }, fetchImpl });
    const init = fetchImpl.mock.calls[0]?.[1];
    expect(init?.method).toBe('POST');
    const headers = new Headers(init?.headers);
    expect(headers.get('content-type')).toBe('application/json');
    expect(headers.get('x-extra')).toBe('yes');
    expect(JSON.parse(String(init?.body))).toEqual({ a: 1 });
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2026-11-22T10:00:00.000Z');

  it.each([
    ['3', 3_000],
    ['0', 0],
    ['120', 120_000],
    ['1.5', 1_500],
  ])('reads %j seconds as %i ms', (header, expected) => {
    expect(retryAfterMs(header, now)).toBe(expected);
  });

  it('reads an HTTP date as the time left until it', () => {
    expect(retryAfterMs('Sun, 22 Nov 2026 10:00:07 GMT', now)).toBe(7_000);
  });

  it('reads an HTTP date in the past as 0', () => {
    expect(retryAfterMs('Sun, 22 Nov 2026 09:59:00 GMT', now)).toBe(0);
  });

  it.each([null, '', 'soon'])('gives undefined for %j (the retry policy decides)', (header) => {
    expect(retryAfterMs(header, now)).toBeUndefined();
  });

  it.each(['-3', 'abc 5'])('gives undefined for the unreadable %j rather than "retry now"', (header) => {
    // Neither is delay-seconds nor an HTTP date (RFC 9110 §10.2.3); a 0 delay would hammer a rate-limited upstream.
    expect(retryAfterMs(header, now)).toBeUndefined();
  });
});

describe('Commerce API client', () => {
  const limiter = () => createCommerceLimiter(10_000);

  it('GETs /orders/{id} and returns the record', async () => {
    const fetchImpl = fakeFetch(() => json(200, commerceRecord));
    const api = createCommerceApi({ baseUrl: BASE, limiter: limiter(), fetchImpl });
    await expect(api.getOrder('ord-0001')).resolves.toEqual(commerceRecord);
    expect(fetchImpl.mock.calls[0]?.[0]).toBe(`${BASE}/orders/ord-0001`);
    expect(fetchImpl.mock.calls[0]?.[1]?.method).toBe('GET');
  });

  it('encodes the order id into the path', async () => {
    const fetchImpl = fakeFetch(() => json(404, {}));
    await createCommerceApi({ baseUrl: BASE, limiter: limiter(), fetchImpl }).getOrder('a/b c?');
    expect(fetchImpl.mock.calls[0]?.[0]).toBe(`${BASE}/orders/a%2Fb%20c%3F`);
  });

  it('404 → undefined', async () => {
    await expect(createCommerceApi({ baseUrl: BASE, limiter: limiter(), fetchImpl: fakeFetch(() => json(404, { error: 'unknown' })) }).getOrder('x')).resolves.toBeUndefined();
  });

  it('429 with Retry-After: 3 → UPSTREAM_RATE_LIMITED after 3000 ms', async () => {
    const api = createCommerceApi({ baseUrl: BASE, limiter: limiter(), fetchImpl: fakeFetch(() => empty(429, { 'Retry-After': '3' })) });
    const f = await failureOf(api.getOrder('ord-0001'));
    expect(f.type).toBe(ErrorType.UPSTREAM_RATE_LIMITED);
    expect(f.nonRetryable).toBe(false);
    expect(f.nextRetryDelay).toBe(3_000);
  });

  it('503 → UPSTREAM_UNAVAILABLE, retryable', async () => {
    const f = await failureOf(createCommerceApi({ baseUrl: BASE, limiter: limiter(), fetchImpl: fakeFetch(() => empty(503)) }).getOrder('x'));
    expect(f.type).toBe(ErrorType.UPSTREAM_UNAVAILABLE);
    expect(f.nonRetryable).toBe(false);
  });

  it('a record missing placed_at → UPSTREAM_CONTRACT_VIOLATION, not retryable', async () => {
    const partial: Partial<CommerceOrderRecord> = { ...commerceRecord };
    delete partial.placed_at;
    const f = await failureOf(createCommerceApi({ baseUrl: BASE, limiter: limiter(), fetchImpl: fakeFetch(() => json(200, partial)) }).getOrder('x'));
    expect(f.type).toBe(ErrorType.UPSTREAM_CONTRACT_VIOLATION);
    expect(f.nonRetryable).toBe(true);
  });
});

describe('Commerce API rate limiting (bottleneck)', () => {
  it('spreads concurrent calls over time instead of sending them in one burst (real clock)', async () => {
    const rps = 100; // 10 ms apart: five calls take ~40 ms of real time
    const starts: number[] = [];
    const fetchImpl = fakeFetch(() => {
      starts.push(Date.now());
      return json(200, commerceRecord);
    });
    const api = createCommerceApi({ baseUrl: BASE, limiter: createCommerceLimiter(rps), fetchImpl });
    const issuedAt = Date.now();
    await Promise.all(Array.from({ length: 5 }, (_, i) => api.getOrder(`ord-${i}`)));
    expect(starts).toHaveLength(5);
    // Bottleneck reserves the k-th start no earlier than issuedAt + k·(1000/rps), whatever the event loop does; a
    // timer may fire up to a millisecond early against Date.now(), hence the 2 ms of slack.
    expect((starts.at(-1) ?? 0) - issuedAt).toBeGreaterThanOrEqual(4 * (1000 / rps) - 2);
  });

  it('at COMMERCE_API_RPS=150 starts calls at least 1000/150 ms apart and never more than 150 in any one second', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-11-22T10:00:00.000Z') });
    const rps = 150;
    const starts: number[] = [];
    const fetchImpl = fakeFetch(() => {
      starts.push(Date.now());
      return json(200, commerceRecord);
    });
    const api = createCommerceApi({ baseUrl: BASE, limiter: createCommerceLimiter(rps), fetchImpl });
    const done = Promise.all(Array.from({ length: 2 * rps }, (_, i) => api.getOrder(`ord-${i}`)));
    await vi.advanceTimersByTimeAsync(3_000);
    await done;
    expect(starts).toHaveLength(2 * rps);
    for (const [i, t] of starts.entries()) {
      // From the second call on, each start is a full minTime after the one before (the first call's own hand-off
      // inside bottleneck may take a tick after its reservation, so its gap to the second can be a ms shorter).
      if (i > 1) expect(t - (starts[i - 1] ?? 0)).toBeGreaterThanOrEqual(1000 / rps);
      // Sliding one-second windows opened at every start: the Commerce App counts "any second".
      expect(starts.slice(i).filter((s) => s < t + 1000).length).toBeLessThanOrEqual(rps);
    }
    // Smoothing, not throttling to a crawl: 300 calls take about two seconds.
    expect((starts.at(-1) ?? 0) - (starts[0] ?? 0)).toBeLessThan(2_200);
  });
});

describe('PIM API client', () => {
  it('GETs /items/{id} and returns sku_id and brand_code', async () => {
    const fetchImpl = fakeFetch(() => json(200, pimItem));
    await expect(createPimApi({ baseUrl: BASE, fetchImpl }).getItem('itm-tee')).resolves.toEqual(pimItem);
    expect(fetchImpl.mock.calls[0]?.[0]).toBe(`${BASE}/items/itm-tee`);
  });

  it('404 → undefined', async () => {
    await expect(createPimApi({ baseUrl: BASE, fetchImpl: fakeFetch(() => empty(404)) }).getItem('itm-x')).resolves.toBeUndefined();
  });

  it('503 → UPSTREAM_UNAVAILABLE, retryable', async () => {
    const f = await failureOf(createPimApi({ baseUrl: BASE, fetchImpl: fakeFetch(() => empty(503)) }).getItem('itm-x'));
    expect(f.type).toBe(ErrorType.UPSTREAM_UNAVAILABLE);
    expect(f.nonRetryable).toBe(false);
  });

  it('an item without brand_code → UPSTREAM_CONTRACT_VIOLATION, not retryable', async () => {
    const f = await failureOf(createPimApi({ baseUrl: BASE, fetchImpl: fakeFetch(() => json(200, { item_id: 'itm-tee', sku_id: 'S' })) }).getItem('itm-tee'));
    expect(f.type).toBe(ErrorType.UPSTREAM_CONTRACT_VIOLATION);
    expect(f.nonRetryable).toBe(true);
  });
});

describe('Payment API client', () => {
  it('GETs /payments/{rrn} and returns the payment', async () => {
    const fetchImpl = fakeFetch(() => json(200, payment));
    await expect(createPaymentApi({ baseUrl: BASE, fetchImpl }).getPayment('rrn-0001')).resolves.toEqual(payment);
    expect(fetchImpl.mock.calls[0]?.[0]).toBe(`${BASE}/payments/rrn-0001`);
  });

  it('404 → undefined', async () => {
    await expect(createPaymentApi({ baseUrl: BASE, fetchImpl: fakeFetch(() => empty(404)) }).getPayment('rrn-x')).resolves.toBeUndefined();
  });

  it('an unknown status value → UPSTREAM_CONTRACT_VIOLATION, not retryable', async () => {
    const f = await failureOf(createPaymentApi({ baseUrl: BASE, fetchImpl: fakeFetch(() => json(200, { ...payment, status: 'settled' })) }).getPayment('rrn-0001'));
    expect(f.type).toBe(ErrorType.UPSTREAM_CONTRACT_VIOLATION);
    expect(f.nonRetryable).toBe(true);
  });

  it('400 → UPSTREAM_CONTRACT_VIOLATION, not retryable', async () => {
    const f = await failureOf(createPaymentApi({ baseUrl: BASE, fetchImpl: fakeFetch(() => json(400, { error: 'bad rrn' })) }).getPayment('rrn-0001'));
    expect(f.type).toBe(ErrorType.UPSTREAM_CONTRACT_VIOLATION);
    expect(f.nonRetryable).toBe(true);
  });

  it('refund POSTs /payments/{rrn}/refunds with the Idempotency-Key header and the JSON body', async () => {
    const fetchImpl = fakeFetch(() => json(201, { refund_id: 'rf-1', amount_cents: 7_450 }));
    const receipt = await createPaymentApi({ baseUrl: BASE, fetchImpl }).refund('rrn-0001', { amount_cents: 7_450, reason: 'order_expired' }, 'order-ord-0001:refund');
    expect(receipt).toMatchObject({ refund_id: 'rf-1', amount_cents: 7_450 });
    const [url, init] = fetchImpl.mock.calls[0] ?? [];
    expect(url).toBe(`${BASE}/payments/rrn-0001/refunds`);
    expect(init?.method).toBe('POST');
    const headers = new Headers(init?.headers);
    expect(headers.get('idempotency-key')).toBe('order-ord-0001:refund');
    expect(headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(String(init?.body))).toEqual({ amount_cents: 7_450, reason: 'order_expired' });
  });

  it('refund with the same key twice sends the same key twice (the API answers the first refund again)', async () => {
    const fetchImpl = fakeFetch(() => json(201, { refund_id: 'rf-1' }));
    const api = createPaymentApi({ baseUrl: BASE, fetchImpl });
    await api.refund('rrn-0001', { amount_cents: 100, reason: 'r' }, 'k-1');
    await api.refund('rrn-0001', { amount_cents: 100, reason: 'r' }, 'k-1');
    expect(fetchImpl.mock.calls.map((c) => new Headers(c[1]?.headers).get('idempotency-key'))).toEqual(['k-1', 'k-1']);
  });

  it('refund answered 201 without a body still counts as done (the contract promises the status, not a body)', async () => {
    // Failing this would make the compensation fail for good, non-retryably, after the money already went back.
    const api = createPaymentApi({ baseUrl: BASE, fetchImpl: fakeFetch(() => empty(201)) });
    await expect(api.refund('rrn-0001', { amount_cents: 7_450, reason: 'order_expired' }, 'refund-rrn-0001')).resolves.toBeDefined();
  });

  it('refund on 503 → UPSTREAM_UNAVAILABLE, retryable', async () => {
    const f = await failureOf(createPaymentApi({ baseUrl: BASE, fetchImpl: fakeFetch(() => empty(503)) }).refund('rrn-0001', { amount_cents: 1, reason: 'r' }, 'k'));
    expect(f.type).toBe(ErrorType.UPSTREAM_UNAVAILABLE);
    expect(f.nonRetryable).toBe(false);
  });
});

/** What the misbehaving server saw of its own answer once the response closed. */
interface ServerSide {
  /** Body bytes it handed to the socket. */
  sent: number;
  /** Whether it got to end the response; false means the client cut the connection first. */
  finished: boolean;
}

/** The server's side of one answer: the response, and a write that counts the body bytes it sends. */
interface Wire {
  res: ServerResponse;
  write(chunk: string): boolean;
}

describe('requestJson against a misbehaving upstream (bounded answers, issue 12 item 3)', () => {
  const servers: Server[] = [];

  afterEach(async () => {
    for (const server of servers.splice(0)) {
      // Cutting the sockets also stops any dribble or pump still running on the server side (they stop on 'close').
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  /** A server on 127.0.0.1 whose every answer is exactly what `answer` writes; `closed` settles with the first one's end. */
  async function misbehaving(answer: (wire: Wire) => void): Promise<{ url: string; closed: Promise<ServerSide> }> {
    let settle: (side: ServerSide) => void = () => undefined;
    const closed = new Promise<ServerSide>((resolve) => (settle = resolve));
    const server = createServer((_req, res) => {
      let sent = 0;
      // 'close' fires when the response ends or when its connection goes away; writableFinished tells which.
      res.on('close', () => settle({ sent, finished: res.writableFinished }));
      // A write racing the client's close may error (EPIPE, ECONNRESET): that is the behaviour under test, not a fault.
      res.on('error', () => undefined);
      answer({
        res,
        write(chunk) {
          sent += Buffer.byteLength(chunk);
          return res.write(chunk);
        },
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, closed };
  }

  /** Writes `parts` one after the other as fast as the socket takes them, until they run out or the client hangs up. */
  function pump(wire: Wire, parts: Iterable<string>): void {
    const it = parts[Symbol.iterator]();
    const next = (): void => {
      while (!wire.res.destroyed) {
        const part = it.next();
        if (part.done) {
          wire.res.end();
          return;
        }
        if (!wire.write(part.value)) {
          wire.res.once('drain', next);
          return;
        }
      }
    };
    next();
  }

  /** The JSON of `record` plus a `pad` string, exactly `bytes` long in UTF-8. */
  function paddedJson(record: object, bytes: number): string {
    const bare = Buffer.byteLength(JSON.stringify({ ...record, pad: '' }));
    if (bytes < bare) throw new Error(`${bytes} bytes cannot hold the record`);
    return JSON.stringify({ ...record, pad: 'x'.repeat(bytes - bare) });
  }

  it('a Content-Length of limit+1 → UPSTREAM_CONTRACT_VIOLATION naming API, path and limit, refused before the body', async () => {
    // The server announces 1 MiB + 1 and sends only the first bytes: a client that waited for the body would hang
    // until its timeout, so answering at all proves it decided on the header alone.
    const upstream = await misbehaving((wire) => {
      wire.res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(DEFAULT_MAX_BODY_BYTES + 1) });
      wire.write('{"item_id":"itm-big","pad":"');
    });
    const f = await failureOf(createPimApi({ baseUrl: upstream.url }).getItem('itm-big'));
    expect(f.type).toBe(ErrorType.UPSTREAM_CONTRACT_VIOLATION);
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain('PIM API');
    expect(f.message).toContain('/items/itm-big');
    expect(f.message).toContain(`${DEFAULT_MAX_BODY_BYTES}-byte limit`);
    // The server sees its response cut off, never finished.
    await expect(upstream.closed).resolves.toMatchObject({ finished: false });
  });

  it('a chunked body that grows past the limit → UPSTREAM_CONTRACT_VIOLATION, and the connection is closed under the server', async () => {
    const limit = 64 * 1024;
    // 64 MiB of valid JSON, without Content-Length: far more than socket buffers hold, so the server can only finish
    // if the client reads it all.
    const total = 64 * 1024 * 1024;
    const prefix = `${JSON.stringify(commerceRecord).slice(0, -1)},"pad":"`;
    const chunk = 'x'.repeat(16 * 1024);
    function* endless(): Generator<string> {
      yield prefix;
      for (let sent = prefix.length; sent < total; sent += chunk.length) yield chunk;
      yield '"}';
    }
    const upstream = await misbehaving((wire) => {
      wire.res.writeHead(200, { 'content-type': 'application/json' });
      pump(wire, endless());
    });
    const api = createCommerceApi({ baseUrl: upstream.url, limiter: createCommerceLimiter(10_000), limits: { maxBodyBytes: limit } });
    const f = await failureOf(api.getOrder('ord-huge'));
    expect(f.type).toBe(ErrorType.UPSTREAM_CONTRACT_VIOLATION);
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain('Commerce API');
    expect(f.message).toContain('/orders/ord-huge');
    expect(f.message).toContain(`${limit}-byte limit`);
    const side = await upstream.closed;
    expect(side.finished).toBe(false);
    expect(side.sent).toBeLessThan(total);
  });

  it('headers at once, then a body dribbled byte by byte past the total timeout → UPSTREAM_UNAVAILABLE naming the timeout', async () => {
    const timeoutMs = 300;
    // A byte every 20 ms: the connection is never idle for long, so only a deadline on the whole exchange cuts it.
    // The whole body would take about 20 s.
    const body = paddedJson(payment, 1_000);
    let timer: NodeJS.Timeout | undefined;
    const upstream = await misbehaving((wire) => {
      wire.res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
      wire.res.flushHeaders();
      let at = 0;
      timer = setInterval(() => {
        if (at < body.length) wire.write(body.charAt(at++));
      }, 20);
      wire.res.on('close', () => clearInterval(timer));
    });
    const startedAt = performance.now();
    const f = await failureOf(createPaymentApi({ baseUrl: upstream.url, limits: { timeoutMs } }).getPayment('rrn-slow'));
    const elapsed = performance.now() - startedAt;
    expect(f.type).toBe(ErrorType.UPSTREAM_UNAVAILABLE);
    expect(f.nonRetryable).toBe(false);
    expect(f.message).toContain('Payment API');
    expect(f.message).toContain('/payments/rrn-slow');
    expect(f.message).toContain(`timed out after ${timeoutMs} ms`);
    // Cut at the deadline, long before the body would have been complete, with some of it already received.
    expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 5);
    expect(elapsed).toBeLessThan(5_000);
    const side = await upstream.closed;
    expect(side.finished).toBe(false);
    expect(side.sent).toBeGreaterThan(0);
    expect(side.sent).toBeLessThan(body.length);
  });

  it('headers that never come → UPSTREAM_UNAVAILABLE naming the timeout', async () => {
    const upstream = await misbehaving(() => undefined);
    const f = await failureOf(createPimApi({ baseUrl: upstream.url, limits: { timeoutMs: 200 } }).getItem('itm-mute'));
    expect(f.type).toBe(ErrorType.UPSTREAM_UNAVAILABLE);
    expect(f.nonRetryable).toBe(false);
    expect(f.message).toContain('timed out after 200 ms');
  });

  it.each([
    ['with Content-Length', true],
    ['chunked, without Content-Length', false],
  ])('a body of exactly the limit is parsed normally, one byte more is refused (%s)', async (_framing, announce) => {
    const answer = (bytes: number) => (wire: Wire) => {
      const body = paddedJson(pimItem, bytes);
      wire.res.writeHead(200, { 'content-type': 'application/json', ...(announce ? { 'content-length': String(Buffer.byteLength(body)) } : {}) });
      // Several writes, so that the chunked variant really streams in pieces.
      pump(wire, body.match(/[\s\S]{1,65536}/g) ?? []);
    };
    const atLimit = await misbehaving(answer(DEFAULT_MAX_BODY_BYTES));
    await expect(createPimApi({ baseUrl: atLimit.url }).getItem('itm-tee')).resolves.toEqual(pimItem);
    await expect(atLimit.closed).resolves.toEqual({ sent: DEFAULT_MAX_BODY_BYTES, finished: true });

    const overLimit = await misbehaving(answer(DEFAULT_MAX_BODY_BYTES + 1));
    const f = await failureOf(createPimApi({ baseUrl: overLimit.url }).getItem('itm-tee'));
    expect(f.type).toBe(ErrorType.UPSTREAM_CONTRACT_VIOLATION);
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain(`${DEFAULT_MAX_BODY_BYTES}-byte limit`);
  });

  it('a 4xx with a huge body is reported from a short snippet, without reading the rest', async () => {
    const upstream = await misbehaving((wire) => {
      wire.res.writeHead(400, { 'content-type': 'text/plain' });
      pump(wire, (function* () {
        for (let i = 0; i < 4096; i++) yield 'e'.repeat(16 * 1024);
      })());
    });
    const f = await failureOf(createPimApi({ baseUrl: upstream.url }).getItem('itm-bad'));
    expect(f.type).toBe(ErrorType.UPSTREAM_CONTRACT_VIOLATION);
    expect(f.message).toContain('answered 400: eeee');
    await expect(upstream.closed).resolves.toMatchObject({ finished: false });
  });
});

describe('resolveLimits', () => {
  it.each([
    [{ timeoutMs: 0 }],
    [{ timeoutMs: -1 }],
    [{ timeoutMs: Number.NaN }],
    [{ maxBodyBytes: -1 }],
    [{ maxBodyBytes: 1.5 }],
  ])('refuses %j when the client is built, not on the first call', (limits) => {
    expect(() => createPimApi({ baseUrl: BASE, limits })).toThrow(RangeError);
  });
});
