// Structured logging with pino: JSON in production, pretty only on a TTY, PII paths always redacted.
import pino, { type Logger } from 'pino';

/** Anything that may carry a customer's e-mail, wherever it sits in a logged object. */
export const PII_REDACT_PATHS = ['customer_email', '*.customer_email', '*.*.customer_email', 'req.body', 'body.customer_email'];

export function createLogger(options: { level: string; name: string }): Logger {
  const pretty = process.stdout.isTTY === true && process.env.NODE_ENV !== 'production';
  return pino({
    name: options.name,
    level: options.level,
    redact: { paths: PII_REDACT_PATHS, censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  });
}

export type { Logger };
