// Alert rules: which reasons, for which tasks (all, a group, one task), go to which channels (by name).
import { BatonError } from '../api/contract/errors';
import type { AlertReason, AlertRule, AlertScope } from '../api/contract/alerts';
import { newId } from './ids';
import type { Queryable } from './store';

interface RuleRow {
  id: string; scope_type: AlertScope['type']; scope_id: string | null; reasons: AlertReason[]; attempts: 'final' | 'every';
  queue_wait_ms: number; channels: string[]; enabled: boolean; created_at: Date; updated_at: Date;
}

export type RuleSpec = Omit<AlertRule, 'id' | 'createdAt' | 'updatedAt'>;

function scopeOf(r: RuleRow): AlertScope {
  switch (r.scope_type) {
    case 'group': return { type: 'group', groupId: r.scope_id ?? '' };
    case 'task': return { type: 'task', taskId: r.scope_id ?? '' };
    default: return { type: 'all' };
  }
}

function toRule(r: RuleRow): AlertRule {
  return {
    id: r.id, scope: scopeOf(r), on: r.reasons, attempts: r.attempts, queueWaitMs: r.queue_wait_ms, channels: r.channels,
    enabled: r.enabled, createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(),
  };
}

function scopeId(scope: AlertScope): string | null {
  return scope.type === 'group' ? scope.groupId : scope.type === 'task' ? scope.taskId : null;
}

export async function listRules(db: Queryable): Promise<AlertRule[]> {
  const { rows } = await db.query<RuleRow>('select * from alert_rules order by created_at, id');
  return rows.map(toRule);
}

export async function getRule(db: Queryable, id: string): Promise<AlertRule> {
  const { rows } = await db.query<RuleRow>('select * from alert_rules where id = $1', [id]);
  if (!rows[0]) throw new BatonError('not_found', `No alert rule with id ${id}.`, 'id');
  return toRule(rows[0]);
}

export async function createRule(db: Queryable, spec: RuleSpec, by = 'api'): Promise<AlertRule> {
  const id = newId('alr');
  await db.query(
    `insert into alert_rules (id, scope_type, scope_id, reasons, attempts, queue_wait_ms, channels, enabled, updated_by)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [id, spec.scope.type, scopeId(spec.scope), spec.on, spec.attempts, spec.queueWaitMs, spec.channels, spec.enabled, by],
  );
  return getRule(db, id);
}

export async function replaceRule(db: Queryable, id: string, spec: RuleSpec, by = 'api'): Promise<AlertRule> {
  const { rowCount } = await db.query(
    `update alert_rules set scope_type = $2, scope_id = $3, reasons = $4, attempts = $5, queue_wait_ms = $6, channels = $7, enabled = $8,
       updated_at = now(), updated_by = $9 where id = $1`,
    [id, spec.scope.type, scopeId(spec.scope), spec.on, spec.attempts, spec.queueWaitMs, spec.channels, spec.enabled, by],
  );
  if (rowCount === 0) throw new BatonError('not_found', `No alert rule with id ${id}.`, 'id');
  return getRule(db, id);
}

export async function deleteRule(db: Queryable, id: string): Promise<void> {
  const { rowCount } = await db.query('delete from alert_rules where id = $1', [id]);
  if (rowCount === 0) throw new BatonError('not_found', `No alert rule with id ${id}.`, 'id');
}

/** Rules naming a channel: it cannot be deleted while any does. */
export async function rulesNaming(db: Queryable, channel: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>('select id from alert_rules where $1 = any(channels)', [channel]);
  return rows.map((r) => r.id);
}

/** A channel renamed: the rules follow it, so a rename never silently cuts an alert path. */
export async function renameChannelInRules(db: Queryable, from: string, to: string): Promise<void> {
  await db.query('update alert_rules set channels = array_replace(channels, $1, $2) where $1 = any(channels)', [from, to]);
}
