// One place that maps an upstream HTTP answer onto the error taxonomy: 429/5xx/network retryable, contract breaks not.
import { ErrorType, failure } from '../../contracts';
import type { z } from 'zod';

export interface JsonRequest<T> {
  method: 'GET' | 'POST';
  url: string;
  schema: z.ZodType<T>;
  /** Answers that are part of the API's contract but carry no body we want, e.g. 404 → undefined. */
  expectedEmpty?: readonly number[];
  /** A 2xx with an empty body is a success without content (the contract promises a status, not a body). */
  allowEmptySuccess?: boolean;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

export type JsonResult<T> = { status: number; body: T } | { status: number; body: undefined };

const DEFAULT_TIMEOUT_MS = 10_000;

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

export async function requestJson<T>(req: JsonRequest<T>): Promise<JsonResult<T>> {
  const doFetch = req.fetchImpl ?? fetch;
  const what = `${req.method} ${req.url}`;
  let response: Response;
  try {
    response = await doFetch(req.url, {
      method: req.method,
      headers: { accept: 'application/json', ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}), ...req.headers },
      ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
      signal: AbortSignal.timeout(req.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
  } catch (err) {
    throw failure(ErrorType.UPSTREAM_UNAVAILABLE, `${what} failed: ${(err as Error).message}`, { cause: err as Error });
  }

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
    const text = await response.text().catch(() => '');
    throw failure(ErrorType.UPSTREAM_CONTRACT_VIOLATION, `${what} answered ${response.status}: ${text.slice(0, 200)}`, { nonRetryable: true });
  }

  let json: unknown;
  try {
    const text = await response.text();
    if (text.trim() === '' && req.allowEmptySuccess) return { status: response.status, body: undefined };
    json = JSON.parse(text);
  } catch (err) {
    throw failure(ErrorType.UPSTREAM_CONTRACT_VIOLATION, `${what} answered invalid JSON`, { nonRetryable: true, cause: err as Error });
  }
  const parsed = req.schema.safeParse(json);
  if (!parsed.success) {
    throw failure(ErrorType.UPSTREAM_CONTRACT_VIOLATION, `${what} answered an unexpected body: ${parsed.error.message.slice(0, 300)}`, {
      nonRetryable: true,
    });
  }
  return { status: response.status, body: parsed.data };
}
