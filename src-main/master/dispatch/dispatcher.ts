// Turns fires into runs on workers: blocking, routing, assignment over Socket.IO, and the queue of waiting runs.
// Decisions come from the pure modules beside this one; this class only applies them to the database and sockets.
import type { AssignAck, RunAssign } from 'baton-agent/protocol';
import type { RunTrigger, Task } from '../api/contract/domain';
import type { AgentRegistry, AgentSession } from '../agents/registry';
import { insertRuns, markAssigned, markRequeued, markRunning, type NewRun } from '../db/runs';
import { newId, newTraceId } from '../db/ids';
import type { Db } from '../db/store';
import { getTask } from '../db/tasks';
import type { Logger } from '../log';
import { decideBlocking, nextToStart } from './blocking';
import { asBlockingRun, LiveRuns, type LiveRun } from './live-runs';
import { route, type RouteDecision } from './routing';
import { TaskQueue } from './task-queue';

/** How long an agent has to accept or refuse an assignment before the run goes back to the queue. */
const ASSIGN_ACK_MS = 10_000;

export interface FireExtra {
  params?: Record<string, unknown>;
  parentRunId?: string;
  parentOutput?: string;
}

export interface DispatchDeps {
  db: Db;
  registry: AgentRegistry;
  log: Logger;
  heartbeatMs: number;
}

export class Dispatcher {
  readonly runs = new LiveRuns();
  private readonly queue = new TaskQueue();
  private readonly tasks = new Map<string, Task>();
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

  taskChanged(task: Task | { id: string; deleted: true }): void {
    if ('deleted' in task) this.tasks.delete(task.id);
    else this.tasks.set(task.id, task);
  }

  /** One fire of a task: applies its blocking strategy, then routes. Returns the ids of the runs it stored. */
  fire(task: Task, plannedAt: number, trigger: RunTrigger, extra: FireExtra = {}): Promise<string[]> {
    return this.queue.run(task.id, () => this.fireNow(task, plannedAt, trigger, extra));
  }

  private async fireNow(task: Task, plannedAt: number, trigger: RunTrigger, extra: FireExtra): Promise<string[]> {
    const others = this.runs.ofTask(task.id).filter((r) => r.state !== 'scheduled').map(asBlockingRun);
    const blocking = decideBlocking(task.blocking, others);
    const base = this.newRun(task, plannedAt, trigger, extra);
    switch (blocking.kind) {
      case 'skip':
        return insertRuns(this.deps.db, [{ ...base, state: 'skipped', reason: blocking.reason }]);
      case 'wait':
        return this.store([{ ...base, shardTotal: this.unsplitShards(task) }], extra);
      case 'cover':
        for (const id of blocking.stopRunIds) void this.stopRun(id, 'covered');
        return this.startNew(task, base, extra);
      case 'start':
        return this.startNew(task, base, extra);
    }
  }

  private async startNew(task: Task, base: NewRun, extra: FireExtra): Promise<string[]> {
    const decision = this.route(task, base.params ?? task.params, base.id);
    if (decision.kind === 'none') {
      const ids = await this.store([{ ...base, shardTotal: this.unsplitShards(task) }], extra);
      for (const id of ids) this.runs.get(id)!.noWorkerSince = Date.now();
      this.deps.log.info({ task: task.name, detail: decision.detail }, 'no eligible worker; run waits in queue');
      return ids;
    }
    const sessions = decision.workerIds.map((id) => this.deps.registry.get(id)!);
    const rows = sessions.map((s, i): NewRun => ({
      ...base,
      id: i === 0 ? base.id : newId('run'),
      rootRunId: i === 0 ? base.id : '',
      traceId: i === 0 ? base.traceId : newTraceId(),
      shardIndex: i,
      shardTotal: sessions.length,
      state: 'assigned',
      workerId: s.workerId,
      workerName: s.name,
    })).map((r) => ({ ...r, rootRunId: r.rootRunId || r.id }));
    rows.forEach((r, i) => sessions[i]!.running.add(r.id));
    const ids = await this.store(rows, extra);
    rows.forEach((r, i) => {
      if (ids.includes(r.id)) void this.send(this.runs.get(r.id)!, sessions[i]!, task);
      else sessions[i]!.running.delete(r.id);
    });
    return ids;
  }

  private async store(rows: NewRun[], extra: FireExtra): Promise<string[]> {
    const ids = await insertRuns(this.deps.db, rows);
    for (const r of rows.filter((row) => ids.includes(row.id))) {
      this.runs.add({
        id: r.id, taskId: r.taskId, rootRunId: r.rootRunId, attempt: r.attempt, trigger: r.trigger,
        state: r.state as LiveRun['state'], plannedAt: r.plannedAt, startedAt: null, workerId: r.workerId,
        onWorkerSince: r.workerId ? Date.now() : null,
        shardIndex: r.shardIndex, shardTotal: r.shardTotal, traceId: r.traceId, params: r.params,
        parentRunId: r.parentRunId, parentOutput: extra.parentOutput ?? null, noWorkerSince: null, missingBeats: 0,
      });
    }
    return ids;
  }

  newRun(task: Task, plannedAt: number, trigger: RunTrigger, extra: FireExtra): NewRun {
    const id = newId('run');
    return {
      id, taskId: task.id, rootRunId: id, attempt: 1, trigger, parentRunId: extra.parentRunId ?? null,
      shardIndex: 0, shardTotal: 1, traceId: newTraceId(), state: 'queued', params: extra.params ?? null,
      plannedAt, reason: null, workerId: null, workerName: null,
    };
  }

  private unsplitShards(task: Task): number {
    return task.routing.strategy === 'shard_broadcast' ? 0 : 1;
  }

  private route(task: Task, params: Record<string, unknown>, runId: string, strategyOverride?: Task['routing']['strategy']): RouteDecision {
    const routing = strategyOverride ? { ...task.routing, strategy: strategyOverride } : task.routing;
    const keyValue = routing.hashKey ? params[routing.hashKey] : undefined;
    const decision = route(this.deps.registry.candidates(this.latency), {
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
  pump(taskId: string): Promise<void> {
    return this.queue.run(taskId, () => this.pumpNow(taskId));
  }

  private async pumpNow(taskId: string): Promise<void> {
    const live = this.runs.ofTask(taskId);
    const waiting = live.filter((r) => r.state === 'queued');
    if (waiting.length === 0) return;
    const task = await this.task(taskId).catch(() => null);
    if (!task) return;
    const holders = live.filter((r) => r.state === 'assigned' || r.state === 'running').map(asBlockingRun);
    for (const id of nextToStart(task.blocking, holders, waiting.map(asBlockingRun))) {
      const run = this.runs.get(id)!;
      if (!(await this.assignQueued(task, run))) break;
    }
  }

  /** Routes one queued run; false when nobody can take it (the rest of the queue would not fare better). */
  private async assignQueued(task: Task, run: LiveRun): Promise<boolean> {
    const strategy = run.shardTotal > 1 || run.attempt > 1 && task.routing.strategy === 'shard_broadcast' ? 'least_busy' : undefined;
    const decision = this.route(task, run.params ?? task.params, run.id, strategy);
    if (decision.kind === 'none') {
      run.noWorkerSince ??= Date.now();
      return false;
    }
    const sessions = decision.workerIds.map((id) => this.deps.registry.get(id)!);
    if (run.shardTotal === 0) await this.splitShards(task, run, sessions);
    const session = sessions[0]!;
    session.running.add(run.id);
    if (!(await markAssigned(this.deps.db, run.id, session.workerId, session.name))) {
      session.running.delete(run.id);
      return true;
    }
    run.state = 'assigned';
    run.workerId = session.workerId;
    run.onWorkerSince = Date.now();
    run.noWorkerSince = null;
    void this.send(run, session, task);
    return true;
  }

  /** A broadcast that waited for workers: it becomes shard 0 and gets a sibling run per other worker. */
  private async splitShards(task: Task, run: LiveRun, sessions: AgentSession[]): Promise<void> {
    run.shardTotal = sessions.length;
    await this.deps.db.query('update runs set shard_total = $2 where id = $1', [run.id, sessions.length]);
    const siblings = sessions.slice(1).map((s, i): NewRun => {
      const id = newId('run');
      return {
        ...this.newRun(task, run.plannedAt, run.trigger, { params: run.params ?? undefined, parentRunId: run.parentRunId ?? undefined }),
        id, rootRunId: id, shardIndex: i + 1, shardTotal: sessions.length, state: 'assigned', workerId: s.workerId, workerName: s.name,
      };
    });
    siblings.forEach((r, i) => sessions[i + 1]!.running.add(r.id));
    const ids = await this.store(siblings, { parentOutput: run.parentOutput ?? undefined });
    siblings.forEach((r, i) => {
      if (ids.includes(r.id)) void this.send(this.runs.get(r.id)!, sessions[i + 1]!, task);
    });
  }

  /** Sends `run:assign` and applies the agent's answer. */
  private async send(run: LiveRun, session: AgentSession, task: Task): Promise<void> {
    session.lastAssignedAt = Date.now();
    const socket = session.socket;
    const payload: RunAssign = {
      runId: run.id, attempt: run.attempt, taskId: task.id, taskName: task.name, handler: task.handler,
      params: { ...task.params, ...(run.params ?? {}) }, timeoutMs: task.timeoutMs,
      shard: { index: run.shardIndex, total: Math.max(run.shardTotal, 1) }, traceId: run.traceId,
      parent: run.parentRunId ? { runId: run.parentRunId, output: run.parentOutput ?? '' } : null,
    };
    let ack: AssignAck | null = null;
    if (socket) {
      ack = await socket.timeout(ASSIGN_ACK_MS).emitWithAck('run:assign', payload).then((a) => a as AssignAck, () => null);
    }
    this.deps.log.debug({ runId: run.id, traceId: run.traceId, worker: session.name, ack }, 'run assigned');
    if (this.runs.get(run.id) !== run) return; // its result already arrived
    if (ack?.accepted) {
      if (run.state === 'assigned') run.state = 'running';
      run.startedAt = ack.startedAt;
      await markRunning(this.deps.db, run.id, ack.startedAt);
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
      run.state = 'queued';
      run.workerId = null;
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

  idle(): Promise<void> {
    return this.queue.idle();
  }
}

