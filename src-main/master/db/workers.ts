// Workers repository: identity is (group, name); live metrics are flushed in batches, not per heartbeat.
import { BatonError } from '../api/contract/errors';
import type { Worker, WorkerMetrics, WorkerStatus } from '../api/contract/domain';
import { newId } from './ids';
import { iso, type Queryable } from './store';

export type AdminState = 'enabled' | 'disabled' | 'draining';

interface WorkerRow {
  id: string; name: string; group_id: string; host: string; ip: string; version: string;
  labels: Record<string, string>; handlers: string[]; capacity: number; admin_state: AdminState;
  online: boolean; last_heartbeat_at: Date | null; metrics: WorkerMetrics | null; created_at: Date; updated_at: Date;
}

export function workerStatus(admin: AdminState, online: boolean): WorkerStatus {
  if (admin === 'disabled') return 'disabled';
  if (!online) return 'offline';
  return admin === 'draining' ? 'draining' : 'online';
}

function toWorker(r: WorkerRow): Worker {
  return {
    id: r.id, name: r.name, groupId: r.group_id, host: r.host, ip: r.ip, version: r.version,
    labels: r.labels, handlers: r.handlers, capacity: r.capacity,
    status: workerStatus(r.admin_state, r.online),
    lastHeartbeatAt: iso(r.last_heartbeat_at), metrics: r.metrics,
    createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(),
  };
}

export async function listWorkers(db: Queryable, groupId?: string): Promise<Worker[]> {
  const { rows } = groupId
    ? await db.query<WorkerRow>('select * from workers where group_id = $1 order by created_at', [groupId])
    : await db.query<WorkerRow>('select * from workers order by created_at');
  return rows.map(toWorker);
}

export async function getWorker(db: Queryable, id: string): Promise<Worker> {
  const { rows } = await db.query<WorkerRow>('select * from workers where id = $1', [id]);
  if (!rows[0]) throw new BatonError('not_found', `No worker with id ${id}.`, 'id');
  return toWorker(rows[0]);
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
  const { rows } = await db.query<WorkerRow>(
    'update workers set admin_state = $2, updated_at = now(), updated_by = $3 where id = $1 returning *', [id, state, by],
  );
  if (!rows[0]) throw new BatonError('not_found', `No worker with id ${id}.`, 'id');
  return toWorker(rows[0]);
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
