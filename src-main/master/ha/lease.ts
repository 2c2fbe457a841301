// The leader lease in the shared database: claimed and renewed by compare-and-set on the database's clock,
// so masters' clocks never have to agree.
import type { ClusterMaster } from '../api/contract/domain';
import type { Queryable } from '../db/store';

export interface Lease {
  leaderId: string | null;
  leaderUrl: string | null;
  term: number;
}

/**
 * Takes the lease when it is free or expired, renews it when already held; returns who holds it after.
 * `sole`: no other master can share this database (the embedded one), so a lease left by a crash is taken at once.
 */
export async function claimLease(db: Queryable, masterId: string, leaseMs: number, sole = false): Promise<Lease> {
  await db.query(
    `insert into leadership (master_id, term, expires_at) values ($1, 1, now() + $2 * interval '1 millisecond')
     on conflict (singleton) do update set
       term = case when leadership.master_id = excluded.master_id then leadership.term else leadership.term + 1 end,
       master_id = excluded.master_id,
       expires_at = excluded.expires_at
     where leadership.master_id = excluded.master_id or leadership.expires_at < now() or $3`,
    [masterId, leaseMs, sole],
  );
  return currentLease(db);
}

export async function currentLease(db: Queryable): Promise<Lease> {
  const { rows } = await db.query<{ master_id: string; term: string; url: string | null }>(
    `select l.master_id, l.term, m.url from leadership l left join masters m on m.id = l.master_id
     where l.expires_at > now()`,
  );
  const row = rows[0];
  return row ? { leaderId: row.master_id, leaderUrl: row.url, term: Number(row.term) } : { leaderId: null, leaderUrl: null, term: 0 };
}

/** On a clean stop: the lease ends now, so a follower takes over at its next tick instead of after expiry. */
export async function releaseLease(db: Queryable, masterId: string): Promise<void> {
  await db.query('update leadership set expires_at = now() where master_id = $1', [masterId]);
}

export async function announceMaster(db: Queryable, masterId: string, url: string): Promise<void> {
  await db.query(
    `insert into masters (id, url) values ($1, $2) on conflict (id) do update set url = excluded.url, seen_at = now()`,
    [masterId, url],
  );
}

export async function forgetMaster(db: Queryable, masterId: string): Promise<void> {
  await db.query('delete from masters where id = $1', [masterId]);
}

/** Masters that stopped announcing themselves a while ago (crashed): their rows go. */
export async function pruneMasters(db: Queryable, olderThanMs: number): Promise<void> {
  await db.query(`delete from masters where seen_at < now() - $1 * interval '1 millisecond'`, [olderThanMs]);
}

/** The masters sharing this database, the leader first. */
export async function listMasters(db: Queryable): Promise<ClusterMaster[]> {
  const { rows } = await db.query<{ id: string; url: string; started_at: Date; seen_at: Date; leader: boolean }>(
    `select m.id, m.url, m.started_at, m.seen_at,
            exists (select 1 from leadership l where l.master_id = m.id and l.expires_at > now()) as leader
     from masters m order by leader desc, m.started_at`,
  );
  return rows.map((r) => ({ id: r.id, url: r.url, leader: r.leader, startedAt: r.started_at.toISOString(), seenAt: r.seen_at.toISOString() }));
}
