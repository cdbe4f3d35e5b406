// `npm run bench -- <name> [options]`: runs one benchmark of the registry below, or lists them. Speed and capacity
// claims live here, measured side by side in one run, not in timed tests.
import { codecBenchmark } from './codec';
import { commerceLimitBenchmark } from './commerce-limit';
import { e2eBenchmark } from './e2e';
import { gatewayBenchmark } from './gateway';
import { UsageError, type BenchContext, type Benchmark } from './lib/benchmark';

const BENCHMARKS: readonly Benchmark[] = [gatewayBenchmark, e2eBenchmark, commerceLimitBenchmark, codecBenchmark];

/** Signals this close to the first one are the same Ctrl-C delivered twice. */
const REPEATED_SIGNAL_MS = 1_000;

/** After an abort, cleanup (stopping the dev server) gets this long before the process exits regardless. */
const CLEANUP_GRACE_MS = 60_000;

function listing(): string {
  const width = Math.max(...BENCHMARKS.map((b) => b.name.length));
  return [
    'usage: npm run bench -- <benchmark> [options]   (npm run bench -- <benchmark> --help for its options)',
    '',
    'benchmarks:',
    ...BENCHMARKS.map((b) => `  ${b.name.padEnd(width)}  ${b.summary}`),
  ].join('\n');
}

function usageOf(b: Benchmark): string {
  return [`usage: npm run bench -- ${b.name} [options]`, '', b.summary, '', 'options:', ...b.usage.map((u) => `  ${u}`)].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(`${listing()}\n`);
    return 0;
  }
  const bench = BENCHMARKS.find((b) => b.name === name);
  if (bench === undefined) {
    process.stderr.write(`unknown benchmark "${name}"\n\n${listing()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${usageOf(bench)}\n`);
    return 0;
  }

  const controller = new AbortController();
  let signals = 0;
  // Our listener also tells the dev-stack process registry that we own shutdown: the run stops its load and its
  // `finally` stops the dev server by pid. A second signal exits at once; the registry's exit hook kills the server.
  let firstSignalAt = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    // Under `npm run`, one Ctrl-C arrives twice (from the terminal, and relayed by tsx): a repeat within a second
    // is that same Ctrl-C, not a request to skip the cleanup.
    if (signals > 0 && Date.now() - firstSignalAt < REPEATED_SIGNAL_MS) return;
    if (signals === 0) firstSignalAt = Date.now();
    signals += 1;
    if (signals > 1) {
      process.stderr.write(`${sig} again: exiting now\n`);
      process.exit(130);
    }
    process.stderr.write(`${sig}: stopping the load and cleaning up (again to force)…\n`);
    controller.abort(new Error(`interrupted by ${sig}`));
    setTimeout(() => process.exit(130), CLEANUP_GRACE_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const budgetMs = bench.budgetMs(rest);
  const watchdog = setTimeout(() => {
    process.stderr.write(`the run exceeded its ${Math.round(budgetMs / 1000)} s budget: aborting\n`);
    controller.abort(new Error(`time budget of ${Math.round(budgetMs / 1000)} s exceeded`));
    setTimeout(() => process.exit(1), CLEANUP_GRACE_MS).unref();
  }, budgetMs);
  watchdog.unref();

  const ctx: BenchContext = {
    signal: controller.signal,
    out: (line = '') => process.stdout.write(`${line}\n`),
    log: (line) => process.stderr.write(`[bench] ${line}\n`),
  };
  try {
    return await bench.run(rest, ctx);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${usageOf(bench)}\n`);
      return 2;
    }
    if (controller.signal.aborted) {
      process.stderr.write(`benchmark stopped: ${controller.signal.reason instanceof Error ? controller.signal.reason.message : 'aborted'}\n`);
      return signals > 0 ? 130 : 1;
    }
    process.stderr.write(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  } finally {
    clearTimeout(watchdog);
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Everything is closed by now; should a stray handle keep the loop alive, the run still ends by itself.
setTimeout(() => process.exit(code), 5_000).unref();
