// One circuit breaker per external API and worker process: after N consecutive faults of the API itself, calls fail at
// once instead of reaching it, and after a cool-down a single probe call finds out whether it is back.
//
// What counts as a fault is the API being unwell, not it answering: 5xx, 408, 429, a network error, a timeout. A 4xx
// business answer (404 unknown, 409, 422…) and a 2xx whose body breaks the contract are answers of a live API: they
// count as successes (they reset the count), and a probe that gets one closes the breaker.
//
// While open, a call throws a *retryable* UPSTREAM_CIRCUIT_OPEN whose `nextRetryDelay` is the cool-down left (or
// what the activity's own retry policy would wait, if longer) plus a jitter of up to one cool-down: the in-flight
// activities neither spin on fail-fast attempts nor come back as one herd, and the dead API sees one probe per
// cool-down per worker process. The state machine has no timers: time is read from `now` when a call comes.
import { asyncLocalStorage } from '@temporalio/activity';
import type { Duration } from '@temporalio/common';
import ms from 'ms';
import { ErrorType, failure } from '../../contracts';

export const EXTERNAL_APIS = ['commerce', 'pim', 'payment', 'risk'] as const;
export type ExternalApi = (typeof EXTERNAL_APIS)[number];

const API_NAMES: Record<ExternalApi, string> = { commerce: 'Commerce API', pim: 'PIM API', payment: 'Payment API', risk: 'Risk API' };

/** How one exchange ended: the HTTP status code as a string ("200", "503"), or why there was none. */
export type ApiOutcome = `${number}` | 'network_error' | 'timeout' | 'breaker_open';

export type BreakerState = 'closed' | 'half_open' | 'open';
/** The value of the `oms_circuit_breaker_state` gauge. */
export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

/** Where the breakers report: src/worker/api-metrics.ts puts both on the worker's Prometheus endpoint. */
export interface ApiMetrics {
  breakerState(api: ExternalApi, state: BreakerState): void;
  response(api: ExternalApi, outcome: ApiOutcome): void;
}

/** The faults of the API itself; every other outcome is an answer from a live API. */
export function isUpstreamFault(outcome: ApiOutcome): boolean {
  if (outcome === 'network_error' || outcome === 'timeout') return true;
  if (outcome === 'breaker_open') return false;
  const status = Number(outcome);
  return status >= 500 || status === 429 || status === 408;
}

/** What a client runs its calls through: `observe` is told how the exchange ended (requestJson's `observe`). */
export interface UpstreamGuard {
  call<T>(exchange: (observe: (outcome: ApiOutcome) => void) => Promise<T>): Promise<T>;
}

/** For a client built without a breaker (tests, tools): every call goes out, nothing is recorded. */
export const UNGUARDED: UpstreamGuard = {
  call: (exchange) => exchange(() => undefined),
};

export interface CircuitBreakerOptions {
  api: ExternalApi;
  /** Consecutive faults that open the breaker; 0 turns it off (every call goes out, the responses are still counted). */
  failureThreshold: number;
  /** How long an open breaker fails calls at once before one probe goes through. */
  cooldownMs: number;
  metrics?: ApiMetrics;
  now?: () => number;
  /** In [0, 1): the jitter's share of one cool-down. */
  random?: () => number;
  /** The least delay before the next attempt: by default what the running activity's retry policy would wait. */
  retryFloorMs?: () => number;
}

type State = { kind: 'closed'; faults: number } | { kind: 'open'; until: number } | { kind: 'half_open'; probing: boolean };

/** Which state a call was let through in: an answer to a call of an earlier state is stale and changes nothing. */
interface Ticket {
  generation: number;
  probe: boolean;
}

export class CircuitBreaker implements UpstreamGuard {
  readonly api: ExternalApi;
  private readonly threshold: number;
  private readonly cooldownMs: number;
  private readonly metrics: ApiMetrics | undefined;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly retryFloorMs: () => number;
  private current: State = { kind: 'closed', faults: 0 };
  private generation = 0;
  private lastFault: ApiOutcome | undefined;

  constructor(options: CircuitBreakerOptions) {
    if (!Number.isInteger(options.failureThreshold) || options.failureThreshold < 0) {
      throw new RangeError(`failureThreshold must be a non-negative integer, got ${options.failureThreshold}`);
    }
    if (!Number.isFinite(options.cooldownMs) || options.cooldownMs <= 0) throw new RangeError(`cooldownMs must be positive, got ${options.cooldownMs}`);
    this.api = options.api;
    this.threshold = options.failureThreshold;
    this.cooldownMs = options.cooldownMs;
    this.metrics = options.metrics;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.retryFloorMs = options.retryFloorMs ?? activityRetryFloorMs;
    this.metrics?.breakerState(this.api, 'closed');
  }

  /** As the gauge shows it: an open breaker past its cool-down stays `open` until the next call, which is the probe. */
  get state(): BreakerState {
    return this.current.kind;
  }

  async call<T>(exchange: (observe: (outcome: ApiOutcome) => void) => Promise<T>): Promise<T> {
    const record = (outcome: ApiOutcome) => this.metrics?.response(this.api, outcome);
    if (this.threshold === 0) return exchange(record);
    const ticket = this.admit();
    let outcome: ApiOutcome | undefined;
    try {
      return await exchange((o) => {
        outcome = o;
        record(o);
      });
    } finally {
      this.settle(ticket, outcome);
    }
  }

  /** Lets the call through (as the probe, past a cool-down) or throws the fail-fast failure. */
  private admit(): Ticket {
    const state = this.current;
    if (state.kind === 'open') {
      const left = state.until - this.now();
      if (left > 0) throw this.rejected(left);
      this.enter({ kind: 'half_open', probing: true });
      return { generation: this.generation, probe: true };
    }
    if (state.kind === 'half_open') {
      if (state.probing) throw this.rejected(0);
      // The last probe ended without reaching the API (e.g. its pacer gave up): this call probes instead.
      state.probing = true;
      return { generation: this.generation, probe: true };
    }
    return { generation: this.generation, probe: false };
  }

  private settle(ticket: Ticket, outcome: ApiOutcome | undefined): void {
    if (ticket.generation !== this.generation) return;
    const state = this.current;
    if (outcome === undefined) {
      // The call never reached the API (nothing was observed): no news about it.
      if (ticket.probe && state.kind === 'half_open') state.probing = false;
      return;
    }
    const fault = isUpstreamFault(outcome);
    if (fault) this.lastFault = outcome;
    if (state.kind === 'closed') {
      state.faults = fault ? state.faults + 1 : 0;
      if (state.faults >= this.threshold) this.enter({ kind: 'open', until: this.now() + this.cooldownMs });
    } else if (state.kind === 'half_open' && ticket.probe) {
      this.enter(fault ? { kind: 'open', until: this.now() + this.cooldownMs } : { kind: 'closed', faults: 0 });
    }
  }

  private enter(state: State): void {
    this.current = state;
    this.generation++;
    this.metrics?.breakerState(this.api, state.kind);
  }

  private rejected(cooldownLeftMs: number) {
    this.metrics?.response(this.api, 'breaker_open');
    const delayMs = Math.ceil(Math.max(cooldownLeftMs, this.retryFloorMs()) + this.random() * this.cooldownMs);
    const why =
      cooldownLeftMs > 0
        ? `its circuit breaker is open (${this.threshold} consecutive failures, the last ${this.lastFault ?? 'unknown'}; next probe in ${Math.ceil(cooldownLeftMs)} ms)`
        : `its circuit breaker is half-open and another call is probing it`;
    return failure(ErrorType.UPSTREAM_CIRCUIT_OPEN, `${API_NAMES[this.api]} not called: ${why}; retry in ${delayMs} ms`, { nextRetryDelay: delayMs });
  }
}

function durationMs(value: Duration | undefined): number | undefined {
  // The worker hands the policy over in milliseconds; a string would be ms-formatted, as in the retry options.
  if (value === undefined || typeof value === 'number') return value;
  const parsed = ms(value as ms.StringValue);
  return typeof parsed === 'number' && Number.isFinite(parsed) ? parsed : undefined;
}

/**
 * What the running activity's retry policy would wait after this attempt (0 outside an activity): the breaker's delay
 * is never shorter, so that an open breaker does not use up a local activity's maximumAttempts (sized for the policy's
 * backoff, workflows/activity-options.ts) faster than failures reaching the API would.
 */
export function activityRetryFloorMs(): number {
  const info = asyncLocalStorage.getStore()?.info;
  const policy = info?.retryPolicy;
  if (!info || !policy) return 0;
  const initial = durationMs(policy.initialInterval) ?? 1_000;
  const coefficient = policy.backoffCoefficient ?? 2;
  const maximum = durationMs(policy.maximumInterval) ?? initial * 100;
  return Math.min(initial * coefficient ** Math.max(0, info.attempt - 1), maximum);
}
