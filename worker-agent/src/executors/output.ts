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

/** Marks a line cut to the limit; within the limit in bytes, so the master (which counts bytes) keeps it. */
export const CUT_MARK = ' …[line cut]';

/** A line of at most LINE_LIMIT bytes, ending in CUT_MARK when it had to be cut. */
export function capLine(line: string): string {
  if (Buffer.byteLength(line) <= LINE_LIMIT) return line;
  const room = LINE_LIMIT - Buffer.byteLength(CUT_MARK);
  let kept = line.slice(0, room);
  // Every character takes at least one byte, so dropping as many characters as bytes are over always converges.
  for (let over = Buffer.byteLength(kept) - room; over > 0; over = Buffer.byteLength(kept) - room) kept = kept.slice(0, kept.length - over);
  return kept + CUT_MARK;
}

/**
 * Turns a stream of chunks into capped log lines; `end()` emits a trailing partial line. A line longer than the
 * limit is logged once, cut and marked, and the rest of it (up to its newline) is skipped: it used to come out as
 * a line of its own, with the part in between silently gone.
 */
export function lineSplitter(io: RunIO, stream: LogStream): { write(chunk: string): void; end(): void } {
  let partial = '';
  let skipping = false;
  const emit = (line: string) => {
    if (skipping) skipping = false;
    else io.log(stream, capLine(line));
  };
  return {
    write(chunk) {
      const parts = (partial + chunk).split(/\r?\n/);
      partial = parts.pop() ?? '';
      for (const line of parts) emit(line);
      // A producer that never prints a newline must not grow this buffer without bound.
      if (partial.length > LINE_LIMIT) {
        if (!skipping) io.log(stream, capLine(partial));
        skipping = true;
        partial = '';
      }
    },
    end() {
      if (partial && !skipping) io.log(stream, capLine(partial));
      partial = '';
      skipping = false;
    },
  };
}
