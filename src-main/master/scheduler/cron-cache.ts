// Parsed cron patterns, shared by every fire computation and bounded in memory (issue 11).
// Measured: croner 11 keeps a 10,000-slot year table in every parsed pattern, ~80 KB each, so a cache with one
// entry per distinct expression held 9 MB for 120 patterns in the memory bench and would hold ~800 MB for 10,000
// tasks with distinct crons. A parse costs about as much as one nextRun (0.3 ms on this machine), so the cache
// keeps the patterns in use — a task's cron is used once per fire — and forgets the least recently used.
import { Cron } from 'croner';

/** ~20 MB of patterns at most; many more tasks than this share few expressions (every second, every minute…). */
export const CRON_CACHE_MAX = 256;

export class CronCache {
  readonly #max: number;
  /** In use order: a Map iterates in insertion order, and a hit is re-inserted at the end. */
  readonly #entries = new Map<string, Cron>();

  constructor(max = CRON_CACHE_MAX) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`cron cache size must be a positive integer, not ${max}`);
    this.#max = max;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * A Cron built without a callback schedules nothing, and nextRun/previousRuns with an explicit date keep no
   * state, so one instance is shared by every task with that expression and zone. Throws as croner does.
   */
  get(expression: string, timezone: string): Cron {
    const key = `${timezone}\u0000${expression}`;
    let cron = this.#entries.get(key);
    if (cron) this.#entries.delete(key);
    else {
      cron = new Cron(expression, { timezone, mode: '6-part' });
      if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    }
    this.#entries.set(key, cron);
    return cron;
  }
}
