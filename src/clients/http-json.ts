// One place that maps an upstream HTTP answer onto the error taxonomy: 429/5xx/network retryable, contract breaks not.
//
// Every answer is bounded, so that a misbehaving upstream can neither exhaust the worker's memory nor hold an
// activity slot for ever:
// - Body size: at most `maxBodyBytes` (DEFAULT_MAX_BODY_BYTES = 1 MiB unless a client passes another limit) of
//   decoded body are buffered. A Content-Length above the limit is refused before any byte is read; a body without
//   one (chunked) is counted while it streams and the response is cancelled, which closes the connection, as soon as
//   the limit is passed. Either way it is a non-retryable UPSTREAM_CONTRACT_VIOLATION naming the API, the path and
//   the limit: asking again would get the same oversized answer, so an operator has to look.
// - Time: `timeoutMs` (DEFAULT_TIMEOUT_MS = 10 s) counts from the start of the request to the last byte of the body,
//   not only to the headers, so a server that answers at once and then dribbles the body is cut at the same
//   deadline. A timeout is a retryable UPSTREAM_UNAVAILABLE (it is transient, like a 503).
// - Error bodies (4xx) are only read for a short snippet for the message (ERROR_SNIPPET_BYTES), never in full.
// How the exchange ended (status, network error, timeout) goes to `observe`, for the API's circuit breaker and metrics.
import { asError, ErrorType, failure, wrapFailure } from '../../contracts';
import type { z } from 'zod';
import type { ApiOutcome } from './circuit-breaker';

/** Per-client bounds of one exchange with an upstream; each client fills what it does not set from the defaults. */
export interface UpstreamLimits {
  /** Total time from request start to the last body byte. */
  timeoutMs?: number;
  /** Largest body, in bytes, that is read and parsed; one byte more is a contract violation. */
  maxBodyBytes?: number;
}

export interface JsonRequest<T> {
  method: 'GET' | 'POST';
  url: string;
  schema: z.ZodType<T>;
  /** Which upstream this is ("PIM API"), so that a failure message says whom to ask. */
  api?: string;
  /** Answers that are part of the API's contract but carry no body we want, e.g. 404 → undefined. */
  expectedEmpty?: readonly number[];
  /** A 2xx with an empty body is a success without content (the contract promises a status, not a body). */
  allowEmptySuccess?: boolean;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
  maxBodyBytes?: number;
  fetchImpl?: typeof fetch;
  /**
   * Told once how the exchange ended: the status code, or `timeout` / `network_error` when the answer (or its body)
   * never fully came. Not told when nothing was sent (bad limits).
   */
  observe?: (outcome: ApiOutcome) => void;
}

export type JsonResult<T> = { status: number; body: T } | { status: number; body: undefined };

export const DEFAULT_TIMEOUT_MS = 10_000;
/** Far above any answer of contract §5 (a 500-item order is tens of KiB), far below what could hurt a worker. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** A 4xx body only feeds the first 200 characters of a message; reading more would only cost memory. */
const ERROR_SNIPPET_BYTES = 1024;

/** The limits a client uses, checked once when the client is built so that a bad value stops the worker at start. */
export function resolveLimits(limits: UpstreamLimits = {}): Required<UpstreamLimits> {
  const timeoutMs = limits.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBodyBytes = limits.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new RangeError(`timeoutMs must be a positive integer, got ${timeoutMs}`);
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 0) throw new RangeError(`maxBodyBytes must be a non-negative integer, got ${maxBodyBytes}`);
  return { timeoutMs, maxBodyBytes };
}

/** Retry-After is seconds or an HTTP date; anything unreadable falls back to the retry policy's own backoff. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  // Only an HTTP-date (IMF-fixdate, always GMT): Date.parse alone reads junk like "-3" as a year.
  if (!/GMT$/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

type BodyRead =
  | { kind: 'complete'; bytes: Uint8Array }
  /** More than the cap arrived; `bytes` holds what fitted, and the stream is cancelled. */
  | { kind: 'overflow'; bytes: Uint8Array }
  /** The deadline passed while the body was still coming. */
  | { kind: 'timeout' }
  /** The connection broke mid-body (reset, truncated answer). */
  | { kind: 'broken'; error: Error };

/**
 * Reads at most `cap` bytes of a body. The deadline is enforced here too, by cancelling the reader, rather than
 * trusting the fetch implementation to abort a body it has already handed over.
 */
async function readCapped(body: ReadableStream<Uint8Array> | null, cap: number, signal: AbortSignal): Promise<BodyRead> {
  if (!body) return { kind: 'complete', bytes: new Uint8Array(0) };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Cancelling settles a pending read() at once, so a stalled or dribbling body cannot outlive the deadline.
  const stop = (): void => {
    reader.cancel(signal.reason).catch(() => undefined);
  };
  if (signal.aborted) stop();
  else signal.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (signal.aborted) return { kind: 'timeout' };
      if (done) return { kind: 'complete', bytes: concat(chunks, size) };
      if (size + value.byteLength > cap) {
        // Only the part of the overflowing chunk that fits is kept (an error snippet wants it): never more than the cap.
        chunks.push(value.subarray(0, cap - size));
        await reader.cancel().catch(() => undefined);
        return { kind: 'overflow', bytes: concat(chunks, cap) };
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } catch (err) {
    if (signal.aborted) return { kind: 'timeout' };
    await reader.cancel(err).catch(() => undefined);
    return { kind: 'broken', error: asError(err) };
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** A plain non-negative decimal, or undefined: a malformed header is left to the streaming count. */
function announcedLength(header: string | null): number | undefined {
  return header !== null && /^\s*\d+\s*$/.test(header) ? Number(header) : undefined;
}

export async function requestJson<T>(req: JsonRequest<T>): Promise<JsonResult<T>> {
  const observe = req.observe;
  if (!observe) return exchange(req, () => undefined);
  let outcome: ApiOutcome | undefined;
  try {
    return await exchange(req, (o) => (outcome = o));
  } finally {
    if (outcome !== undefined) observe(outcome);
  }
}

async function exchange<T>(req: JsonRequest<T>, mark: (outcome: ApiOutcome) => void): Promise<JsonResult<T>> {
  const doFetch = req.fetchImpl ?? fetch;
  const what = `${req.api ? `${req.api} ` : ''}${req.method} ${req.url}`;
  const { timeoutMs, maxBodyBytes } = resolveLimits({
    ...(req.timeoutMs !== undefined ? { timeoutMs: req.timeoutMs } : {}),
    ...(req.maxBodyBytes !== undefined ? { maxBodyBytes: req.maxBodyBytes } : {}),
  });
  // One signal for the whole exchange: started here, it also bounds the body read below.
  const signal = AbortSignal.timeout(timeoutMs);
  const timedOut = (phase: string, cause?: Error) =>
    failure(ErrorType.UPSTREAM_UNAVAILABLE, `${what} timed out after ${timeoutMs} ms ${phase} (the timeout covers the whole exchange)`, cause ? { cause } : {});
  const tooLarge = (detail: string) =>
    failure(ErrorType.UPSTREAM_CONTRACT_VIOLATION, `${what} answered a body over the ${maxBodyBytes}-byte limit (${detail})`, { nonRetryable: true });

  let response: Response;
  try {
    response = await doFetch(req.url, {
      method: req.method,
      headers: { accept: 'application/json', ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}), ...req.headers },
      ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
      signal,
    });
  } catch (err) {
    mark(signal.aborted ? 'timeout' : 'network_error');
    if (signal.aborted) throw timedOut('waiting for the answer', asError(err));
    throw wrapFailure(ErrorType.UPSTREAM_UNAVAILABLE, `${what} failed`, err);
  }
  mark(`${response.status}`);

  if (req.expectedEmpty?.includes(response.status)) {
    await response.body?.cancel();
    return { status: response.status, body: undefined };
  }
  if (response.status === 429) {
    await response.body?.cancel();
    const delay = retryAfterMs(response.headers.get('retry-after'));
    throw failure(ErrorType.UPSTREAM_RATE_LIMITED, `${what} answered 429`, delay !== undefined ? { nextRetryDelay: delay } : {});
  }
  if (response.status >= 500 || response.status === 408) {
    await response.body?.cancel();
    throw failure(ErrorType.UPSTREAM_UNAVAILABLE, `${what} answered ${response.status}`);
  }
  if (response.status < 200 || response.status >= 300) {
    const snippet = await readCapped(response.body, ERROR_SNIPPET_BYTES, signal);
    const text = snippet.kind === 'complete' || snippet.kind === 'overflow' ? new TextDecoder().decode(snippet.bytes) : '';
    throw failure(ErrorType.UPSTREAM_CONTRACT_VIOLATION, `${what} answered ${response.status}: ${text.slice(0, 200)}`, { nonRetryable: true });
  }

  // Refused before reading: the server said up front that the body is too large.
  const announced = announcedLength(response.headers.get('content-length'));
  if (announced !== undefined && announced > maxBodyBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(`Content-Length ${announced}`);
  }
  const read = await readCapped(response.body, maxBodyBytes, signal);
  if (read.kind === 'overflow') throw tooLarge('the streamed body went past it');
  if (read.kind === 'timeout') {
    mark('timeout');
    throw timedOut('reading the body');
  }
  if (read.kind === 'broken') {
    mark('network_error');
    // A connection that breaks mid-body is a network fault, transient like one that breaks before the headers.
    throw wrapFailure(ErrorType.UPSTREAM_UNAVAILABLE, `${what} broke off while sending the body`, read.error);
  }

  let json: unknown;
  try {
    const text = new TextDecoder().decode(read.bytes);
    if (text.trim() === '' && req.allowEmptySuccess) return { status: response.status, body: undefined };
    json = JSON.parse(text);
  } catch (err) {
    throw wrapFailure(ErrorType.UPSTREAM_CONTRACT_VIOLATION, `${what} answered invalid JSON`, err, { nonRetryable: true });
  }
  const parsed = req.schema.safeParse(json);
  if (!parsed.success) {
    throw failure(ErrorType.UPSTREAM_CONTRACT_VIOLATION, `${what} answered an unexpected body: ${parsed.error.message.slice(0, 300)}`, {
      nonRetryable: true,
    });
  }
  return { status: response.status, body: parsed.data };
}
