import { ensureKafkaLibs, ensureTimeSkippingServer, ensureTemporalCli } from '../src/devstack/tools';
const log = (m: string) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${m}`);
const which = process.argv[2];
const t0 = Date.now();
if (which === 'kafka') console.log(await ensureKafkaLibs(log));
if (which === 'ts') console.log(await ensureTimeSkippingServer(log));
if (which === 'cli') console.log(await ensureTemporalCli(log));
console.log(which, 'took', Date.now() - t0, 'ms');
