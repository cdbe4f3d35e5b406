import { spawnManaged, startManaged } from '../src/devstack/processes';
const mode = process.argv[2];
if (mode === 'died') {
  try { await startManaged({ name: 'dier', command: 'sh', args: ['-c', 'echo boom; echo more >&2; exit 3'], logFile: '/tmp/oms-scratch/dier.log', ready: { probe: async () => false, timeoutMs: 5000 } }); }
  catch (e) { console.log('ERROR:', (e as Error).message); }
} else if (mode === 'timeout') {
  const t0 = Date.now();
  try { await startManaged({ name: 'sleeper', command: 'sh', args: ['-c', 'echo hello; exec sleep 100'], logFile: '/tmp/oms-scratch/sleeper.log', ready: { probe: async () => { throw new Error('connection refused'); }, timeoutMs: 1000 } }); }
  catch (e) { console.log('ERROR:', (e as Error).message, 'after', Date.now() - t0, 'ms'); }
} else if (mode === 'missing') {
  try { spawnManaged({ name: 'nope', command: '/nonexistent/bin', args: [], logFile: '/tmp/oms-scratch/nope.log' }); } catch (e) { console.log('ERROR:', (e as Error).message); }
} else {
  // 'exit' | 'sigint' | 'sigterm' | 'term-ignorer'
  const cmd = mode === 'term-ignorer' ? ['-c', "trap '' TERM; while true; do sleep 0.1; done"] : ['-c', 'exec sleep 1000'];
  const p = spawnManaged({ name: 'child', command: 'sh', args: cmd, logFile: '/tmp/oms-scratch/child.log', graceMs: 1500 });
  console.log('CHILD', p.pid);
  setTimeout(() => {
    if (mode === 'exit') process.exit(0);
    if (mode === 'sigint') process.kill(process.pid, 'SIGINT');
    if (mode === 'term-ignorer') { const t = Date.now(); void p.stop().then(() => console.log('stopped ignorer in', Date.now() - t, 'ms', p.exitInfo())); }
  }, 300);
  setInterval(() => {}, 1000);
}
