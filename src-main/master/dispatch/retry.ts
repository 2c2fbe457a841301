// Whether an ended attempt gets another one, and after how long. Lost is not failed: a lost attempt (its worker
// unreachable past the lease) is reassigned at once, up to `retry.reassign` times, without using `retry.count`.
import type { Retry, RunState } from '../api/contract/domain';

export type NextAttempt =
  | { kind: 'retry'; delayMs: number; nextAttempt: number }
  | { kind: 'reassign'; nextAttempt: number }
  | { kind: 'none'; reason: string };

/** How the attempts of one run ended so far, the one just ended included. */
export interface AttemptHistory {
  attempt: number;
  state: RunState;
  /** Attempts that ended `lost`. */
  lost: number;
  /** Attempts that ended `failed` or `timed_out`. */
  failed: number;
}

/**
 * Delay before the attempt that follows the `failures`-th failure (1-based).
 * fixed: always `delayMs`. exponential: delayMs·2^(failures−1), capped at `maxDelayMs`.
 */
export function backoffDelay(retry: Retry, failures: number): number {
  assertCount(failures, 'failures');
  if (retry.backoff === 'fixed') return retry.delayMs;
  // 2 ** 100 is still a finite double, so the cap below always applies; no overflow guard needed.
  return Math.min(retry.delayMs * 2 ** (failures - 1), retry.maxDelayMs);
}

/**
 * `retry.count` is the number of RE-tries after failures: count 2 means up to 2 failed attempts are followed by
 * another. Losses beyond `retry.reassign` count as failures. Cancelled, skipped and succeeded are final by intent.
 */
export function decideNext(retry: Retry, h: AttemptHistory): NextAttempt {
  assertCount(h.attempt, 'attempt');
  const nextAttempt = h.attempt + 1;
  if (h.state === 'lost' && h.lost <= retry.reassign) return { kind: 'reassign', nextAttempt };
  if (h.state !== 'lost' && h.state !== 'failed' && h.state !== 'timed_out') {
    return { kind: 'none', reason: `a run that ended '${h.state}' is not retried` };
  }
  const failures = h.failed + Math.max(0, h.lost - retry.reassign);
  if (failures > retry.count) {
    return { kind: 'none', reason: `no retries left: ${failures} failed attempts used all ${retry.count} retries` };
  }
  return { kind: 'retry', delayMs: backoffDelay(retry, failures), nextAttempt };
}

function assertCount(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`Bug: ${what} must be an integer >= 1, got ${n}`);
}
