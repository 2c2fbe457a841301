// Alert channels and their delivery state. Secrets stay in the database: rows become channels without them,
// and only the delivery loop reads a channel with its secret (deliverable()).
import { BatonError } from '../api/contract/errors';
import type { AlertChannel, AlertChannelInput, AlertChannelKind, AlertSettings } from '../api/contract/alerts';
import { newId } from './ids';
import { domainError, iso, type Queryable } from './store';

interface ChannelRow {
  id: string; name: string; kind: AlertChannelKind; config: { to?: string[]; url?: string }; secret: string | null;
  template: string | null; enabled: boolean; last_success_at: Date | null; last_error: string | null; last_error_at: Date | null;
  failures: number; next_retry_at: Date | null; created_at: Date; updated_at: Date; pending: string;
}

/** A channel as the delivery loop needs it: where to send, and how to sign. */
export interface DeliverableChannel {
  id: string; name: string; kind: AlertChannelKind; to: string[]; url: string; secret: string | null; template: string | null;
  failures: number;
}

const SELECT = `select c.*, (select count(*) from alert_outbox o where o.channel_id = c.id and o.sent_at is null) as pending from alert_channels c`;

function toChannel(r: ChannelRow): AlertChannel {
  const status = r.failures > 0 ? 'failing' : r.last_success_at ? 'ok' : 'idle';
  return {
    id: r.id, name: r.name, kind: r.kind, enabled: r.enabled, target: targetOf(r), secret: r.secret ? 'set' : 'not set', template: r.template,
    state: {
      status, lastSuccessAt: iso(r.last_success_at), lastErrorAt: iso(r.last_error_at), lastError: r.last_error,
      nextRetryAt: iso(r.next_retry_at), failures: r.failures, pending: Number(r.pending),
    },
    createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(),
  };
}

/** Email addresses are shown; of a URL only its origin, since Slack, Teams, DingTalk and Feishu put the token in the rest. */
function targetOf(r: ChannelRow): string {
  if (r.kind === 'email') return (r.config.to ?? []).join(', ');
  try {
    return `${new URL(r.config.url ?? '').origin}/…`;
  } catch {
    return '(unreadable URL)';
  }
}

function toDeliverable(r: ChannelRow): DeliverableChannel {
  return { id: r.id, name: r.name, kind: r.kind, to: r.config.to ?? [], url: r.config.url ?? '', secret: r.secret, template: r.template, failures: r.failures };
}

export async function listChannels(db: Queryable): Promise<AlertChannel[]> {
  const { rows } = await db.query<ChannelRow>(`${SELECT} order by c.name`);
  return rows.map(toChannel);
}

export async function getChannel(db: Queryable, id: string): Promise<AlertChannel> {
  return toChannel(await row(db, id));
}

export async function deliverable(db: Queryable, id: string): Promise<DeliverableChannel> {
  return toDeliverable(await row(db, id));
}

/** Enabled channels with alerts waiting whose retry time (if any) has come. */
export async function dueChannels(db: Queryable, now: Date): Promise<DeliverableChannel[]> {
  const { rows } = await db.query<ChannelRow>(
    `${SELECT} where c.enabled and (c.next_retry_at is null or c.next_retry_at <= $1)
       and exists (select 1 from alert_outbox o where o.channel_id = c.id and o.sent_at is null)`, [now]);
  return rows.map(toDeliverable);
}

/** Ids of the channels with these names, for the names that exist (and are enabled, if asked: a disabled channel gathers nothing). */
export async function channelIdsByName(db: Queryable, names: readonly string[], onlyEnabled = false): Promise<Map<string, string>> {
  const { rows } = await db.query<{ id: string; name: string }>(
    'select id, name from alert_channels where name = any($1) and (enabled or not $2)', [names, onlyEnabled]);
  return new Map(rows.map((r) => [r.name, r.id]));
}

async function row(db: Queryable, id: string): Promise<ChannelRow> {
  const { rows } = await db.query<ChannelRow>(`${SELECT} where c.id = $1`, [id]);
  if (!rows[0]) throw new BatonError('not_found', `No alert channel with id ${id}.`, 'id');
  return rows[0];
}

function configOf(input: AlertChannelInput): { to?: string[]; url?: string } {
  return input.kind === 'email' ? { to: input.to ?? [] } : { url: input.url ?? '' };
}

export async function createChannel(db: Queryable, input: AlertChannelInput, by = 'api'): Promise<AlertChannel> {
  try {
    const id = newId('alc');
    await db.query(
      `insert into alert_channels (id, name, kind, config, secret, template, enabled, updated_by) values ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [id, input.name, input.kind, JSON.stringify(configOf(input)), input.secret ?? null,
        input.template ?? null, input.enabled ?? true, by],
    );
    return await getChannel(db, id);
  } catch (error) {
    throw domainError(error, `An alert channel named "${input.name}"`);
  }
}

/** Stores the whole (checked) channel; a secret left undefined keeps the stored one. */
export async function replaceChannel(db: Queryable, id: string, input: AlertChannelInput, by = 'api'): Promise<AlertChannel> {
  const { secret } = input;
  try {
    const { rowCount } = await db.query(
      `update alert_channels set name = $2, config = $3, secret = case when $4::boolean then $5 else secret end, template = $6,
         enabled = $7, updated_at = now(), updated_by = $8 where id = $1`,
      [id, input.name, JSON.stringify(configOf(input)), secret !== undefined, secret ?? null, input.template ?? null, input.enabled ?? true, by],
    );
    if (rowCount === 0) throw new BatonError('not_found', `No alert channel with id ${id}.`, 'id');
    return await getChannel(db, id);
  } catch (error) {
    throw domainError(error, `An alert channel named "${input.name}"`);
  }
}

export async function deleteChannel(db: Queryable, id: string): Promise<void> {
  const { rowCount } = await db.query('delete from alert_channels where id = $1', [id]);
  if (rowCount === 0) throw new BatonError('not_found', `No alert channel with id ${id}.`, 'id');
}

export async function recordSuccess(db: Queryable, id: string, at: Date): Promise<void> {
  await db.query('update alert_channels set last_success_at = $2, failures = 0, next_retry_at = null where id = $1', [id, at]);
}

/** Returns the number of failures in a row, this one included. */
export async function recordFailure(db: Queryable, id: string, at: Date, error: string, nextRetryAt: Date): Promise<number> {
  const { rows } = await db.query<{ failures: number }>(
    `update alert_channels set last_error = $3, last_error_at = $2, failures = failures + 1, next_retry_at = $4 where id = $1 returning failures`,
    [id, at, error.slice(0, 1_000), nextRetryAt],
  );
  return rows[0]?.failures ?? 0;
}

/** A task's own email/webhook settings (the older per-task form) as a channel, created or kept up to date under a fixed name. */
export async function ensureTaskChannel(db: Queryable, name: string, input: AlertChannelInput): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `insert into alert_channels (id, name, kind, config, updated_by) values ($1, $2, $3, $4, 'task')
       on conflict (name) do update set config = excluded.config where alert_channels.config is distinct from excluded.config
       returning id`,
    [newId('alc'), name, input.kind, JSON.stringify(configOf(input))],
  );
  if (rows[0]) return rows[0].id;
  return (await channelIdsByName(db, [name])).get(name)!;
}

export async function getSettings(db: Queryable): Promise<AlertSettings> {
  const { rows } = await db.query<{ console_url: string | null; window_ms: number }>('select console_url, window_ms from alert_settings where id = 1');
  return { consoleUrl: rows[0]?.console_url ?? null, windowMs: rows[0]?.window_ms ?? 300_000 };
}

export async function updateSettings(db: Queryable, patch: Partial<AlertSettings>): Promise<AlertSettings> {
  await db.query(
    `update alert_settings set console_url = case when $1::boolean then $2 else console_url end, window_ms = coalesce($3, window_ms) where id = 1`,
    [patch.consoleUrl !== undefined, patch.consoleUrl ?? null, patch.windowMs ?? null],
  );
  return getSettings(db);
}
