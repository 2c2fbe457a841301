// Runs repository: every state transition is one conditional update, so a run reaches exactly one terminal state.
import { BatonError } from '../api/contract/errors';
import type { Run, RunState, RunTrigger } from '../api/contract/domain';
import { RUN_EXCERPT_CHARS } from '../api/contract/run-query';
import { iso, type Queryable } from './store';

export interface RunRow {
  id: string; task_id: string; task_name: string; root_run_id: string; attempt: number; trigger: RunTrigger;
  parent_run_id: string | null; worker_id: string | null; worker_name: string | null; shard_index: number;
  shard_total: number; trace_id: string; state: RunState; params: Record<string, unknown> | null; planned_at: Date;
  queued_at: Date | null; assigned_at: Date | null; started_at: Date | null; finished_at: Date | null;
  exit_code: number | null; output: string; error: string | null; reason: string | null; late: Run['late'];
}

export interface StoredRun extends Run { params: Record<string, unknown> | null }

export function toRun(r: RunRow): StoredRun {
  return {
    id: r.id, taskId: r.task_id, taskName: r.task_name, rootRunId: r.root_run_id, attempt: r.attempt,
    trigger: r.trigger, parentRunId: r.parent_run_id, workerId: r.worker_id, workerName: r.worker_name,
    shardIndex: r.shard_index, shardTotal: r.shard_total, traceId: r.trace_id, state: r.state,
    plannedAt: r.planned_at.toISOString(), queuedAt: iso(r.queued_at), assignedAt: iso(r.assigned_at),
    startedAt: iso(r.started_at), finishedAt: iso(r.finished_at), exitCode: r.exit_code, output: r.output,
    error: r.error, reason: r.reason, late: r.late ?? null, params: r.params,
  };
}

const SELECT = 'select r.*, t.name as task_name from runs r join tasks t on t.id = r.task_id';

/**
 * Batched updates lock their rows in id order first: two batches touching the same runs in different
 * orders otherwise deadlock (seen in bench/dispatch). `$1` must be the batch's ids.
 */
const LOCK_IN_ORDER = 'locked as (select id from runs where id = any($1::text[]) order by id for update)';
const ACTIVE = `('scheduled', 'queued', 'assigned', 'running')`;

export interface NewRun {
  id: string; taskId: string; rootRunId: string; attempt: number; trigger: RunTrigger; parentRunId: string | null;
  shardIndex: number; shardTotal: number; traceId: string; state: 'scheduled' | 'queued' | 'assigned' | 'skipped';
  workerId: string | null; workerName: string | null;
  params: Record<string, unknown> | null; plannedAt: number; reason: string | null;
}

/** Inserts runs; a scheduled fire that another master already inserted is silently left out of the result. */
export async function insertRuns(db: Queryable, runs: NewRun[]): Promise<StoredRun[]> {
  if (runs.length === 0) return [];
  const col = <K extends keyof NewRun>(k: K) => runs.map((r) => r[k]);
  const { rows } = await db.query<RunRow>(
    `with ins as (insert into runs (id, task_id, root_run_id, attempt, trigger, parent_run_id, shard_index, shard_total, trace_id,
       state, params, planned_at, queued_at, assigned_at, finished_at, reason, worker_id, worker_name)
     select id, task_id, root_run_id, attempt, trigger, parent_run_id, shard_index, shard_total, trace_id, state, params,
       to_timestamp(planned / 1000.0),
       case when state in ('queued', 'assigned') then now() end,
       case when state = 'assigned' then now() end,
       case when state = 'skipped' then now() end,
       reason, worker_id, worker_name
     from unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::int[], $8::int[], $9::text[],
       $10::text[], $11::jsonb[], $12::float8[], $13::text[], $14::text[], $15::text[])
       as u(id, task_id, root_run_id, attempt, trigger, parent_run_id, shard_index, shard_total, trace_id, state, params,
         planned, reason, worker_id, worker_name)
     on conflict do nothing
     returning *)
     select ins.*, t.name as task_name from ins join tasks t on t.id = ins.task_id`,
    [col('id'), col('taskId'), col('rootRunId'), col('attempt'), col('trigger'), col('parentRunId'), col('shardIndex'),
      col('shardTotal'), col('traceId'), col('state'), runs.map((r) => (r.params ? JSON.stringify(r.params) : null)),
      col('plannedAt'), col('reason'), col('workerId'), col('workerName')],
  );
  return rows.map(toRun);
}

export async function getRun(db: Queryable, id: string): Promise<StoredRun> {
  const { rows } = await db.query<RunRow>(`${SELECT} where r.id = $1`, [id]);
  if (!rows[0]) throw new BatonError('not_found', `No run with id ${id}.`, 'id');
  return toRun(rows[0]);
}

export interface RunFilter { taskId?: string; state?: RunState; limit: number; before?: string }

export async function listRuns(db: Queryable, f: RunFilter): Promise<StoredRun[]> {
  const { rows } = await db.query<RunRow>(
    `${SELECT} where ($1::text is null or r.task_id = $1) and ($2::text is null or r.state = $2)
       and ($3::text is null or r.id < $3) order by r.id desc limit $4`,
    [f.taskId ?? null, f.state ?? null, f.before ?? null, f.limit],
  );
  return rows.map(toRun);
}

export async function activeRuns(db: Queryable): Promise<StoredRun[]> {
  const { rows } = await db.query<RunRow>(`${SELECT} where r.state in ${ACTIVE} order by r.planned_at`);
  return rows.map(toRun);
}

/** Many queued → assigned moves in one statement; true for each run that was still queued. */
export async function markAssignedMany(db: Queryable, items: Array<{ id: string; workerId: string; workerName: string }>): Promise<boolean[]> {
  const { rows } = await db.query<{ id: string }>(
    `with ${LOCK_IN_ORDER}
     update runs r set state = 'assigned', worker_id = u.worker_id, worker_name = u.worker_name, assigned_at = now()
     from unnest($1::text[], $2::text[], $3::text[]) as u(id, worker_id, worker_name)
     where r.id = u.id and r.id in (select id from locked) and r.state = 'queued' returning r.id`,
    [items.map((i) => i.id), items.map((i) => i.workerId), items.map((i) => i.workerName)],
  );
  return claimOnce(items.map((i) => i.id), new Set(rows.map((r) => r.id)));
}

/** Many assigned → running moves in one statement (informational: a result settles the run either way). */
export async function markRunningMany(db: Queryable, items: Array<{ id: string; startedAt: number }>): Promise<boolean[]> {
  const { rows } = await db.query<{ id: string }>(
    `with ${LOCK_IN_ORDER}
     update runs r set state = 'running', started_at = to_timestamp(u.started / 1000.0)
     from unnest($1::text[], $2::float8[]) as u(id, started)
     where r.id = u.id and r.id in (select id from locked) and r.state = 'assigned' returning r.id`,
    [items.map((i) => i.id), items.map((i) => i.startedAt)],
  );
  return claimOnce(items.map((i) => i.id), new Set(rows.map((r) => r.id)));
}

/** One `true` per updated id: a duplicate in the same batch (a result sent twice) gets false. */
function claimOnce(ids: string[], updated: Set<string>): boolean[] {
  return ids.map((id) => updated.delete(id));
}

/** Back to the queue after an agent said no (busy, draining) or did not answer. */
export async function markRequeued(db: Queryable, id: string): Promise<boolean> {
  const r = await db.query(
    `update runs set state = 'queued', worker_id = null, worker_name = null, assigned_at = null
     where id = $1 and state = 'assigned'`, [id]);
  return r.rowCount === 1;
}

export async function markQueued(db: Queryable, id: string): Promise<boolean> {
  const r = await db.query(`update runs set state = 'queued', queued_at = now() where id = $1 and state = 'scheduled'`, [id]);
  return r.rowCount === 1;
}

export interface Outcome {
  state: Exclude<RunState, 'scheduled' | 'queued' | 'assigned' | 'running'>;
  exitCode?: number | null; output?: string; error?: string | null; reason?: string | null;
  startedAt?: number | null; finishedAt?: number;
}

export interface Finish { id: string; attempt: number; outcome: Outcome }

/**
 * Ends many runs in one statement, each at most once: a second result for the same (run, attempt), in this
 * batch or later, updates nothing and gets null.
 */
export async function finishRuns(db: Queryable, items: Finish[]): Promise<Array<StoredRun | null>> {
  const o = items.map((i) => i.outcome);
  const { rows } = await db.query<RunRow>(
    `with ${LOCK_IN_ORDER}, u as (
       select distinct on (id, attempt) * from unnest($1::text[], $2::int[], $3::text[], $4::int[], $5::text[], $6::text[],
         $7::text[], $8::float8[], $9::float8[]) as u(id, attempt, state, exit_code, output, error, reason, started, finished)),
     done as (
       update runs r set state = u.state, exit_code = u.exit_code, output = coalesce(u.output, r.output), error = u.error,
         reason = u.reason, started_at = coalesce(r.started_at, to_timestamp(u.started / 1000.0)),
         finished_at = coalesce(to_timestamp(u.finished / 1000.0), now())
       from u where r.id = u.id and r.id in (select id from locked) and r.attempt = u.attempt and r.state in ${ACTIVE}
       returning r.*)
     select done.*, t.name as task_name from done join tasks t on t.id = done.task_id`,
    [items.map((i) => i.id), items.map((i) => i.attempt), o.map((x) => x.state), o.map((x) => x.exitCode ?? null),
      o.map((x) => x.output ?? null), o.map((x) => x.error ?? null), o.map((x) => x.reason ?? null),
      o.map((x) => x.startedAt ?? null), o.map((x) => x.finishedAt ?? null)],
  );
  const byKey = new Map(rows.map((r) => [`${r.id}#${r.attempt}`, r]));
  return items.map((i) => {
    const key = `${i.id}#${i.attempt}`;
    const row = byKey.get(key);
    byKey.delete(key);
    return row ? toRun(row) : null;
  });
}

/** Who a run's attempt belongs to, for checking what an agent reports; null when there is no such run. */
export async function runOwner(db: Queryable, id: string): Promise<{ workerId: string | null; attempt: number; state: RunState; late: boolean } | null> {
  const { rows } = await db.query<{ worker_id: string | null; attempt: number; state: RunState; late: boolean }>(
    'select worker_id, attempt, state, late is not null as late from runs where id = $1', [id]);
  const r = rows[0];
  return r ? { workerId: r.worker_id, attempt: r.attempt, state: r.state, late: r.late } : null;
}

export interface LateResult {
  id: string; attempt: number; workerId: string;
  state: NonNullable<Run['late']>['state']; exitCode: number | null; output: string; error: string | null;
  startedAt: number; finishedAt: number;
}

/**
 * Stores a result that arrived after the master ended its attempt for want of one (declared it lost, or timed it
 * out with `no_result`), once: the state stays (what followed, the reassignment or retry, was decided on it) and
 * the result is kept beside it. Null when there was nothing to store.
 */
export async function storeLateResult(db: Queryable, r: LateResult): Promise<StoredRun | null> {
  const { rows } = await db.query<RunRow>(
    `with done as (
       update runs set late = jsonb_build_object('state', $4::text, 'exitCode', $5::int, 'error', $7::text,
           'startedAt', to_char(to_timestamp($8 / 1000.0) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           'finishedAt', to_char(to_timestamp($9 / 1000.0) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           'receivedAt', to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
         output = $6, exit_code = $5
       where id = $1 and attempt = $2 and worker_id = $3 and late is null
         and (state = 'lost' or (state = 'timed_out' and reason = 'no_result'))
       returning *)
     select done.*, t.name as task_name from done join tasks t on t.id = done.task_id`,
    [r.id, r.attempt, r.workerId, r.state, r.exitCode, r.output, r.error, r.startedAt, r.finishedAt],
  );
  return rows[0] ? toRun(rows[0]) : null;
}

/** How the earlier attempts of a run (same root and shard) ended: lost ones and failed/timed-out ones, this one included. */
export async function attemptCounts(db: Queryable, rootRunId: string, shardIndex: number): Promise<{ lost: number; failed: number }> {
  const { rows } = await db.query<{ lost: number; failed: number }>(
    `select count(*) filter (where state = 'lost')::int as lost, count(*) filter (where state in ('failed', 'timed_out'))::int as failed
     from runs where root_run_id = $1 and shard_index = $2`, [rootRunId, shardIndex]);
  return rows[0] ?? { lost: 0, failed: 0 };
}

/**
 * Recent assigned→finished latency per worker, for the `fastest` routing strategy: the newest 2,000 runs that ended in
 * the last 10 minutes, read newest first from runs_finished (the leader reads it every 10 s; issue 11: 10,000,000 runs).
 */
export async function recentLatency(db: Queryable): Promise<Map<string, number>> {
  const { rows } = await db.query<{ worker_id: string; ms: number }>(
    `select worker_id, avg(extract(epoch from finished_at - assigned_at) * 1000)::float8 as ms
     from (select worker_id, finished_at, assigned_at from runs
           where finished_at > now() - interval '10 minutes' and assigned_at is not null and worker_id is not null
           order by finished_at desc limit 2000) recent
     group by worker_id`,
  );
  return new Map(rows.map((r) => [r.worker_id, r.ms]));
}

export type StoredRunChange = Omit<StoredRun, 'output' | 'params'> & { groupId: string };

const CHANGE_COLUMNS = `r.id, r.task_id, r.root_run_id, r.attempt, r.trigger, r.parent_run_id, r.worker_id, r.worker_name,
  r.shard_index, r.shard_total, r.trace_id, r.state, r.planned_at, r.queued_at, r.assigned_at, r.started_at, r.finished_at,
  r.exit_code, r.error, r.reason, r.late, t.name as task_name, t.group_id`;

function toChange(r: RunRow & { group_id: string }): StoredRunChange {
  const { output: _output, params: _params, ...run } = toRun({ ...r, output: '', params: null });
  return { ...run, groupId: r.group_id };
}

/**
 * Runs as console events show them (no output or params), for the runs with transitions `lo`..`hi` (console
 * notices carry the id range of one statement's transitions) and the runs named in `ids`.
 */
export async function runChanges(db: Queryable, which: { range: [number, number] | null; ids: string[] }): Promise<StoredRunChange[]> {
  const { rows } = await db.query<RunRow & { group_id: string }>(
    `select ${CHANGE_COLUMNS} from runs r join tasks t on t.id = r.task_id
     where r.id in (select run_id from run_transitions where id between $1 and $2) or r.id = any($3::text[])`,
    [which.range?.[0] ?? 0, which.range?.[1] ?? -1, which.ids],
  );
  return rows.map(toChange);
}

export const LIST_COLUMNS = `r.id, r.task_id, r.root_run_id, r.attempt, r.trigger, r.parent_run_id, r.worker_id, r.worker_name,
  r.shard_index, r.shard_total, r.trace_id, r.state, null::jsonb as params, r.planned_at, r.queued_at, r.assigned_at,
  r.started_at, r.finished_at, r.exit_code, left(r.output, ${RUN_EXCERPT_CHARS}) as output, r.error, r.reason, r.late,
  t.name as task_name`;

interface TransitionRow { run_id: string; attempt: number; state: RunState; at: Date; worker_name: string | null; reason: string | null }

/** A run with every attempt of its family, the runs it started, and every transition of the family in order. */
export async function runDetail(db: Queryable, id: string): Promise<{
  run: StoredRun; attempts: StoredRun[]; children: StoredRun[];
  transitions: Array<{ runId: string; attempt: number; state: RunState; at: string; workerName: string | null; reason: string | null }>;
}> {
  const run = await getRun(db, id);
  const [attempts, children, transitions] = await Promise.all([
    db.query<RunRow>(`select ${LIST_COLUMNS} from runs r join tasks t on t.id = r.task_id
      where r.root_run_id = $1 order by r.attempt, r.id`, [run.rootRunId]),
    db.query<RunRow>(`select ${LIST_COLUMNS} from runs r join tasks t on t.id = r.task_id
      where r.parent_run_id = $1 order by r.created_at, r.id limit 200`, [id]),
    db.query<TransitionRow>(`select run_id, attempt, state, at, worker_name, reason from run_transitions
      where run_id in (select id from runs where root_run_id = $1) order by id`, [run.rootRunId]),
  ]);
  return {
    run,
    attempts: attempts.rows.map(toRun),
    children: children.rows.map(toRun),
    transitions: transitions.rows.map((t) => ({
      runId: t.run_id, attempt: t.attempt, state: t.state, at: t.at.toISOString(), workerName: t.worker_name, reason: t.reason,
    })),
  };
}

/** The attempt number a new attempt of this family and shard gets. */
export async function nextAttempt(db: Queryable, rootRunId: string, shardIndex: number): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'select coalesce(max(attempt), 0)::int + 1 as n from runs where root_run_id = $1 and shard_index = $2', [rootRunId, shardIndex]);
  return rows[0]!.n;
}
