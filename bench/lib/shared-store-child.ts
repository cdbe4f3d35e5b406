// The shared embedded store (dev/stack/shared-store.ts) in a process of its own for `npm run bench -- commerce-limit`:
// PGlite runs its queries on the event loop that hosts it, so in the bench's process it would stall the backlog's
// worker; here its CPU is measured apart too, as with `npm start`'s store. Prints nothing; talks over IPC.
import { startSharedStore } from '../../dev/stack/shared-store';

export type FromStore = { type: 'ready'; databaseUrl: string } | { type: 'error'; message: string };

const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error('usage: shared-store-child.ts <dataDir>');
try {
  const store = await startSharedStore({ dataDir });
  const stop = (): void => void store.stop().finally(() => process.exit(0));
  process.on('message', stop);
  process.on('disconnect', stop);
  process.send?.({ type: 'ready', databaseUrl: store.databaseUrl } satisfies FromStore);
} catch (err) {
  process.send?.({ type: 'error', message: err instanceof Error ? err.message : String(err) } satisfies FromStore);
  process.exit(1);
}
