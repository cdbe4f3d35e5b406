// Benchmark options from flags first, then BENCH_* environment variables, then defaults, with named errors.
import ms from 'ms';
import { UsageError } from './benchmark';

function fromSources(flag: string | undefined, envName: string): string | undefined {
  const env = process.env[envName];
  return flag ?? (env === undefined || env.trim() === '' ? undefined : env.trim());
}

export function positiveInt(name: string, flag: string | undefined, envName: string, fallback: number): number {
  const raw = fromSources(flag, envName);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new UsageError(`--${name} (or ${envName}) must be a positive integer, got "${raw}"`);
  return value;
}

/** A bare number is seconds (like autocannon's --duration); otherwise an ms-style string: 10s, 1500ms, 1m. */
export function durationMs(name: string, flag: string | undefined, envName: string, fallbackMs: number): number {
  const raw = fromSources(flag, envName);
  if (raw === undefined) return fallbackMs;
  const value = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) * 1000 : ms(raw as ms.StringValue);
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new UsageError(`--${name} (or ${envName}) must be a duration like 10, 10s or 1500ms, got "${raw}"`);
  }
  return value;
}
