// The hot-path writes of runs and fires, each through a Batcher so concurrent callers share one commit.
import { Batcher } from './batcher';
import { HeldStarts } from './held-starts';
import { finishRuns, insertRuns, markAssignedMany, markRunningMany, type Finish, type NewRun, type StoredRun } from './runs';
import type { Db } from './store';
import { advanceNextFires, type Advance } from './tasks';

const TRANSIENT = new Set(['40P01', '40001']); // deadlock detected, serialization failure

/** Retries a batch that PostgreSQL aborted for a reason that goes away on its own. */
function retrying<I, O>(write: (items: I[]) => Promise<O[]>, attempts = 3): (items: I[]) => Promise<O[]> {
  return async (items) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write(items);
      } catch (error) {
        if (attempt >= attempts || !TRANSIENT.has((error as { code?: string }).code ?? '')) throw error;
      }
    }
  };
}

export class RunWriter {
  private readonly inserts: Batcher<NewRun[], StoredRun[]>;
  private readonly assigns: Batcher<{ id: string; workerId: string; workerName: string }, boolean>;
  private readonly starts: Batcher<{ id: string; startedAt: number }, boolean>;
  private readonly finishes: Batcher<Finish, StoredRun | null>;
  private readonly advances: Batcher<Advance, boolean>;
  private readonly held: HeldStarts;

  /** `lazy` is a pool without synchronous commit, for marks that may be lost in a database crash. */
  constructor(db: Db, lazy: Db) {
    this.inserts = new Batcher(retrying(async (groups) => {
      const stored = new Map((await insertRuns(db, groups.flat())).map((r) => [r.id, r]));
      return groups.map((rows) => rows.flatMap((r) => stored.get(r.id) ?? []));
    }));
    this.assigns = new Batcher(retrying((items) => markAssignedMany(db, items)));
    this.starts = new Batcher(retrying((items) => markRunningMany(lazy, items)));
    // The mark is informational (a result settles the run either way), so a failed write is left to the result.
    this.held = new HeldStarts((id, startedAt) => void this.starts.add({ id, startedAt }).catch(() => undefined));
    this.finishes = new Batcher(retrying((items) => finishRuns(db, items)));
    this.advances = new Batcher(retrying((items) => advanceNextFires(db, items)));
  }

  /** The runs actually stored: a scheduled fire another master stored first is left out. */
  insert(rows: NewRun[]): Promise<StoredRun[]> {
    return rows.length === 0 ? Promise.resolve([]) : this.inserts.add(rows);
  }

  assign(id: string, workerId: string, workerName: string): Promise<boolean> {
    return this.assigns.add({ id, workerId, workerName });
  }

  /** Marks the run running once it has run for a moment; a run that ends sooner gets its start with its end. */
  started(id: string, startedAt: number): void {
    this.held.add(id, startedAt);
  }

  finish(item: Finish): Promise<StoredRun | null> {
    // A run the master ends (lost, timed out, stopped) has no start of its own in the outcome: keep the agent's.
    const startedAt = this.held.ended(item.id);
    const outcome = item.outcome.startedAt == null && startedAt !== undefined ? { ...item.outcome, startedAt } : item.outcome;
    return this.finishes.add({ ...item, outcome });
  }

  advance(item: Advance): Promise<boolean> {
    return this.advances.add(item);
  }

  async drain(): Promise<void> {
    this.held.release(true);
    await Promise.all([this.inserts, this.assigns, this.starts, this.finishes, this.advances].map((b) => b.drain()));
  }
}
