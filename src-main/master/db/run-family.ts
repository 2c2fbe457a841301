// What each root run keeps of its family (issue 8, migration 14): the newest attempt's state, start and end, and the
// workers of every attempt. Triggers keep it as attempts change; this recomputes it for all runs in one statement.
import type pg from 'pg';
import type { Queryable } from './store';

/**
 * Migration 14 back-fills with this text, so change it only together with a new migration. Newest = highest
 * attempt number (then id), as the runs list and the dashboard count a run.
 */
export const RECOMPUTE_RUN_FAMILIES = `
update runs r set newest_state = n.state, newest_started_at = n.started_at, newest_finished_at = n.finished_at,
  family_workers = w.workers
from (select distinct on (root_run_id) root_run_id, state, started_at, finished_at from runs
      order by root_run_id, attempt desc, id desc) n
  join (select root_run_id,
          coalesce(array_agg(distinct worker_id order by worker_id) filter (where worker_id is not null), '{}') as workers
        from runs group by root_run_id) w using (root_run_id)
where r.id = n.root_run_id`;

/** For bulk loads written with triggers off (the benchmarks' generated runs); returns how many roots were set. */
export async function recomputeRunFamilies(db: Queryable | pg.Client): Promise<number> {
  return (await db.query(RECOMPUTE_RUN_FAMILIES)).rowCount ?? 0;
}
