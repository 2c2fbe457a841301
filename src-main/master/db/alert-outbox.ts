// The alert outbox: one row per alert and channel, written off the dispatch path and sent by the delivery loop.
import type { Queryable } from './store';

export interface OutboxRow { id: string; event: unknown }

/** A queue_wait alert already recorded for the same run and channel is left out (migration 18's unique index). */
export async function enqueue(db: Queryable, rows: ReadonlyArray<{ channelId: string; event: { at: string } }>): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `insert into alert_outbox (channel_id, event, at) select * from unnest($1::text[], $2::jsonb[], $3::timestamptz[])
     on conflict do nothing`,
    [rows.map((r) => r.channelId), rows.map((r) => JSON.stringify(r.event)), rows.map((r) => r.event.at)],
  );
}

/** The oldest unsent alerts of a channel (bounded: a long outage's backlog is read a slice at a time). */
export async function pending(db: Queryable, channelId: string, limit: number): Promise<OutboxRow[]> {
  const { rows } = await db.query<OutboxRow>(
    'select id::text as id, event from alert_outbox where channel_id = $1 and sent_at is null order by at, id limit $2', [channelId, limit]);
  return rows;
}

export async function markSent(db: Queryable, ids: readonly string[], at: Date): Promise<void> {
  await db.query('update alert_outbox set sent_at = $2 where id = any($1::bigint[])', [ids, at]);
}

/** Sent rows are kept a while for inspection, then removed. */
export async function pruneSent(db: Queryable, before: Date): Promise<void> {
  await db.query('delete from alert_outbox where sent_at < $1', [before]);
}
