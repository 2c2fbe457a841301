// How runs end and what follows: results, stops, lost runs, queue time-outs, retries, children and fixed delays.
import { EventEmitter } from 'node:events';
import type { RunResult } from 'baton-agent/protocol';
import type { Task } from '../api/contract/domain';
import type { AgentRegistry } from '../agents/registry';
import type { RunWriter } from '../db/run-writer';
import { attemptCounts, getRun, markQueued, storeLateResult, type NewRun, type Outcome, type StoredRun } from '../db/runs';
import { newId } from '../db/ids';
import type { Db } from '../db/store';
import { setNextFire } from '../db/tasks';
import type { Logger } from '../log';
import { fixedDelayNext } from '../scheduler/triggers';
import { spanIdOf } from '../tracing/traceparent';
import { ChildFiring } from './children';
import type { Dispatcher } from './dispatcher';
import { fromNew, type LiveRun } from './live-runs';
import { decideNext, type NextAttempt } from './retry';

/** A run whose agent passed its time limit by this much without any result is ended by the master. */
const RESULT_GRACE_MS = 30_000;
/** How long `runs.stop` waits for the agent to confirm before answering. */
const STOP_WAIT_MS = 10_000;

export type StopReason = 'cancelled' | 'covered';

/** An attempt that ended, and whether it is the run's last (no retry or reassignment follows): alerts decide on it. */
export interface AttemptEnded { task: Task; run: StoredRun; final: boolean }

/** Failures a new attempt cannot fix: nobody can take the run, or every agent would refuse it alike. */
const NOT_RETRIED = new Set(['no_worker', 'bad_params', 'unknown_handler']);

export class RunEndings {
  /**
   * Emits 'ended' (StoredRun) for every run that reaches a terminal state on this master, and 'attempt'
   * (AttemptEnded) for each of them whose task still exists (the master records its alerts).
   */
  readonly events = new EventEmitter();
  private readonly stopping = new Map<string, StopReason>();
  /** Runs this term ended lately, by when: a row read before the end committed must not be adopted again. */
  private readonly ended = new Map<string, number>();
  /** The term ended: timers still pending (retry delays) leave their runs to the next term. */
  private closed = false;
  readonly children: ChildFiring;

  constructor(
    private readonly deps: {
      db: Db; writer: RunWriter; registry: AgentRegistry; dispatcher: Dispatcher; log: Logger;
      scheduleChanged: (taskId: string) => void;
    },
  ) {
    this.events.setMaxListeners(0);
    this.children = new ChildFiring(deps);
  }

  /**
   * Stores the result of the worker's own attempt once; a duplicate (resent after a reconnect) changes nothing.
   * A fenced run (the agent stopped it because its lease lapsed) ends `lost`, as if the master had declared it.
   * A result for an attempt already declared lost is kept on it, marked late. The caller checked ownership.
   */
  async result(workerId: string, result: RunResult): Promise<'stored' | 'late' | 'duplicate'> {
    // The agent freed its slot when it sent the result: so does routing, before the end is written, or a busy
    // database fills every worker with ended runs and each new one costs a queued → assigned write more.
    this.deps.registry.get(workerId)?.running.delete(result.runId);
    const live = this.deps.dispatcher.runs.get(result.runId);
    if (live?.attempt === result.attempt) {
      this.deps.dispatcher.runs.markReported(live);
      void this.deps.dispatcher.pump(live.taskId);
    }
    const reason = this.stopping.get(result.runId) ?? null;
    const times = { startedAt: result.startedAt, finishedAt: result.finishedAt };
    const outcome: Outcome = result.fenced
      ? { state: 'lost', reason: 'fenced', exitCode: result.exitCode, output: result.output, error: result.error, ...times }
      : { state: result.state, exitCode: result.exitCode, output: result.output, error: result.error, ...times,
        reason: result.state === 'cancelled' ? reason : null };
    const stored = await this.finish(result.runId, result.attempt, outcome);
    if (stored) return 'stored';
    const late = await storeLateResult(this.deps.db, {
      id: result.runId, attempt: result.attempt, workerId, state: result.state, exitCode: result.exitCode,
      output: result.output, error: result.error, ...times,
    });
    if (!late) return 'duplicate';
    this.deps.log.warn({ runId: late.id, traceId: late.traceId, task: late.taskName, state: result.state, fenced: result.fenced === true }, 'late result stored on an attempt already ended for want of one');
    return 'late';
  }

  async finish(runId: string, attempt: number, outcome: Outcome): Promise<StoredRun | null> {
    const stored = await this.deps.writer.finish({ id: runId, attempt, outcome });
    const live = this.deps.dispatcher.runs.get(runId);
    if (live?.attempt === attempt) this.release(live);
    if (!stored) return null;
    this.stopping.delete(runId);
    // Successes are the bulk of the traffic and are all in the runs table; the log keeps the exceptions.
    const level = stored.state === 'succeeded' ? 'debug' : 'info';
    this.deps.log[level]({ runId, traceId: stored.traceId, spanId: spanIdOf(runId), task: stored.taskName, state: stored.state, reason: stored.reason, error: stored.error }, 'run ended');
    await this.afterEnd(stored);
    this.events.emit('ended', stored);
    return stored;
  }

  close(): void {
    this.closed = true;
  }

  endedRecently(id: string): boolean {
    return this.ended.has(id);
  }

  private release(live: LiveRun): void {
    const now = Date.now();
    this.ended.set(live.id, now);
    // Kept for a minute, far longer than any read of active runs takes.
    for (const [id, at] of this.ended) if (at < now - 60_000) this.ended.delete(id); else break;
    this.deps.dispatcher.runs.delete(live.id);
    if (live.workerId) this.deps.registry.get(live.workerId)?.running.delete(live.id);
  }

  private async afterEnd(run: StoredRun): Promise<void> {
    const { dispatcher } = this.deps;
    const task = await dispatcher.task(run.taskId).catch(() => null);
    if (!task) return;
    const decision = await this.next(task, run);
    this.events.emit('attempt', { task, run, final: decision.kind === 'none' } satisfies AttemptEnded);
    if (decision.kind === 'retry') await this.scheduleRetry(run, decision.delayMs, decision.nextAttempt, 'retry');
    else if (decision.kind === 'reassign') await this.scheduleRetry(run, 0, decision.nextAttempt, 'failover');
    else if (run.state !== 'skipped') await this.finalEnd(task, run);
    void dispatcher.pump(task.id);
  }

  private async next(task: Task, run: StoredRun): Promise<NextAttempt> {
    if (NOT_RETRIED.has(run.reason ?? '')) return { kind: 'none', reason: `a run that ended '${run.reason}' is not retried` };
    if (run.state !== 'lost' && run.state !== 'failed' && run.state !== 'timed_out') return { kind: 'none', reason: 'final by intent' };
    const counts = await attemptCounts(this.deps.db, run.rootRunId, run.shardIndex);
    return decideNext(task.retry, { attempt: run.attempt, state: run.state, ...counts });
  }

  /** The next attempt; it prefers another worker than the one this attempt failed or was lost on. */
  private async scheduleRetry(run: StoredRun, delayMs: number, attempt: number, trigger: 'retry' | 'failover'): Promise<void> {
    const id = newId('run');
    const row: NewRun = {
      id, taskId: run.taskId, rootRunId: run.rootRunId, attempt, trigger, parentRunId: run.parentRunId,
      shardIndex: run.shardIndex, shardTotal: run.shardTotal, traceId: run.traceId, state: 'scheduled',
      params: run.params, plannedAt: Date.now() + delayMs, reason: null, workerId: null, workerName: null,
    };
    await this.deps.writer.insert([row]);
    this.deps.dispatcher.runs.add({ ...fromNew(row), stored: true, avoidWorkerId: run.workerId });
    this.deps.log.info({ runId: run.id, retryRunId: id, attempt, delayMs, trigger }, trigger === 'retry' ? 'retry scheduled' : 'lost attempt reassigned');
    setTimeout(() => {
      // The sweep promotes a due retry that could not be promoted here (a database outage at that moment).
      this.promote(id).catch((error: unknown) => this.deps.log.warn({ err: error, runId: id }, 'could not start a retry when due; the next sweep tries again'));
    }, delayMs).unref();
  }

  /** A retry whose delay is over joins the queue. */
  async promote(runId: string): Promise<void> {
    const live = this.deps.dispatcher.runs.get(runId);
    if (this.closed || live?.state !== 'scheduled') return;
    // Already queued: a term before this one promoted it after this one read it as scheduled.
    const queued = await markQueued(this.deps.db, runId) || (await getRun(this.deps.db, runId).catch(() => null))?.state === 'queued';
    if (queued && this.deps.dispatcher.runs.get(runId) === live && live.state === 'scheduled') {
      this.deps.dispatcher.runs.move(live, 'queued');
      await this.deps.dispatcher.pump(live.taskId);
    }
  }

  /** The task's last word on this fire: children fire, a fixed-delay task plans its next run. */
  private async finalEnd(task: Task, run: StoredRun): Promise<void> {
    if (task.trigger.type === 'fixed_delay' && task.enabled && run.finishedAt) {
      await setNextFire(this.deps.db, task.id, new Date(fixedDelayNext(Date.parse(run.finishedAt), task.trigger.delayMs)));
      this.deps.scheduleChanged(task.id);
    }
    await this.children.parentEnded(task, run);
  }

  /** Stops a run: on its agent if it has one (the agent reports `cancelled`), else at once. */
  async stop(runId: string, reason: StopReason): Promise<StoredRun> {
    // A fire waiting unstored for its slot (dispatch/parked-fires) is stored queued first, so it is stopped as one.
    await this.deps.dispatcher.parked.storeNow(runId);
    const live = this.deps.dispatcher.runs.get(runId);
    if (!live?.stored) return getRun(this.deps.db, runId);
    const session = live.workerId ? this.deps.registry.get(live.workerId) : undefined;
    if ((live.state === 'assigned' || live.state === 'running') && session?.socket) {
      this.stopping.set(runId, reason);
      const ended = this.waitForEnd(runId, STOP_WAIT_MS);
      session.socket.emit('run:stop', { runId, attempt: live.attempt, reason }, () => undefined);
      await ended;
      return getRun(this.deps.db, runId);
    }
    const detail = live.workerId ? 'worker_offline' : reason;
    this.deps.dispatcher.runs.withdraw(live);
    try {
      await this.finish(runId, live.attempt, { state: 'cancelled', reason: detail, error: `Stopped (${reason}) before it ran.` });
    } catch (error) {
      this.deps.dispatcher.runs.withdraw(live, false);
      throw error;
    }
    return getRun(this.deps.db, runId);
  }

  private waitForEnd(runId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const onEnd = (run: StoredRun) => {
        if (run.id !== runId) return;
        done();
      };
      const done = () => {
        clearTimeout(timer);
        this.events.off('ended', onEnd);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.events.on('ended', onEnd);
    });
  }

  /** A dead worker's runs in flight are lost; retries (if any) go to another worker. */
  async lose(runs: LiveRun[], why: string): Promise<void> {
    await Promise.all(runs.map((r) => this.finish(r.id, r.attempt, {
      state: 'lost', reason: 'worker_lost', error: why,
    })));
  }

  /** Periodic checks: due retries, queue time-outs, runs whose agent went silent past their time limit. */
  async sweep(now: number): Promise<void> {
    const { dispatcher } = this.deps;
    for (const run of dispatcher.runs.all()) {
      if (run.state === 'scheduled' && run.plannedAt <= now) await this.promote(run.id);
      const overdue = run.stored && (run.state === 'running' || (run.state === 'queued' && run.noWorkerSince !== null));
      if (!overdue) continue;
      const task = await dispatcher.task(run.taskId).catch(() => null);
      if (task) await this.expire(run, task, now);
    }
    for (const taskId of dispatcher.runs.tasksWithQueued()) await dispatcher.pump(taskId);
  }

  private async expire(run: LiveRun, task: Task, now: number): Promise<void> {
    if (run.state === 'queued' && run.noWorkerSince !== null && now - run.noWorkerSince > task.queueTimeoutMs) {
      await this.finish(run.id, run.attempt, {
        state: 'failed', reason: 'no_worker',
        error: `No eligible worker for ${task.queueTimeoutMs} ms (group, handler '${task.handler}', labels and capacity considered).`,
      });
    }
    if (run.state === 'running' && task.timeoutMs > 0 && run.startedAt !== null && now - run.startedAt > task.timeoutMs + RESULT_GRACE_MS) {
      await this.finish(run.id, run.attempt, {
        state: 'timed_out', reason: 'no_result', error: 'The agent sent no result within the time limit plus grace.',
      });
    }
  }
}
