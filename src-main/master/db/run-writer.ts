// The hot-path writes of runs and fires, each through a Batcher so concurrent callers share one commit.
import { Batcher } from './batcher';
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

  /** `lazy` is a pool without synchronous commit, for marks that may be lost in a database crash. */
  constructor(db: Db, lazy: Db) {
    this.inserts = new Batcher(retrying(async (groups) => {
      const stored = new Map((await insertRuns(db, groups.flat())).map((r) => [r.id, r]));
      return groups.map((rows) => rows.flatMap((r) => stored.get(r.id) ?? []));
    }));
    this.assigns = new Batcher(retrying((items) => markAssignedMany(db, items)));
    this.starts = new Batcher(retrying((items) => markRunningMany(lazy, items)));
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

  started(id: string, startedAt: number): Promise<boolean> {
    return this.starts.add({ id, startedAt });
  }

  finish(item: Finish): Promise<StoredRun | null> {
    return this.finishes.add(item);
  }

  advance(item: Advance): Promise<boolean> {
    return this.advances.add(item);
  }

  async drain(): Promise<void> {
    await Promise.all([this.inserts, this.assigns, this.starts, this.finishes, this.advances].map((b) => b.drain()));
  }
}
