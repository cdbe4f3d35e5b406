// The embedded dashboard store shared by the processes of `npm start`: one PGlite in this process, served on
// 127.0.0.1 over the Postgres wire protocol, so the gateway and every worker use their ordinary pg Pool on it exactly
// as they use PostgreSQL in production. Why our own server and not @electric-sql/pglite-socket: docs/local-stack.md,
// "The dashboard store shared over the wire".
import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { openPgliteDatabase } from '../../src/store/sql-client';

export interface SharedStoreOptions {
  /** PGlite's data directory (`.data/dashboard` for `npm start`); locked while the store runs. */
  dataDir: string;
  log?: (message: string) => void;
  /** Default 0: a free port. */
  port?: number;
}

export interface SharedStore {
  /** postgres://…@127.0.0.1:<port>/postgres — what every process of the stack gets as DATABASE_URL. */
  databaseUrl: string;
  port: number;
  /** Closes every client connection, lets a running statement finish, closes PGlite and releases the data dir. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

// Startup-phase request codes (no type byte: int32 length, int32 code).
const PROTOCOL_V3 = 196_608;
const SSL_REQUEST = 80_877_103;
const GSSENC_REQUEST = 80_877_104;
const CANCEL_REQUEST = 80_877_102;

const SYNC_MESSAGE = Uint8Array.from([0x53, 0, 0, 0, 4]); // 'S', length 4

/**
 * One session is all PGlite has, so every client connection takes turns on it. A turn is a whole unit of the
 * protocol — everything up to a Sync (extended query) or one simple Query — never a single message: pg sends
 * Parse/Bind/Execute of the UNNAMED statement and portal, and a Parse from another connection between them would
 * replace what the first one binds. A connection that ends its turn inside a transaction block keeps the engine
 * until the block ends, so transactions of different connections never mix either.
 */
class EngineTurns {
  private holder: Connection | undefined;
  private readonly waiting: Array<{ conn: Connection; answer: (granted: boolean) => void }> = [];

  /** Resolves true once `conn` holds the engine, false if it was forgotten (closed) while waiting. */
  acquire(conn: Connection): Promise<boolean> {
    if (this.holder === conn) return Promise.resolve(true);
    if (this.holder === undefined) {
      this.holder = conn;
      return Promise.resolve(true);
    }
    return new Promise((answer) => this.waiting.push({ conn, answer }));
  }

  release(conn: Connection): void {
    if (this.holder !== conn) return;
    const next = this.waiting.shift();
    this.holder = next?.conn;
    next?.answer(true);
  }

  /** A closed connection gives up its place in the queue (the engine it holds is released after its cleanup). */
  forget(conn: Connection): void {
    const i = this.waiting.findIndex((w) => w.conn === conn);
    if (i >= 0) this.waiting.splice(i, 1)[0]?.answer(false);
  }

  holds(conn: Connection): boolean {
    return this.holder === conn;
  }
}

class Connection {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;
  private pending: Uint8Array[] = [];
  /** Units of this connection run one after another, in arrival order. */
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly db: PGlite,
    private readonly turns: EngineTurns,
    private readonly onEngineError: (err: unknown) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => undefined); // a client that vanishes (SIGKILL) resets the socket: 'close' follows
    socket.on('close', () => this.onClose());
  }

  /** Resolves when every unit this connection queued has run (or been dropped). */
  drained(): Promise<void> {
    return this.chain;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (!this.started) {
        if (this.buffer.length < 8) return;
        const length = this.buffer.readInt32BE(0);
        if (this.buffer.length < length) return;
        const code = this.buffer.readInt32BE(4);
        const message = this.take(length);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          this.socket.write('N'); // plain TCP on loopback; the client goes on unencrypted
        } else if (code === CANCEL_REQUEST) {
          this.socket.end(); // a statement runs to its end: PGlite has no backend to interrupt
          return;
        } else if (code === PROTOCOL_V3) {
          this.started = true;
          this.queue([message]);
        } else {
          this.socket.destroy();
          return;
        }
        continue;
      }
      if (this.buffer.length < 5) return;
      const length = 1 + this.buffer.readInt32BE(1);
      if (this.buffer.length < length) return;
      const type = this.buffer[0];
      const message = this.take(length);
      if (type === 0x58 /* X: Terminate */) {
        // Never handed to PGlite: its one session is shared and must outlive this client.
        this.socket.end();
        return;
      }
      this.pending.push(message);
      // S: Sync, Q: simple Query, H: Flush — each asks for the answers so far, so each closes a unit.
      if (type === 0x53 || type === 0x51 || type === 0x48) {
        this.queue(this.pending);
        this.pending = [];
      }
    }
  }

  private take(length: number): Uint8Array {
    const message = new Uint8Array(this.buffer.subarray(0, length));
    this.buffer = this.buffer.subarray(length);
    return message;
  }

  private queue(messages: Uint8Array[]): void {
    this.chain = this.chain.then(() => this.run(messages)).catch((err: unknown) => {
      this.onEngineError(err);
      this.socket.destroy();
    });
  }

  private async run(messages: Uint8Array[]): Promise<void> {
    if (this.closed || !(await this.turns.acquire(this))) return;
    if (this.closed) {
      await this.leave();
      return;
    }
    for (const message of messages) {
      await this.db.runExclusive(() =>
        this.db.execProtocolRawStream(message, {
          onRawData: (data) => {
            if (!this.closed && data.length > 0) this.socket.write(data);
          },
        }),
      );
    }
    const last = messages[messages.length - 1]?.[0];
    // After a Flush the extended query is still open; inside BEGIN … COMMIT the transaction is.
    if (last !== 0x48 && !this.db.isInTransaction()) this.turns.release(this);
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    this.turns.forget(this);
    this.chain = this.chain.then(() => this.leave()).catch((err: unknown) => this.onEngineError(err));
  }

  /** A client gone mid-turn (killed inside a transaction or between Flush and Sync) must not leave it open. */
  private async leave(): Promise<void> {
    if (!this.turns.holds(this)) return;
    try {
      await this.db.runExclusive(() => this.db.execProtocolRaw(SYNC_MESSAGE));
      if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    } finally {
      this.turns.release(this);
    }
  }
}

export async function startSharedStore(options: SharedStoreOptions): Promise<SharedStore> {
  const log = options.log ?? (() => undefined);
  const engine = await openPgliteDatabase(options.dataDir);
  const turns = new EngineTurns();
  const connections = new Set<Connection>();
  const server: Server = createServer((socket) => {
    const conn = new Connection(socket, engine.db, turns, (err) => log(`dashboard store: a client's statement failed in PGlite: ${(err as Error).message}`));
    connections.add(conn);
    socket.once('close', () => {
      // Removed only after its cleanup ran, so stop() waits for it.
      void conn.drained().finally(() => connections.delete(conn));
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await engine.close();
    throw err;
  }
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  let stopping: Promise<void> | undefined;
  return {
    // User and database are what PGlite has; it asks for no password.
    databaseUrl: `postgres://postgres@${HOST}:${port}/postgres`,
    port,
    stop() {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        const open = [...connections];
        for (const conn of open) conn.destroy();
        await Promise.allSettled(open.map((c) => c.drained()));
        await closed;
        await engine.close();
      })();
      return stopping;
    },
  };
}
