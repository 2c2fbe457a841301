// dashboard.summary against known activity (issue 8): a run counts once, as its final attempt (a failure retried to
// success is one success; three failed attempts are one failure; a failure whose retry is still waiting is not
// counted yet); runs in flight; the next fires computed with the scheduler's trigger code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DashboardSummary } from '../../src-main/master/api/contract/dashboard';
import type { Run } from '../../src-main/master/api/contract/domain';
import { pruneRuns } from '../../src-main/master/db/retention';
import { masterWithAgent, tempDir, waitFor, type TestAgent, type TestMaster } from './harness';

describe('dashboard summary', () => {
  let master: TestMaster;
  let agent: TestAgent;
  let groupId: string;

  beforeAll(async () => {
    ({ master, agent, groupId } = await masterWithAgent('dash', ['--capacity', '8']));
  });
  afterAll(async () => {
    await agent?.stop();
    await master?.stop();
  });

  const apiTask = (name: string, command: string, retry: Record<string, number> = {}) => master.api.call('tasks.create', {
    name, groupId, handler: 'shell', params: { command }, trigger: { type: 'api' }, retry: { delayMs: 0, ...retry },
  });
  const settled = (taskId: string, done: (runs: Run[]) => boolean) => waitFor(`runs of ${taskId} settled`, async () => {
    const runs = await master.api.call('runs.list', { taskId });
    return done(runs) ? runs : null;
  }, 30_000);

  it('counts each run once, as its final attempt, with rate, p95, top failing, running now and next fires', async () => {
    const marker = `${await tempDir('baton-flaky-')}/failed-once`;
    const [ok, flaky, broken, waiting, slow] = await Promise.all([
      apiTask('ok', 'echo fine'),
      apiTask('flaky', `if [ -f ${marker} ]; then echo second time; else touch ${marker}; exit 1; fi`, { count: 1 }),
      apiTask('broken', 'exit 2', { count: 2 }),
      apiTask('waiting', 'exit 1', { count: 1, delayMs: 600_000 }),
      apiTask('slow', 'sleep 60'),
    ]);
    const start = Date.now();
    await master.api.call('tasks.trigger', { id: ok.id });
    await master.api.call('tasks.trigger', { id: ok.id });
    await master.api.call('tasks.trigger', { id: flaky.id });
    await master.api.call('tasks.trigger', { id: broken.id });
    await master.api.call('tasks.trigger', { id: waiting.id });
    const [slowRun] = await master.api.call('tasks.trigger', { id: slow.id });
    await settled(ok.id, (runs) => runs.length === 2 && runs.every((r) => r.state === 'succeeded'));
    await settled(flaky.id, (runs) => runs.map((r) => r.state).join() === 'succeeded,failed');
    await settled(broken.id, (runs) => runs.map((r) => r.state).join() === 'failed,failed,failed');
    await settled(waiting.id, (runs) => runs.map((r) => r.state).join() === 'scheduled,failed');
    await waitFor('the slow run running', async () => (await master.api.call('runs.get', { id: slowRun!.id })).state === 'running');

    // Upcoming: a cron every 5 minutes starting in an hour (none before its start), and a one-off in two hours.
    const startAt = new Date(Math.ceil((start + 3_600_000) / 300_000) * 300_000).toISOString();
    const every5 = await master.api.call('tasks.create', {
      name: 'every-5-min', groupId, handler: 'shell', params: { command: 'true' }, startAt,
      trigger: { type: 'cron', expression: '0 */5 * * * *', timezone: 'UTC' },
    });
    const onceAt = new Date(start + 2 * 3_600_000).toISOString();
    await master.api.call('tasks.create', { name: 'one-off', groupId, handler: 'shell', params: { command: 'true' }, trigger: { type: 'once', at: onceAt } });

    const summary = await master.api.call('dashboard.summary', { upcoming: 40 });
    for (const window of [summary.hour, summary.day]) {
      // ok ×2, flaky (failed then succeeded: one success), broken (three failed attempts: one failure); waiting not yet.
      expect(window.ended).toBe(4);
      const sum = (state: keyof typeof window.series.counts) => window.series.counts[state].reduce((a, b) => a + b, 0);
      expect([sum('succeeded'), sum('failed'), sum('timed_out'), sum('lost'), sum('cancelled'), sum('skipped')]).toEqual([3, 1, 0, 0, 0, 0]);
      expect(window.successRate).toBe(0.75);
      expect(window.p95DurationMs).toBeGreaterThan(0);
      expect(window.p95DurationMs).toBeLessThan(30_000);
    }
    expect(summary.hour.series.at).toHaveLength(60);
    expect(summary.hour.series.bucketMs).toBe(60_000);
    expect(summary.day.series.at).toHaveLength(144);
    expect(summary.hour.series.at.at(-1)).toBeLessThanOrEqual(Date.parse(summary.now));
    expect(summary.topFailing.map((t) => [t.taskName, t.failures, t.ended])).toEqual([['broken', 1, 1]]);
    expect(summary.running.map((r) => [r.id, r.taskName, r.workerName, r.state])).toEqual([[slowRun!.id, 'slow', 'dash', 'running']]);
    expect([summary.runningTotal, summary.queued]).toEqual([1, 0]);
    expect(summary.workers).toEqual({ online: 1, total: 1 });

    const cron = summary.upcoming.filter((f) => f.taskId === every5.id).map((f) => Date.parse(f.at));
    expect(cron[0]).toBe(Date.parse(startAt));
    expect(cron.slice(1).map((t, i) => t - cron[i]!)).toEqual(new Array(cron.length - 1).fill(300_000));
    expect(summary.upcoming).toHaveLength(40);
    expect(summary.upcoming.find((f) => f.taskName === 'one-off')).toMatchObject({ at: onceAt, trigger: 'once' });
    const times = summary.upcoming.map((f) => Date.parse(f.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times.every((t) => t <= start + 86_400_000 + 60_000)).toBe(true);

    // Stopping the slow run ends it: it leaves "running now" and counts once, as cancelled (not in the success rate).
    await master.api.call('runs.stop', { id: slowRun!.id });
    const after = await waitFor('the slow run counted', async () => {
      const s = await master.api.call('dashboard.summary', {});
      return s.running.length === 0 && s.hour.ended === 5 ? s : null;
    });
    expect(after.hour.series.counts.cancelled.reduce((a, b) => a + b, 0)).toBe(1);
    expect(after.hour.successRate).toBe(0.75);
    expect(after.runningTotal).toBe(0);
  });

  /** Rollup rows (migration 20) that differ from the same rollups counted again from every root run now. */
  const drift = async () => (await master.db.query(`
    with m as (
      select floor(date_part('epoch', newest_finished_at) / 60)::bigint as minute, newest_state as state, count(*)::int as runs
      from runs where id = root_run_id and newest_finished_at is not null group by 1, 2),
    t as (
      select floor(date_part('epoch', newest_finished_at) / 600)::bigint as slot, task_id, count(*)::int as ended,
        count(*) filter (where newest_state in ('failed', 'timed_out', 'lost'))::int as failures,
        max(newest_finished_at) filter (where newest_state in ('failed', 'timed_out', 'lost')) as last_failure_at
      from runs where id = root_run_id and newest_finished_at is not null group by 1, 2)
    select 'minute ' || minute || ' ' || state as row from m full join run_outcomes_by_minute r using (minute, state)
      where m.runs is distinct from r.runs
    union all
    select 'slot ' || slot || ' ' || task_id from t full join run_failures_by_task r using (slot, task_id)
      where (t.ended, t.failures, t.last_failure_at) is distinct from (r.ended, r.failures, r.last_failure_at)`)).rows;
  /**
   * The summary's day figures counted the plain way, over attempts: the latest attempt of each (root, shard) that
   * ended in the window, by state, and the tasks failing most.
   */
  const plain = async (summary: DashboardSummary) => {
    const { rows } = await master.db.query<{ state: string; n: number }>(`
      select r.state, count(*)::int as n from runs r
        left join runs later on later.root_run_id = r.root_run_id and later.shard_index = r.shard_index and later.attempt > r.attempt
      where later.id is null and r.finished_at >= $1 group by r.state order by r.state`, [new Date(summary.day.series.at[0]!)]);
    return rows.map((r) => [r.state, r.n]);
  };
  const counted = (summary: DashboardSummary) => Object.entries(summary.day.series.counts)
    .map(([state, counts]) => [state, counts.reduce((a, b) => a + b, 0)]).filter(([, n]) => n !== 0).sort();

  it('keeps its rollups equal to the runs through a failure, an operator\'s retry, a deleted run and retention', async () => {
    const summaryNow = () => master.api.call('dashboard.summary', {});
    expect(await drift()).toEqual([]);
    let summary = await summaryNow();
    expect(counted(summary)).toEqual(await plain(summary));
    const broken = summary.topFailing.find((t) => t.taskName === 'broken')!;
    expect([broken.failures, broken.ended]).toEqual([1, 1]);

    // An operator's retry of the failed run takes it out of the figures while it runs, and counts it once when it ends.
    const [failed] = (await master.api.call('runs.list', { taskId: broken.taskId })).filter((r) => r.attempt === 1);
    await master.api.call('runs.retry', { id: failed!.id });
    await waitFor('the retry ended', async () => (await master.api.call('runs.list', { taskId: broken.taskId }))
      .every((r) => r.state === 'failed'));
    expect(await drift()).toEqual([]);
    summary = await summaryNow();
    expect(counted(summary)).toEqual(await plain(summary));
    expect(summary.topFailing.find((t) => t.taskName === 'broken')).toMatchObject({ failures: 1, ended: 1 });

    // A family deleted: it leaves the rollups, and a task whose only failure went leaves the top failing.
    await master.db.query('delete from runs where root_run_id = $1', [failed!.id]);
    expect(await drift()).toEqual([]);
    summary = await summaryNow();
    expect(counted(summary)).toEqual(await plain(summary));
    expect(summary.topFailing.find((t) => t.taskName === 'broken')).toBeUndefined();

    // Retention two days on: every ended family goes, and with it every rollup row; the waiting retry stays uncounted.
    const pruned = await pruneRuns(master.db, { retentionDays: 1, now: new Date(Date.now() + 2 * 86_400_000) });
    expect(pruned).toMatchObject({ kind: 'pruned' });
    expect(await drift()).toEqual([]);
    expect((await master.db.query('select count(*)::int as n from run_outcomes_by_minute')).rows[0].n).toBe(0);
    summary = await summaryNow();
    expect([summary.day.ended, summary.topFailing]).toEqual([0, []]);
    expect(await plain(summary)).toEqual([]);
  });
});
