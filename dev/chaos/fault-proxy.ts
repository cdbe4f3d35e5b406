// A loopback TCP proxy put in front of a server (the dashboard store) so a chaos run can make it unreachable: while
// "down", every open connection is reset and every new one is refused at once, exactly as a network cut looks to pg.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface FaultProxy {
  /** 127.0.0.1:<port> where clients connect instead of the target. */
  readonly port: number;
  /** Resets every proxied connection and refuses new ones until up(). */
  down(): void;
  up(): void;
  isDown(): boolean;
  /** Connections refused or reset so far (what the report shows for the outage). */
  counts(): { accepted: number; refused: number; reset: number };
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  let downNow = false;
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  const counts = { accepted: 0, refused: 0, reset: 0 };

  const server: Server = createServer((client) => {
    if (downNow) {
      counts.refused += 1;
      client.resetAndDestroy();
      return;
    }
    counts.accepted += 1;
    const upstream = connect({ host: target.host, port: target.port });
    const pair = { client, upstream };
    pairs.add(pair);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.once('error', end);
    upstream.once('error', end);
    client.once('close', end);
    upstream.once('close', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fault proxy: no port assigned');

  return {
    port: address.port,
    down() {
      downNow = true;
      for (const { client, upstream } of pairs) {
        counts.reset += 1;
        client.resetAndDestroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    up() {
      downNow = false;
    },
    isDown: () => downNow,
    counts: () => ({ ...counts }),
    async stop() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
