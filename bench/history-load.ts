// Generates stored history for bench/history.ts: millions of finished runs through SQL in the real schema, with the
// rows the console reads for each run (its transitions, and a log batch for one run in ten).
import type pg from 'pg';
import { Blocking, Misfire, Retry, Routing } from '../src-main/master/api/contract/domain';
import { withClient } from './lib/cluster';
import { round } from './lib/util';

const BATCH = 250_000;
const TASKS = 100;
const DAY_MS = 86_400_000;

export interface HistoryShape {
  runs: number;
  /** Runs finished 31–40 days ago: past a 30-day retention, the rest within it. */
  old: number;
}

/**
 * Per batch one statement: generate_series makes the runs, and the same statement writes their four transitions
 * (queued, assigned, running, final: what the triggers write for a real run) and log batches. With
 * session_replication_role = replica the per-statement triggers (transitions, console NOTIFY) and foreign-key checks
 * are skipped, which is why the transitions are written here in bulk. Returns seconds taken.
 */
export async function loadHistory(url: string, shape: HistoryShape, log: (m: string) => void): Promise<number> {
  const t0 = performance.now();
  await withClient(url, async (c) => {
    const { rows: [group] } = await c.query<{ id: string }>(`insert into groups (id, name) values ('grp_history', 'history') returning id`);
    await c.query(
      `insert into tasks (id, name, group_id, handler, trigger, misfire, routing, blocking, retry)
       select 'tsk_history_' || i, 'history-' || i, $1, 'noop', '{"type":"api"}', $3, $4, $5, $6
       from generate_series(0, $2 - 1) i`,
      [group!.id, TASKS, ...[Misfire, Routing, Blocking, Retry].map((schema) => JSON.stringify(schema.parse({})))]);
    await c.query('set session_replication_role = replica');
    const indexes = await dropIndexes(c);
    const now = Date.now();
    for (let lo = 0; lo < shape.runs; lo += BATCH) {
      const hi = Math.min(shape.runs, lo + BATCH) - 1;
      await c.query(INSERT, [lo, hi, shape.old, shape.runs, new Date(now - 40 * DAY_MS), new Date(now - 29 * DAY_MS), TASKS]);
      if ((hi + 1) % 1_000_000 === 0 || hi + 1 === shape.runs) log(`history: ${hi + 1} runs stored (${round((performance.now() - t0) / 1_000)} s)`);
    }
    await c.query('set session_replication_role = origin');
    log(`history: building ${indexes.length} indexes (${round((performance.now() - t0) / 1_000)} s)`);
    await c.query(`set maintenance_work_mem = '256MB'`);
    for (const definition of indexes) await c.query(definition);
    log('history: vacuum analyze');
    await c.query('vacuum (analyze) runs, run_transitions, run_logs');
  });
  return (performance.now() - t0) / 1_000;
}

/**
 * Drops the indexes of the run tables that back no constraint (whatever migrations made them) and returns how to
 * make them again: built once over sorted data they cost a fraction of millions of one-by-one insertions.
 */
async function dropIndexes(c: pg.Client): Promise<string[]> {
  const { rows } = await c.query<{ name: string; definition: string }>(
    `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as definition
     from pg_index i where i.indrelid in ('runs'::regclass, 'run_transitions'::regclass, 'run_logs'::regclass)
       and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)`);
  for (const r of rows) await c.query(`drop index ${r.name}`);
  return rows.map((r) => r.definition);
}

// $1..$2: run numbers; $3: how many are old; $4: all; $5: when old runs start (9 days of them), $6: when recent runs
// start (29 days up to an hour ago); $7: tasks. One task in three fails now and then; some time out.
const INSERT = `
with gen as (
  select i, 'run_h' || lpad(i::text, 9, '0') as id, 'tsk_history_' || (i % $7) as task_id,
    case when i < $3 then $5::timestamptz + (i::float8 / greatest($3, 1)) * interval '9 days'
         else $6::timestamptz + ((i - $3)::float8 / greatest($4 - $3, 1)) * (interval '29 days' - interval '1 hour') end as t,
    case when i % 97 = 0 then 'timed_out' when i % 31 = 0 then 'failed' else 'succeeded' end as state
  from generate_series($1::int, $2::int) i
), ins as (
  insert into runs (id, task_id, root_run_id, attempt, trigger, worker_id, worker_name, trace_id, state, planned_at,
                    created_at, queued_at, assigned_at, started_at, finished_at, exit_code, error, reason, log_lines,
                    newest_state, newest_started_at, newest_finished_at, family_workers)
  select id, task_id, id, 1, 'schedule', 'wrk_history_' || (i % 8), 'history-agent-' || (i % 8), md5(id), state, t,
         t + interval '2 ms', t + interval '2 ms', t + interval '4 ms', t + interval '6 ms', t + (20 + i % 200) * interval '1 ms',
         case state when 'succeeded' then 0 when 'failed' then 1 end,
         case state when 'failed' then 'exit code 1' when 'timed_out' then 'timed out' end,
         case state when 'timed_out' then 'timeout' end,
         case when i % 10 = 0 then 2 else 0 end,
         -- What migration 14's triggers (off during the load) keep on a root: a lone attempt is its own newest.
         state, t + interval '6 ms', t + (20 + i % 200) * interval '1 ms', array['wrk_history_' || (i % 8)]
  from gen
  returning id, state, queued_at, assigned_at, started_at, finished_at, worker_name, log_lines
), tr as (
  insert into run_transitions (run_id, attempt, state, at, worker_name, reason)
  select ins.id, 1, s.state, s.at, ins.worker_name, null
  from ins cross join lateral (values ('queued', ins.queued_at), ('assigned', ins.assigned_at),
                                      ('running', ins.started_at), (ins.state, ins.finished_at)) s(state, at)
)
insert into run_logs (run_id, seq, stream, lines, at)
select id, 1, 'stdout', array['starting', 'done'], finished_at from ins where log_lines > 0`;
