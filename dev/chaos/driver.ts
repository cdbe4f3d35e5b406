// Drives the orders of a chaos run through the gateway as the real senders do: signed webhooks, a 503 retried after
// its Retry-After, support commands (cancel, correction) with the support token. Every answer is kept for the report.
import { signBody } from '../../src/gateway/signature';
import { sleep } from '../stack/processes';
import { stepsOf, type PlannedOrder, type Step } from './plan';

export interface DriverSecrets {
  commerce: string;
  payment: string;
  support: string;
}

export interface OrderTrace {
  webhookAnswers: number[];
  accepted: { commerce: boolean; captures: string[] };
  driverErrors: string[];
  /** Answers to support commands, in order ("cancel 503", "correct 200"). */
  commandAnswers: string[];
  done: boolean;
}

export interface Driver {
  traces: Map<string, OrderTrace>;
  /** Starts `orders` at `rate` per second, at most `concurrency` in delivery at once; resolves when all are started. */
  run(orders: readonly PlannedOrder[], rate: number, concurrency: number): Promise<void>;
  /** Resolves when every order's script (corrections included) has finished. */
  finished(): Promise<void>;
  /** Orders whose script is still running. */
  running(): number;
  getRecord(orderId: string): Promise<{ http: number; record: Record<string, unknown> | null }>;
}

const TERMINAL = new Set(['FORWARDED', 'CANCELLED', 'EXPIRED']);
/** A webhook or a command is abandoned after this many tries (a sender gives up some day too). */
const MAX_TRIES = 200;
const WEBHOOK_TIMEOUT_MS = 60_000;
const COMMAND_TIMEOUT_MS = 90_000;

function retryAfterMs(header: string | null): number {
  const s = Number(header ?? '1');
  // Honour it, within reason: a chaos run must not sleep for minutes on one order.
  return Math.min(Math.max(Number.isFinite(s) ? s : 1, 0.5), 10) * 1000 + Math.floor(Math.random() * 250);
}

export function createDriver(baseUrl: string, secrets: DriverSecrets, isStopped: () => boolean): Driver {
  const traces = new Map<string, OrderTrace>();
  const scripts: Array<Promise<void>> = [];

  async function webhook(path: string, header: string, secret: string, body: unknown, trace: OrderTrace): Promise<boolean> {
    const raw = JSON.stringify(body);
    for (let attempt = 0; attempt < MAX_TRIES && !isStopped(); attempt++) {
      let status = 0;
      let wait = 1000;
      try {
        const res = await fetch(`${baseUrl}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [header]: signBody(secret, raw) },
          body: raw,
          signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
        });
        status = res.status;
        wait = retryAfterMs(res.headers.get('retry-after'));
        await res.text();
      } catch {
        status = 0; // no answer (refused or timed out): also retried, and reported
      }
      trace.webhookAnswers.push(status);
      if (status === 202) return true;
      if (status !== 503 && status !== 0 && status < 500) {
        trace.driverErrors.push(`${path} answered ${status}`);
        return false;
      }
      await sleep(wait);
    }
    trace.driverErrors.push(`${path} never answered 202`);
    return false;
  }

  async function command(path: string, body: unknown): Promise<{ status: number; body: unknown; retryAfter: number }> {
    try {
      const res = await fetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secrets.support}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text) as unknown;
      } catch {
        // not JSON: kept as text
      }
      return { status: res.status, body: parsed, retryAfter: retryAfterMs(res.headers.get('retry-after')) };
    } catch {
      return { status: 0, body: null, retryAfter: 1000 };
    }
  }

  async function getRecord(orderId: string): Promise<{ http: number; record: Record<string, unknown> | null }> {
    try {
      const res = await fetch(`${baseUrl}/v1/orders/${encodeURIComponent(orderId)}`, {
        headers: { authorization: `Bearer ${secrets.support}` },
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      return { http: res.status, record: res.status === 200 ? (JSON.parse(text) as Record<string, unknown>) : null };
    } catch {
      return { http: 0, record: null };
    }
  }

  /** A command retried on 5xx or no answer; 409 is settled by reading the record (an earlier try may have won). */
  async function supportCommand(order: PlannedOrder, trace: OrderTrace, name: 'cancel' | 'correct'): Promise<void> {
    const id = encodeURIComponent(order.orderId);
    const path = name === 'cancel' ? `/v1/orders/${id}/cancel` : `/v1/support/orders/${id}/correction`;
    const body =
      name === 'cancel'
        ? { reason: 'chaos run: the customer cancelled' }
        : { customer_id: order.customerId, order: { order_id: order.orderId, items: order.commerceItems }, note: 'chaos run: quantities as in the Commerce App', agent: 'chaos-agent' };
    if (name === 'correct') {
      // A correction is accepted only while the order awaits one: wait for NEEDS_CORRECTION, as an agent does.
      for (;;) {
        if (isStopped()) return;
        const { record } = await getRecord(order.orderId);
        const status = typeof record?.status === 'string' ? record.status : undefined;
        if (status === 'NEEDS_CORRECTION') break;
        if (status !== undefined && TERMINAL.has(status)) {
          trace.driverErrors.push(`correction: the order became ${status} without one`);
          return;
        }
        await sleep(2000 + Math.floor(Math.random() * 500));
      }
    }
    const answers: number[] = [];
    for (let attempt = 0; attempt < MAX_TRIES && !isStopped(); attempt++) {
      const res = await command(path, body);
      answers.push(res.status);
      trace.commandAnswers.push(`${name} ${res.status}`);
      if (res.status === 200) return;
      if (res.status === 409) {
        // An earlier try may have won without its answer reaching us (the record may lag the workflow a little), or
        // is still running: a correction being re-validated refuses another one until it is done. Look, then try again.
        let status = 'unknown';
        for (let look = 0; look < 5 && !isStopped(); look++) {
          const { record } = await getRecord(order.orderId);
          status = String(record?.status ?? 'unknown');
          const settled = name === 'cancel' ? status === 'CANCELLED' : status !== 'NEEDS_CORRECTION' && status !== 'unknown';
          if (settled) return;
          if (TERMINAL.has(status)) break;
          await sleep(1000);
        }
        if (!TERMINAL.has(status)) {
          await sleep(5000);
          continue;
        }
        const problem = res.body as { type?: string; detail?: string } | null;
        trace.driverErrors.push(`${name} answered ${answers.join(',')}; the 409 said ${problem?.type ?? '?'}: ${problem?.detail ?? ''}; the order is ${status}`);
        return;
      }
      if (res.status === 0 || res.status >= 500) {
        await sleep(res.retryAfter);
        continue;
      }
      trace.driverErrors.push(`${name} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
      return;
    }
    trace.driverErrors.push(`${name} never succeeded (answers ${answers.join(',')})`);
  }

  async function runStep(order: PlannedOrder, step: Step, trace: OrderTrace): Promise<void> {
    switch (step.kind) {
      case 'commerce': {
        const ok = await webhook('/v1/webhooks/commerce', 'x-commerce-signature', secrets.commerce, { customer_id: order.customerId, order: { order_id: order.orderId, items: order.webhookItems } }, trace);
        if (ok) trace.accepted.commerce = true;
        return;
      }
      case 'capture': {
        const body = { customer_id: order.customerId, rrn: step.rrn, amount_cents: order.amountCents, metadata: { order_id: order.orderId } };
        if (await webhook('/v1/webhooks/payments', 'x-payment-signature', secrets.payment, body, trace)) trace.accepted.captures.push(step.rrn);
        return;
      }
      case 'cancel':
      case 'correct':
        return supportCommand(order, trace, step.kind === 'cancel' ? 'cancel' : 'correct');
    }
  }

  return {
    traces,
    async run(orders, rate, concurrency) {
      const started = Date.now();
      let inDelivery = 0;
      for (const [i, order] of orders.entries()) {
        if (isStopped()) return;
        const at = started + (i * 1000) / rate;
        if (at > Date.now()) await sleep(at - Date.now());
        while (inDelivery >= concurrency && !isStopped()) await sleep(20);
        const trace: OrderTrace = { webhookAnswers: [], accepted: { commerce: false, captures: [] }, driverErrors: [], commandAnswers: [], done: false };
        traces.set(order.orderId, trace);
        inDelivery += 1;
        const steps = stepsOf(order);
        scripts.push(
          (async () => {
            let released = false;
            try {
              for (const step of steps) {
                // A correction waits for validation: the order's delivery slot is given back first.
                if ((step.kind === 'correct' || step.kind === 'cancel') && !released) {
                  released = true;
                  inDelivery -= 1;
                }
                await runStep(order, step, trace);
              }
            } catch (err) {
              trace.driverErrors.push(`driver: ${(err as Error).message}`);
            } finally {
              if (!released) inDelivery -= 1;
              trace.done = true;
            }
          })(),
        );
      }
    },
    async finished() {
      await Promise.all(scripts);
    },
    running: () => [...traces.values()].filter((t) => !t.done).length,
    getRecord,
  };
}
