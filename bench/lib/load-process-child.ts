// Entry of the load-generator process (see load-process.ts): runs autocannon loads on request and reports results.
import { runHttpLoad } from './drivers';
import type { FromLoadProcess, ToLoadProcess } from './load-process';
import { requestFactory } from './workloads';

function send(msg: FromLoadProcess): void {
  process.send?.(msg);
}

let stop: AbortController | undefined;

process.on('message', (raw) => {
  const msg = raw as ToLoadProcess;
  if (msg.type === 'exit') process.exit(0);
  if (msg.type === 'stop') {
    stop?.abort();
    return;
  }
  stop = new AbortController();
  const cpu0 = process.cpuUsage();
  runHttpLoad({ ...msg.options, signal: stop.signal, nextRequest: requestFactory(msg.options.workload) }).then(
    (result) => {
      const cpu = process.cpuUsage(cpu0);
      send({ type: 'result', result, cpuMs: (cpu.user + cpu.system) / 1000 });
    },
    (err: unknown) => send({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
  );
});

// The parent owns shutdown: a Ctrl-C reaching the whole process group must not kill the load mid-phase under it.
process.on('SIGINT', () => undefined);
// Without the parent there is nothing to do (it crashed or was killed): leave with it.
process.on('disconnect', () => process.exit(0));

send({ type: 'ready' });
