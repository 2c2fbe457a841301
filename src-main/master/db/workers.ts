// Workers repository: identity is (group, name); live metrics are flushed in batches, not per heartbeat.
import { BatonError } from '../api/contract/errors';
import type { RunState, Worker, WorkerMetrics, WorkerStatus } from '../api/contract/domain';
import type { WorkerRun } from '../api/contract/worker-detail';
import { newId } from './ids';
import { iso, type Queryable } from './store';

export type AdminState = 'enabled' | 'disabled' | 'draining';

interface WorkerRow {
  id: string; name: string; group_id: string; host: string; ip: string; version: string;
  labels: Record<string, string>; handlers: string[]; capacity: number; admin_state: AdminState;
  online: boolean; last_heartbeat_at: Date | null; metrics: WorkerMetrics | null; created_at: Date; updated_at: Date;
  /** Runs assigned to it and not ended; only where the query joins ACTIVE_COUNTS. */
  active_runs?: number;
}

/**
 * Status as operators read it. A draining worker is `drained` once the database holds no run of it in flight, so the
 * answer is the same on every master and after a leader change. `activeRuns` unknown (null): still `draining`.
 */
export function workerStatus(admin: AdminState, online: boolean, activeRuns: number | null = null): WorkerStatus {
  if (admin === 'disabled') return 'disabled';
  if (!online) return 'offline';
  if (admin === 'draining') return activeRuns === 0 ? 'drained' : 'draining';
  return 'online';
}

/** The operator's setting behind a status (what a new leader's view of the worker must keep). */
export function adminStateOf(status: WorkerStatus): AdminState {
  if (status === 'disabled') return 'disabled';
  return status === 'draining' || status === 'drained' ? 'draining' : 'enabled';
}

function toWorker(r: WorkerRow): Worker {
  return {
    id: r.id, name: r.name, groupId: r.group_id, host: r.host, ip: r.ip, version: r.version,
    labels: r.labels, handlers: r.handlers, capacity: r.capacity,
    status: workerStatus(r.admin_state, r.online, r.active_runs ?? null),
    // An offline worker's last figures are history, not its state: they are not shown as if live (issue 8).
    lastHeartbeatAt: iso(r.last_heartbeat_at), metrics: r.online ? r.metrics : null,
    createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(),
  };
}

const ACTIVE = `('scheduled', 'queued', 'assigned', 'running')`;
/** Workers with their runs in flight counted (from the partial index of active runs: few rows). */
const WITH_ACTIVE = `select w.*, coalesce(a.n, 0)::int as active_runs from workers w
  left join (select worker_id, count(*) as n from runs where state in ${ACTIVE} and worker_id is not null group by worker_id) a
    on a.worker_id = w.id`;

export async function listWorkers(db: Queryable, groupId?: string): Promise<Worker[]> {
  const { rows } = groupId
    ? await db.query<WorkerRow>(`${WITH_ACTIVE} where w.group_id = $1 order by w.created_at`, [groupId])
    : await db.query<WorkerRow>(`${WITH_ACTIVE} order by w.created_at`);
  return rows.map(toWorker);
}

export async function getWorker(db: Queryable, id: string): Promise<Worker> {
  return (await getWorkerCounted(db, id)).worker;
}

/** The worker and how many of its runs are in flight. */
export async function getWorkerCounted(db: Queryable, id: string): Promise<{ worker: Worker; activeRuns: number }> {
  const { rows } = await db.query<WorkerRow>(
    `select w.*, (select count(*) from runs r where r.worker_id = w.id and r.state in ${ACTIVE})::int as active_runs
     from workers w where w.id = $1`, [id]);
  if (!rows[0]) throw new BatonError('not_found', `No worker with id ${id}.`, 'id');
  return { worker: toWorker(rows[0]), activeRuns: rows[0].active_runs ?? 0 };
}

/** The worker's newest runs (any attempt), newest first. */
export async function runsOfWorker(db: Queryable, id: string, limit: number): Promise<WorkerRun[]> {
  const { rows } = await db.query<{
    id: string; task_id: string; task_name: string; attempt: number; state: RunState; planned_at: Date; started_at: Date | null; finished_at: Date | null;
  }>(
    `select r.id, r.task_id, t.name as task_name, r.attempt, r.state, r.planned_at, r.started_at, r.finished_at
     from runs r join tasks t on t.id = r.task_id where r.worker_id = $1 order by r.id desc limit $2`, [id, limit]);
  return rows.map((r) => ({
    id: r.id, taskId: r.task_id, taskName: r.task_name, attempt: r.attempt, state: r.state,
    plannedAt: r.planned_at.toISOString(), startedAt: iso(r.started_at), finishedAt: iso(r.finished_at),
  }));
}

export function onlineWorker(name: string): BatonError {
  return new BatonError('conflict', `Worker ${name} is online; only an offline worker can be deleted. Stop its agent first (drain it first to let its runs end).`, 'id');
}

/**
 * Deletes an offline worker with no run in flight, in one statement so an agent joining meanwhile cannot be deleted.
 * Its runs keep its id and name; its samples go with it; its credential is revoked, so the agent cannot come back
 * under that name without a new enrolment.
 */
export async function deleteWorker(db: Queryable, id: string): Promise<void> {
  const { rows } = await db.query<{ name: string; online: boolean; active: number; deleted: boolean }>(
    `with target as (
       select w.id, w.name, w.group_id, w.online,
         (select count(*) from runs r where r.worker_id = w.id and r.state in ${ACTIVE})::int as active
       from workers w where w.id = $1 for update),
     gone as (delete from workers w using target t where w.id = t.id and not t.online and t.active = 0 returning w.id, w.name, w.group_id),
     revoked as (
       update agent_credentials c set revoked_at = now() from gone g
       where c.group_id = g.group_id and c.worker_name = g.name and c.revoked_at is null returning c.id)
     select t.name, t.online, t.active, exists (select 1 from gone) as deleted from target t`,
    [id],
  );
  const row = rows[0];
  if (!row) throw new BatonError('not_found', `No worker with id ${id}.`, 'id');
  if (row.deleted) return;
  if (row.online) throw onlineWorker(row.name);
  throw new BatonError('conflict', `Worker ${row.name} still has ${row.active} run(s) in flight; wait until they end (they are declared lost when its lease runs out).`, 'id', { activeRuns: row.active });
}

export interface WorkerHello {
  name: string; groupId: string; host: string; ip: string; version: string;
  labels: Record<string, string>; handlers: string[]; capacity: number;
}

/** Registers a connecting agent (or refreshes the row it had) and marks it online. */
export async function workerConnected(db: Queryable, hello: WorkerHello): Promise<{ worker: Worker; admin: AdminState }> {
  const { rows } = await db.query<WorkerRow>(
    `insert into workers (id, name, group_id, host, ip, version, labels, handlers, capacity, online, last_heartbeat_at, updated_by)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, true, now(), 'agent')
     on conflict (group_id, name) do update set host = excluded.host, ip = excluded.ip, version = excluded.version,
       labels = excluded.labels, handlers = excluded.handlers, capacity = excluded.capacity,
       online = true, last_heartbeat_at = now(), updated_at = now(), updated_by = 'agent'
     returning *`,
    [newId('wrk'), hello.name, hello.groupId, hello.host, hello.ip, hello.version, JSON.stringify(hello.labels), hello.handlers, hello.capacity],
  );
  return { worker: toWorker(rows[0]!), admin: rows[0]!.admin_state };
}

export async function workerOffline(db: Queryable, id: string): Promise<void> {
  await db.query(`update workers set online = false, updated_at = now() where id = $1`, [id]);
}

/** At start-up no agent is connected to this master yet, whatever the table says. */
export async function allWorkersOffline(db: Queryable): Promise<void> {
  await db.query('update workers set online = false where online');
}

export async function setAdminState(db: Queryable, id: string, state: AdminState, by = 'api'): Promise<Worker> {
  const r = await db.query('update workers set admin_state = $2, updated_at = now(), updated_by = $3 where id = $1', [id, state, by]);
  if (r.rowCount === 0) throw new BatonError('not_found', `No worker with id ${id}.`, 'id');
  return getWorker(db, id);
}

export interface MetricsSample { id: string; at: number; metrics: WorkerMetrics }

export async function saveMetrics(db: Queryable, samples: MetricsSample[]): Promise<void> {
  if (samples.length === 0) return;
  await db.query(
    `update workers w set last_heartbeat_at = to_timestamp(s.at / 1000.0), metrics = s.metrics
     from (select unnest($1::text[]) as id, unnest($2::float8[]) as at, unnest($3::jsonb[]) as metrics) s
     where w.id = s.id`,
    [samples.map((s) => s.id), samples.map((s) => s.at), samples.map((s) => JSON.stringify(s.metrics))],
  );
}
