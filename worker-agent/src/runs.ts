// The runs this agent executes: admission (capacity, handler, params, draining), execution, stop, drain.
import type { Logger } from './logger.js';
import { describeIssues } from './issues.js';
import type { HandlerSet } from './executors/index.js';
import type { OutboundRules } from './outbound.js';
import type { Execution } from './executors/types.js';
import { RunLogBatcher } from './run-logs.js';
import { RunAssign, RunStop, type AssignAck, type RejectReason, type RunLog, type RunResult } from './protocol.js';

const ERROR_LIMIT = 8_192; // RunResult.error max

export interface RunsHost {
  capacity: number;
  handlers: HandlerSet;
  /** Where handlers may send requests beyond the outbound guard's default. */
  outbound?: OutboundRules;
  log: Logger;
  sendLog(batch: RunLog): void;
  /** Must make the result durable before resolving (the outbox). */
  record(result: RunResult): Promise<void>;
}

interface ActiveRun {
  assign: RunAssign;
  startedAt: number;
  execution: Execution;
  /** Settles once the result is recorded. */
  finished: Promise<void>;
  /** Stopped because its lease lapsed: the result says so, and the master counts the attempt lost, not failed. */
  fenced: boolean;
}

export class Runs {
  readonly #active = new Map<string, ActiveRun>();
  #draining = false;

  constructor(private readonly host: RunsHost) {}

  ids(): string[] {
    return [...this.#active.keys()];
  }

  /** Answers a `run:assign`; an accepted run is already started when this returns. */
  assign(raw: unknown): AssignAck {
    const parsed = RunAssign.safeParse(raw);
    if (!parsed.success) return reject('bad_params', describeIssues(parsed.error, 'assign'));
    const assign = parsed.data;
    const existing = this.#active.get(assign.runId);
    if (existing) {
      // The same assignment again (the master missed our ack) is answered as before, not run twice.
      if (existing.assign.attempt === assign.attempt) return { accepted: true, startedAt: existing.startedAt };
      return reject('busy', `attempt ${existing.assign.attempt} of run ${assign.runId} is still running here`);
    }
    if (this.#draining) return reject('draining', 'the agent is shutting down');
    if (this.#active.size >= this.host.capacity) return reject('busy', `all ${this.host.capacity} slots are in use`);
    const prepared = this.host.handlers.prepare(assign);
    if (!prepared.ok) return reject(prepared.reason, prepared.message);

    const startedAt = Date.now();
    const log = this.host.log.child({ runId: assign.runId, attempt: assign.attempt, traceId: assign.traceId, spanId: assign.spanId });
    const logs = new RunLogBatcher(assign, (batch) => this.host.sendLog(batch));
    const execution = prepared.start({ log: (stream, line) => logs.push(stream, line), outbound: this.host.outbound });
    log.info({ handler: assign.handler, task: assign.taskName, shard: assign.shard }, 'run started');

    const finished = execution.done
      .then(async (outcome) => {
        logs.flush(); // logs go out before the result, so the master has them when the run ends
        const result: RunResult = {
          runId: assign.runId,
          attempt: assign.attempt,
          state: outcome.state,
          exitCode: outcome.exitCode,
          output: outcome.output,
          error: outcome.error === null ? null : outcome.error.slice(0, ERROR_LIMIT),
          startedAt,
          finishedAt: Date.now(),
          fenced: this.#active.get(assign.runId)?.fenced === true,
        };
        log.info({ state: result.state, exitCode: result.exitCode, ms: result.finishedAt - startedAt }, 'run finished');
        await this.host.record(result);
      })
      .catch((err: unknown) => log.error({ err }, 'could not record the run result'))
      .finally(() => this.#active.delete(assign.runId));
    this.#active.set(assign.runId, { assign, startedAt, execution, finished, fenced: false });
    return { accepted: true, startedAt };
  }

  /** Answers a `run:stop`: true when that attempt runs here and is now being stopped. */
  stop(raw: unknown): boolean {
    const parsed = RunStop.safeParse(raw);
    if (!parsed.success) return false;
    const run = this.#active.get(parsed.data.runId);
    if (!run || run.assign.attempt !== parsed.data.attempt) return false;
    this.host.log.info({ runId: run.assign.runId, traceId: run.assign.traceId, reason: parsed.data.reason }, 'stop requested');
    run.execution.stop('cancelled');
    return true;
  }

  /** Kills every run at once (no grace): the master could not renew their lease and may soon start them elsewhere. */
  fence(): number {
    let fenced = 0;
    for (const run of this.#active.values()) {
      if (run.fenced) continue;
      run.fenced = true;
      fenced++;
      this.host.log.warn({ runId: run.assign.runId, attempt: run.assign.attempt, traceId: run.assign.traceId }, 'lease not renewed in time; run stopped (fencing)');
      run.execution.stop('fenced');
    }
    return fenced;
  }

  /** Refuses new runs, lets running ones finish for `graceMs`, then stops the rest; resolves when all are recorded. */
  async drain(graceMs: number): Promise<void> {
    this.#draining = true;
    const all = () => Promise.all([...this.#active.values()].map((run) => run.finished));
    if (await within(all(), graceMs)) return;
    for (const run of this.#active.values()) run.execution.stop('shutdown');
    await all();
  }
}

function reject(reason: RejectReason, message: string): AssignAck {
  return { accepted: false, reason, message };
}

/** True when `work` settles within `ms`; the timer never outlives the call. */
export async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
