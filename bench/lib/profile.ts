// Optional V8 CPU profiling of benchmark phases (in-process, through the inspector) and a summary of self time by
// package, so "what dominates" is answered with numbers; the raw .cpuprofile files open in Chrome DevTools.
import { Session } from 'node:inspector/promises';
import type { Profiler, Runtime } from 'node:inspector';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

/** 0.5 ms: fine enough for ~10⁴ samples per 10 s phase, coarse enough to keep the profiler's own cost small. */
const SAMPLING_INTERVAL_US = 500;

export interface PhaseProfiler {
  start(): Promise<void>;
  /** Stops, writes `<name>.cpuprofile` into the directory, returns self time per category in ms. */
  stop(name: string): Promise<Map<string, number>>;
  close(): Promise<void>;
}

export async function openProfiler(dir: string): Promise<PhaseProfiler> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
  return {
    start: async () => {
      await session.post('Profiler.start');
    },
    stop: async (name) => {
      const { profile } = await session.post('Profiler.stop');
      await writeFile(path.join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
      return selfTimeByCategory(profile);
    },
    close: async () => {
      await session.post('Profiler.disable');
      session.disconnect();
    },
  };
}

/** Which part of the stack a frame belongs to: an npm package, a Node subsystem, our code, or a V8 pseudo-frame. */
export function categoryOf(frame: Runtime.CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') {
    // V8 pseudo-frames; everything else without a URL is a native builtin called from JS.
    if (functionName === '(garbage collector)' || functionName === '(idle)' || functionName === '(program)') return functionName;
    return '(native builtins)';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg?.[1] !== undefined) return pkg[1];
  if (url.startsWith('node:')) {
    const parts = url.slice('node:'.length).split('/');
    const area = parts[0] === 'internal' ? (parts[1] ?? 'internal') : (parts[0] ?? url);
    return `node:${area.replace(/\.js$/, '')}`;
  }
  if (url.includes('/bench/')) return 'bench (load driver)';
  if (url.includes('/src/') || url.includes('/contracts/')) return 'oms (src, contracts)';
  return url;
}

function selfTimeByCategory(profile: Profiler.Profile): Map<string, number> {
  const categoryOfNode = new Map<number, string>();
  for (const node of profile.nodes) categoryOfNode.set(node.id, categoryOf(node.callFrame));
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const totals = new Map<string, number>();
  // timeDeltas[i + 1] is the time until the next sample: the span sample i stands for.
  for (let i = 0; i < samples.length; i++) {
    const category = categoryOfNode.get(samples[i] ?? -1) ?? '(unknown)';
    const us = deltas[i + 1] ?? SAMPLING_INTERVAL_US;
    totals.set(category, (totals.get(category) ?? 0) + us / 1000);
  }
  return totals;
}

export function addInto(target: Map<string, number>, source: ReadonlyMap<string, number>): void {
  for (const [k, v] of source) target.set(k, (target.get(k) ?? 0) + v);
}
