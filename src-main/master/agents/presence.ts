// Agent presence: who is connected, their heartbeats and metrics, and declaring the silent ones dead.
import type { Heartbeat, ResultAck, RunLog, RunResult } from 'baton-agent/protocol';
import { appendLog } from '../db/run-logs';
import type { Db } from '../db/store';
import { saveMetrics, workerOffline, type MetricsSample } from '../db/workers';
import type { Dispatcher } from '../dispatch/dispatcher';
import type { RunEndings } from '../dispatch/endings';
import type { Logger } from '../log';
import type { AgentEvents } from './gateway';
import { isDead, type LivenessSettings } from './liveness';
import { fitLines, type LogQuota } from './log-quota';
import type { AgentRegistry, AgentSession } from './registry';

export class Presence implements AgentEvents {
  private readonly pendingMetrics = new Map<string, MetricsSample>();

  constructor(
    private readonly deps: {
      db: Db; registry: AgentRegistry; dispatcher: Dispatcher; endings: RunEndings; log: Logger; liveness: LivenessSettings;
      logQuota: LogQuota;
    },
  ) {}

  online(): void {
    for (const taskId of this.deps.dispatcher.runs.tasksWithQueued()) void this.deps.dispatcher.pump(taskId);
  }

  disconnected(session: AgentSession): void {
    // The worker is not declared dead yet: it may reconnect within its heartbeat allowance (see checkLiveness).
    void workerOffline(this.deps.db, session.workerId).catch(() => undefined);
  }

  heartbeat(session: AgentSession, beat: Heartbeat): void {
    session.lastBeatAt = Date.now();
    session.cpu = beat.cpu;
    session.memory = beat.memory;
    session.load1 = beat.load1;
    this.pendingMetrics.set(session.workerId, {
      id: session.workerId, at: session.lastBeatAt,
      metrics: { cpu: beat.cpu, memory: beat.memory, load1: beat.load1, running: beat.running.length },
    });
    this.noticeForgottenRuns(session, beat);
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
    if (forgotten.length > 0) void this.deps.endings.lose(forgotten, `Agent ${session.name} no longer reports this run.`);
  }

  async result(session: AgentSession, result: RunResult): Promise<ResultAck> {
    await this.deps.endings.result(session.workerId, result);
    return { stored: true };
  }

  async log(_session: AgentSession, log: RunLog): Promise<ResultAck> {
    const { runBytes, lineBytes } = this.deps.logQuota;
    const stored = await appendLog(this.deps.db, { ...log, ...fitLines(log.lines, lineBytes) }, runBytes);
    if (stored === 'stored' || stored === 'duplicate') return { stored: true };
    if (stored === 'unknown_run') return { stored: false, code: 'unknown_run', message: `There is no run ${log.runId}.` };
    if (stored === 'stale_attempt') return { stored: false, code: 'stale_attempt', message: `Attempt ${log.attempt} is not the current attempt of run ${log.runId}.` };
    return { stored: false, code: 'log_quota', message: `The run's log reached its limit of ${runBytes} bytes; later lines are dropped.` };
  }

  /** Declares dead every worker that missed its heartbeats; their runs in flight become lost. */
  async checkLiveness(now: number): Promise<void> {
    for (const session of this.deps.registry.all()) {
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

  async flushMetrics(): Promise<void> {
    const samples = [...this.pendingMetrics.values()];
    this.pendingMetrics.clear();
    await saveMetrics(this.deps.db, samples);
  }
}
