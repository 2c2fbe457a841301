// Warnings about refused agent reports, at most one per worker and code per window: a misbehaving (or hostile)
// agent must not be able to flood the master's log with one line per message.
import type { Logger } from '../log';

const WINDOW_MS = 10_000;

export class RefusalLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly log: Logger, private readonly windowMs = WINDOW_MS) {}

  /** Logs the refusal unless one with the same worker and code was logged within the window (then counts it). */
  note(now: number, worker: string, code: string, data: Record<string, unknown>, message: string): void {
    const key = `${worker}\u0000${code}`;
    const seen = this.last.get(key);
    if (seen && now - seen.at < this.windowMs) {
      seen.suppressed++;
      return;
    }
    this.log.warn({ ...data, worker, code, suppressedSinceLast: seen?.suppressed ?? 0 }, message);
    this.last.set(key, { at: now, suppressed: 0 });
    if (this.last.size > 10_000) this.last.clear(); // bounded: forgetting only means one more warning
  }
}
