// `npm run pii -- <command>`: the operators' PII commands (docs/pii.md). The customer's right to be forgotten is
// `forget`; key rotation is `new-key`, then `rewrap`, and `status` says when an old master key is no longer needed.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { Id } from '../../contracts';
import { ConfigError, loadConfig, type Config } from '../config';
import { openDashboardStore, type DashboardStore } from '../store/dashboard-store';
import { createCustomerEmails } from './customer-emails';
import { newKeyEntry } from './keyring';

const USAGE = `usage: npm run pii -- <command>
  forget <customer_id>   destroy the customer's data key: every copy of their e-mail (Temporal histories, the
                         dashboard store) becomes unreadable for good; their orders go on processing
  new-key <key_id>       print a new master key entry to put FIRST in PII_ENCRYPTION_KEYS
  rewrap                 rewrap every customer data key with the first key of PII_ENCRYPTION_KEYS
  status                 how many data keys each master key wraps (a key still listed here cannot be retired)`;

class UsageError extends Error {}

/**
 * Where the store is: DATABASE_URL, else the one `npm start` serves for this data dir while it runs (its embedded
 * PGlite cannot be opened twice), else the embedded PGlite itself.
 */
function storeTarget(config: Config, env: NodeJS.ProcessEnv): { databaseUrl?: string; dataDir: string } {
  if (config.store.databaseUrl) return { databaseUrl: config.store.databaseUrl, dataDir: config.store.dataDir };
  const processesFile = path.resolve(env.OMS_DATA_DIR || '.data', 'processes.json');
  if (existsSync(processesFile)) {
    const parsed = z
      .object({ supervisor: z.number(), store: z.object({ kind: z.literal('pglite'), databaseUrl: z.string() }) })
      .safeParse(JSON.parse(readFileSync(processesFile, 'utf8')));
    if (parsed.success && isAlive(parsed.data.supervisor)) return { databaseUrl: parsed.data.store.databaseUrl, dataDir: config.store.dataDir };
  }
  return { dataDir: config.store.dataDir };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function withStore<T>(config: Config, run: (store: DashboardStore) => Promise<T>): Promise<T> {
  const store = await openDashboardStore(storeTarget(config, process.env));
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}

export async function runPiiCommand(args: readonly string[], config: Config, out: (line: string) => void): Promise<void> {
  const [command, arg, ...rest] = args;
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  switch (command) {
    case 'forget': {
      const customerId = Id.safeParse(arg);
      if (!customerId.success) throw new UsageError('forget needs a customer_id (contract §4 id rule)');
      const destroyed = await withStore(config, (store) => createCustomerEmails(config.pii.keyring, store.customerKeys).forget(customerId.data));
      out(
        destroyed > 0
          ? `customer ${customerId.data}: destroyed ${destroyed} data key(s); every e-mail sealed under them is unreadable from now on`
          : `customer ${customerId.data}: no data key (no e-mail kept, or already forgotten); the erasure is recorded`,
      );
      return;
    }
    case 'new-key': {
      if (arg === undefined) throw new UsageError('new-key needs a key id, e.g. 2027-01');
      out(newKeyEntry(arg));
      out(`put it first: PII_ENCRYPTION_KEYS=<the line above>,${config.pii.keyring.keys.map((k) => `${k.id}:…`).join(',')}`);
      return;
    }
    case 'rewrap': {
      if (arg !== undefined) throw new UsageError('rewrap takes no argument');
      const rewrapped = await withStore(config, (store) => createCustomerEmails(config.pii.keyring, store.customerKeys).rewrapAll());
      out(`rewrapped ${rewrapped} data key(s) with master key ${config.pii.keyring.current.id}`);
      return;
    }
    case 'status': {
      if (arg !== undefined) throw new UsageError('status takes no argument');
      const counts = await withStore(config, (store) => store.customerKeys.countByMasterKey());
      for (const key of config.pii.keyring.keys) out(`${key.id}${key === config.pii.keyring.current ? ' (encrypts)' : ''}: wraps ${counts[key.id] ?? 0} data key(s)`);
      for (const [id, n] of Object.entries(counts)) if (!config.pii.keyring.find(id)) out(`${id}: wraps ${n} data key(s), but PII_ENCRYPTION_KEYS does not list it: those e-mails cannot be read`);
      return;
    }
    default:
      throw new UsageError(command === undefined ? 'no command given' : `unknown command "${command}"`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  try {
    await runPiiCommand(process.argv.slice(2), loadConfig(process.env, 'tool'), (line) => console.log(line));
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n${USAGE}`);
      process.exitCode = 2;
    } else if (err instanceof ConfigError) {
      console.error(err.message);
      process.exitCode = 2;
    } else {
      console.error(err instanceof Error ? err.message : String(err));
      process.exitCode = 1;
    }
  }
}
