// Reads the .cpuprofile files that `node --cpu-prof` writes at exit (one per thread) and ranks functions by self time
// within a time window, so a profile of a whole process life can be cut down to the measured phase. V8 stamps samples
// with its monotonic clock in µs, the clock of process.hrtime() (CLOCK_MONOTONIC on Linux), so `monotonicUs()` taken
// in the benchmark process marks the window in the children's profiles.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Profiler, Runtime } from 'node:inspector';
import { categoryOf } from './profile';

export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export interface FunctionSelfTime {
  /** "name (file:line)" — relative to the repository where possible. */
  name: string;
  category: string;
  selfMs: number;
}

export interface ProfileSummary {
  files: number;
  /** Sampled time inside the window, idle excluded, over all threads. */
  busyMs: number;
  top: FunctionSelfTime[];
  byCategory: [string, number][];
}

const MAX_NAME = 90;

function label(frame: Runtime.CallFrame, repo: string): string {
  const raw = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  const fn = raw.length > MAX_NAME ? `${raw.slice(0, MAX_NAME)}…` : raw;
  if (frame.url === '') return fn;
  const root = repo.endsWith('/') ? repo : `${repo}/`;
  let where = frame.url.replace(/^file:\/\//, '');
  if (where.startsWith(root)) where = where.slice(root.length);
  where = where.replace(/^.*node_modules\//, '');
  return `${fn} (${where}:${frame.lineNumber + 1})`;
}

/** categoryOf, plus the worker's workflow bundle (webpack: workflows/, contracts, zod, @temporalio/workflow). */
function categoryOfFrame(frame: Runtime.CallFrame): string {
  if (/\/workflow-bundle-[0-9a-f]+\.js$/.test(frame.url)) return 'workflow bundle';
  if (frame.url.startsWith('evalmachine.')) return 'workflow sandbox (vm)';
  if (frame.url.includes('/activities/')) return 'oms (activities)';
  return categoryOf(frame);
}

/** Self time per function of every profile in `dir`, counting only samples stamped in [fromUs, toUs]. */
export async function summarizeProfiles(dir: string, window: { fromUs: number; toUs: number }, repo: string, topN = 15): Promise<ProfileSummary> {
  const files = (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.cpuprofile'));
  const byFunction = new Map<string, FunctionSelfTime>();
  const byCategory = new Map<string, number>();
  let busyMs = 0;
  for (const file of files) {
    const profile = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as Profiler.Profile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    let t = profile.startTime;
    for (let i = 0; i < samples.length; i++) {
      t += deltas[i] ?? 0;
      if (t < window.fromUs || t > window.toUs) continue;
      const node = nodes.get(samples[i] ?? -1);
      if (node === undefined) continue;
      const category = categoryOfFrame(node.callFrame);
      if (category === '(idle)') continue;
      // The span this sample stands for: until the next one.
      const ms = (deltas[i + 1] ?? 0) / 1000;
      busyMs += ms;
      byCategory.set(category, (byCategory.get(category) ?? 0) + ms);
      const name = label(node.callFrame, repo);
      const entry = byFunction.get(name) ?? { name, category, selfMs: 0 };
      entry.selfMs += ms;
      byFunction.set(name, entry);
    }
  }
  const top = [...byFunction.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, topN);
  return { files: files.length, busyMs, top, byCategory: [...byCategory.entries()].sort((a, b) => b[1] - a[1]) };
}
