import { describe, expect, it } from 'vitest';
import { BatonError } from '../../../src-main/master/api/contract/errors';
import { DEFAULT_PACE, nextBatchSize, pauseAfter, pruneCutoff } from '../../../src-main/master/scheduler/prune-pace';

const pace = { ...DEFAULT_PACE, minBatch: 10, maxBatch: 1_000, targetBatchMs: 100, minPauseMs: 50 };

describe('pruneCutoff', () => {
  it('is retentionDays whole days before now', () => {
    expect(pruneCutoff(new Date('2026-03-31T12:00:00Z'), 30).toISOString()).toBe('2026-03-01T12:00:00.000Z');
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses retentionDays %s, naming the field', (days) => {
    const error = (() => { try { pruneCutoff(new Date(), days); } catch (e) { return e; } })();
    expect(error).toBeInstanceOf(BatonError);
    expect(error).toMatchObject({ code: 'invalid_input', field: 'retentionDays' });
    expect((error as Error).message).toContain(String(days));
  });
});

describe('nextBatchSize', () => {
  it.each([
    [200, 20, 400], // well under half the target: double
    [200, 60, 200], // between half and the target: keep
    [200, 100, 200], // on target: keep
    [200, 400, 50], // four times too slow: a quarter
    [800, 10, 1_000], // growth stops at the maximum
    [20, 10_000, 10], // shrinking stops at the minimum
    [10, 0, 20], // an instant batch grows
  ])('a batch of %i taking %i ms → %i', (size, ms, next) => {
    expect(nextBatchSize(pace, size, ms)).toBe(next);
  });

  it('restarts at the minimum after the database cancelled a batch', () => {
    expect(nextBatchSize(pace, 800, 10_000, true)).toBe(10);
  });
});

describe('pauseAfter', () => {
  it.each([[0, 50], [16.6, 50], [26.8, 80], [3_000, 9_000]])('after %f ms, rests %i ms (three times as long, at least 50 ms)', (ms, pause) => {
    expect(pauseAfter({ ...pace, restFactor: 3 }, ms)).toBe(pause);
  });

  it('at a rest factor of 1, pruning gets half the time', () => {
    expect(pauseAfter({ ...pace, restFactor: 1 }, 80.4)).toBe(80);
  });
});
