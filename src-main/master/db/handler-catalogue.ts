// Handler catalogue repository: per group, each handler its agents announced, with its params schema and when
// it was last offered (issue 9), so tasks can name a custom handler while no agent of the group is connected.
import type { JsonSchema } from 'baton-agent/protocol';
import type { AnnouncedHandler } from '../handlers/catalogue';
import type { Queryable } from './store';

interface CatalogueRow { name: string; params_schema: JsonSchema | null; offered_by: string; last_seen_at: Date }

/** Records what one agent offers; a schema it leaves out keeps the one stored (older agents announce none). */
export async function recordAnnounced(
  db: Queryable, groupId: string, workerName: string, handlers: readonly string[], schemas: Readonly<Record<string, JsonSchema>>,
): Promise<void> {
  if (handlers.length === 0) return;
  await db.query(
    `insert into handler_catalogue (group_id, name, params_schema, offered_by)
     select $1, h.name, h.schema, $2 from unnest($3::text[], $4::jsonb[]) as h(name, schema)
     on conflict (group_id, name) do update set
       params_schema = coalesce(excluded.params_schema, handler_catalogue.params_schema),
       offered_by = excluded.offered_by, last_seen_at = now()`,
    [groupId, workerName, handlers, handlers.map((name) => (Object.hasOwn(schemas, name) ? JSON.stringify(schemas[name]) : null))],
  );
}

export async function announcedHandlers(db: Queryable, groupId: string): Promise<AnnouncedHandler[]> {
  const { rows } = await db.query<CatalogueRow>(
    'select name, params_schema, offered_by, last_seen_at from handler_catalogue where group_id = $1 order by name', [groupId],
  );
  return rows.map((r) => ({ name: r.name, schema: r.params_schema, offeredBy: r.offered_by, lastSeenAt: r.last_seen_at.toISOString() }));
}
