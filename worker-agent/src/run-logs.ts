// Batches a run's log lines into `run:log` messages: one per ~100 ms or 200 lines, never mixing streams,
// so a chatty run costs the master a few messages a second instead of one per line.
import type { RunLog } from './protocol.js';
import type { LogStream } from './executors/types.js';

export const LOG_BATCH_MS = 100;
export const LOG_BATCH_LINES = 200;

export class RunLogBatcher {
  #seq = 0;
  #stream: LogStream = 'stdout';
  #lines: string[] = [];
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly run: Pick<RunLog, 'runId' | 'attempt'>,
    private readonly send: (log: RunLog) => void,
  ) {}

  push(stream: LogStream, line: string): void {
    if (stream !== this.#stream) this.flush();
    this.#stream = stream;
    this.#lines.push(line);
    if (this.#lines.length >= LOG_BATCH_LINES) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), LOG_BATCH_MS);
  }

  /** Sends whatever is pending; call at the end of the run, before its result. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#lines.length === 0) return;
    const lines = this.#lines;
    this.#lines = [];
    this.send({ runId: this.run.runId, attempt: this.run.attempt, seq: this.#seq++, stream: this.#stream, lines });
  }
}

/** Per run, what the agent keeps of log batches the master has not acknowledged (a cut may last minutes). */
export const PENDING_LOG_BYTES = 1024 * 1024;

interface RunBacklog { marker: RunLog | null; batches: RunLog[]; bytes: number; dropped: number }

/**
 * Log batches not yet acknowledged, per run, oldest first. Past `limitBytes` a run's oldest batches are dropped
 * and one `system` marker line (carrying the seq of the newest dropped batch) says how many lines were lost.
 */
export class PendingLogs {
  readonly #runs = new Map<string, RunBacklog>();

  constructor(private readonly limitBytes = PENDING_LOG_BYTES) {}

  add(batch: RunLog): void {
    let backlog = this.#runs.get(batch.runId);
    if (!backlog) this.#runs.set(batch.runId, (backlog = { marker: null, batches: [], bytes: 0, dropped: 0 }));
    backlog.batches.push(batch);
    backlog.bytes += size(batch);
    while (backlog.bytes > this.limitBytes && backlog.batches.length > 1) {
      const oldest = backlog.batches.shift()!;
      backlog.bytes -= size(oldest);
      backlog.dropped += oldest.lines.length;
      backlog.marker = {
        runId: oldest.runId, attempt: oldest.attempt, seq: oldest.seq, stream: 'system',
        lines: [`[baton] ${backlog.dropped} log lines dropped: the master was unreachable and the agent keeps ${this.limitBytes} bytes per run`],
      };
    }
  }

  /** The batches of one run (or of all runs) still waiting, oldest first. */
  of(runId?: string): RunLog[] {
    const list = (b: RunBacklog) => (b.marker ? [b.marker, ...b.batches] : [...b.batches]);
    if (runId !== undefined) {
      const backlog = this.#runs.get(runId);
      return backlog ? list(backlog) : [];
    }
    return [...this.#runs.values()].flatMap(list);
  }

  /** The master stored (or refused for good) this batch. */
  remove(batch: RunLog): void {
    const backlog = this.#runs.get(batch.runId);
    if (!backlog) return;
    if (backlog.marker === batch) backlog.marker = null;
    const at = backlog.batches.indexOf(batch);
    if (at !== -1) {
      backlog.bytes -= size(batch);
      backlog.batches.splice(at, 1);
    }
    if (backlog.batches.length === 0 && !backlog.marker) this.#runs.delete(batch.runId);
  }

  forget(runId: string): void {
    this.#runs.delete(runId);
  }
}

function size(batch: RunLog): number {
  return batch.lines.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
}
