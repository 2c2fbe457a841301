// A scheduled fire of a serial task whose previous run still holds the slot waits here, unstored, for a moment:
// stored once it has a worker, it is written once (assigned) instead of twice (queued, then assigned). Under load the
// second write kept every busy serial task behind after a short stall, and the database never caught up (issue 11,
// bench/lateness with a 3 s burst). Safe to lose: the planner moves the task's next fire only after the run is stored.

/** How long a fire waits for its slot before it is stored queued, as it was before. */
export const PARK_MS = 1_000;

interface Parked<S> { give: (worker: S | null) => void; stored: Promise<unknown> }

export class ParkedFires<S> {
  private readonly parked = new Map<string, Parked<S>>();

  constructor(private readonly holdMs = PARK_MS) {}

  /**
   * Holds run `id` until `give` hands it a worker, or `holdMs` passed (null); `store` then writes it, assigned to
   * that worker or queued. Resolves with what `store` resolves.
   */
  hold<T>(id: string, store: (worker: S | null) => Promise<T>): Promise<T> {
    let resolve!: (worker: S | null) => void;
    const given = new Promise<S | null>((r) => (resolve = r));
    const timer = setTimeout(() => give(null), this.holdMs);
    const give = (worker: S | null) => {
      clearTimeout(timer);
      this.parked.delete(id);
      resolve(worker);
    };
    const stored = given.then(store);
    this.parked.set(id, { give, stored });
    return stored;
  }

  has(id: string): boolean {
    return this.parked.has(id);
  }

  /** The slot is free and `worker` takes the run: it is stored assigned to it. */
  give(id: string, worker: S): void {
    this.parked.get(id)?.give(worker);
  }

  /** Stores every held run now, queued (the term ends; the planner waits for these writes). */
  storeAll(): void {
    for (const p of [...this.parked.values()]) p.give(null);
  }

  /** Stores a held run now, queued (a stop must find its row); resolves once written, whatever the outcome. */
  async storeNow(id: string): Promise<void> {
    const p = this.parked.get(id);
    if (!p) return;
    p.give(null);
    await p.stored.catch(() => undefined);
  }
}
