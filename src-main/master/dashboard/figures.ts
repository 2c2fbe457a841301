// Pure rules of the dashboard's figures: which buckets a window has, dense series from counted rows, success rate.
// The counting itself is SQL (db/dashboard.ts); this turns its rows into what the charts draw.
import { OUTCOMES, type Outcome, type OutcomeSeries } from '../api/contract/dashboard';

/** A window of whole buckets ending with the one `now` falls in. */
export interface BucketWindow { bucketMs: number; buckets: number; firstBucket: number; startMs: number }

/** The last hour by minute and the last day by 10 minutes (144 bars a chart can still show). */
export const HOUR = { bucketMs: 60_000, buckets: 60 } as const;
export const DAY = { bucketMs: 600_000, buckets: 144 } as const;

export function bucketWindow(nowMs: number, shape: { bucketMs: number; buckets: number }): BucketWindow {
  const firstBucket = Math.floor(nowMs / shape.bucketMs) - shape.buckets + 1;
  return { ...shape, firstBucket, startMs: firstBucket * shape.bucketMs };
}

/** One counted row: runs that ended in bucket `bucket` (ms epoch / bucketMs) in final state `state`. */
export interface BucketCount { bucket: number; state: string; count: number }

/** One rollup row (migration 20): runs whose final attempt ended in minute `minute` (since 1970) in state `state`. */
export interface MinuteCount { minute: number; state: string; count: number }

/**
 * The window's bucket rows from per-minute counts: minutes before the window's start are left out, the rest summed
 * into whole buckets (the window's buckets are whole minutes, checked). Later minutes than the window are kept, as
 * counted rows were before; denseSeries leaves them out.
 */
export function minuteBuckets(rows: readonly MinuteCount[], w: BucketWindow): BucketCount[] {
  if (w.bucketMs % 60_000 !== 0 || w.startMs % 60_000 !== 0) throw new Error(`Bug: buckets of ${w.bucketMs} ms are not whole minutes`);
  const sums = new Map<string, BucketCount>();
  for (const row of rows) {
    const ms = row.minute * 60_000;
    if (ms < w.startMs) continue;
    const bucket = Math.floor(ms / w.bucketMs);
    const key = `${bucket} ${row.state}`;
    const sum = sums.get(key) ?? { bucket, state: row.state, count: 0 };
    sum.count += row.count;
    sums.set(key, sum);
  }
  return [...sums.values()];
}

export function isOutcome(state: string): state is Outcome {
  return (OUTCOMES as readonly string[]).includes(state);
}

/** Every state gets a count for every bucket of the window (zeros included); rows outside it are left out. */
export function denseSeries(rows: readonly BucketCount[], w: BucketWindow): OutcomeSeries {
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, new Array<number>(w.buckets).fill(0)])) as Record<Outcome, number[]>;
  for (const row of rows) {
    const i = row.bucket - w.firstBucket;
    if (i < 0 || i >= w.buckets || !isOutcome(row.state)) continue;
    counts[row.state][i]! += row.count;
  }
  const at = Array.from({ length: w.buckets }, (_, i) => (w.firstBucket + i) * w.bucketMs);
  return { bucketMs: w.bucketMs, at, counts };
}

export function totals(series: OutcomeSeries): Record<Outcome, number> {
  return Object.fromEntries(OUTCOMES.map((o) => [o, series.counts[o].reduce((a, b) => a + b, 0)])) as Record<Outcome, number>;
}

/**
 * Succeeded out of the runs that could fail: cancelled and skipped runs are operators' and blocking choices, not
 * failures, so they count neither way. Null when no such run ended (no rate is not a 0 % rate).
 */
export function successRate(t: Record<Outcome, number>): number | null {
  const judged = t.succeeded + t.failed + t.timed_out + t.lost;
  return judged === 0 ? null : t.succeeded / judged;
}
