// The load of the e2e benchmark: orders, each as its two signed webhooks (the commerce order webhook and the payment
// capture webhook) POSTed to a gateway over keep-alive HTTP, and the bookkeeping that joins every order with its
// message on the fulfillment topic. Two modes: a burst (N orders, at most C in flight) and a fixed arrival rate.
import { Agent, request } from 'node:http';
import { signedCaptureRequest, signedCommerceRequest, type SignedRequest } from './workloads';

export type ArrivalOrder = 'webhook-first' | 'capture-first';

export interface OrderTiming {
  orderId: string;
  /** performance.now() when the first webhook's request started. */
  firstSentAt: number;
  /** When the second webhook's request started: the webhook that completes the order. */
  lastSentAt: number | undefined;
  /** When the second webhook was answered 202. */
  acceptedAt: number | undefined;
  /** When the order's message reached the benchmark's Kafka consumer. */
  kafkaAt: number | undefined;
  error: string | undefined;
}

export interface Gateway {
  url: string;
  agent: Agent;
  secrets: { commerceWebhook: string; paymentWebhook: string };
}

export function gatewayTarget(url: string, secrets: Gateway['secrets'], maxSockets: number): Gateway {
  return { url, secrets, agent: new Agent({ keepAlive: true, maxSockets, keepAliveMsecs: 10_000 }) };
}

/** The 202 (or whatever came back) of one POST; rejects on a socket error or after 30 s. */
export function post(target: Gateway, path: string, signed: SignedRequest): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${target.url}${path}`,
      { method: 'POST', agent: target.agent, headers: { ...signed.headers, 'content-length': String(Buffer.byteLength(signed.body)) }, timeout: 30_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body.length < 2_000 ? (body += chunk) : undefined));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`POST ${path} timed out after 30 s`)));
    req.on('error', reject);
    req.end(signed.body);
  });
}

export const COMMERCE_PATH = '/v1/webhooks/commerce';
export const PAYMENT_PATH = '/v1/webhooks/payments';

export function commerceWebhook(target: Gateway, orderId: string): Promise<{ status: number; body: string }> {
  return post(target, COMMERCE_PATH, signedCommerceRequest(target.secrets.commerceWebhook, orderId));
}

export function captureWebhook(target: Gateway, orderId: string): Promise<{ status: number; body: string }> {
  return post(target, PAYMENT_PATH, signedCaptureRequest(target.secrets.paymentWebhook, orderId));
}

/** Every order of a run by id: the Kafka consumer's callback finds its timing here. */
export class OrderBook {
  private readonly orders = new Map<string, OrderTiming>();
  private waiters: { ids: readonly string[]; resolve: () => void }[] = [];
  /** Messages for ids this book never sent (a wiring mistake, or a duplicate), and repeated messages. */
  unknownMessages = 0;
  duplicateMessages = 0;

  open(orderId: string, firstSentAt: number): OrderTiming {
    const timing: OrderTiming = { orderId, firstSentAt, lastSentAt: undefined, acceptedAt: undefined, kafkaAt: undefined, error: undefined };
    this.orders.set(orderId, timing);
    return timing;
  }

  get(orderId: string): OrderTiming | undefined {
    return this.orders.get(orderId);
  }

  onKafka(orderId: string, at: number): void {
    const timing = this.orders.get(orderId);
    if (timing === undefined) {
      this.unknownMessages += 1;
      return;
    }
    if (timing.kafkaAt !== undefined) {
      this.duplicateMessages += 1;
      return;
    }
    timing.kafkaAt = at;
    if (this.waiters.length > 0) this.checkWaiters();
  }

  private checkWaiters(): void {
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.ids.every((id) => this.orders.get(id)?.kafkaAt !== undefined || this.orders.get(id)?.error !== undefined)) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  /** Resolves once every id has its message (or failed to be sent); rejects after `timeoutMs` or on abort. */
  async allOnKafka(ids: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const done = new Promise<void>((resolve) => {
      this.waiters.push({ ids, resolve });
      this.checkWaiters();
    });
    const limit = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const missing = ids.filter((id) => this.orders.get(id)?.kafkaAt === undefined).length;
        reject(new Error(`${missing} of ${ids.length} orders not on Kafka after ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([done, limit]);
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
      // A timed-out waiter must not stay in the list for ever.
      this.waiters = this.waiters.filter((w) => w.ids !== ids);
    }
  }
}

/** Sends one order's two webhooks, the second once the first was accepted; records the timings in `book`. */
export async function sendOrder(target: Gateway, book: OrderBook, orderId: string, arrival: ArrivalOrder): Promise<OrderTiming> {
  const first = arrival === 'webhook-first' ? commerceWebhook : captureWebhook;
  const second = arrival === 'webhook-first' ? captureWebhook : commerceWebhook;
  const timing = book.open(orderId, performance.now());
  try {
    const a = await first(target, orderId);
    if (a.status !== 202) throw new Error(`first webhook answered ${a.status}: ${a.body.slice(0, 200)}`);
    timing.lastSentAt = performance.now();
    const b = await second(target, orderId);
    if (b.status !== 202) throw new Error(`second webhook answered ${b.status}: ${b.body.slice(0, 200)}`);
    timing.acceptedAt = performance.now();
  } catch (err) {
    timing.error = err instanceof Error ? err.message : String(err);
  }
  return timing;
}

/** N orders at once: all of them queued at t0, at most `concurrency` orders' webhooks in flight. */
export async function burst(options: {
  target: Gateway;
  book: OrderBook;
  ids: readonly string[];
  concurrency: number;
  arrival: ArrivalOrder;
  signal: AbortSignal;
}): Promise<OrderTiming[]> {
  const out: OrderTiming[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < options.ids.length && !options.signal.aborted) {
      const id = options.ids[next++] as string;
      out.push(await sendOrder(options.target, options.book, id, options.arrival));
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.ids.length) }, lane));
  return out;
}

/**
 * Open loop: order i starts at t0 + i / rate whatever happened to the ones before, for `durationMs`. An order that
 * cannot start on time because `maxInFlight` orders are still sending starts late and is counted in `lateStarts`.
 */
export async function sustained(options: {
  target: Gateway;
  book: OrderBook;
  nextId: () => string;
  ratePerSecond: number;
  durationMs: number;
  maxInFlight: number;
  arrival: ArrivalOrder;
  signal: AbortSignal;
}): Promise<{ orders: OrderTiming[]; startedAt: number; lateStarts: number }> {
  const orders: OrderTiming[] = [];
  const pending = new Set<Promise<unknown>>();
  const total = Math.floor((options.ratePerSecond * options.durationMs) / 1000);
  const startedAt = performance.now();
  let lateStarts = 0;
  for (let i = 0; i < total && !options.signal.aborted; i++) {
    const due = startedAt + (i * 1000) / options.ratePerSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    while (pending.size >= options.maxInFlight) await Promise.race(pending);
    if (performance.now() - due > 100) lateStarts += 1;
    const p = sendOrder(options.target, options.book, options.nextId(), options.arrival).then((t) => {
      orders.push(t);
      pending.delete(p);
    });
    pending.add(p);
  }
  await Promise.all(pending);
  return { orders, startedAt, lateStarts };
}
