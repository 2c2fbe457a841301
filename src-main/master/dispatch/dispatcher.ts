// Turns fires into runs on workers: blocking, routing, assignment over Socket.IO, and the queue of waiting runs.
// Every decision is made synchronously on the in-memory view (so no two decisions interleave), then written
// through batched statements; a run reaches an agent only after its row is committed.
import type { AssignAck, RunAssign } from 'baton-agent/protocol';
import type { RunTrigger, Task } from '../api/contract/domain';
import type { AgentRegistry, AgentSession } from '../agents/registry';
import { newId, newTraceId } from '../db/ids';
import type { RunWriter } from '../db/run-writer';
import { markRequeued, type NewRun, type StoredRun } from '../db/runs';
import type { Db } from '../db/store';
import { childTasks, getTask } from '../db/tasks';
import { parentRuns } from '../db/workflow';
import type { Logger } from '../log';
import type { MasterMetrics } from '../metrics/instruments';
import { decideBlocking, decideBySlots, freeSlots } from './blocking';
import { asBlockingRun, fromNew, LiveRuns, type LiveRun } from './live-runs';
import { ParkedFires } from './parked-fires';
import { route, type Candidate, type RouteDecision } from './routing';
import { spanIdOf } from '../tracing/traceparent';

/** How long an agent has to accept or refuse an assignment before the run goes back to the queue. */
const ASSIGN_ACK_MS = 10_000;

export interface FireExtra {
  params?: Record<string, unknown>;
  parentRunId?: string;
  /** The trace the new runs join (an API caller's, a parent run's); a new trace when absent. */
  trace?: { traceId: string; parentSpanId?: string };
}

export interface DispatchDeps {
  db: Db;
  writer: RunWriter;
  registry: AgentRegistry;
  log: Logger;
  heartbeatMs: number;
  metrics: MasterMetrics;
}

/** The tail of each parent's output sent with a run: 32 parents stay within Socket.IO's 1 MB message limit. */
const PARENT_OUTPUT_MAX = 16_384;

/** A run decided in memory, to be stored and then (if it has one) sent to its worker. */
interface Planned { row: NewRun; session: AgentSession | null }

/** What a fire decided: the runs to store, the runs it covers, and whether its one run waits for its slot unstored. */
interface FirePlan { planned: Planned[]; cover: string[]; park: boolean }

export class Dispatcher {
  readonly runs = new LiveRuns();
  readonly parked = new ParkedFires<AgentSession>();
  private readonly tasks = new Map<string, Task>();
  private readonly children = new Map<string, Promise<Task[]>>();
  private readonly cursors = new Map<string, number>();
  latency = new Map<string, number>();

  constructor(private readonly deps: DispatchDeps) {}

  async task(taskId: string): Promise<Task> {
    const cached = this.tasks.get(taskId);
    if (cached) return cached;
    const task = await getTask(this.deps.db, taskId);
    this.tasks.set(taskId, task);
    return task;
  }

  /** Child tasks of a parent, cached until any task changes. */
  childrenOf(taskId: string): Promise<Task[]> {
    let children = this.children.get(taskId);
    if (!children) {
      children = childTasks(this.deps.db, taskId);
      this.children.set(taskId, children);
      children.catch(() => this.children.delete(taskId));
    }
    return children;
  }

  taskChanged(task: Task | { id: string; deleted: true }): void {
    this.children.clear();
    if ('deleted' in task) this.tasks.delete(task.id);
    else this.tasks.set(task.id, task);
  }

  /** One fire of a task: applies its blocking strategy, then routes. Returns the runs it stored. */
  async fire(task: Task, plannedAt: number, trigger: RunTrigger, extra: FireExtra = {}): Promise<StoredRun[]> {
    this.deps.metrics.fired(trigger);
    const { planned, cover, park } = this.planFire(task, this.newRun(task, plannedAt, trigger, extra));
    for (const id of cover) {
      // The new run waits for these either way; a stop that cannot be written leaves them to their queue time-out.
      this.stopRun(id, 'covered').catch((error: unknown) => {
        this.deps.log.warn({ err: error, runId: id, task: task.name }, 'could not stop a run that a newer fire covers');
      });
    }
    const [first] = planned;
    if (park && first) return this.parked.hold(first.row.id, (session) => this.commit(task, [session ? assignedTo(first, session) : first]));
    return this.commit(task, planned);
  }

  /** Synchronous: decides and reserves in memory, so the next decision already sees this one. */
  private planFire(task: Task, base: NewRun): FirePlan {
    // Holders plus the head of the queue decide every strategy; cover_earlier also stops the whole queue.
    const waiting = this.runs.waiting(task.id);
    const queue = task.blocking.strategy === 'cover_earlier' ? waiting : waiting.slice(0, 1);
    const bySlots = task.blocking.strategy === 'serial' || task.blocking.strategy === 'concurrent';
    const blocking = bySlots
      ? decideBySlots(task.blocking, this.runs.holderCount(task.id), waiting.length)
      : decideBlocking(task.blocking, [...this.runs.holders(task.id), ...queue].map(asBlockingRun));
    const unsplit = { ...base, shardTotal: task.routing.strategy === 'shard_broadcast' ? 0 : 1 };
    switch (blocking.kind) {
      case 'skip':
        return { planned: [{ row: { ...base, state: 'skipped', reason: blocking.reason }, session: null }], cover: [], park: false };
      case 'wait': {
        // Only a scheduled fire first in line: an API caller gets its answer at once, and a queue keeps its order.
        const park = bySlots && base.trigger === 'schedule' && waiting.length === 0 && unsplit.shardTotal === 1;
        return { planned: [this.reserve({ row: unsplit, session: null })], cover: [], park };
      }
      case 'cover':
        // The new run waits in the queue until the covered ones have ended (or were killed): never two at once.
        return { planned: [this.reserve({ row: unsplit, session: null })], cover: blocking.stopRunIds, park: false };
      case 'start': {
        const decision = this.route(task, base.params ?? task.params, base.id);
        if (decision.kind === 'none') {
          const waiting = this.reserve({ row: unsplit, session: null });
          this.runs.get(waiting.row.id)!.noWorkerSince = Date.now();
          return { planned: [waiting], cover: [], park: false };
        }
        const sessions = decision.workerIds.map((id) => this.deps.registry.get(id)!);
        return { planned: sessions.map((s, i) => this.reserve(this.onWorker(task, base, s, i, sessions.length))), cover: [], park: false };
      }
    }
  }

  /** Shard `index` of `total` of a fire, assigned to `session`; shard 0 keeps the fire's own id. */
  private onWorker(task: Task, base: NewRun, session: AgentSession, index: number, total: number): Planned {
    const id = index === 0 ? base.id : newId('run');
    const row: NewRun = {
      ...base, id, rootRunId: index === 0 ? base.rootRunId : id, 
      shardIndex: index, shardTotal: total, state: 'assigned', workerId: session.workerId, workerName: session.name,
    };
    return { row, session };
  }

  private reserve(p: Planned): Planned {
    if (p.row.state !== 'skipped') this.runs.add(fromNew(p.row));
    if (p.session) {
      p.session.running.add(p.row.id);
      p.session.lastAssignedAt = Date.now();
    }
    return p;
  }

  /** Stores the planned rows (one batched statement), then sends the assigned ones; undoes what was not stored. */
  private async commit(task: Task, planned: Planned[]): Promise<StoredRun[]> {
    let rows: StoredRun[];
    try {
      rows = await this.deps.writer.insert(planned.map((p) => p.row));
    } catch (error) {
      for (const p of planned) this.unreserve(p);
      throw error;
    }
    const stored = new Set(rows.map((r) => r.id));
    for (const p of planned) {
      if (!stored.has(p.row.id)) { this.unreserve(p); continue; }
      const live = this.runs.get(p.row.id);
      if (!live) continue;
      live.stored = true;
      if (p.session) {
        // Fire and forget, so a failed write after the agent's answer (a database outage) is logged, not thrown:
        // the run's lease and its result settle it either way.
        this.send(live, p.session, task).catch((error: unknown) => {
          this.deps.log.warn({ err: error, runId: live.id }, 'could not record the agent\'s answer to an assignment');
        });
      }
    }
    return rows;
  }

  private unreserve(p: Planned): void {
    this.runs.delete(p.row.id);
    p.session?.running.delete(p.row.id);
  }

  newRun(task: Task, plannedAt: number, trigger: RunTrigger, extra: FireExtra): NewRun {
    const id = newId('run');
    return {
      id, taskId: task.id, rootRunId: id, attempt: 1, trigger, parentRunId: extra.parentRunId ?? null,
      shardIndex: 0, shardTotal: 1, traceId: extra.trace?.traceId ?? newTraceId(), state: 'queued', params: extra.params ?? null,
      plannedAt, reason: null, workerId: null, workerName: null,
    };
  }

  /** `avoid`: a worker to pass over when any other is eligible (the one the previous attempt failed or was lost on). */
  private route(
    task: Task, params: Record<string, unknown>, runId: string, strategyOverride?: Task['routing']['strategy'], avoid?: string | null,
  ): RouteDecision {
    const all = this.deps.registry.candidates(this.latency);
    if (avoid) {
      const others = this.routeAmong(all.filter((c) => c.id !== avoid), task, params, runId, strategyOverride);
      if (others.kind === 'assign') return others;
    }
    return this.routeAmong(all, task, params, runId, strategyOverride);
  }

  private routeAmong(
    candidates: Candidate[], task: Task, params: Record<string, unknown>, runId: string, strategyOverride?: Task['routing']['strategy'],
  ): RouteDecision {
    const routing = strategyOverride ? { ...task.routing, strategy: strategyOverride } : task.routing;
    const keyValue = routing.hashKey ? params[routing.hashKey] : undefined;
    const decision = route(candidates, {
      routing, groupId: task.groupId, handler: task.handler,
      key: keyValue === undefined ? runId : String(keyValue),
      cursor: this.cursors.get(task.id) ?? 0,
      random: Math.random,
      freshness: { nowMs: Date.now(), maxAgeMs: this.deps.heartbeatMs * 1.5 },
    });
    if (decision.kind === 'assign') this.cursors.set(task.id, decision.cursor);
    return decision;
  }

  /** Starts waiting runs of a task as far as its blocking strategy and the workers allow. */
  async pump(taskId: string): Promise<void> {
    // Callers fire and forget (a worker came online, a run ended): a database outage here must not become an
    // unhandled rejection that ends the master. The queue stays as it is and the next sweep pumps it again.
    await this.pumpOnce(taskId).catch((error: unknown) => {
      this.deps.log.warn({ err: error, taskId }, 'could not start queued runs; the next sweep tries again');
    });
  }

  private async pumpOnce(taskId: string): Promise<void> {
    const task = await this.task(taskId).catch(() => null);
    if (!task) return;
    // The queue is kept in FIFO order (LiveRuns), so the next runs to start are its head.
    const free = freeSlots(task.blocking, this.runs.holderCount(taskId));
    const starts: Array<Promise<void>> = [];
    const queue = this.runs.waiting(taskId);
    // Starting a run takes it out of `queue`, so the index moves only past runs still being stored.
    for (let i = 0; starts.length < free && i < queue.length;) {
      const run = queue[i]!;
      const parked = !run.stored && this.parked.has(run.id);
      if (!run.stored && !parked) { i++; continue; }
      const started = parked ? this.startParked(task, run) : this.startQueued(task, run);
      if (!started) break;
      starts.push(started);
    }
    await Promise.all(starts);
  }

  /** Routes one queued run (synchronously); null when nobody can take it, else the write-and-send that follows. */
  private startQueued(task: Task, run: LiveRun): Promise<void> | null {
    const sessions = this.workersFor(task, run);
    if (!sessions) return null;
    const session = sessions[0]!;
    const siblings = run.shardTotal === 0 ? this.splitShards(task, run, sessions) : [];
    this.take(run, session);
    return this.writeAssignment(task, run, session, siblings);
  }

  /** A parked fire gets its worker: its one insert (under way in `fire`) stores it assigned. */
  private startParked(task: Task, run: LiveRun): Promise<void> | null {
    const session = this.workersFor(task, run)?.[0];
    if (!session) return null;
    this.take(run, session);
    this.parked.give(run.id, session);
    return Promise.resolve();
  }

  private workersFor(task: Task, run: LiveRun): AgentSession[] | null {
    const broadcastRetry = task.routing.strategy === 'shard_broadcast' && run.shardTotal > 0;
    const decision = this.route(task, run.params ?? task.params, run.id, broadcastRetry ? 'least_busy' : undefined, run.avoidWorkerId);
    if (decision.kind === 'none') {
      run.noWorkerSince ??= Date.now();
      return null;
    }
    return decision.workerIds.map((id) => this.deps.registry.get(id)!);
  }

  /** Reserves a slot on `session` for the run, in memory. */
  private take(run: LiveRun, session: AgentSession): void {
    this.runs.move(run, 'assigned', session.workerId);
    run.onWorkerSince = Date.now();
    run.noWorkerSince = null;
    session.running.add(run.id);
    session.lastAssignedAt = Date.now();
  }

  private async writeAssignment(task: Task, run: LiveRun, session: AgentSession, siblings: Planned[]): Promise<void> {
    if (siblings.length > 0) {
      await this.deps.db.query('update runs set shard_total = $2 where id = $1', [run.id, run.shardTotal]);
      await this.commit(task, siblings);
    }
    if (await this.deps.writer.assign(run.id, session.workerId, session.name)) {
      await this.send(run, session, task);
    } else {
      // The run ended meanwhile (stopped, or its task disabled): forget the reservation.
      session.running.delete(run.id);
      this.runs.delete(run.id);
    }
  }

  /** A broadcast that waited for workers: it becomes shard 0 and gets a sibling run per other worker. */
  private splitShards(task: Task, run: LiveRun, sessions: AgentSession[]): Planned[] {
    run.shardTotal = sessions.length;
    const base = this.newRun(task, run.plannedAt, run.trigger, { params: run.params ?? undefined, parentRunId: run.parentRunId ?? undefined, trace: { traceId: run.traceId } });
    return sessions.slice(1).map((s, i) => this.reserve(this.onWorker(task, { ...base, id: newId('run') }, s, i + 1, sessions.length)));
  }

  /** Sends `run:assign` and applies the agent's answer. */
  private async send(run: LiveRun, session: AgentSession, task: Task): Promise<void> {
    // From the store, not memory: a retry, a reassignment or a run adopted by a new leader gets its parents too.
    const parents = run.parentRunId ? (await parentRuns(this.deps.db, run)).map((p) => ({ ...p, output: p.output.slice(-PARENT_OUTPUT_MAX) })) : [];
    const payload: RunAssign = {
      runId: run.id, attempt: run.attempt, taskId: task.id, taskName: task.name, handler: task.handler,
      params: { ...task.params, ...(run.params ?? {}) }, timeoutMs: task.timeoutMs,
      shard: { index: run.shardIndex, total: Math.max(run.shardTotal, 1) }, traceId: run.traceId, spanId: spanIdOf(run.id),
      parent: parents[0] ? { runId: parents[0].runId, output: parents[0].output } : null,
      parents,
    };
    const socket = session.socket;
    const sentAt = Date.now();
    this.deps.metrics.assignmentSent(run.trigger, run.attempt, run.plannedAt, sentAt);
    const ack: AssignAck | null = socket
      ? await socket.timeout(ASSIGN_ACK_MS).emitWithAck('run:assign', payload).then((a) => a as AssignAck, () => null)
      : null;
    if (ack) this.deps.metrics.agentAnswered(sentAt, Date.now());
    this.deps.log.debug({ runId: run.id, traceId: run.traceId, spanId: payload.spanId, worker: session.name, ack }, 'run assigned');
    if (this.runs.get(run.id) !== run) return; // its result already arrived
    if (ack?.accepted) {
      if (run.state === 'assigned') this.runs.move(run, 'running');
      run.startedAt = ack.startedAt;
      this.deps.writer.started(run.id, ack.startedAt);
      return;
    }
    session.running.delete(run.id);
    if (ack && (ack.reason === 'bad_params' || ack.reason === 'unknown_handler')) {
      // Another worker would refuse it the same way: the run fails now instead of bouncing around.
      await this.refused(run, ack.reason, ack.message);
      return;
    }
    this.deps.log.warn({ runId: run.id, worker: session.name, reason: ack ? ack.reason : 'no answer' }, 'assignment refused; run requeued');
    if (await markRequeued(this.deps.db, run.id)) {
      this.runs.move(run, 'queued', null);
      run.onWorkerSince = null;
      setTimeout(() => void this.pump(run.taskId), 200).unref();
    }
  }

  /** Wired by the master to RunEndings: a run no agent can ever accept fails with the agent's reason. */
  refused: (run: LiveRun, reason: string, message: string) => Promise<unknown> = async () => {
    throw new Error('Bug: the dispatcher was started without a refusal handler.');
  };

  /** Wired by the master to RunEndings.stop: cover_earlier stops the runs it replaces. */
  stopRun: (runId: string, reason: 'cancelled' | 'covered') => Promise<unknown> = async () => {
    throw new Error('Bug: the dispatcher was started without a stop handler.');
  };
}

/** A parked fire's row, assigned to the worker that took it. */
function assignedTo(p: Planned, session: AgentSession): Planned {
  return { row: { ...p.row, state: 'assigned', workerId: session.workerId, workerName: session.name }, session };
}
