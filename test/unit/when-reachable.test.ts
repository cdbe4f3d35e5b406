// Starting while the store is down: the process waits for it (an outage ends), but not for what waiting cannot fix.
import { describe, expect, it } from 'vitest';
import { DataDirLockedError } from '../../src/store/sql-client';
import { whenReachable } from '../../src/store/when-reachable';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

/** A clock that a retry's pause moves, so a five-minute deadline is checked without waiting. */
function fakeTime() {
  let clock = 0;
  const waits: number[] = [];
  return { waits, now: () => clock, pause: async (ms: number) => void (waits.push(ms), (clock += ms)) };
}

describe('whenReachable', () => {
  it('waits out an outage with growing pauses and returns what the open returned once the store answers', async () => {
    const time = fakeTime();
    let tries = 0;
    const retries: number[] = [];
    const store = await whenReachable('the dashboard store', async () => (++tries < 6 ? Promise.reject(refused()) : 'store'), { ...time, onRetry: (r) => retries.push(r.attempt) });
    expect(store).toBe('store');
    expect(time.waits).toEqual([500, 1_000, 2_000, 5_000, 5_000]);
    expect(retries).toEqual([1, 2, 3, 4, 5]);
  });

  it('gives up with the last error once the deadline would pass', async () => {
    const time = fakeTime();
    const err = refused();
    await expect(whenReachable('the store', () => Promise.reject(err), { ...time, deadlineMs: 20_000 })).rejects.toBe(err);
    expect(time.now()).toBeLessThanOrEqual(20_000);
    expect(time.waits.length).toBeGreaterThan(3);
  });

  it('does not wait for a failure waiting cannot fix: a refused statement, or a data dir another process holds', async () => {
    const time = fakeTime();
    const schema = Object.assign(new Error('permission denied for schema public'), { code: '42501' });
    await expect(whenReachable('the store', () => Promise.reject(schema), time)).rejects.toBe(schema);
    const locked = new DataDirLockedError('/data/dashboard', 4242);
    await expect(whenReachable('the store', () => Promise.reject(locked), time)).rejects.toBe(locked);
    expect(time.waits).toEqual([]);
  });
});
