// `npm run histories -- record [--release <name>]` records the workflow histories of a release for the replay gate;
// `npm run histories -- verify` checks the committed ones against MANIFEST.sha256 (what the gate also checks).
import { checkManifest, describeProblems, historyFiles, MANIFEST_NAME } from './manifest';
import { DEFAULT_RELEASE, recordHistories, RecordError } from './record';

const USAGE = 'usage: npm run histories -- record [--release <name>]   (default release: ' + DEFAULT_RELEASE + ')\n       npm run histories -- verify';
const say = (line: string) => process.stdout.write(`[histories] ${line}\n`);

function parse(argv: string[]): { command: 'record'; release: string } | { command: 'verify' } {
  const [command, ...rest] = argv;
  if (command === 'verify' && rest.length === 0) return { command };
  if (command !== 'record') throw new RecordError(USAGE);
  let release = DEFAULT_RELEASE;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--release' && rest[i + 1] !== undefined) release = rest[++i] as string;
    else if (arg?.startsWith('--release=')) release = arg.slice('--release='.length);
    else throw new RecordError(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
  }
  return { command, release };
}

async function main(): Promise<number> {
  let args;
  try {
    args = parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  if (args.command === 'verify') {
    const problems = describeProblems(checkManifest());
    if (problems) {
      process.stderr.write(`${problems}\n`);
      return 1;
    }
    say(`${historyFiles().length} committed histories match ${MANIFEST_NAME}`);
    return 0;
  }
  // Ctrl-C: the recording stops what it started and writes nothing; a second one leaves at once.
  const abort = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (abort.signal.aborted) process.exit(130);
      say(`${signal}: stopping what this run started…`);
      abort.abort();
    });
  }
  try {
    await recordHistories(args.release, say, abort.signal);
    return 0;
  } catch (err) {
    process.stderr.write(`[histories] ${err instanceof RecordError ? err.message : ((err as Error).stack ?? String(err))}\n`);
    return abort.signal.aborted ? 130 : 1;
  }
}

process.exit(await main());
