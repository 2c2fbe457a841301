// The lease as the reaper enforces it, independent of the agent's event loop: the agent tells the reaper over
// its pipe, after every renewal, how long its runs may still live; when that passes with no newer word, the
// reaper kills them (a paused agent cannot fence its own runs). Pure: the protocol, parsing and the decision.
//
// Checked by hand, not with zod: the reaper loads this module, and zod alone made the reaper's process 55 MB
// instead of 42 MB RSS (issue 11, measured); two message shapes do not need a schema library.

/**
 * One line of JSON per message, agent → reaper. `fence`: kill the runs in `inMs` unless told again (a duration,
 * the two processes share no clock); `idle`: no runs, nothing to kill, no deadline.
 */
export type GuardMessage = { type: 'fence'; inMs: number } | { type: 'idle' };

/** The longest fence a message may ask for (a day); anything longer is not a message of this agent. */
export const MAX_FENCE_MS = 24 * 3_600_000;

/** A line longer than any message is garbage; the reader drops it rather than buffer without bound. */
export const MAX_LINE_CHARS = 1_024;

export function encodeGuardMessage(message: GuardMessage): string {
  return `${JSON.stringify(message)}\n`;
}

/** The message a line holds, or null for anything else (never throws: unknown input must not stop the reaper). */
export function parseGuardLine(line: string): GuardMessage | null {
  if (line.length > MAX_LINE_CHARS) return null;
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return null;
  }
  return guardMessageOf(json);
}

/** The message `json` is; other fields are ignored, as the agent and reaper of one install are one version. */
function guardMessageOf(json: unknown): GuardMessage | null {
  if (typeof json !== 'object' || json === null) return null;
  const { type, inMs } = json as Record<string, unknown>;
  if (type === 'idle') return { type };
  const duration = typeof inMs === 'number' && Number.isInteger(inMs) && inMs >= 0 && inMs <= MAX_FENCE_MS;
  return type === 'fence' && duration ? { type, inMs } : null;
}

/** The reaper's deadline on its own monotonic clock; null while no run needs one. */
export type GuardDeadline = number | null;

/** The newest message decides: the pipe keeps the agent's order, and each renewal supersedes the one before. */
export function applyGuardMessage(message: GuardMessage, receivedAt: number): GuardDeadline {
  return message.type === 'fence' ? receivedAt + message.inMs : null;
}

/** True once the runs must be killed: a deadline is armed and has passed. */
export function guardDue(deadline: GuardDeadline, now: number): boolean {
  return deadline !== null && now >= deadline;
}

/**
 * Splits a byte stream into lines; a line past MAX_LINE_CHARS is dropped up to its end, so a flood without
 * newlines costs the reaper no memory.
 */
export class LineReader {
  #buffer = '';
  #skipping = false;

  push(chunk: string): string[] {
    const lines: string[] = [];
    let rest = chunk;
    for (let nl = rest.indexOf('\n'); nl >= 0; nl = rest.indexOf('\n')) {
      const line = this.#buffer + rest.slice(0, nl);
      if (!this.#skipping) lines.push(line);
      this.#buffer = '';
      this.#skipping = false;
      rest = rest.slice(nl + 1);
    }
    this.#buffer += rest;
    if (this.#buffer.length > MAX_LINE_CHARS) {
      this.#buffer = '';
      this.#skipping = true;
    }
    return lines;
  }
}
