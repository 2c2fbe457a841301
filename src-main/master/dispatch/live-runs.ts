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
  /** Since when routing found nobody for this run; the queue timeout counts from here. */
  noWorkerSince: number | null;
  /** Heartbeats in a row that did not list this running run. */
  missingBeats: number;
  /** False between the decision to create it and the commit of its row. */
  stored: boolean;
  /** The agent sent its result and it is being stored: heartbeats no longer list the run, rightly. */
  reported: boolean;
  /** The worker the previous attempt failed or was lost on: routing prefers any other eligible one. */
  avoidWorkerId: string | null;
  /** Its stop is being written: out of its task's queue, so a pump meanwhile does not start it. */
  withdrawn: boolean;
}

/** The live view of a run about to be stored (its row is being written). */
export function fromNew(r: NewRun): LiveRun {
  return {
    id: r.id, taskId: r.taskId, rootRunId: r.rootRunId, attempt: r.attempt, trigger: r.trigger,
    state: r.state as LiveState, plannedAt: r.plannedAt, startedAt: null, workerId: r.workerId,
    onWorkerSince: r.workerId ? Date.now() : null, shardIndex: r.shardIndex, shardTotal: r.shardTotal,
    traceId: r.traceId, params: r.params, parentRunId: r.parentRunId, noWorkerSince: null,
    missingBeats: 0, stored: false, reported: false, avoidWorkerId: null, withdrawn: false,
  };
}

export function fromStored(r: StoredRun): LiveRun {
  return {
    id: r.id, taskId: r.taskId, rootRunId: r.rootRunId, attempt: r.attempt, trigger: r.trigger,
    state: r.state as LiveState, plannedAt: Date.parse(r.plannedAt),
    startedAt: r.startedAt ? Date.parse(r.startedAt) : null, workerId: r.workerId,
    onWorkerSince: r.workerId ? Date.now() : null,
    shardIndex: r.shardIndex, shardTotal: r.shardTotal, traceId: r.traceId, params: r.params,
    parentRunId: r.parentRunId, noWorkerSince: null, missingBeats: 0, stored: true, reported: false, avoidWorkerId: null,
    withdrawn: false,
  };
}

export function asBlockingRun(r: LiveRun): ActiveRun {
  return { runId: r.id, state: r.state === 'scheduled' ? 'queued' : r.state, plannedAt: r.plannedAt };
}

/** Oldest planned first, id breaking ties: the FIFO order blocking strategies promise (see blocking.ts). */
function before(a: LiveRun, b: LiveRun): boolean {
  return a.plannedAt < b.plannedAt || (a.plannedAt === b.plannedAt && a.id < b.id);
}

interface TaskRuns { holders: Set<LiveRun>; waiting: LiveRun[]; all: Set<LiveRun> }

/**
 * Indexed by task (slot holders, and waiting runs kept in FIFO order) and by worker, so a fire or a pump
 * costs the same with ten runs in flight or ten thousand (measured: scans here took 40 % of dispatch CPU).
 * State and worker changes go through `move` to keep the indexes right.
 */
export class LiveRuns {
  private readonly byId = new Map<string, LiveRun>();
  private readonly byTask = new Map<string, TaskRuns>();
  private readonly byWorker = new Map<string, Set<LiveRun>>();

  get size(): number {
    return this.byId.size;
  }

  get(id: string): LiveRun | undefined {
    return this.byId.get(id);
  }

  add(run: LiveRun): void {
    this.byId.set(run.id, run);
    let t = this.byTask.get(run.taskId);
    if (!t) this.byTask.set(run.taskId, (t = { holders: new Set(), waiting: [], all: new Set() }));
    t.all.add(run);
    this.index(run);
  }

  /** Changes a run's state (and worker), keeping every index in step. */
  move(run: LiveRun, state: LiveState, workerId: string | null = run.workerId): void {
    this.unindex(run);
    run.state = state;
    run.workerId = workerId;
    this.index(run);
  }

  /**
   * The agent reported the run's end while its row is still being written: it holds no slot of its task any more,
   * so the next run of a serial task starts without waiting for that write (bench/lateness: a chain of serial runs
   * paid one database round trip more per run). It stays on its worker until the end is stored.
   */
  markReported(run: LiveRun): void {
    this.unindex(run);
    run.reported = true;
    this.index(run);
  }

  /**
   * A run without an agent is being stopped: it leaves its task's queue before the stop is written, or the stop of
   * the run before it (a task disabled with its runs stopped) frees the slot and a pump starts it meanwhile.
   * `withdrawn = false` puts it back (the write failed).
   */
  withdraw(run: LiveRun, withdrawn = true): void {
    this.unindex(run);
    run.withdrawn = withdrawn;
    this.index(run);
  }

  delete(id: string): LiveRun | undefined {
    const run = this.byId.get(id);
    if (!run) return undefined;
    this.byId.delete(id);
    this.unindex(run);
    const t = this.byTask.get(run.taskId)!;
    t.all.delete(run);
    if (t.all.size === 0) this.byTask.delete(run.taskId);
    return run;
  }

  ofTask(taskId: string): LiveRun[] {
    return [...(this.byTask.get(taskId)?.all ?? [])];
  }

  /** The task's runs that hold a slot (assigned or running, and not reported ended). */
  holders(taskId: string): LiveRun[] {
    return [...(this.byTask.get(taskId)?.holders ?? [])];
  }

  holderCount(taskId: string): number {
    return this.byTask.get(taskId)?.holders.size ?? 0;
  }

  /** The task's queued runs, oldest planned first. */
  waiting(taskId: string): readonly LiveRun[] {
    return this.byTask.get(taskId)?.waiting ?? [];
  }

  /** Runs assigned to or running on a worker. */
  ofWorker(workerId: string): LiveRun[] {
    return [...(this.byWorker.get(workerId) ?? [])];
  }

  /** Tasks with runs waiting in the queue, for a pump when capacity appears. */
  tasksWithQueued(): string[] {
    return [...this.byTask].filter(([, t]) => t.waiting.length > 0).map(([id]) => id);
  }

  all(): LiveRun[] {
    return [...this.byId.values()];
  }

  private index(run: LiveRun): void {
    const t = this.byTask.get(run.taskId)!;
    if (run.state === 'queued' && !run.withdrawn) insertSorted(t.waiting, run);
    if (run.state !== 'assigned' && run.state !== 'running') return;
    if (!run.reported) t.holders.add(run);
    if (!run.workerId) return;
    let w = this.byWorker.get(run.workerId);
    if (!w) this.byWorker.set(run.workerId, (w = new Set()));
    w.add(run);
  }

  private unindex(run: LiveRun): void {
    const t = this.byTask.get(run.taskId)!;
    if (run.state === 'queued') {
      const at = t.waiting.indexOf(run);
      if (at >= 0) t.waiting.splice(at, 1);
    }
    t.holders.delete(run);
    const w = run.workerId ? this.byWorker.get(run.workerId) : undefined;
    w?.delete(run);
    if (w?.size === 0) this.byWorker.delete(run.workerId!);
  }
}

/** Binary insertion: runs mostly arrive in order, so this is usually an append. */
function insertSorted(list: LiveRun[], run: LiveRun): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(list[mid]!, run)) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, run);
}
