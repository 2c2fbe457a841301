// The connection pool and the one place where PostgreSQL errors become domain errors.
import pg from 'pg';
import { BatonError } from '../api/contract/errors';

export type Db = pg.Pool;
export type Queryable = pg.Pool | pg.PoolClient;

/**
 * `durable: false` is for writes whose loss in a database crash costs nothing (run logs, metrics, the
 * assigned → running mark): they skip the wait for the WAL flush.
 */
export function openPool(url: string, opts: { durable: boolean; max?: number } = { durable: true }): Db {
  const pool = new pg.Pool({
    connectionString: url, max: opts.max ?? (opts.durable ? 10 : 4), idleTimeoutMillis: 10_000,
    options: opts.durable ? undefined : '-c synchronous_commit=off',
  });
  // A client's error (e.g. the server stopping) must not crash the master: queries in flight fail on their own,
  // and the next query reconnects. The pool covers idle clients only, so every client gets a listener too
  // (seen: a checked-out client's 'error' ended `baton-master` with exit 1 while it stopped).
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/**
 * pg's `Pool.end()` resolves once it has asked its clients to close, not once they have: a database stopped
 * right after would still see them and terminate them with an error. This waits for every socket to close.
 */
export async function closePool(pool: Db, timeoutMs = 5_000): Promise<void> {
  let left = pool.totalCount;
  const closed = new Promise<void>((resolve) => {
    if (left === 0) resolve();
    pool.on('remove', () => { if (--left <= 0) resolve(); });
  });
  await pool.end();
  await Promise.race([closed, new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref())]);
}

export async function inTransaction<T>(db: Db, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

interface PgError { code?: string }

/** Maps constraint violations to errors an operator can act on, naming the field at fault; anything else stays a bug. */
export function domainError(error: unknown, what: string, field = 'name'): unknown {
  const e = error as PgError;
  if (e?.code === '23505') return new BatonError('conflict', `${what} already exists; choose another name.`, field);
  if (e?.code === '23503') return new BatonError('conflict', `${what} refers to something that does not exist or is still in use.`, field);
  return error;
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006']);

/** The database is down or restarting: an outage the operator should see as such, not as a bug in the master. */
export function unreachableError(error: unknown): BatonError | null {
  const e = error as { code?: string; message?: string };
  const lost = UNREACHABLE_CODES.has(e?.code ?? '') || /Connection terminated|not queryable|connect ECONNREFUSED/.test(e?.message ?? '');
  if (!lost) return null;
  return new BatonError('unavailable', `The database is unreachable (${e.code ?? e.message}); the master keeps retrying, try again shortly.`);
}

export function iso(value: Date | null | undefined): string | null {
  return value ? value.toISOString() : null;
}
