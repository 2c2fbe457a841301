// Whether a finished attempt gets another one, and after how long.
import type { Retry, RunState } from '../api/contract/domain';

export type RetryDecision = { retry: true; delayMs: number; nextAttempt: number } | { retry: false; reason: string };

/** Only ends that may go better next time are retried; cancelled, skipped and succeeded are final by intent. */
const RETRYABLE: ReadonlySet<RunState> = new Set<RunState>(['failed', 'timed_out', 'lost']);

/**
 * Delay before the attempt that follows `attempt` (1-based).
 * fixed: always `delayMs`. exponential: delayMs·2^(attempt−1), capped at `maxDelayMs`.
 */
export function backoffDelay(retry: Retry, attempt: number): number {
  assertAttempt(attempt);
  if (retry.backoff === 'fixed') return retry.delayMs;
  // 2 ** 100 is still a finite double, so the cap below always applies; no overflow guard needed.
  return Math.min(retry.delayMs * 2 ** (attempt - 1), retry.maxDelayMs);
}

/** `retry.count` is the number of RE-tries: count 2 means attempts 1, 2 and 3 at most. */
export function decideRetry(retry: Retry, attempt: number, state: RunState): RetryDecision {
  assertAttempt(attempt);
  if (!RETRYABLE.has(state)) return { retry: false, reason: `a run that ended '${state}' is not retried` };
  if (attempt > retry.count) {
    return { retry: false, reason: `no retries left: attempt ${attempt} used all ${retry.count} retries` };
  }
  return { retry: true, delayMs: backoffDelay(retry, attempt), nextAttempt: attempt + 1 };
}

function assertAttempt(attempt: number): void {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`Bug: attempt must be an integer >= 1, got ${attempt}`);
}
