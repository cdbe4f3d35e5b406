// The instant API fakes of `npm run bench -- commerce-limit` in a process of their own: the arrival times they record
// are then taken on an event loop that does nothing else (in the bench's process, the embedded store's queries would
// hold it and make calls look bunched). Talks to the parent over IPC (commerce-limit-support.ts).
import { commercePayload } from './workloads';
import { startInstantApis } from './commerce-limit-support';

export type ToFakes = { type: 'watch'; distinct: number } | { type: 'collect' } | { type: 'exit' };
export type FromFakes =
  | { type: 'ready'; urls: { commerce: string; pim: string; payment: string } }
  | { type: 'first' }
  | { type: 'reached'; distinct: number }
  | { type: 'arrivals'; arrivals: number[]; distinct: number };

const send = (msg: FromFakes): void => {
  process.send?.(msg);
};

// Every bench order is commercePayload(id): the record the Commerce App holds is the same order, so validation passes.
const apis = await startInstantApis((orderId) => {
  const p = commercePayload(orderId);
  return { order_id: orderId, customer_id: p.customer_id, items: p.order.items, placed_at: new Date().toISOString() };
});
apis.onFirstCall(() => send({ type: 'first' }));
process.on('message', (raw) => {
  const msg = raw as ToFakes;
  if (msg.type === 'watch') void apis.whenDistinct(msg.distinct).then(() => send({ type: 'reached', distinct: msg.distinct }));
  else if (msg.type === 'collect') send({ type: 'arrivals', arrivals: [...apis.arrivals()], distinct: apis.distinctOrders() });
  else void apis.stop().finally(() => process.exit(0));
});
process.on('disconnect', () => void apis.stop().finally(() => process.exit(0)));
send({ type: 'ready', urls: apis.urls });
