import { describe, expect, it } from 'vitest';
import type { Blocking } from '../../../src-main/master/api/contract/domain';
import fc from 'fast-check';
import { decideBlocking, decideBySlots, freeSlots, nextToStart, slotLimit, type ActiveRun, type BlockingDecision } from '../../../src-main/master/dispatch/blocking';

const run = (runId: string, state: ActiveRun['state'], plannedAt: number): ActiveRun => ({ runId, state, plannedAt });
const serial: Blocking = { strategy: 'serial', maxConcurrent: 1 };
const conc2: Blocking = { strategy: 'concurrent', maxConcurrent: 2 };
const conc3: Blocking = { strategy: 'concurrent', maxConcurrent: 3 };
const discard: Blocking = { strategy: 'discard_later', maxConcurrent: 5 }; // maxConcurrent ignored
const cover: Blocking = { strategy: 'cover_earlier', maxConcurrent: 5 };

const SHAPES: Record<string, ActiveRun[]> = {
  empty: [],
  running: [run('r1', 'running', 10)],
  assigned: [run('r1', 'assigned', 10)],
  queued: [run('q1', 'queued', 10)],
  'running+queued': [run('q1', 'queued', 20), run('r1', 'running', 10)],
  '2 running': [run('r2', 'running', 20), run('r1', 'running', 10)],
};

const start: BlockingDecision = { kind: 'start' };
const wait: BlockingDecision = { kind: 'wait' };
const skip = { kind: 'skip' };
const covers = (...stopRunIds: string[]): BlockingDecision => ({ kind: 'cover', stopRunIds });

describe('decideBlocking — strategy × active set', () => {
  it.each<[string, Blocking, string, BlockingDecision | typeof skip]>([
    ['serial', serial, 'empty', start],
    ['serial', serial, 'running', wait],
    ['serial', serial, 'assigned', wait],
    ['serial', serial, 'queued', wait], // FIFO: never overtakes a queued run
    ['serial', serial, 'running+queued', wait],
    ['serial', serial, '2 running', wait],
    ['concurrent 2', conc2, 'empty', start],
    ['concurrent 2', conc2, 'running', start],
    ['concurrent 2', conc2, 'assigned', start],
    ['concurrent 2', conc2, 'queued', wait], // a free slot, but a queued run is ahead
    ['concurrent 2', conc2, 'running+queued', wait],
    ['concurrent 2', conc2, '2 running', wait],
    ['concurrent 3', conc3, '2 running', start],
    ['discard_later', discard, 'empty', start],
    ['discard_later', discard, 'running', skip],
    ['discard_later', discard, 'assigned', skip],
    ['discard_later', discard, 'queued', skip],
    ['discard_later', discard, 'running+queued', skip],
    ['discard_later', discard, '2 running', skip],
    ['cover_earlier', cover, 'empty', start],
    ['cover_earlier', cover, 'running', covers('r1')],
    ['cover_earlier', cover, 'assigned', covers('r1')],
    ['cover_earlier', cover, 'queued', covers('q1')],
    ['cover_earlier', cover, 'running+queued', covers('r1', 'q1')], // oldest first
    ['cover_earlier', cover, '2 running', covers('r1', 'r2')],
  ])('%s with %s', (_name, blocking, shape, expected) => {
    const d = decideBlocking(blocking, SHAPES[shape]!);
    if (expected === skip) expect(d.kind).toBe('skip');
    else expect(d).toEqual(expected);
  });

  it('skip reason names the earliest blocking run and its state', () => {
    const d = decideBlocking(discard, SHAPES['running+queued']!);
    expect(d).toEqual({ kind: 'skip', reason: 'discard_later: earlier run r1 is still running and 1 more' });
  });
});

describe('nextToStart — FIFO into free slots', () => {
  const waiting = [run('w3', 'queued', 30), run('w1', 'queued', 10), run('w2', 'queued', 20)];
  it.each<[string, Blocking, ActiveRun[], ActiveRun[], string[]]>([
    ['serial, slot free → oldest', serial, [], waiting, ['w1']],
    ['serial, still running → none', serial, [run('r', 'running', 1)], waiting, []],
    ['serial, assigned holds the slot', serial, [run('r', 'assigned', 1)], waiting, []],
    ['queued entries in active hold no slot', serial, [run('q', 'queued', 1)], waiting, ['w1']],
    ['concurrent 3, one running → two oldest', conc3, [run('r', 'running', 1)], waiting, ['w1', 'w2']],
    ['concurrent 3, none running → all three', conc3, [], waiting, ['w1', 'w2', 'w3']],
    ['concurrent 2, over the limit → none', conc2, [run('a', 'running', 1), run('b', 'running', 2), run('c', 'running', 3)], waiting, []],
    ['nothing waiting', conc3, [], [], []],
    ['equal plannedAt → by runId', serial, [], [run('b', 'queued', 5), run('a', 'queued', 5)], ['a']],
    ['discard_later holds one', discard, [], waiting, ['w1']],
    ['cover_earlier holds one', cover, [], waiting, ['w1']],
  ])('%s', (_name, blocking, active, wait, expected) => {
    expect(nextToStart(blocking, active, wait)).toEqual(expected);
  });

  it.each([[serial, 1], [conc3, 3], [discard, 1], [cover, 1]] as const)('slotLimit(%o) = %i', (b, n) => {
    expect(slotLimit(b)).toBe(n);
  });
});

describe('freeSlots', () => {
  it.each([
    [{ strategy: 'serial', maxConcurrent: 1 }, 0, 1],
    [{ strategy: 'serial', maxConcurrent: 1 }, 1, 0],
    [{ strategy: 'concurrent', maxConcurrent: 5 }, 3, 2],
    [{ strategy: 'concurrent', maxConcurrent: 5 }, 7, 0],
    [{ strategy: 'discard_later', maxConcurrent: 9 }, 0, 1],
  ] as const)('%o with %i holding leaves %i', (blocking, holding, free) => {
    expect(freeSlots(blocking, holding)).toBe(free);
  });
});

describe('decideBySlots — serial and concurrent on counts alone', () => {
  it.each<[string, Blocking, number, number, BlockingDecision]>([
    ['serial, nothing in flight', serial, 0, 0, start],
    ['serial, one holding', serial, 1, 0, wait],
    ['serial, one queued ahead', serial, 0, 1, wait],
    ['concurrent 2, one holding', conc2, 1, 0, start],
    ['concurrent 2, full', conc2, 2, 0, wait],
    ['concurrent 2, a free slot but one queued ahead', conc2, 1, 1, wait],
    ['concurrent 3, 10,000 holding', conc3, 10_000, 0, wait],
  ])('%s', (_name, blocking, holding, queued, expected) => {
    expect(decideBySlots(blocking, holding, queued)).toEqual(expected);
  });

  it('agrees with decideBlocking on every active set', () => {
    const active = fc.array(fc.record({
      runId: fc.string({ minLength: 1, maxLength: 4 }), state: fc.constantFrom<ActiveRun['state']>('queued', 'assigned', 'running'),
      plannedAt: fc.integer({ min: 0, max: 100 }),
    }), { maxLength: 12 });
    const blocking = fc.oneof(fc.constant(serial), fc.integer({ min: 1, max: 8 }).map((n): Blocking => ({ strategy: 'concurrent', maxConcurrent: n })));
    fc.assert(fc.property(blocking, active, (b, runs) => {
      const holding = runs.filter((r) => r.state !== 'queued').length;
      expect(decideBySlots(b, holding, runs.length - holding)).toEqual(decideBlocking(b, runs));
    }), { numRuns: 500 });
  });
});
