// Unit tests of the circuit breaker (src/clients/circuit-breaker.ts) on an injected clock: when it opens, what a call
// refused while open looks like, the single half-open probe, and which answers count; then through the real clients.
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ErrorType } from '../../contracts';
import { activityRetryFloorMs, CircuitBreaker, isUpstreamFault, type ApiMetrics, type ApiOutcome, type BreakerState } from '../../src/clients/circuit-breaker';
import { createCommerceApi } from '../../src/clients/commerce-api';
import { requestJson } from '../../src/clients/http-json';
import { createPimApi } from '../../src/clients/pim-api';
import { failureOf } from '../helpers/failures';

const COOLDOWN = 10_000;

class Clock {
  at = 1_000_000;
  readonly now = () => this.at;
  advance(ms: number): void {
    this.at += ms;
  }
}

class RecordingMetrics implements ApiMetrics {
  readonly states: BreakerState[] = [];
  readonly outcomes: ApiOutcome[] = [];
  breakerState(_api: string, state: BreakerState): void {
    this.states.push(state);
  }
  response(_api: string, outcome: ApiOutcome): void {
    this.outcomes.push(outcome);
  }
}

function setup(options: { failures?: number; retryFloorMs?: number; random?: number } = {}) {
  const clock = new Clock();
  const metrics = new RecordingMetrics();
  const breaker = new CircuitBreaker({
    api: 'pim',
    failureThreshold: options.failures ?? 3,
    cooldownMs: COOLDOWN,
    metrics,
    now: clock.now,
    random: () => options.random ?? 0.5,
    retryFloorMs: () => options.retryFloorMs ?? 0,
  });
  // What reached the "API": counted per call that the breaker let through.
  let reached = 0;
  /** One exchange with the given outcome: resolves on an answer of a live API, throws on a fault, as requestJson does. */
  const exchange = (outcome: ApiOutcome) =>
    breaker.call(async (observe) => {
      reached++;
      observe(outcome);
      if (isUpstreamFault(outcome)) throw new Error(`upstream ${outcome}`);
      return outcome;
    });
  return { clock, metrics, breaker, exchange, reached: () => reached };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('circuit breaker', () => {
  it('opens after N consecutive faults, not before; an answer in between starts the count again', async () => {
    const { breaker, exchange } = setup({ failures: 3 });
    await expect(exchange('503')).rejects.toThrow('upstream 503');
    await expect(exchange('timeout')).rejects.toThrow();
    await expect(exchange('200')).resolves.toBe('200');
    await expect(exchange('network_error')).rejects.toThrow();
    await expect(exchange('429')).rejects.toThrow();
    expect(breaker.state).toBe('closed');
    await expect(exchange('502')).rejects.toThrow('upstream 502');
    expect(breaker.state).toBe('open');
  });

  it('while open, fails at once with a retryable UPSTREAM_CIRCUIT_OPEN whose nextRetryDelay is the cool-down left plus jitter', async () => {
    const { clock, metrics, breaker, exchange, reached } = setup({ failures: 3, random: 0.25 });
    for (let i = 0; i < 3; i++) await expect(exchange('503')).rejects.toThrow();
    expect(reached()).toBe(3);

    clock.advance(4_000);
    const f = await failureOf(exchange('200'));
    expect(reached()).toBe(3); // not called
    expect(f.type).toBe(ErrorType.UPSTREAM_CIRCUIT_OPEN);
    expect(f.nonRetryable).toBe(false);
    // 6 s of cool-down left, plus 0.25 of one cool-down.
    expect(f.nextRetryDelay).toBe(6_000 + 2_500);
    expect(f.message).toMatch(/^PIM API not called: its circuit breaker is open \(3 consecutive failures, the last 503; next probe in 6000 ms\)/);
    expect(metrics.outcomes).toEqual(['503', '503', '503', 'breaker_open']);
    expect(breaker.state).toBe('open');
  });

  it('never asks for a retry sooner than the activity retry policy would', async () => {
    const { exchange } = setup({ failures: 1, retryFloorMs: 60_000, random: 0 });
    await expect(exchange('503')).rejects.toThrow();
    expect((await failureOf(exchange('200'))).nextRetryDelay).toBe(60_000);
  });

  it('half-open: after the cool-down exactly one probe goes through while the other calls still fail fast', async () => {
    const { clock, breaker, exchange, reached } = setup({ failures: 2 });
    await expect(exchange('503')).rejects.toThrow();
    await expect(exchange('503')).rejects.toThrow();
    clock.advance(COOLDOWN);

    const answer = deferred<void>();
    const probe = breaker.call(async (observe) => {
      await answer.promise;
      observe('200');
      return 'probed';
    });
    expect(breaker.state).toBe('half_open');
    const others = await Promise.all([1, 2, 3].map(() => failureOf(exchange('200'))));
    expect(reached()).toBe(2); // the two faults; the probe is not counted by `exchange`, the others were refused
    for (const f of others) {
      expect(f.type).toBe(ErrorType.UPSTREAM_CIRCUIT_OPEN);
      expect(f.message).toMatch(/half-open and another call is probing it/);
      // Nothing left of the cool-down: the jitter alone.
      expect(f.nextRetryDelay).toBe(COOLDOWN / 2);
    }
    answer.resolve();
    await expect(probe).resolves.toBe('probed');
    expect(breaker.state).toBe('closed');
    await expect(exchange('200')).resolves.toBe('200');
  });

  it('closes on a successful probe, counting from zero again', async () => {
    const { clock, metrics, breaker, exchange } = setup({ failures: 2 });
    await expect(exchange('500')).rejects.toThrow();
    await expect(exchange('500')).rejects.toThrow();
    clock.advance(COOLDOWN);
    await expect(exchange('200')).resolves.toBe('200');
    expect(breaker.state).toBe('closed');
    await expect(exchange('500')).rejects.toThrow();
    expect(breaker.state).toBe('closed');
    expect(metrics.states).toEqual(['closed', 'open', 'half_open', 'closed']);
  });

  it('reopens on a failed probe, for a whole new cool-down', async () => {
    const { clock, metrics, breaker, exchange, reached } = setup({ failures: 2 });
    await expect(exchange('503')).rejects.toThrow();
    await expect(exchange('503')).rejects.toThrow();
    clock.advance(COOLDOWN + 5);
    await expect(exchange('timeout')).rejects.toThrow('upstream timeout');
    expect(breaker.state).toBe('open');
    expect(reached()).toBe(3);
    clock.advance(COOLDOWN - 1);
    expect((await failureOf(exchange('200'))).nextRetryDelay).toBe(1 + COOLDOWN / 2);
    clock.advance(1);
    await expect(exchange('200')).resolves.toBe('200');
    expect(metrics.states).toEqual(['closed', 'open', 'half_open', 'open', 'half_open', 'closed']);
  });

  it('does not count 4xx business answers: 404, 409, 422 and a 400 are a live API answering', async () => {
    const { breaker, exchange } = setup({ failures: 2 });
    for (const outcome of ['404', '409', '422', '400', '404', '422'] as const) await exchange(outcome);
    expect(breaker.state).toBe('closed');
    await expect(exchange('503')).rejects.toThrow();
    await exchange('404'); // resets the count
    await expect(exchange('503')).rejects.toThrow();
    expect(breaker.state).toBe('closed');
  });

  it('a probe that gets a 404 or 422 closes the breaker: the API is up', async () => {
    const { clock, breaker, exchange } = setup({ failures: 1 });
    await expect(exchange('503')).rejects.toThrow();
    clock.advance(COOLDOWN);
    await exchange('422');
    expect(breaker.state).toBe('closed');
  });

  it('ignores the answers of calls let through before it opened', async () => {
    const { clock, breaker, exchange } = setup({ failures: 2 });
    const slow = deferred<void>();
    const inFlight = breaker.call(async (observe) => {
      await slow.promise;
      observe('200');
      return 'late';
    });
    await expect(exchange('503')).rejects.toThrow();
    await expect(exchange('503')).rejects.toThrow();
    expect(breaker.state).toBe('open');
    slow.resolve();
    await expect(inFlight).resolves.toBe('late');
    expect(breaker.state).toBe('open'); // an answer from before the outage is no probe
    clock.advance(COOLDOWN);
    await exchange('200');
    expect(breaker.state).toBe('closed');
  });

  it('a probe that never reached the API (its pacer gave up) leaves the probe to the next call', async () => {
    const { clock, breaker, exchange } = setup({ failures: 1 });
    await expect(exchange('503')).rejects.toThrow();
    clock.advance(COOLDOWN);
    await expect(breaker.call(() => Promise.reject(new Error('no slot')))).rejects.toThrow('no slot');
    expect(breaker.state).toBe('half_open');
    await exchange('200');
    expect(breaker.state).toBe('closed');
  });

  it('with a threshold of 0 it is off: every call goes out, the responses are still counted', async () => {
    const { metrics, breaker, exchange, reached } = setup({ failures: 0 });
    for (let i = 0; i < 20; i++) await expect(exchange('503')).rejects.toThrow();
    expect(reached()).toBe(20);
    expect(breaker.state).toBe('closed');
    expect(metrics.outcomes).toHaveLength(20);
  });

  it('classifies outcomes: 5xx, 408, 429, network errors and timeouts are faults; the rest are answers', () => {
    const faults: ApiOutcome[] = ['500', '502', '503', '504', '408', '429', 'network_error', 'timeout'];
    const answers: ApiOutcome[] = ['200', '201', '204', '301', '400', '401', '403', '404', '409', '422', 'breaker_open'];
    expect(faults.filter((o) => !isUpstreamFault(o))).toEqual([]);
    expect(answers.filter((o) => isUpstreamFault(o))).toEqual([]);
  });

  it('refuses a nonsensical configuration', () => {
    expect(() => new CircuitBreaker({ api: 'pim', failureThreshold: -1, cooldownMs: 1 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ api: 'pim', failureThreshold: 5, cooldownMs: 0 })).toThrow(RangeError);
  });
});

describe('the retry floor from the running activity', () => {
  const env = (attempt: number, retryPolicy?: { initialInterval: number; backoffCoefficient: number; maximumInterval: number }) =>
    new MockActivityEnvironment({ attempt, ...(retryPolicy ? { retryPolicy } : {}) }, { logger: new DefaultLogger('ERROR') });
  const policy = { initialInterval: 1_000, backoffCoefficient: 2, maximumInterval: 120_000 };

  it('is the backoff the policy would wait after this attempt, up to its maximum interval', async () => {
    await expect(env(1, policy).run(async () => activityRetryFloorMs())).resolves.toBe(1_000);
    await expect(env(4, policy).run(async () => activityRetryFloorMs())).resolves.toBe(8_000);
    await expect(env(12, policy).run(async () => activityRetryFloorMs())).resolves.toBe(120_000);
  });

  it('is 0 outside an activity or without a policy', async () => {
    expect(activityRetryFloorMs()).toBe(0);
    await expect(env(3).run(async () => activityRetryFloorMs())).resolves.toBe(0);
  });
});

describe('the clients behind a breaker (real requestJson, fake fetch)', () => {
  const BASE = 'http://upstream.test';
  const status = (code: number) => vi.fn<typeof fetch>(async () => new Response(code === 200 ? JSON.stringify({ item_id: 'i', sku_id: 'S', brand_code: 'B' }) : null, { status: code }));

  it('PIM: 503s open it and the next call is refused without a request; 404 and 422 never count', async () => {
    const clock = new Clock();
    const metrics = new RecordingMetrics();
    const breaker = new CircuitBreaker({ api: 'pim', failureThreshold: 2, cooldownMs: COOLDOWN, metrics, now: clock.now, random: () => 0, retryFloorMs: () => 0 });

    const notFound = status(404);
    const pim404 = createPimApi({ baseUrl: BASE, fetchImpl: notFound, breaker });
    for (let i = 0; i < 3; i++) await expect(pim404.getItem('i')).resolves.toBeUndefined();
    const unprocessable = createPimApi({ baseUrl: BASE, fetchImpl: status(422), breaker });
    for (let i = 0; i < 3; i++) expect((await failureOf(unprocessable.getItem('i'))).type).toBe(ErrorType.UPSTREAM_CONTRACT_VIOLATION);
    expect(breaker.state).toBe('closed');

    const down = status(503);
    const pim503 = createPimApi({ baseUrl: BASE, fetchImpl: down, breaker });
    for (let i = 0; i < 2; i++) expect((await failureOf(pim503.getItem('i'))).type).toBe(ErrorType.UPSTREAM_UNAVAILABLE);
    const refused = await failureOf(pim503.getItem('i'));
    expect(refused.type).toBe(ErrorType.UPSTREAM_CIRCUIT_OPEN);
    expect(refused.nextRetryDelay).toBe(COOLDOWN);
    expect(down).toHaveBeenCalledTimes(2);

    const network = vi.fn<typeof fetch>(async () => Promise.reject(new TypeError('fetch failed')));
    clock.advance(COOLDOWN);
    expect((await failureOf(createPimApi({ baseUrl: BASE, fetchImpl: network, breaker }).getItem('i'))).type).toBe(ErrorType.UPSTREAM_UNAVAILABLE);
    expect(breaker.state).toBe('open');
    clock.advance(COOLDOWN);
    await expect(createPimApi({ baseUrl: BASE, fetchImpl: status(200), breaker }).getItem('i')).resolves.toMatchObject({ sku_id: 'S' });
    expect(breaker.state).toBe('closed');
    expect(metrics.outcomes).toEqual(['404', '404', '404', '422', '422', '422', '503', '503', 'breaker_open', 'network_error', '200']);
  });

  it('requestJson observes how each exchange ended: the status, network_error, timeout', async () => {
    const seen: ApiOutcome[] = [];
    const get = (fetchImpl: typeof fetch) =>
      requestJson({ method: 'GET', url: `${BASE}/x`, schema: z.object({}), expectedEmpty: [404], fetchImpl, timeoutMs: 5, observe: (o) => seen.push(o) }).catch(() => undefined);
    await get(status(404));
    await get(status(503));
    await get(vi.fn<typeof fetch>(async () => Promise.reject(new TypeError('fetch failed'))));
    // Never answers: only the exchange's deadline ends it.
    await get(vi.fn<typeof fetch>((_input, init) => new Promise<Response>((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error)))));
    expect(seen).toEqual(['404', '503', 'network_error', 'timeout']);
  });

  it('Commerce: a refused call takes no slot of the pacer', async () => {
    const clock = new Clock();
    const breaker = new CircuitBreaker({ api: 'commerce', failureThreshold: 1, cooldownMs: COOLDOWN, now: clock.now, random: () => 0, retryFloorMs: () => 0 });
    const slots = { taken: 0 };
    const limiter = { schedule: <T>(call: () => Promise<T>) => (slots.taken++, call()) };
    const commerce = createCommerceApi({ baseUrl: BASE, limiter, fetchImpl: status(503), breaker });
    expect((await failureOf(commerce.getOrder('o'))).type).toBe(ErrorType.UPSTREAM_UNAVAILABLE);
    expect((await failureOf(commerce.getOrder('o'))).type).toBe(ErrorType.UPSTREAM_CIRCUIT_OPEN);
    expect(slots.taken).toBe(1);
  });
});
