// Retention pruning on a real database: what goes (old final families and everything hanging off them), what stays
// (anything unfinished, recent, or a parent of an unfinished run), in batches, one master at a time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src-main/master/db/migrations';
import { pruneRuns } from '../../src-main/master/db/retention';
import { closePool, openPool, type Db } from '../../src-main/master/db/store';
import { freshDatabase } from './harness';

const DAY = 86_400_000;
const now = new Date();
const daysAgo = (d: number) => new Date(now.getTime() - d * DAY);

let url: string;
let db: Db;

interface RunSeed { id: string; root?: string; attempt?: number; parent?: string; state: string; createdDaysAgo: number; finishedDaysAgo?: number }

async function seedRuns(seeds: RunSeed[]): Promise<void> {
  for (const r of seeds) {
    await db.query(
      `insert into runs (id, task_id, root_run_id, attempt, trigger, parent_run_id, trace_id, state, planned_at, created_at, finished_at)
       values ($1, 'task-a', $2, $3, 'api', $4, 'trace', $5, $6, $6, $7)`,
      [r.id, r.root ?? r.id, r.attempt ?? 1, r.parent ?? null, r.state, daysAgo(r.createdDaysAgo),
        r.finishedDaysAgo === undefined ? null : daysAgo(r.finishedDaysAgo)],
    );
    await db.query(`insert into run_logs (run_id, seq, stream, lines) values ($1, 1, 'stdout', '{line}')`, [r.id]);
  }
}

async function existing(table: string, column: string, ids: string[]): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(`select distinct ${column} as id from ${table} where ${column} = any($1) order by 1`, [ids]);
  return rows.map((r) => r.id);
}

/** `n` old succeeded single-run families named `${prefix}-i`, created in order (oldest first). */
async function oldFamilies(prefix: string, n: number, createdDaysAgo = 60): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
  await db.query(
    `insert into runs (id, task_id, root_run_id, attempt, trigger, trace_id, state, planned_at, created_at, finished_at)
     select id, 'task-a', id, 1, 'api', 'trace', 'succeeded', t, t, t + interval '1 second'
     from unnest($1::text[]) with ordinality as u(id, i), lateral (select $2::timestamptz + i * interval '1 millisecond' as t) x`,
    [ids, daysAgo(createdDaysAgo)],
  );
  return ids;
}

beforeAll(async () => {
  url = await freshDatabase();
  db = openPool(url);
  await migrate(db);
  await db.query(`insert into groups (id, name) values ('grp', 'g')`);
  await db.query(
    `insert into tasks (id, name, group_id, handler, trigger, misfire, routing, blocking, retry)
     values ('task-a', 'a', 'grp', 'noop', '{"type":"api"}', '{}', '{}', '{}', '{}'),
            ('task-c', 'c', 'grp', 'noop', '{"type":"api"}', '{}', '{}', '{}', '{}')`,
  );
});

afterAll(async () => {
  await closePool(db);
});

describe('pruneRuns', () => {
  it('removes old final families with their logs, transitions and workflow rows, and keeps everything else', async () => {
    await seedRuns([
      // A failed first attempt and its succeeded retry, both old: the family goes.
      { id: 'old-1', state: 'failed', createdDaysAgo: 40, finishedDaysAgo: 40 },
      { id: 'old-1b', root: 'old-1', attempt: 2, state: 'succeeded', createdDaysAgo: 40, finishedDaysAgo: 40 },
      // Old first attempt whose retry is still running: the whole family stays.
      { id: 'fam-live', state: 'lost', createdDaysAgo: 40, finishedDaysAgo: 40 },
      { id: 'fam-live-b', root: 'fam-live', attempt: 2, state: 'running', createdDaysAgo: 40 },
      // Created long ago, never finished: stays whatever its age.
      { id: 'stuck', state: 'queued', createdDaysAgo: 50 },
      // Old and final, but a parent of a run that has not finished: stays for that run's join and parents.
      { id: 'parent-old', state: 'succeeded', createdDaysAgo: 45, finishedDaysAgo: 45 },
      { id: 'child-live', parent: 'parent-old', state: 'assigned', createdDaysAgo: 1 },
      // Old, final, parent of a final child that is itself old: both go.
      { id: 'parent-gone', state: 'succeeded', createdDaysAgo: 44, finishedDaysAgo: 44 },
      { id: 'child-gone', parent: 'parent-gone', state: 'cancelled', createdDaysAgo: 44, finishedDaysAgo: 44 },
      // Finished inside the retention period: stays.
      { id: 'recent', state: 'succeeded', createdDaysAgo: 2, finishedDaysAgo: 2 },
      // Created before the cutoff but finished after it: stays.
      { id: 'slow', state: 'timed_out', createdDaysAgo: 31, finishedDaysAgo: 29 },
    ]);
    await db.query(
      `insert into workflow_parents (child_task_id, generation, parent_task_id, parent_run_id, parent_state) values
         ('task-c', 'parent-gone', 'task-a', 'parent-gone', 'succeeded'),
         ('task-c', 'parent-old', 'task-a', 'parent-old', 'succeeded'),
         ('task-c', 'old-1', 'task-a', 'old-1b', 'succeeded')`,
    );
    await db.query(
      `insert into workflow_children (child_task_id, generation, outcome, reason, run_id) values
         ('task-c', 'parent-gone', 'fire', null, 'child-gone'),
         ('task-c', 'parent-old', 'fire', null, 'child-live'),
         ('task-c', 'old-1', 'end', 'a parent failed', null),
         ('task-c', 'stuck', 'fire', null, null)`,
    );
    const all = ['old-1', 'old-1b', 'fam-live', 'fam-live-b', 'stuck', 'parent-old', 'child-live', 'parent-gone', 'child-gone', 'recent', 'slow'];
    const kept = ['child-live', 'fam-live', 'fam-live-b', 'parent-old', 'recent', 'slow', 'stuck'];
    expect(await existing('run_transitions', 'run_id', all)).toEqual([...all].sort());

    const outcome = await pruneRuns(db, { retentionDays: 30, now });

    expect(outcome).toMatchObject({ kind: 'pruned', runs: 4, families: 3, stopped: false });
    expect(await existing('runs', 'id', all)).toEqual(kept);
    expect(await existing('run_logs', 'run_id', all)).toEqual(kept);
    expect(await existing('run_transitions', 'run_id', all)).toEqual(kept);
    expect(await existing('workflow_parents', 'parent_run_id', all)).toEqual(['parent-old']);
    const { rows: children } = await db.query<{ generation: string }>('select generation from workflow_children order by 1');
    expect(children.map((c) => c.generation)).toEqual(['parent-old', 'stuck']);

    // Nothing left to prune: a second pass changes nothing.
    expect(await pruneRuns(db, { retentionDays: 30, now })).toMatchObject({ kind: 'pruned', runs: 0, families: 0 });
    expect(await existing('runs', 'id', all)).toEqual(kept);
  });

  it('refuses a bad retention, naming it, and deletes nothing', async () => {
    const ids = await oldFamilies('refused', 3);
    await expect(pruneRuns(db, { retentionDays: 0, now })).rejects.toMatchObject({ code: 'invalid_input', field: 'retentionDays' });
    expect(await existing('runs', 'id', ids)).toEqual(ids);
    await pruneRuns(db, { retentionDays: 30, now });
  });

  it('works in batches that adapt to their time, and stops between batches when asked', async () => {
    const ids = await oldFamilies('batched', 40);
    const sizes: number[] = [];
    const stop = new AbortController();
    const first = await pruneRuns(db, {
      retentionDays: 30, now, signal: stop.signal,
      pace: { startBatch: 5, minBatch: 5, maxBatch: 5, minPauseMs: 1 },
      onBatch: (b) => { sizes.push(b.runs); if (sizes.length === 3) stop.abort(); },
    });
    expect(first).toMatchObject({ kind: 'pruned', runs: 15, batches: 3, stopped: true });
    expect(sizes).toEqual([5, 5, 5]);
    expect(await existing('runs', 'id', ids)).toEqual(ids.slice(15));

    const rest = await pruneRuns(db, { retentionDays: 30, now, pace: { startBatch: 5, minBatch: 5, maxBatch: 10, minPauseMs: 1 } });
    expect(rest).toMatchObject({ kind: 'pruned', runs: 25, stopped: false });
    expect(rest.kind === 'pruned' && rest.batches).toBeLessThan(5); // batches grew past 5 (they take well under 50 ms)
    expect(await existing('runs', 'id', ids)).toEqual([]);
  });

  it('lets one master prune at a time: a second one is told another is pruning and deletes nothing', async () => {
    const ids = await oldFamilies('shared', 20);
    const other = openPool(url);
    try {
      let second: Promise<Awaited<ReturnType<typeof pruneRuns>>> | undefined;
      const first = await pruneRuns(db, {
        retentionDays: 30, now, pace: { startBatch: 4, minBatch: 4, maxBatch: 4, minPauseMs: 200 },
        onBatch: () => { second ??= pruneRuns(other, { retentionDays: 30, now }); },
      });
      expect(await second).toEqual({ kind: 'busy' });
      // The first pruned every one of them: the second deleted none.
      expect(first).toMatchObject({ kind: 'pruned', runs: 20 });
      expect(await existing('runs', 'id', ids)).toEqual([]);
      // Once the first is done, the lock is free for anyone.
      expect(await pruneRuns(other, { retentionDays: 30, now })).toMatchObject({ kind: 'pruned', runs: 0 });
    } finally {
      await closePool(other);
    }
  });

  it('survives a batch the database cancels: rolls it back, retries smaller, and fails cleanly with the lock free', async () => {
    const ids = await oldFamilies('blocked', 10, 70);
    // Another transaction holds the oldest family's row: deleting it waits past the statement timeout.
    const holder = await db.connect();
    try {
      await holder.query('begin');
      await holder.query(`select 1 from runs where id = 'blocked-000' for update`);
      const pace = { startBatch: 10, minBatch: 1, statementTimeoutMs: 300, minPauseMs: 1 };
      await expect(pruneRuns(db, { retentionDays: 30, now, pace })).rejects.toMatchObject({ code: '57014' });
      expect(await existing('runs', 'id', ids)).toEqual(ids);
    } finally {
      await holder.query('rollback');
      holder.release();
    }
    expect(await pruneRuns(db, { retentionDays: 30, now })).toMatchObject({ kind: 'pruned', runs: 10 });
    expect(await existing('runs', 'id', ids)).toEqual([]);
  });
});
