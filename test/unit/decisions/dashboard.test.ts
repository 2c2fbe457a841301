// Pure rules behind the dashboard and the worker samples (issue 8): windows of whole buckets, dense series, the
// success rate, the next fires of tasks, and when a heartbeat is kept as a sample.
import { describe, expect, it } from 'vitest';
import { sampleDue } from '../../../src-main/master/agents/presence';
import { bucketWindow, DAY, denseSeries, HOUR, minuteBuckets, successRate, totals } from '../../../src-main/master/dashboard/figures';
import { triggerLabel, upcomingFires, type ScheduledTask } from '../../../src-main/master/dashboard/upcoming';

const T0 = Date.parse('2026-03-08T06:30:20Z');

describe('bucket windows and series', () => {
  it('ends with the bucket now falls in and starts on a bucket boundary', () => {
    const w = bucketWindow(T0, HOUR);
    expect(w.startMs % 60_000).toBe(0);
    expect(w.startMs).toBe(Date.parse('2026-03-08T05:31:00Z'));
    expect(w.startMs + w.buckets * w.bucketMs).toBeGreaterThan(T0);
    const d = bucketWindow(T0, DAY);
    expect([d.buckets, d.startMs]).toEqual([144, Date.parse('2026-03-07T06:40:00Z')]);
  });

  it('fills every state and bucket, adds rows of the same bucket and state, drops rows outside and unknown states', () => {
    const w = bucketWindow(T0, { bucketMs: 60_000, buckets: 3 });
    const series = denseSeries([
      { bucket: w.firstBucket, state: 'succeeded', count: 2 },
      { bucket: w.firstBucket, state: 'succeeded', count: 1 },
      { bucket: w.firstBucket + 2, state: 'failed', count: 4 },
      { bucket: w.firstBucket - 1, state: 'failed', count: 9 },
      { bucket: w.firstBucket + 3, state: 'failed', count: 9 },
      { bucket: w.firstBucket + 1, state: 'running', count: 9 },
    ], w);
    expect(series.at).toEqual([w.startMs, w.startMs + 60_000, w.startMs + 120_000]);
    expect(series.counts.succeeded).toEqual([3, 0, 0]);
    expect(series.counts.failed).toEqual([0, 0, 4]);
    expect(series.counts.skipped).toEqual([0, 0, 0]);
    expect(totals(series)).toEqual({ succeeded: 3, failed: 4, timed_out: 0, lost: 0, cancelled: 0, skipped: 0 });
  });

  it('sums per-minute rollup rows into the window\'s buckets: the hour by minute, the day by 10 minutes, earlier minutes out', () => {
    const day = bucketWindow(T0, DAY);
    const first = day.startMs / 60_000;
    const rows = [
      { minute: first - 1, state: 'failed', count: 7 },
      { minute: first, state: 'succeeded', count: 2 },
      { minute: first + 9, state: 'succeeded', count: 3 },
      { minute: first + 10, state: 'succeeded', count: 1 },
      { minute: first + 10, state: 'failed', count: 4 },
    ];
    expect(minuteBuckets(rows, day)).toEqual([
      { bucket: day.firstBucket, state: 'succeeded', count: 5 },
      { bucket: day.firstBucket + 1, state: 'succeeded', count: 1 },
      { bucket: day.firstBucket + 1, state: 'failed', count: 4 },
    ]);
    const hour = bucketWindow(T0, HOUR);
    const last = Math.floor(T0 / 60_000);
    expect(minuteBuckets([{ minute: last, state: 'lost', count: 2 }, { minute: hour.firstBucket - 1, state: 'lost', count: 1 }], hour))
      .toEqual([{ bucket: last, state: 'lost', count: 2 }]);
    expect(() => minuteBuckets(rows, { ...hour, bucketMs: 30_000 })).toThrow(/not whole minutes/);
  });

  it('rates success over runs that could fail: cancelled and skipped count neither way; none is no rate', () => {
    const none = { succeeded: 0, failed: 0, timed_out: 0, lost: 0, cancelled: 0, skipped: 0 };
    expect(successRate(none)).toBeNull();
    expect(successRate({ ...none, cancelled: 5, skipped: 2 })).toBeNull();
    expect(successRate({ ...none, succeeded: 3, failed: 1, cancelled: 10 })).toBe(0.75);
    expect(successRate({ ...none, succeeded: 1, timed_out: 1, lost: 2 })).toBe(0.25);
  });
});

describe('upcoming fires', () => {
  const task = (over: Partial<ScheduledTask>): ScheduledTask => ({
    id: 't', name: 't', trigger: { type: 'fixed_rate', intervalMs: 60_000 }, startAt: null, endAt: null, nextFireAt: T0, ...over,
  });

  it('follows a fixed rate from the stored next fire, bounded by the limit and the horizon', () => {
    const fires = upcomingFires([task({})], T0, 86_400_000, 5).map((f) => f.at);
    expect(fires).toEqual([0, 1, 2, 3, 4].map((k) => T0 + k * 60_000));
    expect(upcomingFires([task({})], T0, 150_000, 50)).toHaveLength(3);
  });

  it('walks a cron in its own zone across a DST change, and stops at the end of the task window', () => {
    // New York springs forward on 2026-03-08 at 02:00 local (07:00 UTC): 01:30 then 03:30 local, one hour apart in UTC.
    const cron = task({ trigger: { type: 'cron', expression: '0 30 * * * *', timezone: 'America/New_York' }, nextFireAt: Date.parse('2026-03-08T06:30:00Z') });
    const fires = upcomingFires([cron], T0, 86_400_000, 3).map((f) => new Date(f.at).toISOString());
    expect(fires).toEqual(['2026-03-08T06:30:00.000Z', '2026-03-08T07:30:00.000Z', '2026-03-08T08:30:00.000Z']);
    const ending = upcomingFires([{ ...cron, endAt: Date.parse('2026-03-08T07:45:00Z') }], T0, 86_400_000, 10);
    expect(ending).toHaveLength(2);
  });

  it('orders fires at the same time by task name, then by the tasks\' order, as a sort of every task\'s fires would', () => {
    const tasks = [task({ id: 'b', name: 'b' }), task({ id: 'a1', name: 'a' }), task({ id: 'a2', name: 'a' }),
      task({ id: 'c', name: 'c', trigger: { type: 'fixed_rate', intervalMs: 90_000 } })];
    const merged = upcomingFires(tasks, T0, 86_400_000, 9).map((f) => `${f.taskId}@${(f.at - T0) / 1_000}`);
    const sorted = tasks.flatMap((t, order) => upcomingFires([t], T0, 86_400_000, 9).map((f) => ({ ...f, order })))
      .sort((x, y) => x.at - y.at || (x.taskName < y.taskName ? -1 : x.taskName > y.taskName ? 1 : x.order - y.order))
      .slice(0, 9).map((f) => `${f.taskId}@${(f.at - T0) / 1_000}`);
    expect(merged).toEqual(sorted);
    expect(merged).toEqual(['a1@0', 'a2@0', 'b@0', 'c@0', 'a1@60', 'a2@60', 'b@60', 'c@90', 'a1@120']);
  });

  it('merges tasks soonest first, a once fire once, a fixed delay only its stored fire, and keeps the total bounded', () => {
    const fires = upcomingFires([
      task({ id: 'rate', name: 'rate', trigger: { type: 'fixed_rate', intervalMs: 1_000 }, nextFireAt: T0 + 500 }),
      task({ id: 'once', name: 'once', trigger: { type: 'once', at: new Date(T0 + 1_200).toISOString() }, nextFireAt: T0 + 1_200 }),
      task({ id: 'delay', name: 'delay', trigger: { type: 'fixed_delay', delayMs: 100 }, nextFireAt: T0 + 100 }),
    ], T0, 86_400_000, 4);
    expect(fires.map((f) => [f.taskId, f.at - T0])).toEqual([['delay', 100], ['rate', 500], ['once', 1_200], ['rate', 1_500]]);
    expect(upcomingFires([task({ trigger: { type: 'fixed_rate', intervalMs: 100 } })], T0, 86_400_000, 50)).toHaveLength(50);
  });

  it('says what a trigger is in one line', () => {
    expect(triggerLabel({ type: 'cron', expression: '0 0 3 * * *', timezone: 'Europe/Paris' })).toBe('cron 0 0 3 * * * (Europe/Paris)');
    expect(triggerLabel({ type: 'fixed_rate', intervalMs: 300_000 })).toBe('every 5 min');
    expect(triggerLabel({ type: 'fixed_rate', intervalMs: 1_500 })).toBe('every 1500 ms');
    expect(triggerLabel({ type: 'fixed_delay', delayMs: 7_200_000 })).toBe('2 h after the last run');
  });
});

describe('worker samples', () => {
  it('keeps the first heartbeat, then one every 10 s, and starts over if the clock goes back', () => {
    expect(sampleDue(undefined, T0)).toBe(true);
    expect(sampleDue(T0, T0 + 9_999)).toBe(false);
    expect(sampleDue(T0, T0 + 10_000)).toBe(true);
    expect(sampleDue(T0, T0 - 60_000)).toBe(true);
  });
});
