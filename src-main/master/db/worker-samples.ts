// Worker samples: CPU, memory, load and runs of each worker about every 10 s, for the worker page's sparklines.
// Written in one multi-row statement per flush (1,000 agents are ~100 rows a second), pruned by the leader.
import type { WorkerSamples } from '../api/contract/worker-detail';
import type { Queryable } from './store';

export interface Sample { workerId: string; at: number; cpu: number; memory: number; load1: number; running: number }

/** Stores samples; a second sample of the same worker at the same millisecond is left out. */
export async function insertSamples(db: Queryable, samples: Sample[]): Promise<void> {
  if (samples.length === 0) return;
  const col = <K extends keyof Sample>(k: K) => samples.map((s) => s[k]);
  await db.query(
    `insert into worker_samples (worker_id, at, cpu, memory, load1, running)
     select worker_id, to_timestamp(at / 1000.0), cpu, memory, load1, running
     from unnest($1::text[], $2::float8[], $3::real[], $4::real[], $5::real[], $6::int[]) as u(worker_id, at, cpu, memory, load1, running)
     where exists (select 1 from workers w where w.id = u.worker_id)
     on conflict do nothing`,
    [col('workerId'), col('at'), col('cpu'), col('memory'), col('load1'), col('running')],
  );
}

/** Deletes samples taken before `beforeMs`; returns how many. */
export async function pruneSamples(db: Queryable, beforeMs: number): Promise<number> {
  const r = await db.query('delete from worker_samples where at < to_timestamp($1 / 1000.0)', [beforeMs]);
  return r.rowCount ?? 0;
}

/** One worker's samples taken at or after `sinceMs`, oldest first, as columns (what a chart draws). */
export async function readSamples(db: Queryable, workerId: string, sinceMs: number): Promise<WorkerSamples> {
  const { rows } = await db.query<{ at: number; cpu: number; memory: number; load1: number; running: number }>(
    `select (extract(epoch from at) * 1000)::float8 as at, cpu, memory, load1, running from worker_samples
     where worker_id = $1 and at >= to_timestamp($2 / 1000.0) order by at`,
    [workerId, sinceMs],
  );
  return {
    at: rows.map((r) => r.at), cpu: rows.map((r) => r.cpu), memory: rows.map((r) => r.memory),
    load1: rows.map((r) => r.load1), running: rows.map((r) => r.running),
  };
}
