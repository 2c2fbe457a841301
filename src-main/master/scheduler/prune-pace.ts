// How fast retention pruning goes: pure decisions over the last batch's size and time, so that pruning a large
// backlog never holds the database for long while runs fire (issue 11: lateness p99 unchanged while pruning).
import { BatonError } from '../api/contract/errors';

export interface PrunePace {
  /** Run families (a first attempt and its retries) per batch: the first batch, and the bounds. */
  startBatch: number;
  minBatch: number;
  maxBatch: number;
  /** The time one batch should take; batches grow below half of it and shrink above it. */
  targetBatchMs: number;
  /** Rest between batches, at least this and `restFactor` times as long as the batch took. */
  minPauseMs: number;
  /**
   * Pruning gets 1 / (1 + restFactor) of the time at most. At 1 (half the time), pruning 1,000,000 runs while 500
   * tasks fired every second was 36 % of the database's busy samples on a 2-core machine (bench/history.ts,
   * 27 Nov 2026); at 3, 5 % of them (100,000 runs, --quick). Pacing alone did not keep the fires on time: each batch
   * is a short stall, which tipped busy serial tasks into a queued state they did not leave, until their fires were
   * held for their slot (dispatch/parked-fires.ts; README, "Benchmarks").
   */
  restFactor: number;
  /** A batch still running after this is cancelled by the database (and the next one is the smallest). */
  statementTimeoutMs: number;
}

export const DEFAULT_PACE: PrunePace = {
  startBatch: 200, minBatch: 10, maxBatch: 5_000, targetBatchMs: 100, minPauseMs: 50, restFactor: 3, statementTimeoutMs: 10_000,
};

const DAY_MS = 86_400_000;

/** Runs that finished before this are past retention. Refuses a retention that would prune everything or nothing. */
export function pruneCutoff(now: Date, retentionDays: number): Date {
  if (!Number.isInteger(retentionDays) || retentionDays < 1) {
    throw new BatonError('invalid_input', `retentionDays must be a whole number of days, at least 1 (got ${retentionDays}).`, 'retentionDays');
  }
  return new Date(now.getTime() - retentionDays * DAY_MS);
}

/** The next batch size after a batch of `size` families took `elapsedMs`; a cancelled batch restarts at the minimum. */
export function nextBatchSize(pace: PrunePace, size: number, elapsedMs: number, cancelled = false): number {
  if (cancelled) return pace.minBatch;
  const scaled = elapsedMs > pace.targetBatchMs ? Math.floor((size * pace.targetBatchMs) / elapsedMs)
    : elapsedMs < pace.targetBatchMs / 2 ? size * 2
      : size;
  return Math.min(pace.maxBatch, Math.max(pace.minBatch, scaled));
}

/** The rest after a batch: `restFactor` times as long as it took, never under the minimum. */
export function pauseAfter(pace: PrunePace, elapsedMs: number): number {
  return Math.max(pace.minPauseMs, Math.round(elapsedMs * pace.restFactor));
}
