// The running mark waits START_HOLD_MS (issue 11): written once held that long, never for a run that ended first,
// and every held mark written when the master stops.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HeldStarts } from '../../src-main/master/db/held-starts';

describe('HeldStarts', () => {
  let now = 0;
  let written: Array<[string, number]>;
  let held: HeldStarts;
  beforeEach(() => {
    vi.useFakeTimers();
    now = 1_000;
    written = [];
    held = new HeldStarts((id, at) => written.push([id, at]), 1_000, () => now);
  });
  afterEach(() => vi.useRealTimers());

  const advance = (ms: number) => { now += ms; vi.advanceTimersByTime(ms); };

  it('writes a mark once it has been held for the full time, oldest first, and not before', () => {
    held.add('a', 900);
    advance(400);
    held.add('b', 1_350);
    advance(500);
    expect(written).toEqual([]);
    advance(100);
    expect(written).toEqual([['a', 900]]);
    advance(500);
    expect(written).toEqual([['a', 900], ['b', 1_350]]);
    expect(held.size).toBe(0);
  });

  it('never writes the mark of a run that ended first, and hands its start to the end', () => {
    held.add('a', 950);
    advance(300);
    expect(held.ended('a')).toBe(950);
    advance(5_000);
    expect(written).toEqual([]);
    expect(held.ended('a')).toBeUndefined();
    expect(held.ended('never-held')).toBeUndefined();
  });

  it('a mark added again (a second answer) counts from the new one and is written once', () => {
    held.add('a', 900);
    advance(800);
    held.add('a', 1_700);
    advance(500);
    expect(written).toEqual([]);
    advance(500);
    expect(written).toEqual([['a', 1_700]]);
  });

  it('writes every held mark at once when the master stops', () => {
    held.add('a', 990);
    held.add('b', 995);
    held.release(true);
    expect(written).toEqual([['a', 990], ['b', 995]]);
    advance(5_000);
    expect(written).toHaveLength(2);
  });
});
