// Structured logging with pino: JSON in production, pretty only on a TTY, PII paths always redacted.
import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Anything that may carry a customer's e-mail, wherever it sits in a logged object: a request body as a whole, and
 * `customer_email` up to four levels down (`{ err: { event: { payload } } }`, `{ args: [{ payload }] }`, …); the
 * shapes are in test/unit/logger-redaction.test.ts. `req.body` comes first on purpose: with it listed after the
 * wildcards, @pinojs/redact (pino 10) wrote the censor into the caller's own object (logging `{ req: { body } }`
 * replaced `body.customer_email` in place, in the very body the gateway then hands on).
 */
export const PII_REDACT_PATHS = ['req.body', 'customer_email', '*.customer_email', '*.*.customer_email', '*.*.*.customer_email', '*.*.*.*.customer_email'];

/** `destination`: where the JSON lines go (default stdout); given one, the output is never prettified. */
export function createLogger(options: { level: string; name: string }, destination?: DestinationStream): Logger {
  const pretty = destination === undefined && process.stdout.isTTY === true && process.env.NODE_ENV !== 'production';
  const pinoOptions = {
    name: options.name,
    level: options.level,
    redact: { paths: PII_REDACT_PATHS, censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  };
  return destination === undefined ? pino(pinoOptions) : pino(pinoOptions, destination);
}

export type { Logger };
