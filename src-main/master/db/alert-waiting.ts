// Runs still waiting in the queue for a worker, for the queue_wait alert raised while they wait (issue 10).
import type { WaitingRun } from '../alerts/rules';
import type { Queryable } from './store';

/** Queued runs that entered the queue before `before`, oldest first; bounded so a huge backlog is read a slice at a time. */
export async function waitingRuns(db: Queryable, before: Date, limit: number): Promise<WaitingRun[]> {
  const { rows } = await db.query<{
    id: string; task_id: string; task_name: string; group_id: string; root_run_id: string; attempt: number; trace_id: string; queued_at: Date;
  }>(
    `select r.id, r.task_id, t.name as task_name, t.group_id, r.root_run_id, r.attempt, r.trace_id, r.queued_at
     from runs r join tasks t on t.id = r.task_id
     where r.state = 'queued' and r.queued_at < $1 order by r.queued_at limit $2`, [before, limit]);
  return rows.map((r) => ({
    id: r.id, taskId: r.task_id, taskName: r.task_name, groupId: r.group_id, rootRunId: r.root_run_id, attempt: r.attempt,
    traceId: r.trace_id, queuedAt: r.queued_at.toISOString(),
  }));
}
