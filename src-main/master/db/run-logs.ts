// Run logs: batches of lines stored once each (by seq), within the run's quota in bytes.
import type { RunLogLine } from '../api/contract/domain';
import type { Queryable } from './store';

/** After the last batch an agent could send (seq is an int), so readers see it at the end of the log. */
const TRUNCATION_SEQ = 2_147_483_647;

export type LogStored = 'stored' | 'duplicate' | 'over_quota' | 'unknown_run' | 'stale_attempt';

/**
 * Stores a batch once, if the run's log stays within `maxRunBytes`; the first batch that does not fit marks the
 * log truncated and adds one system line saying so, and nothing is stored after it (no gaps in a log). One statement: concurrent batches of a run serialise on its row.
 */
export async function appendLog(
  db: Queryable, batch: { runId: string; attempt: number; seq: number; stream: string; lines: string[]; bytes: number }, maxRunBytes: number,
): Promise<LogStored> {
  const { rows } = await db.query<{ known: boolean; current: boolean; dup: boolean; stored: boolean }>(
    `with seen as (select 1 from run_logs where run_id = $1 and seq = $2),
     room as (
       update runs set log_bytes = log_bytes + $4
       where id = $1 and attempt = $8 and not log_truncated and log_bytes + $4 <= $6 and not exists (select 1 from seen)
       returning id),
     kept as (insert into run_logs (run_id, seq, stream, lines) select $1, $2, $3, $5 from room on conflict do nothing),
     cut as (
       update runs set log_truncated = true where id = $1 and attempt = $8 and not log_truncated and log_bytes + $4 > $6
         and not exists (select 1 from seen) and not exists (select 1 from room)
       returning id),
     marked as (insert into run_logs (run_id, seq, stream, lines) select $1, ${TRUNCATION_SEQ}, 'system', $7 from cut on conflict do nothing)
     select exists (select 1 from runs where id = $1) as known, exists (select 1 from runs where id = $1 and attempt = $8) as current,
       exists (select 1 from seen) as dup, exists (select 1 from room) as stored`,
    [batch.runId, batch.seq, batch.stream, batch.bytes, batch.lines, maxRunBytes,
      [`Log limit of ${maxRunBytes} bytes reached; later lines were dropped.`], batch.attempt],
  );
  const r = rows[0]!;
  if (!r.known) return 'unknown_run';
  if (!r.current) return 'stale_attempt';
  if (r.dup) return 'duplicate';
  return r.stored ? 'stored' : 'over_quota';
}

/**
 * Lines after batch `afterSeq`, about `limit` of them: whole batches (a batch's lines share its seq, which is the
 * reader's cursor), as many as start before `limit` lines are reached, so at least one batch.
 */
export async function readLog(db: Queryable, runId: string, afterSeq: number, limit: number): Promise<RunLogLine[]> {
  const { rows } = await db.query<{ seq: number; stream: RunLogLine['stream']; lines: string[]; at: Date }>(
    `select seq, stream, lines, at from (
       select seq, stream, lines, at, sum(cardinality(lines)) over (order by seq) - cardinality(lines) as before
       from run_logs where run_id = $1 and seq > $2) batches
     where before < $3 order by seq`,
    [runId, afterSeq, limit],
  );
  return rows.flatMap((r) => r.lines.map((line) => ({ seq: r.seq, stream: r.stream, line, at: r.at.toISOString() })));
}

/** The lines of the given batches (by seq) of one run, in order: what a console watching the run's log is sent. */
export async function readBatches(db: Queryable, runId: string, seqs: number[]): Promise<RunLogLine[]> {
  const { rows } = await db.query<{ seq: number; stream: RunLogLine['stream']; lines: string[]; at: Date }>(
    'select seq, stream, lines, at from run_logs where run_id = $1 and seq = any($2::int[]) order by seq', [runId, seqs]);
  return rows.flatMap((r) => r.lines.map((line) => ({ seq: r.seq, stream: r.stream, line, at: r.at.toISOString() })));
}
