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
