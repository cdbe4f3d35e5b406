import { Connection } from '@temporalio/client';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { startKafkaBroker } from '../src/devstack/kafka-broker';
import { startTemporalDevServer } from '../src/devstack/temporal-dev-server';
import { stopProcess } from '../src/devstack/processes';
const log = (m: string) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${m}`);
const alive = (pid: number) => { try { process.kill(pid, 0); } catch { return false; } try { const s = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8'); return !/\) Z /.test(s); } catch { return true; } };
const [tp, kp] = [Number(process.argv[2]), Number(process.argv[3])];
let t = Date.now();
const [temporal, kafka] = await Promise.all([
  startTemporalDevServer({ port: tp, uiPort: tp + 1000, dbFile: '/tmp/oms-scratch/v.db', namespace: 'default', searchAttributes: { OrderStatus: 'Keyword', CustomerId: 'Keyword' }, logFile: '/tmp/oms-scratch/v-temporal.log', log }),
  startKafkaBroker({ port: kp, controllerPort: kp + 1, dataDir: '/tmp/oms-scratch/v-kafka', topics: ['order-fulfillment'], logFile: '/tmp/oms-scratch/v-kafka.log', log }),
]);
console.log('both ready (in parallel) after', Date.now() - t, 'ms');
const c = await Connection.connect({ address: temporal.address });
const { customAttributes } = await c.operatorService.listSearchAttributes({ namespace: 'default' });
console.log('OrderStatus' in customAttributes && 'CustomerId' in customAttributes ? 'SAs OK' : 'SAs MISSING', customAttributes);
await c.close();
const k = new Kafka({ clientId: 'verify', brokers: kafka.brokers, logLevel: logLevel.WARN });
const producer = k.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
await producer.connect();
await producer.send({ topic: 'order-fulfillment', acks: -1, messages: [{ key: 'o-42', value: '{"order_id":"o-42"}' }] });
await producer.disconnect();
const consumer = k.consumer({ groupId: `verify-${Date.now()}` });
await consumer.connect();
await consumer.subscribe({ topic: 'order-fulfillment', fromBeginning: true });
console.log('consumed', await new Promise<string>((res) => void consumer.run({ eachMessage: async ({ message }) => res(`${message.key} => ${message.value}`) })));
await consumer.disconnect();
if (process.argv[4] === 'signal') { console.log('PIDS', temporal.pid, kafka.pid); setInterval(() => {}, 1000); }
else {
  t = Date.now();
  await Promise.all([temporal.stop(), kafka.stop()]);
  console.log('stopped both in', Date.now() - t, 'ms; temporal pid', temporal.pid, alive(temporal.pid!) ? 'ALIVE' : 'gone', '; kafka pid', kafka.pid, alive(kafka.pid) ? 'ALIVE' : 'gone');
  await stopProcess(kafka.pid); // idempotent
}
