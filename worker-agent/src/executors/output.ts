// Bounded output: a run keeps only the tail of what it printed, and log lines are split and capped,
// because the protocol caps result output at 64 KiB and each log line at 16 KiB (protocol.ts).
import type { LogStream, RunIO } from './types.js';

export const OUTPUT_LIMIT = 65_536;
export const LINE_LIMIT = 16_384;
const DROPPED = '…[earlier output dropped]\n';

/** Keeps the last OUTPUT_LIMIT characters of everything appended. */
export class TailBuffer {
  #text = '';
  #dropped = false;

  append(chunk: string): void {
    this.#text += chunk;
    // Trim lazily so appending many small chunks stays linear.
    if (this.#text.length > 2 * OUTPUT_LIMIT) {
      this.#text = this.#text.slice(-OUTPUT_LIMIT);
      this.#dropped = true;
    }
  }

  toString(): string {
    if (!this.#dropped && this.#text.length <= OUTPUT_LIMIT) return this.#text;
    return DROPPED + this.#text.slice(-(OUTPUT_LIMIT - DROPPED.length));
  }
}

export function capLine(line: string): string {
  return line.length <= LINE_LIMIT ? line : `${line.slice(0, LINE_LIMIT - 1)}…`;
}

/** Turns a stream of chunks into capped log lines; `end()` emits a trailing partial line. */
export function lineSplitter(io: RunIO, stream: LogStream): { write(chunk: string): void; end(): void } {
  let partial = '';
  return {
    write(chunk) {
      const parts = (partial + chunk).split(/\r?\n/);
      partial = parts.pop() ?? '';
      for (const line of parts) io.log(stream, capLine(line));
      // A producer that never prints a newline must not grow this buffer without bound.
      if (partial.length > LINE_LIMIT) {
        io.log(stream, capLine(partial));
        partial = '';
      }
    },
    end() {
      if (partial) io.log(stream, capLine(partial));
      partial = '';
    },
  };
}
