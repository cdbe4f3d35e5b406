// `npm run tools`: installs (or finds) every external tool of the local stack up front and prints where each is,
// so the minutes-long first build happens when the developer asks for it rather than inside `npm start`/`npm test`.
import { ensureKafkaLibs } from './kafka-jars';
import { ensurePrometheus, ensurePromtool, PROMETHEUS_VERSION } from './promtool';
import { formatSeconds, toolsCacheDir, TOOL_VERSIONS } from './shared';
import { ensureTemporalCli } from './temporal-cli';
import { ensureTimeSkippingServer } from './time-skipping-server';

interface Row {
  tool: string;
  result: string;
  ms: number;
  failed: boolean;
}

async function timed(tool: string, run: () => Promise<string>): Promise<Row> {
  const started = Date.now();
  try {
    return { tool, result: await run(), ms: Date.now() - started, failed: false };
  } catch (err) {
    return { tool, result: err instanceof Error ? err.message : String(err), ms: Date.now() - started, failed: true };
  }
}

async function main(): Promise<number> {
  const log = (msg: string): void => console.log(`[tools] ${msg}`);
  log(`cache: ${toolsCacheDir()}`);
  // The Go builds one after another (each is CPU-bound and would only slow the others on 2 cores; promtool and
  // prometheus share one module, so the second reuses the first's compiled packages), the network-bound Maven
  // downloads beside them.
  const goBuilds = async (): Promise<Row[]> => [
    await timed(`Temporal CLI ${TOOL_VERSIONS.temporalCli}`, async () => (await ensureTemporalCli(log)) ?? 'not installed: the Temporal SDK will download it (needs internet)'),
    await timed(`promtool ${PROMETHEUS_VERSION}`, () => ensurePromtool(log)),
    await timed(`Prometheus ${PROMETHEUS_VERSION}`, () => ensurePrometheus(log)),
  ];
  const groups = await Promise.all([
    goBuilds(),
    timed(`Kafka ${TOOL_VERSIONS.kafka} jars`, () => ensureKafkaLibs(log)),
    timed(`Time-skipping test server ${TOOL_VERSIONS.temporalTestServer}`, async () => {
      const exe = await ensureTimeSkippingServer(log);
      return exe.type === 'existing-path' ? exe.path : 'not installed: the Temporal SDK will download it (needs internet)';
    }),
  ]);
  const rows = groups.flat();
  const width = Math.max(...rows.map((r) => r.tool.length));
  console.log('');
  for (const row of rows) {
    console.log(`${row.failed ? 'FAILED' : 'ok    '}  ${row.tool.padEnd(width)}  ${formatSeconds(row.ms).padStart(8)}  ${row.result}`);
  }
  return rows.some((r) => r.failed) ? 1 : 0;
}

process.exitCode = await main();
