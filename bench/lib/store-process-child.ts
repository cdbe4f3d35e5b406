// Entry of the shared-store process of the e2e benchmark: dev/stack/shared-store.ts (PGlite served over the Postgres
// wire protocol, what `npm start` gives its processes) in a process of its own, so its CPU and memory are measured
// apart from the benchmark's. Sends {type:'ready', databaseUrl} over IPC; stops on 'exit', SIGTERM or a lost parent.
import { startSharedStore } from '../../dev/stack/shared-store';

const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error('usage: store-process-child.ts <dataDir>');

const store = await startSharedStore({ dataDir, log: (m) => process.stderr.write(`${m}\n`) });
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void store.stop().finally(() => process.exit(0));
};
process.on('message', (msg) => {
  if ((msg as { type?: string }).type === 'exit') stop();
});
process.on('SIGTERM', stop);
// The parent owns shutdown: a Ctrl-C reaching the whole process group must not take the store away mid-cleanup.
process.on('SIGINT', () => undefined);
process.on('disconnect', stop);
process.send?.({ type: 'ready', databaseUrl: store.databaseUrl });
