// The dashboard's aggregates in SQL (issue 8). A run counts once, as its final attempt: the attempt of its
// (root run, shard) with the highest number, counted when it ended; a run whose latest attempt is still in flight
// (a retry waiting or running) is not counted yet, whatever its earlier attempts did. Each root run keeps its newest
// attempt's state and times (migration 14), and triggers keep rollups of those that ended (migration 20), so a call
// reads the rollups' rows of the day and, for the p95 durations, one index entry per run ended in the day window.
import type { FailingTask, RunningRun } from '../api/contract/dashboard';
import type { RunState, Trigger } from '../api/contract/domain';
import type { BucketWindow, MinuteCount } from '../dashboard/figures';
import type { ScheduledTask } from '../dashboard/upcoming';
import { iso, type Queryable } from './store';

const ACTIVE = `('scheduled', 'queued', 'assigned', 'running')`;
const MINUTE_MS = 60_000;
/** The rollup of failures by task keeps 10-minute slots (migration 20). */
const SLOT_MS = 600_000;

export interface EndedFigures {
  minutes: MinuteCount[];
  hourP95: number | null; dayP95: number | null;
  topFailing: FailingTask[];
}

/**
 * One statement over the rollups of migration 20 (db/run-outcomes.ts): the day's runs per minute and state (at most
 * 1,440 x states rows) and the tasks failing most (144 slots x tasks at most); the p95 durations still read every
 * run ended in the day window, from index runs_roots_ended alone (a percentile needs every duration), ordered as
 * intervals: extracting each one as a number cost more than the rest of the call (bench/dashboard).
 */
export async function endedFigures(db: Queryable, hour: BucketWindow, day: BucketWindow, topN: number): Promise<EndedFigures> {
  if (hour.startMs % MINUTE_MS !== 0 || day.startMs % SLOT_MS !== 0) {
    throw new Error(`Bug: the dashboard's windows must start on a minute (hour) and a 10-minute slot (day): ${hour.startMs}, ${day.startMs}`);
  }
  const { rows } = await db.query<{
    minutes: Array<[number, string, number]>; hour_p95: number | null; day_p95: number | null;
    top: Array<{ task_id: string; task_name: string; failures: number; ended: number; last_failure_at: string }> | null;
  }>(
    `select
       (select coalesce(json_agg(json_build_array(minute, state, runs)), '[]') from run_outcomes_by_minute where minute >= $1) as minutes,
       extract(epoch from p.hour_p95)::float8 * 1000 as hour_p95, extract(epoch from p.day_p95)::float8 * 1000 as day_p95,
       (select json_agg(f) from (
          select f.task_id, t.name as task_name, sum(f.failures)::int as failures, sum(f.ended)::int as ended,
            to_char(max(f.last_failure_at) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as last_failure_at
          from run_failures_by_task f join tasks t on t.id = f.task_id where f.slot >= $2
          group by f.task_id, t.name having sum(f.failures) > 0
          order by failures desc, last_failure_at desc limit $5) f) as top
     from (select percentile_cont(0.95) within group (order by took) filter (where finished_at >= to_timestamp($4 / 1000.0)) as hour_p95,
             percentile_cont(0.95) within group (order by took) as day_p95
           from (select newest_finished_at as finished_at, newest_finished_at - newest_started_at as took from runs
                 where id = root_run_id and newest_finished_at >= to_timestamp($3 / 1000.0)) e) p`,
    [day.startMs / MINUTE_MS, day.startMs / SLOT_MS, day.startMs, hour.startMs, topN],
  );
  const r = rows[0]!;
  return {
    minutes: r.minutes.map(([minute, state, count]) => ({ minute: Number(minute), state, count })),
    hourP95: r.hour_p95 === null ? null : Number(r.hour_p95), dayP95: r.day_p95 === null ? null : Number(r.day_p95),
    topFailing: (r.top ?? []).map((t) => ({
      taskId: t.task_id, taskName: t.task_name, failures: t.failures, ended: t.ended, lastFailureAt: t.last_failure_at,
    })),
  };
}

export interface InFlight { running: RunningRun[]; runningTotal: number; queued: number; workersOnline: number; workersTotal: number }

/** Runs on workers now (oldest first, at most `limit`), how many wait for one, and how many workers are online. */
export async function inFlight(db: Queryable, limit: number): Promise<InFlight> {
  const [list, counts] = await Promise.all([
    db.query<{ id: string; task_id: string; task_name: string; state: RunState; attempt: number; worker_name: string | null; planned_at: Date; started_at: Date | null }>(
      `select r.id, r.task_id, t.name as task_name, r.state, r.attempt, r.worker_name, r.planned_at, r.started_at
       from runs r join tasks t on t.id = r.task_id where r.state in ('assigned', 'running')
       order by coalesce(r.started_at, r.assigned_at, r.planned_at), r.id limit $1`, [limit]),
    db.query<{ running: number; queued: number; online: number; total: number }>(
      `select count(*) filter (where state in ('assigned', 'running'))::int as running, count(*) filter (where state = 'queued')::int as queued,
         (select count(*) from workers where online)::int as online, (select count(*) from workers)::int as total
       from runs where state in ${ACTIVE}`),
  ]);
  const c = counts.rows[0]!;
  return {
    running: list.rows.map((r) => ({
      id: r.id, taskId: r.task_id, taskName: r.task_name, state: r.state, attempt: r.attempt, workerName: r.worker_name,
      plannedAt: r.planned_at.toISOString(), startedAt: iso(r.started_at),
    })),
    runningTotal: c.running, queued: c.queued, workersOnline: c.online, workersTotal: c.total,
  };
}

/**
 * The enabled tasks with the `limit` soonest stored next fires: no other task can have one of the `limit` soonest
 * fires, since each of these fires before its first (index tasks_due).
 */
export async function soonestTasks(db: Queryable, limit: number): Promise<ScheduledTask[]> {
  const { rows } = await db.query<{ id: string; name: string; trigger: Trigger; start_at: Date | null; end_at: Date | null; next_fire_at: Date }>(
    `select id, name, trigger, start_at, end_at, next_fire_at from tasks
     where enabled and next_fire_at is not null order by next_fire_at limit $1`, [limit]);
  return rows.map((r) => ({
    id: r.id, name: r.name, trigger: r.trigger, startAt: r.start_at?.getTime() ?? null, endAt: r.end_at?.getTime() ?? null,
    nextFireAt: r.next_fire_at.getTime(),
  }));
}
