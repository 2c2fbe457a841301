// A run's "running" mark waits a moment before it is written: a run that ends within that moment is written once,
// its end carrying the start (the transitions trigger records the running step at started_at). Short runs are most
// of a busy scheduler's traffic, and the mark was a third of their database work (bench/lateness, issue 11).

export const START_HOLD_MS = 1_000;

export class HeldStarts {
  /** Insertion order is hold order: the oldest holds are first. */
  private readonly held = new Map<string, { startedAt: number; since: number }>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly write: (id: string, startedAt: number) => void,
    private readonly holdMs = START_HOLD_MS,
    private readonly now: () => number = Date.now,
  ) {}

  add(id: string, startedAt: number): void {
    this.held.delete(id);
    this.held.set(id, { startedAt, since: this.now() });
    this.timer ??= setTimeout(() => this.release(), this.holdMs / 4).unref();
  }

  /** The run ended: its end carries the start (returned, for an end that has none), so the mark is never written. */
  ended(id: string): number | undefined {
    const h = this.held.get(id);
    this.held.delete(id);
    return h?.startedAt;
  }

  get size(): number {
    return this.held.size;
  }

  /** Writes the marks held for the full time (all of them with `all`, when the master stops). */
  release(all = false): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const now = this.now();
    for (const [id, h] of this.held) {
      if (!all && now - h.since < this.holdMs) break;
      this.held.delete(id);
      this.write(id, h.startedAt);
    }
    if (this.held.size > 0) this.timer = setTimeout(() => this.release(), this.holdMs / 4).unref();
  }
}
