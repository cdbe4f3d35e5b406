// The command line of `npm start` (`npm start -- --workers N`): parsed and refused with a usage line before anything
// starts, so a typo never costs the minutes of a first-time tool build.
import { parseArgs } from 'node:util';

export interface StartArgs {
  /** How many worker processes to run (each polls both task queues). */
  workers: number;
}

/** More would only queue on the 2 cores a dev machine has; the limit keeps a typo (`--workers 100`) harmless. */
export const MAX_WORKERS = 16;

export const START_USAGE = `usage: npm start -- [--workers N]    N worker processes, a whole number from 1 to ${MAX_WORKERS} (default 1)`;

export class StartUsageError extends Error {
  override readonly name = 'StartUsageError';
}

export function parseStartArgs(argv: readonly string[]): StartArgs {
  let values: { workers?: string | undefined };
  try {
    ({ values } = parseArgs({ args: [...argv], options: { workers: { type: 'string' } }, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new StartUsageError(`${(err as Error).message}\n${START_USAGE}`);
  }
  if (values.workers === undefined) return { workers: 1 };
  const text = values.workers.trim();
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_WORKERS) {
    throw new StartUsageError(`--workers "${values.workers}" is not a whole number from 1 to ${MAX_WORKERS}\n${START_USAGE}`);
  }
  return { workers: n };
}
