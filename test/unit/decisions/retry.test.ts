import { describe, expect, it } from 'vitest';
import type { Retry, RunState } from '../../../src-main/master/api/contract/domain';
import { backoffDelay, decideNext } from '../../../src-main/master/dispatch/retry';

const fixed: Retry = { count: 2, backoff: 'fixed', delayMs: 1_000, maxDelayMs: 60_000, reassign: 3 };
const expo: Retry = { count: 10, backoff: 'exponential', delayMs: 1_000, maxDelayMs: 5_000, reassign: 3 };

describe('backoffDelay', () => {
  it.each([
    [fixed, 1, 1_000], [fixed, 2, 1_000], [fixed, 50, 1_000],
    [expo, 1, 1_000], [expo, 2, 2_000], [expo, 3, 4_000],
    [expo, 4, 5_000], // 8 000 capped
    [expo, 100, 5_000], // 2^99 must not overflow past the cap
    [{ ...expo, delayMs: 0 }, 5, 0],
    [{ ...expo, delayMs: 10_000 }, 1, 5_000], // cap below the base delay still caps
  ] as const)('%o failure %i → %i ms', (retry, failures, delay) => {
    expect(backoffDelay(retry, failures)).toBe(delay);
  });

  it.each([0, -1, 1.5, Number.NaN])('failure count %s is a bug', (failures) => {
    expect(() => backoffDelay(fixed, failures)).toThrow(RangeError);
  });
});

describe('decideNext', () => {
  it.each(['failed', 'timed_out'] as const)('retries %s while failure retries remain', (state) => {
    expect(decideNext(fixed, { attempt: 1, state, lost: 0, failed: 1 })).toEqual({ kind: 'retry', delayMs: 1_000, nextAttempt: 2 });
    expect(decideNext(fixed, { attempt: 2, state, lost: 0, failed: 2 })).toEqual({ kind: 'retry', delayMs: 1_000, nextAttempt: 3 });
    expect(decideNext(fixed, { attempt: 3, state, lost: 0, failed: 3 })).toMatchObject({ kind: 'none', reason: expect.stringMatching(/no retries left/) });
  });

  it('a lost attempt is reassigned at once even with no failure retries (count 0)', () => {
    expect(decideNext({ ...fixed, count: 0 }, { attempt: 1, state: 'lost', lost: 1, failed: 0 })).toEqual({ kind: 'reassign', nextAttempt: 2 });
  });

  it('losses do not use the failure retries: after 3 losses one failure still gets its retry', () => {
    expect(decideNext({ ...fixed, count: 1 }, { attempt: 4, state: 'failed', lost: 3, failed: 1 })).toEqual({ kind: 'retry', delayMs: 1_000, nextAttempt: 5 });
  });

  it('past the reassignment limit a loss counts as a failure', () => {
    expect(decideNext({ ...fixed, count: 0 }, { attempt: 4, state: 'lost', lost: 4, failed: 0 })).toMatchObject({ kind: 'none' });
    expect(decideNext({ ...fixed, count: 1 }, { attempt: 4, state: 'lost', lost: 4, failed: 0 })).toEqual({ kind: 'retry', delayMs: 1_000, nextAttempt: 5 });
    expect(decideNext({ ...fixed, reassign: 0, count: 0 }, { attempt: 1, state: 'lost', lost: 1, failed: 0 })).toMatchObject({ kind: 'none' });
  });

  it('backoff grows with failures, not with attempts (losses in between do not count)', () => {
    expect(decideNext(expo, { attempt: 5, state: 'failed', lost: 3, failed: 2 })).toEqual({ kind: 'retry', delayMs: 2_000, nextAttempt: 6 });
  });

  it.each(['succeeded', 'cancelled', 'skipped'] satisfies RunState[])('never retries %s', (state) => {
    expect(decideNext(fixed, { attempt: 1, state, lost: 0, failed: 0 })).toMatchObject({ kind: 'none' });
  });

  it('attempt 0 is a bug', () => {
    expect(() => decideNext(fixed, { attempt: 0, state: 'failed', lost: 0, failed: 1 })).toThrow(RangeError);
  });
});
