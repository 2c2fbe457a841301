// Retention: finished runs past the retention period leave the store in small batches, with everything that hangs
// off them, one master at a time. One big delete (as before issue 11) held locks and I/O for as long as a backlog
// of millions of runs took, and delayed the fires of that time.
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { TERMINAL_STATES } from '../api/contract/domain';
import { DEFAULT_PACE, nextBatchSize, pauseAfter, pruneCutoff, type PrunePace } from '../scheduler/prune-pace';
import type { Db } from './store';

// Arbitrary but fixed (next to the migrations' 7_070_001): held for a whole prune, so two masters never prune at once.
const PRUNE_LOCK = 7_070_017;
const QUERY_CANCELED = '57014';

export interface PruneOptions {
  retentionDays: number;
  now: Date;
  pace?: Partial<PrunePace>;
  /** Stops between batches (the master stopping); what was pruned so far stays pruned. */
  signal?: AbortSignal;
  onBatch?: (batch: { families: number; runs: number; ms: number }) => void;
}

export type PruneOutcome =
  | { kind: 'pruned'; runs: number; families: number; batches: number; cutoff: Date; stopped: boolean }
  | { kind: 'busy' };

/**
 * Prunes the run families (a first attempt with its retries and reassignments) whose every run is final and finished
 * before `now - retentionDays`, and none of whose runs has an unfinished child run. Their logs and transitions go
 * with them (foreign keys cascade); workflow rows naming them go here. Another master pruning already: `busy`.
 */
export async function pruneRuns(db: Db, opts: PruneOptions): Promise<PruneOutcome> {
  const cutoff = pruneCutoff(opts.now, opts.retentionDays);
  const pace: PrunePace = { ...DEFAULT_PACE, ...opts.pace };
  const client = await db.connect();
  try {
    const { rows: [lock] } = await client.query<{ got: boolean }>('select pg_try_advisory_lock($1) as got', [PRUNE_LOCK]);
    if (!lock?.got) return { kind: 'busy' };
    try {
      return await pruneLocked(client, cutoff, pace, opts);
    } finally {
      await client.query('select pg_advisory_unlock($1)', [PRUNE_LOCK]);
    }
  } finally {
    client.release();
  }
}

interface Cursor { createdAt: Date; id: string }

async function pruneLocked(client: pg.PoolClient, cutoff: Date, pace: PrunePace, opts: PruneOptions): Promise<PruneOutcome> {
  const total = { kind: 'pruned' as const, runs: 0, families: 0, batches: 0, cutoff, stopped: false };
  let cursor: Cursor | null = null;
  let size = pace.startBatch;
  for (;;) {
    if (opts.signal?.aborted) return { ...total, stopped: true };
    const started = performance.now();
    let batch: Awaited<ReturnType<typeof pruneBatch>>;
    try {
      batch = await pruneBatch(client, cutoff, cursor, size, pace.statementTimeoutMs);
    } catch (error) {
      if ((error as { code?: string }).code !== QUERY_CANCELED || size === pace.minBatch) throw error;
      size = nextBatchSize(pace, size, performance.now() - started, true);
      continue;
    }
    const ms = performance.now() - started;
    if (batch.cursor === null) return total;
    cursor = batch.cursor;
    total.runs += batch.runs;
    total.families += batch.families;
    total.batches += 1;
    opts.onBatch?.({ families: batch.families, runs: batch.runs, ms });
    size = nextBatchSize(pace, size, ms);
    await sleep(pauseAfter(pace, ms), undefined, { signal: opts.signal }).catch(() => undefined);
  }
}

/**
 * One batch in one transaction: the next `size` first attempts created before the cutoff (in creation order, after
 * `cursor`), of which the prunable families are deleted. The delete itself repeats the final-and-old condition per
 * run, so no unfinished run is ever deleted, whatever happened since the families were chosen.
 */
async function pruneBatch(client: pg.PoolClient, cutoff: Date, cursor: Cursor | null, size: number, timeoutMs: number) {
  await client.query('begin');
  try {
    await client.query(`set local statement_timeout = ${Math.max(1, Math.round(timeoutMs))}`);
    const { rows } = await client.query<{ id: string; created_at: Date; prunable: boolean }>(
      `select r.id, r.created_at,
         not exists (select 1 from runs f where f.root_run_id = r.id
                       and (f.state <> all($4::text[]) or f.finished_at is null or f.finished_at >= $1))
         and not exists (select 1 from runs f join runs c on c.parent_run_id = f.id
                         where f.root_run_id = r.id and c.state <> all($4::text[])) as prunable
       from runs r
       where r.id = r.root_run_id and r.created_at < $1
         and ($2::timestamptz is null or (r.created_at, r.id) > ($2::timestamptz, $3::text))
       order by r.created_at, r.id limit $5`,
      [cutoff, cursor?.createdAt ?? null, cursor?.id ?? '', TERMINAL_STATES, size],
    );
    const last = rows.at(-1);
    const roots = rows.filter((r) => r.prunable).map((r) => r.id);
    const runs = roots.length === 0 ? 0 : await deleteFamilies(client, roots, cutoff);
    await client.query('commit');
    return { cursor: last ? { createdAt: last.created_at, id: last.id } : null, families: roots.length, runs };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  }
}

async function deleteFamilies(client: pg.PoolClient, roots: string[], cutoff: Date): Promise<number> {
  const { rows: [deleted] } = await client.query<{ n: number }>(
    `with gone as (
       delete from runs where root_run_id = any($1::text[]) and state = any($3::text[]) and finished_at < $2
       returning id),
     parents as (delete from workflow_parents where parent_run_id in (select id from gone)),
     -- A join decided to fire keeps its row while its run is unstored (unfiredJoins recovers it); an ended one goes
     -- with its generation (the root run it descends from).
     children as (delete from workflow_children where run_id in (select id from gone)
                    or (outcome = 'end' and generation = any($1::text[])))
     select count(*)::int as n from gone`,
    [roots, cutoff, TERMINAL_STATES],
  );
  return deleted?.n ?? 0;
}
