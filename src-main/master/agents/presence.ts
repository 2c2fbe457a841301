// Agent presence: who is connected, their heartbeats and metrics, and declaring the silent ones dead.
import type { Heartbeat, LogAck, ResultAck, RunLog, RunResult } from 'baton-agent/protocol';
import { appendLog } from '../db/run-logs';
import { runOwner } from '../db/runs';
import type { Db } from '../db/store';
import { insertSamples, pruneSamples, type Sample } from '../db/worker-samples';
import { saveMetrics, workerOffline, type MetricsSample } from '../db/workers';
import type { Dispatcher } from '../dispatch/dispatcher';
import type { RunEndings } from '../dispatch/endings';
import type { Logger } from '../log';
import type { AgentEvents } from './gateway';
import { isDead, leaseMs, type LivenessSettings } from './liveness';
import { fitLines, type LogQuota } from './log-quota';
import { RefusalLog } from './refusals';
import type { AgentRegistry, AgentSession } from './registry';

/**
 * A worker's figures are kept about every 10 s (issue 8): 360 points draw an hour's sparkline, and 1,000 agents add
 * ~100 rows a second, written with the metrics flush in one statement. Two hours are kept: the page shows one.
 */
export const SAMPLING = { everyMs: 10_000, keepMs: 2 * 3_600_000, pruneEveryMs: 5 * 60_000 } as const;

/** Whether a heartbeat at `now` should be kept as a sample, the worker's last one kept at `lastAt`. */
export function sampleDue(lastAt: number | undefined, now: number, everyMs: number = SAMPLING.everyMs): boolean {
  return lastAt === undefined || now - lastAt >= everyMs || now < lastAt;
}

type Ownership = { ok: true } | { ok: false; code: 'unknown_run' | 'not_your_run'; message: string };

export class Presence implements AgentEvents {
  private readonly pendingMetrics = new Map<string, MetricsSample>();
  private pendingSamples: Sample[] = [];
  private readonly lastSampleAt = new Map<string, number>();
  private lastPruneAt = 0;
  private readonly refusals: RefusalLog;
  /** Set when the term ends: a sweep under way must not declare anything lost for a master that no longer leads. */
  private stopped = false;

  constructor(
    private readonly deps: {
      db: Db; registry: AgentRegistry; dispatcher: Dispatcher; endings: RunEndings; log: Logger; liveness: LivenessSettings;
      logQuota: LogQuota;
    },
  ) {
    this.refusals = new RefusalLog(deps.log);
  }

  get leaseMs(): number {
    return leaseMs(this.deps.liveness);
  }

  stop(): void {
    this.stopped = true;
  }

  online(): void {
    for (const taskId of this.deps.dispatcher.runs.tasksWithQueued()) void this.deps.dispatcher.pump(taskId);
  }

  disconnected(session: AgentSession): void {
    // The worker is not declared dead yet: it may reconnect within its heartbeat allowance (see checkLiveness).
    void workerOffline(this.deps.db, session.workerId).catch(() => undefined);
  }

  heartbeat(session: AgentSession, beat: Heartbeat): boolean {
    // A worker already declared dead (its runs lost) is not renewed, whatever arrives late on its old socket.
    if (this.stopped || this.deps.registry.get(session.workerId) !== session) return false;
    session.lastBeatAt = Date.now();
    session.cpu = beat.cpu;
    session.memory = beat.memory;
    session.load1 = beat.load1;
    this.pendingMetrics.set(session.workerId, {
      id: session.workerId, at: session.lastBeatAt,
      metrics: { cpu: beat.cpu, memory: beat.memory, load1: beat.load1, running: beat.running.length },
    });
    if (sampleDue(this.lastSampleAt.get(session.workerId), session.lastBeatAt)) {
      this.lastSampleAt.set(session.workerId, session.lastBeatAt);
      this.pendingSamples.push({
        workerId: session.workerId, at: session.lastBeatAt, cpu: beat.cpu, memory: beat.memory, load1: beat.load1, running: beat.running.length,
      });
    }
    this.noticeForgottenRuns(session, beat);
    return true;
  }

  /** A run the agent stops listing for several beats (e.g. the agent restarted, or never got it) is lost. */
  private noticeForgottenRuns(session: AgentSession, beat: Heartbeat): void {
    const listed = new Set(beat.running);
    const now = Date.now();
    const forgotten = this.deps.dispatcher.runs.ofWorker(session.workerId).filter((run) => {
      // Master clock only: agents' clocks may be off. A beat sent before the run landed cannot list it.
      const settled = !run.reported && run.onWorkerSince !== null && run.onWorkerSince < now - this.deps.liveness.heartbeatMs;
      run.missingBeats = listed.has(run.id) || !settled ? 0 : run.missingBeats + 1;
      return run.missingBeats >= this.deps.liveness.missedBeats;
    });
    if (forgotten.length === 0) return;
    // A heartbeat does not wait for this write. When it fails (database down, disk full) the runs stay as they are,
    // and the next beat that still leaves them out tries again.
    this.deps.endings.lose(forgotten, `Agent ${session.name} no longer reports this run.`).catch((error: unknown) => {
      this.deps.log.warn({ err: error, worker: session.name, runs: forgotten.map((r) => r.id) }, 'could not record runs the agent no longer reports; trying again at its next heartbeat');
    });
  }

  /** Results are accepted only from the worker the attempt is assigned to; a duplicate is acknowledged and changes nothing. */
  async result(session: AgentSession, result: RunResult): Promise<ResultAck> {
    const owned = await this.owns(session, result.runId, result.attempt);
    if (!owned.ok) return this.refuse(session, 'run:result', result.runId, owned);
    await this.deps.endings.result(session.workerId, result);
    return { stored: true };
  }

  /** Log lines of the worker's own attempt, also after it ended (delivered after a cut); stored once per seq, within quota. */
  async log(session: AgentSession, log: RunLog): Promise<LogAck> {
    const owned = await this.owns(session, log.runId, log.attempt);
    if (!owned.ok) return this.refuse(session, 'run:log', log.runId, owned);
    const { runBytes, lineBytes } = this.deps.logQuota;
    const stored = await appendLog(this.deps.db, { ...log, ...fitLines(log.lines, lineBytes) }, runBytes);
    if (stored === 'stored' || stored === 'duplicate') return { stored: true };
    if (stored === 'unknown_run') return { stored: false, code: 'unknown_run', message: `There is no run ${log.runId}.` };
    if (stored === 'stale_attempt') return { stored: false, code: 'stale_attempt', message: `Attempt ${log.attempt} is not the current attempt of run ${log.runId}.` };
    return { stored: false, code: 'log_quota', message: `The run's log reached its limit of ${runBytes} bytes; later lines are dropped.` };
  }

  /** The live view answers for runs in flight; the database for ended runs (late results and logs, duplicates). */
  private async owns(session: AgentSession, runId: string, attempt: number): Promise<Ownership> {
    const live = this.deps.dispatcher.runs.get(runId);
    const owner = live ? { workerId: live.workerId, attempt: live.attempt } : await runOwner(this.deps.db, runId);
    if (!owner) return { ok: false, code: 'unknown_run', message: `No run with id ${runId}.` };
    if (owner.workerId !== session.workerId || owner.attempt !== attempt) {
      return { ok: false, code: 'not_your_run', message: `Run ${runId} attempt ${attempt} is not assigned to worker ${session.name}.` };
    }
    return { ok: true };
  }

  private refuse(session: AgentSession, event: string, runId: string, refusal: Exclude<Ownership, { ok: true }>): ResultAck {
    this.refusals.note(Date.now(), session.name, refusal.code, { event, runId, workerId: session.workerId }, `${event} refused`);
    return { stored: false, code: refusal.code, message: refusal.message };
  }

  /** Declares dead every worker that missed its heartbeats; their runs in flight become lost. */
  async checkLiveness(now: number): Promise<void> {
    for (const session of this.deps.registry.all()) {
      if (this.stopped) return;
      if (!isDead(session.lastBeatAt, now, this.deps.liveness)) continue;
      const inFlight = this.deps.dispatcher.runs.ofWorker(session.workerId);
      // An agent that left (stopped) with nothing running is no incident; one that went silent, or left runs, is.
      if (session.socket === null && inFlight.length === 0) {
        this.deps.log.info({ worker: session.name }, 'worker left and did not come back; offline');
      } else {
        this.deps.log.warn({ worker: session.name, lastBeatAt: session.lastBeatAt, runs: inFlight.length }, 'worker missed its heartbeats; declared offline');
      }
      session.socket?.disconnect(true);
      this.deps.registry.remove(session.workerId);
      await workerOffline(this.deps.db, session.workerId);
      await this.deps.endings.lose(inFlight, `Worker ${session.name} stopped heartbeating.`);
    }
  }

  /** Writes the latest metrics and the samples due, and prunes old samples every few minutes. */
  async flushMetrics(now = Date.now()): Promise<void> {
    const latest = [...this.pendingMetrics.values()];
    this.pendingMetrics.clear();
    const samples = this.pendingSamples;
    this.pendingSamples = [];
    await Promise.all([saveMetrics(this.deps.db, latest), insertSamples(this.deps.db, samples)]);
    if (now - this.lastPruneAt >= SAMPLING.pruneEveryMs) {
      this.lastPruneAt = now;
      await pruneSamples(this.deps.db, now - SAMPLING.keepMs);
    }
  }
}
