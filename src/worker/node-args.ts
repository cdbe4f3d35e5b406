// How a worker process runs Node: `npm run worker`, `npm start`'s workers and the benchmarks all use these flags.
//
// The heap cap makes V8 collect before it grows: a worker that has just handled a burst keeps the heap it grew for
// it (RSS 770 MiB holding 10,000 waiting orders without the cap), though what it holds live is far smaller — the
// cache of WORKER_MAX_CACHED_WORKFLOWS orders and the SDK (docs/performance.md, "10,000 open orders").
export const WORKER_HEAP_MIB = 384;
export const WORKER_NODE_ARGS = [`--max-old-space-size=${WORKER_HEAP_MIB}`] as const;
