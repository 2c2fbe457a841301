import { describe, expect, it } from 'vitest';
import type { Retry, RunState } from '../../../src-main/master/api/contract/domain';
import { backoffDelay, decideRetry } from '../../../src-main/master/dispatch/retry';

const fixed: Retry = { count: 2, backoff: 'fixed', delayMs: 1_000, maxDelayMs: 60_000 };
const expo: Retry = { count: 10, backoff: 'exponential', delayMs: 1_000, maxDelayMs: 5_000 };

describe('backoffDelay', () => {
  it.each([
    [fixed, 1, 1_000], [fixed, 2, 1_000], [fixed, 50, 1_000],
    [expo, 1, 1_000], [expo, 2, 2_000], [expo, 3, 4_000],
    [expo, 4, 5_000], // 8 000 capped
    [expo, 100, 5_000], // 2^99 must not overflow past the cap
    [{ ...expo, delayMs: 0 }, 5, 0],
    [{ ...expo, delayMs: 10_000 }, 1, 5_000], // cap below the base delay still caps
  ] as const)('%o attempt %i → %i ms', (retry, attempt, delay) => {
    expect(backoffDelay(retry, attempt)).toBe(delay);
  });

  it.each([0, -1, 1.5, Number.NaN])('attempt %s is a bug', (attempt) => {
    expect(() => backoffDelay(fixed, attempt)).toThrow(RangeError);
  });
});

describe('decideRetry', () => {
  it.each(['failed', 'timed_out', 'lost'] as RunState[])('%s is retried while retries remain', (state) => {
    expect(decideRetry(fixed, 1, state)).toEqual({ retry: true, delayMs: 1_000, nextAttempt: 2 });
    expect(decideRetry(fixed, 2, state)).toEqual({ retry: true, delayMs: 1_000, nextAttempt: 3 });
  });

  it.each(['failed', 'timed_out', 'lost'] as RunState[])('%s: count 2 = at most 3 attempts', (state) => {
    const d = decideRetry(fixed, 3, state);
    expect(d).toMatchObject({ retry: false });
    expect(d.retry === false && d.reason).toMatch(/no retries left/);
  });

  it('count 0 never retries', () => {
    expect(decideRetry({ ...fixed, count: 0 }, 1, 'failed')).toMatchObject({ retry: false });
  });

  it('exponential retry carries the backoff for its attempt', () => {
    expect(decideRetry(expo, 3, 'timed_out')).toEqual({ retry: true, delayMs: 4_000, nextAttempt: 4 });
  });

  it.each(['succeeded', 'cancelled', 'skipped', 'scheduled', 'queued', 'assigned', 'running'] as RunState[])(
    '%s is never retried, and the reason names it',
    (state) => {
      const d = decideRetry(fixed, 1, state);
      expect(d.retry).toBe(false);
      expect(d.retry === false && d.reason).toContain(state);
    },
  );

  it('attempt 0 is a bug', () => {
    expect(() => decideRetry(fixed, 0, 'failed')).toThrow(RangeError);
  });
});
