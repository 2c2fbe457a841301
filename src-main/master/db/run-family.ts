// What each root run keeps of its family (issue 8, migration 14): the newest attempt's state, start and end, and the
// workers of every attempt. Triggers keep it as attempts change; this recomputes it in one statement.
import type pg from 'pg';
import type { Queryable } from './store';

/** Sets the kept columns of the roots listed by `families` (a query of root ids). Newest = highest attempt, then id. */
function recompute(families: string): string {
  return `
update runs r set newest_state = n.state, newest_started_at = n.started_at, newest_finished_at = n.finished_at,
  family_workers = w.workers
from (select distinct on (root_run_id) root_run_id, state, started_at, finished_at from runs
      where root_run_id in (${families}) order by root_run_id, attempt desc, id desc) n
  join (select root_run_id,
          coalesce(array_agg(distinct worker_id order by worker_id) filter (where worker_id is not null), '{}') as workers
        from runs where root_run_id in (${families}) group by root_run_id) w using (root_run_id)
where r.id = n.root_run_id`;
}

/** Every root. Migration 14 back-fills with this text, so change it only together with a new migration. */
export const RECOMPUTE_RUN_FAMILIES = recompute('select root_run_id from runs');

/**
 * For bulk loads written with triggers off (the benchmarks' generated runs), which give each root its own state,
 * times and worker as a lone attempt would have them: sets the roots that have later attempts. Updating every root
 * instead rewrote every index entry of a million runs, trigram indexes included (over 5 minutes on the shared machine).
 */
export async function recomputeRetriedFamilies(db: Queryable | pg.Client): Promise<number> {
  return (await db.query(recompute('select root_run_id from runs where id <> root_run_id'))).rowCount ?? 0;
}

/**
 * For the same bulk loads: one row per (worker, root) in run_family_workers (migration 19), from the roots' kept
 * workers, as that migration's triggers would have written them.
 */
export async function fillFamilyWorkers(db: Queryable | pg.Client): Promise<number> {
  return (await db.query(`insert into run_family_workers (worker_id, created_at, root_run_id)
    select distinct w, created_at, id from runs, unnest(family_workers) w where id = root_run_id on conflict do nothing`)).rowCount ?? 0;
}
