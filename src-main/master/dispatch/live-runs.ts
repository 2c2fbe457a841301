// The leader's in-memory index of runs that have not ended, by id, task and worker. The database stays the record.
import type { RunTrigger } from '../api/contract/domain';
import type { NewRun, StoredRun } from '../db/runs';
import type { ActiveRun } from './blocking';

export type LiveState = 'scheduled' | 'queued' | 'assigned' | 'running';

export interface LiveRun {
  id: string;
  taskId: string;
  rootRunId: string;
  attempt: number;
  trigger: RunTrigger;
  state: LiveState;
  plannedAt: number;
  startedAt: number | null;
  workerId: string | null;
  /** When this master last saw the run land on its worker (master clock): heartbeats that omit it count after this. */
  onWorkerSince: number | null;
  shardIndex: number;
  /** 0 = a shard broadcast not yet split over workers (no worker was eligible when it fired). */
  shardTotal: number;
  traceId: string;
  params: Record<string, unknown> | null;
  parentRunId: string | null;
  parentOutput: string | null;
  /** Since when routing found nobody for this run; the queue timeout counts from here. */
  noWorkerSince: number | null;
  /** Heartbeats in a row that did not list this running run. */
  missingBeats: number;
  /** False between the decision to create it and the commit of its row. */
  stored: boolean;
  /** The agent sent its result and it is being stored: heartbeats no longer list the run, rightly. */
  reported: boolean;
}

/** The live view of a run about to be stored (its row is being written). */
export function fromNew(r: NewRun, parentOutput: string | null): LiveRun {
  return {
    id: r.id, taskId: r.taskId, rootRunId: r.rootRunId, attempt: r.attempt, trigger: r.trigger,
    state: r.state as LiveState, plannedAt: r.plannedAt, startedAt: null, workerId: r.workerId,
    onWorkerSince: r.workerId ? Date.now() : null, shardIndex: r.shardIndex, shardTotal: r.shardTotal,
    traceId: r.traceId, params: r.params, parentRunId: r.parentRunId, parentOutput, noWorkerSince: null,
    missingBeats: 0, stored: false, reported: false,
  };
}

export function fromStored(r: StoredRun): LiveRun {
  return {
    id: r.id, taskId: r.taskId, rootRunId: r.rootRunId, attempt: r.attempt, trigger: r.trigger,
    state: r.state as LiveState, plannedAt: Date.parse(r.plannedAt),
    startedAt: r.startedAt ? Date.parse(r.startedAt) : null, workerId: r.workerId,
    onWorkerSince: r.workerId ? Date.now() : null,
    shardIndex: r.shardIndex, shardTotal: r.shardTotal, traceId: r.traceId, params: r.params,
    parentRunId: r.parentRunId, parentOutput: null, noWorkerSince: null, missingBeats: 0, stored: true, reported: false,
  };
}

export function asBlockingRun(r: LiveRun): ActiveRun {
  return { runId: r.id, state: r.state === 'scheduled' ? 'queued' : r.state, plannedAt: r.plannedAt };
}

export class LiveRuns {
  private readonly byId = new Map<string, LiveRun>();
  private readonly byTask = new Map<string, Set<string>>();

  get size(): number {
    return this.byId.size;
  }

  get(id: string): LiveRun | undefined {
    return this.byId.get(id);
  }

  add(run: LiveRun): void {
    this.byId.set(run.id, run);
    let ids = this.byTask.get(run.taskId);
    if (!ids) this.byTask.set(run.taskId, (ids = new Set()));
    ids.add(run.id);
  }

  delete(id: string): LiveRun | undefined {
    const run = this.byId.get(id);
    if (!run) return undefined;
    this.byId.delete(id);
    const ids = this.byTask.get(run.taskId);
    ids?.delete(id);
    if (ids?.size === 0) this.byTask.delete(run.taskId);
    return run;
  }

  ofTask(taskId: string): LiveRun[] {
    return [...(this.byTask.get(taskId) ?? [])].map((id) => this.byId.get(id)!);
  }

  ofWorker(workerId: string): LiveRun[] {
    return this.all().filter((r) => r.workerId === workerId && (r.state === 'assigned' || r.state === 'running'));
  }

  /** Tasks with runs waiting in the queue, for a pump when capacity appears. */
  tasksWithQueued(): Set<string> {
    return new Set(this.all().filter((r) => r.state === 'queued').map((r) => r.taskId));
  }

  all(): LiveRun[] {
    return [...this.byId.values()];
  }
}
