// `npm run tools`: installs (or finds) every external tool of the local stack up front and prints where each is,
// so the minutes-long first build happens when the developer asks for it rather than inside `npm start`/`npm test`.
import { ensureKafkaLibs } from './kafka-jars';
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
  // In parallel: the Maven downloads are network-bound and overlap with the CPU-bound Go build.
  const rows = await Promise.all([
    timed(`Temporal CLI ${TOOL_VERSIONS.temporalCli}`, async () => (await ensureTemporalCli(log)) ?? 'not installed: the Temporal SDK will download it (needs internet)'),
    timed(`Kafka ${TOOL_VERSIONS.kafka} jars`, () => ensureKafkaLibs(log)),
    timed(`Time-skipping test server ${TOOL_VERSIONS.temporalTestServer}`, async () => {
      const exe = await ensureTimeSkippingServer(log);
      return exe.type === 'existing-path' ? exe.path : 'not installed: the Temporal SDK will download it (needs internet)';
    }),
  ]);
  const width = Math.max(...rows.map((r) => r.tool.length));
  console.log('');
  for (const row of rows) {
    console.log(`${row.failed ? 'FAILED' : 'ok    '}  ${row.tool.padEnd(width)}  ${formatSeconds(row.ms).padStart(8)}  ${row.result}`);
  }
  return rows.some((r) => r.failed) ? 1 : 0;
}

process.exitCode = await main();
