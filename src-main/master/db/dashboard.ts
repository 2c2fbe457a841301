// The dashboard's aggregates in SQL (issue 8). A run counts once, as its final attempt: the attempt of its
// (root run, shard) with the highest number, counted when it ended; a run whose latest attempt is still in flight
// (a retry waiting or running) is not counted yet, whatever its earlier attempts did. Each root run keeps its newest
// attempt's state and times (migration 14), so the figures read one index entry per run ended in the window.
import type { FailingTask, RunningRun } from '../api/contract/dashboard';
import type { RunState, Trigger } from '../api/contract/domain';
import type { BucketCount, BucketWindow } from '../dashboard/figures';
import type { ScheduledTask } from '../dashboard/upcoming';
import { iso, type Queryable } from './store';

const ACTIVE = `('scheduled', 'queued', 'assigned', 'running')`;
const FAILED = `('failed', 'timed_out', 'lost')`;

export interface EndedFigures {
  hourRows: BucketCount[]; dayRows: BucketCount[];
  hourP95: number | null; dayP95: number | null;
  topFailing: FailingTask[];
}

/**
 * One statement: the runs whose newest attempt ended since the day window's start (index runs_roots_ended alone);
 * then counts per bucket and state, p95 durations and the tasks failing most. Reads only the day's runs, however many
 * are stored (bench/dashboard).
 */
export async function endedFigures(db: Queryable, hour: BucketWindow, day: BucketWindow, topN: number): Promise<EndedFigures> {
  const { rows } = await db.query<{
    hour_rows: Array<[number, string, number]>; day_rows: Array<[number, string, number]>;
    hour_p95: number | null; day_p95: number | null;
    top: Array<{ task_id: string; task_name: string; failures: number; ended: number; last_failure_at: string }> | null;
  }>(
    `with ended as (
       select task_id, newest_state as state, newest_finished_at as finished_at,
         (extract(epoch from newest_finished_at) * 1000)::float8 as ms,
         (extract(epoch from newest_finished_at - newest_started_at) * 1000)::float8 as took
       from runs where id = root_run_id and newest_finished_at >= to_timestamp($1 / 1000.0))
     select
       (select coalesce(json_agg(json_build_array(b, state, n)), '[]') from (
          select floor(ms / $2)::bigint as b, state, count(*)::int as n from ended where ms >= $3 group by 1, 2) h) as hour_rows,
       (select coalesce(json_agg(json_build_array(b, state, n)), '[]') from (
          select floor(ms / $4)::bigint as b, state, count(*)::int as n from ended group by 1, 2) d) as day_rows,
       (select percentile_cont(0.95) within group (order by took) from ended where ms >= $3 and took is not null) as hour_p95,
       (select percentile_cont(0.95) within group (order by took) from ended where took is not null) as day_p95,
       (select json_agg(f) from (
          select e.task_id, t.name as task_name, count(*) filter (where e.state in ${FAILED})::int as failures, count(*)::int as ended,
            to_char(max(e.finished_at) filter (where e.state in ${FAILED}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as last_failure_at
          from ended e join tasks t on t.id = e.task_id
          group by e.task_id, t.name having count(*) filter (where e.state in ${FAILED}) > 0
          order by failures desc, last_failure_at desc limit $5) f) as top`,
    [day.startMs, hour.bucketMs, hour.startMs, day.bucketMs, topN],
  );
  const r = rows[0]!;
  const counted = (list: Array<[number, string, number]>): BucketCount[] => list.map(([bucket, state, count]) => ({ bucket: Number(bucket), state, count }));
  return {
    hourRows: counted(r.hour_rows), dayRows: counted(r.day_rows),
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
