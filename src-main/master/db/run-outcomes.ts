// The dashboard's rollups of ended runs (issue 8, migration 20): runs per minute by final state, and per task per
// 10 minutes the runs ended, failed and the last failure. A run counts once, as its newest attempt, when that ended:
// database triggers add a root run when its kept newest attempt (migration 14) ends and take it away when that
// changes (a retry starts, the run is deleted by retention), so every write path and every master is covered.
import type pg from 'pg';
import type { Queryable } from './store';

/** The final states the top failing tasks count; the dashboard's success rate counts the same ones as failures. */
export const FAILING_STATES = `('failed', 'timed_out', 'lost')`;

/** Minutes since 1970 of a time, and its 10-minute slot: the hour window is whole minutes, the day's whole slots. */
const minuteOf = (t: string) => `floor(date_part('epoch', ${t}) / 60)::bigint`;
const slotOf = (t: string) => `floor(date_part('epoch', ${t}) / 600)::bigint`;

/**
 * Adds (n = 1) or takes away (n = -1) the ended root runs of `ends` (rows of state, finished_at, task_id, n), in key
 * order so two statements never wait on each other's rollup rows in opposite orders. A taken-away failure reads
 * its slot's last failure again from runs (index runs_roots_ended, newest first within the slot); rows at zero go.
 * Counts are sums, so the order in which nested statements (migration 14's touch of a root) apply them does not
 * matter; the last failure would only go stale if one statement ended a root as failed and also changed a later
 * attempt of it, which no write path does (a retry is added by a later statement).
 */
export function countEndsSql(ends: string): string {
  return `
insert into run_outcomes_by_minute as r (minute, state, runs)
  select ${minuteOf('finished_at')}, state, sum(n) from ${ends} group by 1, 2 having sum(n) <> 0 order by 1, 2
  on conflict (minute, state) do update set runs = r.runs + excluded.runs;
delete from run_outcomes_by_minute r using (select distinct ${minuteOf('finished_at')} as minute, state from ${ends}) k
  where r.minute = k.minute and r.state = k.state and r.runs = 0;
insert into run_failures_by_task as r (slot, task_id, ended, failures, last_failure_at)
  select ${slotOf('finished_at')}, task_id, sum(n), coalesce(sum(n) filter (where state in ${FAILING_STATES}), 0),
    max(finished_at) filter (where state in ${FAILING_STATES} and n > 0)
  from ${ends} group by 1, 2 order by 1, 2
  on conflict (slot, task_id) do update set ended = r.ended + excluded.ended, failures = r.failures + excluded.failures,
    last_failure_at = greatest(r.last_failure_at, excluded.last_failure_at);
update run_failures_by_task r set last_failure_at = (
    select newest_finished_at from runs where id = root_run_id and task_id = r.task_id
      and newest_finished_at >= to_timestamp(r.slot * 600) and newest_finished_at < to_timestamp((r.slot + 1) * 600)
      and newest_state in ${FAILING_STATES} order by newest_finished_at desc limit 1)
  from (select distinct ${slotOf('finished_at')} as slot, task_id from ${ends} where n < 0 and state in ${FAILING_STATES}) gone
  where r.slot = gone.slot and r.task_id = gone.task_id;
delete from run_failures_by_task r using (select distinct ${slotOf('finished_at')} as slot, task_id from ${ends}) k
  where r.slot = k.slot and r.task_id = k.task_id and r.ended = 0;`;
}

/** Both rollups from every stored root run. Migration 20 back-fills with this text: change it only with a new one. */
export const FILL_RUN_OUTCOMES = `
insert into run_outcomes_by_minute (minute, state, runs)
  select ${minuteOf('newest_finished_at')}, newest_state, count(*) from runs
  where id = root_run_id and newest_finished_at is not null group by 1, 2;
insert into run_failures_by_task (slot, task_id, ended, failures, last_failure_at)
  select ${slotOf('newest_finished_at')}, task_id, count(*), count(*) filter (where newest_state in ${FAILING_STATES}),
    max(newest_finished_at) filter (where newest_state in ${FAILING_STATES})
  from runs where id = root_run_id and newest_finished_at is not null group by 1, 2;`;

/** For bulk loads written with triggers off (bench/lib/bulk-load.ts): the rollups as the triggers would keep them. */
export async function fillRunOutcomes(db: Queryable | pg.Client): Promise<void> {
  await db.query(`delete from run_outcomes_by_minute; delete from run_failures_by_task; ${FILL_RUN_OUTCOMES}`);
}
