// The shape every benchmark under bench/ has, so `bench/main.ts` can list and run them the same way.

export interface BenchContext {
  /** Aborted on SIGINT/SIGTERM or when the run overruns its time budget: stop load, clean up, return. */
  signal: AbortSignal;
  /** The report (stdout). */
  out(line?: string): void;
  /** Progress and diagnostics (stderr), so stdout stays the report. */
  log(line: string): void;
}

export interface Benchmark {
  name: string;
  summary: string;
  /** Option lines for the help text. */
  usage: readonly string[];
  /** Upper bound of the run time for these arguments; the runner aborts the run past it (plus a margin). */
  budgetMs(argv: readonly string[]): number;
  /** Resolves to the exit code. Throws on setup failure. */
  run(argv: readonly string[], ctx: BenchContext): Promise<number>;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}
