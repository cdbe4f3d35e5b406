// Closed-loop load drivers with one measuring discipline: a fixed window, N calls in flight, each completion inside
// the window counted and its latency kept; whatever completes after the window is neither counted nor timed.
import autocannon from 'autocannon';
import type { LatencySamples } from './stats';

export interface LoadResult {
  /** Successful completions inside the window. */
  ok: number;
  /** Failures inside the window: unexpected status, socket error, timeout or rejection. */
  errors: number;
  firstError: string | undefined;
  windowMs: number;
  latencies: LatencySamples;
}

/** Stop hammering a broken target: a run with errors is void anyway. */
const BAILOUT_ERRORS = 100;

export function describeError(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

export interface HttpLoadOptions {
  /** Origin, e.g. http://127.0.0.1:1234. */
  url: string;
  path: string;
  connections: number;
  durationMs: number;
  expectStatus: number;
  signal: AbortSignal;
  /** Builds each request; it runs on the load generator's event loop, so keep it cheap (and measure it). */
  nextRequest(): { body: string; headers: Record<string, string> };
}

/** autocannon, one request in flight per connection (no pipelining), latencies taken from its per-response timer. */
export function runHttpLoad(opts: HttpLoadOptions): Promise<LoadResult> {
  return new Promise<LoadResult>((resolve, reject) => {
    const latencies: LatencySamples = [];
    let ok = 0;
    let errors = 0;
    let firstError: string | undefined;
    let windowEnd = Number.POSITIVE_INFINITY;
    const instance = autocannon(
      {
        url: opts.url,
        connections: opts.connections,
        pipelining: 1,
        // Our timer closes the window; autocannon's own duration is only a backstop.
        duration: Math.ceil(opts.durationMs / 1000) + 5,
        timeout: 10,
        bailout: BAILOUT_ERRORS,
        requests: [
          {
            method: 'POST',
            path: opts.path,
            setupRequest: (request) => {
              const next = opts.nextRequest();
              return { ...request, body: next.body, headers: { ...request.headers, ...next.headers } };
            },
          },
        ],
      },
      (err: unknown) => {
        clearTimeout(timer);
        opts.signal.removeEventListener('abort', stop);
        if (err !== null && err !== undefined) reject(err instanceof Error ? err : new Error(describeError(err)));
        else resolve({ ok, errors, firstError, windowMs: opts.durationMs, latencies });
      },
    );
    const start = performance.now();
    windowEnd = start + opts.durationMs;
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (performance.now() > windowEnd) return;
      if (statusCode === opts.expectStatus) {
        ok += 1;
        latencies.push(responseTime);
      } else {
        errors += 1;
        firstError ??= `HTTP ${statusCode}`;
      }
    });
    instance.on('reqError', (err: unknown) => {
      if (performance.now() > windowEnd) return;
      errors += 1;
      firstError ??= describeError(err);
    });
    // autocannon ends at its next 1 s sample tick after stop(): the tail is outside the window and not counted.
    const stop = (): void => instance.stop();
    const timer = setTimeout(stop, opts.durationMs);
    opts.signal.addEventListener('abort', stop, { once: true });
  });
}

export interface LoopLoadOptions {
  concurrency: number;
  durationMs: number;
  signal: AbortSignal;
  call(): Promise<void>;
}

/** `concurrency` async loops, each starting its next call as soon as the previous one settles (like a connection). */
export async function runConcurrentLoops(opts: LoopLoadOptions): Promise<LoadResult> {
  const latencies: LatencySamples = [];
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  const windowEnd = performance.now() + opts.durationMs;
  const loop = async (): Promise<void> => {
    while (!opts.signal.aborted && errors < BAILOUT_ERRORS) {
      const started = performance.now();
      if (started >= windowEnd) return;
      try {
        await opts.call();
        const done = performance.now();
        if (done <= windowEnd) {
          ok += 1;
          latencies.push(done - started);
        }
      } catch (err) {
        if (performance.now() <= windowEnd) {
          errors += 1;
          firstError ??= describeError(err);
        }
      }
    }
  };
  // Resolves once every loop's last call settled: nothing of this phase is still in flight afterwards.
  await Promise.all(Array.from({ length: opts.concurrency }, loop));
  return { ok, errors, firstError, windowMs: opts.durationMs, latencies };
}
