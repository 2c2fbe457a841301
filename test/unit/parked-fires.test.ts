// A fire waiting for its slot (issue 11): stored with the worker that takes it, or queued once the wait is over, or at
// once when it must be stopped or the term ends; each exactly once.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ParkedFires } from '../../src-main/master/dispatch/parked-fires';

describe('ParkedFires', () => {
  let parked: ParkedFires<string>;
  let stores: Array<[string, string | null]>;
  const hold = (id: string) => parked.hold(id, async (worker) => {
    stores.push([id, worker]);
    return `${id}:${worker ?? 'queued'}`;
  });

  beforeEach(() => {
    vi.useFakeTimers();
    parked = new ParkedFires<string>(1_000);
    stores = [];
  });
  afterEach(() => vi.useRealTimers());

  it('stores the fire with the worker given to it, once, and forgets it', async () => {
    const stored = hold('r1');
    expect(parked.has('r1')).toBe(true);
    parked.give('r1', 'w1');
    expect(parked.has('r1')).toBe(false);
    await expect(stored).resolves.toBe('r1:w1');
    parked.give('r1', 'w2');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(stores).toEqual([['r1', 'w1']]);
  });

  it('stores it queued when nobody takes it within the wait, and not a moment before', async () => {
    const stored = hold('r1');
    await vi.advanceTimersByTimeAsync(999);
    expect(stores).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await expect(stored).resolves.toBe('r1:queued');
    parked.give('r1', 'late');
    expect(stores).toEqual([['r1', null]]);
  });

  it('storeNow stores it queued at once and resolves after the write, even a failed one', async () => {
    const failing = parked.hold('bad', async () => { throw new Error('database down'); });
    failing.catch(() => undefined);
    const good = hold('good');
    await parked.storeNow('bad');
    await parked.storeNow('good');
    await expect(good).resolves.toBe('good:queued');
    await expect(failing).rejects.toThrow('database down');
    await parked.storeNow('unknown');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(stores).toEqual([['good', null]]);
  });

  it('storeAll stores every waiting fire queued, each once', async () => {
    const all = ['a', 'b', 'c'].map(hold);
    parked.give('b', 'w1');
    parked.storeAll();
    await Promise.all(all);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(stores).toEqual([['b', 'w1'], ['a', null], ['c', null]]);
    expect(['a', 'b', 'c'].some((id) => parked.has(id))).toBe(false);
  });
});
