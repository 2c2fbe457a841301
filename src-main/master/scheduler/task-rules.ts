// Whether a task definition may be stored: its trigger, its time window and its place among parent links.
import { checkUrl, type OutboundRules } from 'baton-agent/outbound';
import { BatonError } from '../api/contract/errors';
import type { TaskSpec } from '../api/contract/domain';
import { findCycle } from './dag';
import { checkTrigger, inWindow, nextFireAt } from './triggers';
import { checkTriggerDecls } from './trigger-params';
import { checkHandlerParams, type Catalogue } from '../handlers/catalogue';

export interface TaskWorld {
  /** The id of the task being updated; null when creating. */
  taskId: string | null;
  groupIds: ReadonlySet<string>;
  taskIds: ReadonlySet<string>;
  links: Record<string, string[]>;
  /** What the outbound guard allows beyond its default (BATON_OUTBOUND_ALLOW). */
  outbound: OutboundRules;
  /** The handlers the spec's group may use and their params schemas (handlers/catalogue.ts). */
  handlers: Catalogue;
}

/** The first reason the spec cannot be stored, or null. Pure: the caller loads `world`. */
export function checkTaskSpec(spec: TaskSpec, world: TaskWorld): BatonError | null {
  if (!world.groupIds.has(spec.groupId)) return new BatonError('invalid_input', `groupId: no group with id ${spec.groupId}.`, 'groupId');
  const schema = world.handlers.get(spec.handler) ?? null;
  const params = checkHandlerParams(spec.handler, spec.params, world.handlers) ?? checkTriggerDecls(spec.handler, spec.triggerParams, schema);
  if (params) return params;
  const outbound = checkOutbound(spec, world.outbound);
  if (outbound) return outbound;
  const trigger = checkTrigger(spec.trigger);
  if (!trigger.ok) return new BatonError('invalid_input', `${trigger.field}: ${trigger.message}`, trigger.field);
  if (spec.startAt && spec.endAt && Date.parse(spec.startAt) >= Date.parse(spec.endAt)) {
    return new BatonError('invalid_input', 'endAt: must be later than startAt.', 'endAt');
  }
  if (spec.routing.strategy === 'specific' && !spec.routing.workerId) {
    return new BatonError('invalid_input', 'routing.workerId: the specific strategy needs a worker id.', 'routing.workerId');
  }
  if (spec.routing.strategy === 'consistent_hash' && !spec.routing.hashKey) {
    return new BatonError('invalid_input', 'routing.hashKey: consistent_hash needs the params key to hash on.', 'routing.hashKey');
  }
  if (spec.routing.shards !== undefined && spec.routing.strategy !== 'shard_broadcast') {
    return new BatonError('invalid_input', 'routing.shards: a shard count applies to the shard_broadcast strategy only.', 'routing.shards');
  }
  if (spec.trigger.type === 'parent' && spec.trigger.parents.length > 1 && spec.trigger.on !== 'success') {
    return new BatonError('invalid_input',
      'trigger.on: with several parents, trigger.join decides when this task runs (all_succeeded, all_done or any_succeeded); `on` applies to a single parent.',
      'trigger.on');
  }
  if (spec.trigger.type === 'parent') return checkParents(spec.trigger.parents, world);
  return null;
}

/** Webhook and `http` URLs as written: a metadata or link-local target is refused when stored (the agent checks again as resolved). */
function checkOutbound(spec: TaskSpec, rules: OutboundRules): BatonError | null {
  const targets: Array<[string, unknown]> = [['alerts.webhook', spec.alerts.webhook]];
  if (spec.handler === 'http') targets.push(['params.url', spec.params.url]);
  for (const [field, url] of targets) {
    if (typeof url !== 'string') continue;
    const verdict = checkUrl(url, rules);
    if (!verdict.ok) return new BatonError('invalid_input', `${field}: ${verdict.message}.`, field);
  }
  return null;
}

function checkParents(parents: string[], world: TaskWorld): BatonError | null {
  const unknown = parents.filter((p) => !world.taskIds.has(p) && p !== world.taskId);
  if (unknown.length > 0) return new BatonError('invalid_input', `trigger.parents: no task with id ${unknown.join(', ')}.`, 'trigger.parents');
  const cycle = findCycle(world.links, world.taskId ?? '(new task)', parents);
  if (cycle) return new BatonError('invalid_input', `trigger.parents: this link would make a cycle: ${cycle.join(' → ')}.`, 'trigger.parents');
  return null;
}

/** The first fire of a newly stored (or re-enabled, or edited) task. */
export function firstFire(spec: Pick<TaskSpec, 'trigger' | 'startAt' | 'endAt'>, nowMs: number): number | null {
  const window = { startAt: spec.startAt ? Date.parse(spec.startAt) : null, endAt: spec.endAt ? Date.parse(spec.endAt) : null };
  if (spec.trigger.type === 'fixed_delay') {
    const first = Math.max(nowMs + spec.trigger.delayMs, window.startAt ?? 0);
    return inWindow(first, window) ? first : null;
  }
  // A fixed rate with a start counts from the start (every hour from 09:00 fires at 09:00, 10:00, ...),
  // whenever the task is stored; without one, from now. Fires are anchor + k·interval with k >= 1, so
  // the anchor sits one interval before the start to make the start itself a fire.
  const anchorMs = spec.trigger.type === 'fixed_rate' && window.startAt !== null ? window.startAt - spec.trigger.intervalMs : nowMs;
  return nextFireAt(spec.trigger, nowMs, window, { anchorMs });
}
