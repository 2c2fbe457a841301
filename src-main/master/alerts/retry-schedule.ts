// When a failing channel is tried again: doubling from a first delay up to a ceiling, so a channel down for hours
// is tried about every ceiling, and one that blinked is tried again within seconds. Pure over the failure count.
export interface RetrySchedule {
  firstDelayMs: number;
  maxDelayMs: number;
}

// 10 s, 20 s, 40 s … then every 10 minutes: a chat service's outage rarely lasts longer than a few of those.
export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = { firstDelayMs: 10_000, maxDelayMs: 600_000 };

/** The time of the next try after `failures` failures in a row (1 after the first). */
export function nextRetryAt(failures: number, now: number, schedule: RetrySchedule): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  return now + Math.min(schedule.maxDelayMs, schedule.firstDelayMs * 2 ** exponent);
}
