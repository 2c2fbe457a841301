// Tasks repository: the stored definition plus the scheduler's bookkeeping (next fire, round-robin cursor).
import { BatonError } from '../api/contract/errors';
import type { RunState, Task, TaskSpec } from '../api/contract/domain';
import type { TaskListFilter } from '../api/contract/task-console';
import { newId } from './ids';
import { domainError, iso, type Queryable } from './store';

interface TaskRow {
  id: string; name: string; group_id: string; description: string; handler: string;
  params: Record<string, unknown>; trigger_params: Task['triggerParams']; trigger: Task['trigger']; misfire: Task['misfire']; routing: Task['routing'];
  blocking: Task['blocking']; timeout_ms: number; retry: Task['retry']; alerts: Task['alerts']; queue_timeout_ms: number;
  start_at: Date | null; end_at: Date | null; enabled: boolean; next_fire_at: Date | null;
  created_at: Date; updated_at: Date; archived_at: Date | null;
  last_run_id: string | null; last_run_state: RunState | null; last_run_planned_at: Date | null; last_run_finished_at: Date | null;
}

function toTask(r: TaskRow): Task {
  return {
    id: r.id, name: r.name, groupId: r.group_id, description: r.description, handler: r.handler, params: r.params,
    triggerParams: r.trigger_params,
    trigger: r.trigger, misfire: r.misfire, routing: r.routing, blocking: r.blocking, timeoutMs: r.timeout_ms,
    retry: r.retry, alerts: r.alerts, queueTimeoutMs: r.queue_timeout_ms, startAt: iso(r.start_at), endAt: iso(r.end_at),
    enabled: r.enabled, nextFireAt: iso(r.next_fire_at),
    createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(), archivedAt: iso(r.archived_at),
    lastRun: r.last_run_id && r.last_run_state && r.last_run_planned_at
      ? { id: r.last_run_id, state: r.last_run_state, plannedAt: r.last_run_planned_at.toISOString(), finishedAt: iso(r.last_run_finished_at) }
      : null,
  };
}

const COLUMNS = `name, group_id, description, handler, params, trigger, misfire, routing, blocking,
  timeout_ms, retry, alerts, queue_timeout_ms, start_at, end_at, enabled, next_fire_at, updated_by, trigger_params`;
/** Placeholders for COLUMNS after the id ($1): `$2, $3, ...`, one per column. */
const PLACEHOLDERS = COLUMNS.split(',').map((_, i) => `$${i + 2}`).join(', ');

function values(spec: TaskSpec, nextFireAt: Date | null, by: string): unknown[] {
  return [
    spec.name, spec.groupId, spec.description, spec.handler, JSON.stringify(spec.params), JSON.stringify(spec.trigger),
    JSON.stringify(spec.misfire), JSON.stringify(spec.routing), JSON.stringify(spec.blocking), spec.timeoutMs,
    JSON.stringify(spec.retry), JSON.stringify(spec.alerts), spec.queueTimeoutMs, spec.startAt, spec.endAt, spec.enabled, nextFireAt, by,
    JSON.stringify(spec.triggerParams),
  ];
}

/**
 * Each task with its newest run, one index probe per task (runs_by_task): the list's last-result column
 * without reading every run.
 */
function withLastRun(source: string): string {
  return `select t.*, lr.id as last_run_id, lr.state as last_run_state, lr.planned_at as last_run_planned_at,
    lr.finished_at as last_run_finished_at
  from ${source} t left join lateral (select id, state, planned_at, finished_at from runs where task_id = t.id
    order by created_at desc, id desc limit 1) lr on true`;
}
const WITH_LAST_RUN = withLastRun('tasks');
/** A write's returned rows with their last run, so every answer carries the same fields as tasks.get. */
const RETURNED = withLastRun('changed');

export async function listTasks(db: Queryable, filter: TaskListFilter = {}): Promise<Task[]> {
  const archived = filter.archived ?? 'exclude';
  const { rows } = await db.query<TaskRow>(
    `${WITH_LAST_RUN}
     where ($1::text is null or t.group_id = $1)
       and ($2::text is null or strpos(lower(t.name), lower($2)) > 0 or strpos(lower(t.description), lower($2)) > 0)
       and ($3::text is null or t.handler = $3)
       and ($4::boolean is null or t.enabled = $4)
       and ($5::text is null or coalesce(lr.state, 'never') = $5)
       and ($6 = 'include' or (t.archived_at is null) = ($6 = 'exclude'))
     order by t.name, t.created_at`,
    [filter.groupId ?? null, filter.search || null, filter.handler ?? null, filter.enabled ?? null, filter.lastState ?? null, archived],
  );
  return rows.map(toTask);
}

export async function getTask(db: Queryable, id: string): Promise<Task> {
  const { rows } = await db.query<TaskRow>(`${WITH_LAST_RUN} where t.id = $1`, [id]);
  if (!rows[0]) throw new BatonError('not_found', `No task with id ${id}.`, 'id');
  return toTask(rows[0]);
}

export async function existingTaskIds(db: Queryable, ids: string[]): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>('select id from tasks where id = any($1) and archived_at is null', [ids]);
  return rows.map((r) => r.id);
}

export async function insertTask(db: Queryable, spec: TaskSpec, nextFireAt: Date | null, by = 'api'): Promise<Task> {
  try {
    const { rows } = await db.query<TaskRow>(
      `with changed as (insert into tasks (id, ${COLUMNS}) values ($1, ${PLACEHOLDERS}) returning *) ${RETURNED}`,
      [newId('tsk'), ...values(spec, nextFireAt, by)],
    );
    return toTask(rows[0]!);
  } catch (error) {
    throw domainError(error, `A task named "${spec.name}" in this group`);
  }
}

export async function replaceTask(db: Queryable, id: string, spec: TaskSpec, nextFireAt: Date | null, by = 'api'): Promise<Task> {
  const sets = COLUMNS.split(',').map((c, i) => `${c.trim()} = $${i + 2}`).join(', ');
  try {
    const { rows } = await db.query<TaskRow>(
      `with changed as (update tasks set ${sets}, updated_at = now() where id = $1 and archived_at is null returning *) ${RETURNED}`,
      [id, ...values(spec, nextFireAt, by)],
    );
    if (!rows[0]) throw archivedError(await getTask(db, id));
    return toTask(rows[0]);
  } catch (error) {
    throw domainError(error, `A task named "${spec.name}" in this group`);
  }
}

/**
 * Deleting archives (issue 8): the row stays so its runs keep their task and name, but it is disabled with
 * no next fire, every fire query skips it, and its name is free (the unique index covers live tasks only).
 */
export async function archiveTask(db: Queryable, id: string, by = 'api'): Promise<Task> {
  const { rows } = await db.query<TaskRow>(
    `with changed as (update tasks set archived_at = now(), enabled = false, next_fire_at = null, updated_at = now(), updated_by = $2
     where id = $1 and archived_at is null returning *) ${RETURNED}`, [id, by],
  );
  if (rows[0]) return toTask(rows[0]);
  const task = await getTask(db, id);
  throw archivedError(task);
}

/** A change refused because the task is archived. */
export function archivedError(task: Task): BatonError {
  return new BatonError('conflict', `Task ${task.name} (${task.id}) was deleted (archived) at ${task.archivedAt}; it cannot run or change. Create a new task instead.`, 'id');
}

/** parent links of every task with a parent trigger: for cycle checks. */
export async function parentLinks(db: Queryable): Promise<Record<string, string[]>> {
  const { rows } = await db.query<{ id: string; parents: string[] }>(
    `select id, array(select jsonb_array_elements_text(trigger->'parents')) as parents from tasks where trigger->>'type' = 'parent' and archived_at is null`,
  );
  return Object.fromEntries(rows.map((r) => [r.id, r.parents]));
}

export async function childTasks(db: Queryable, parentId: string): Promise<Task[]> {
  const { rows } = await db.query<TaskRow>(
    `select * from tasks where enabled and archived_at is null and trigger->>'type' = 'parent' and trigger->'parents' ? $1`, [parentId],
  );
  return rows.map(toTask);
}

/** Enabled tasks due to fire before `untilMs`, for the planner's look-ahead: only ids and times (definitions are cached). */
export async function dueFires(db: Queryable, untilMs: number): Promise<Array<{ id: string; planned: number }>> {
  const { rows } = await db.query<{ id: string; planned: number }>(
    `select id, (extract(epoch from next_fire_at) * 1000)::float8 as planned from tasks
     where enabled and archived_at is null and next_fire_at <= to_timestamp($1 / 1000.0) order by next_fire_at`, [untilMs],
  );
  return rows.map((r) => ({ id: r.id, planned: Math.round(r.planned) }));
}

export interface Advance { id: string; planned: Date | null; next: Date | null }

/** Moves tasks' next fires only where nobody moved them first: the compare-and-set that keeps schedules single. */
export async function advanceNextFires(db: Queryable, items: Advance[]): Promise<boolean[]> {
  const { rows } = await db.query<{ id: string }>(
    `with locked as (select id from tasks where id = any($1::text[]) order by id for update)
     update tasks t set next_fire_at = u.next
     from unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) as u(id, planned, next)
     where t.id = u.id and t.id in (select id from locked) and t.next_fire_at is not distinct from u.planned returning t.id`,
    [items.map((i) => i.id), items.map((i) => i.planned), items.map((i) => i.next)],
  );
  const moved = new Set(rows.map((r) => r.id));
  return items.map((i) => moved.delete(i.id));
}

export async function setNextFire(db: Queryable, id: string, next: Date | null): Promise<void> {
  // A fixed_delay run that ends after its task was archived must not give it a next fire.
  await db.query('update tasks set next_fire_at = $2 where id = $1 and archived_at is null', [id, next]);
}

export async function bumpCursor(db: Queryable, id: string, cursor: number): Promise<void> {
  await db.query('update tasks set rr_cursor = $2 where id = $1', [id, cursor]);
}
