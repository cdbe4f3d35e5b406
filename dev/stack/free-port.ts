// A free TCP port on 127.0.0.1 for a server that tests or benchmarks start, so they never collide with `npm start`.
import { createServer } from 'node:net';

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned on 127.0.0.1'))));
    });
  });
}
