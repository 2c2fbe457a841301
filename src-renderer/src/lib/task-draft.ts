// The task form's editable state (strings, as inputs hold them) and its translation to and from the contract's TaskInput.
import {
  TaskInput,
  taskSpecOf,
  type BlockingStrategy,
  type JoinMode,
  type MisfirePolicy,
  type ParentCondition,
  type RoutingStrategy,
  type Task,
  type TaskSpec,
  type Trigger,
  type TriggerType,
} from '@contract';
import { check, type FieldErrors } from './validation';

/** The handlers the bundled agent offers; `shell` gets a command field, the rest a JSON editor. */
export const HANDLERS = ['shell', 'http', 'js', 'noop'] as const;

export const PARAMS_PLACEHOLDER: Record<string, string> = {
  http: '{ "url": "https://example.com/health", "method": "GET" }',
  js: '{ "module": "/absolute/path/job.mjs", "export": "default" }',
  noop: '{}',
};

/** Only handlers that take extra params can let a trigger set some (http and js refuse unknown params). */
export const TAKES_TRIGGER_PARAMS: readonly string[] = ['shell', 'noop'];
export const TRIGGER_PARAMS_PLACEHOLDER = '{ "region": { "type": "string", "maxLength": 32 } }';

/** The first error at `field` or inside it, the inner ones prefixed with their path (`region.type: …`). */
export function errorWithin(errors: FieldErrors, field: string): string | undefined {
  if (errors[field] !== undefined) return errors[field];
  const inner = Object.keys(errors).find((key) => key.startsWith(`${field}.`));
  return inner === undefined ? undefined : `${inner.slice(field.length + 1)}: ${errors[inner]}`;
}

export interface TaskDraft {
  name: string;
  groupId: string;
  description: string;
  handler: string;
  command: string;
  paramsJson: string;
  /** Which params `tasks.trigger` may set, as JSON: `{ name: { type, required?, maxLength? } }`. */
  triggerParamsJson: string;
  triggerType: TriggerType;
  cron: string;
  timezone: string;
  intervalMs: string;
  delayMs: string;
  /** A `datetime-local` value, in the operator's time zone. */
  onceAt: string;
  parents: string[];
  parentOn: ParentCondition;
  /** With several parents: when the task runs, once per generation. */
  join: JoinMode;
  /** A `datetime-local` value, or '' for no start / no end. */
  startAt: string;
  endAt: string;
  misfirePolicy: MisfirePolicy;
  misfireThresholdMs: string;
  maxCatchUp: string;
  routing: RoutingStrategy;
  /** For `specific`. */
  workerId: string;
  /** For `consistent_hash`: the params key whose value picks the worker. */
  hashKey: string;
  /** Worker labels the task needs, as `key=value, key=value`. */
  labels: string;
  /** A label expression workers must match (`zone in (a,b), !maintenance`), or ''. */
  selector: string;
  /** For `shard_broadcast`: a fixed shard count, or '' for one shard per worker. */
  shards: string;
  blocking: BlockingStrategy;
  /** For `concurrent`. */
  maxConcurrent: string;
  timeoutMs: string;
  queueTimeoutMs: string;
  retries: string;
  backoff: 'fixed' | 'exponential';
  retryDelayMs: string;
  retryMaxDelayMs: string;
  reassign: string;
  enabled: boolean;
}

export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export function emptyDraft(groupId: string): TaskDraft {
  return {
    name: '', groupId, description: '', handler: 'shell', command: '', paramsJson: '{}', triggerParamsJson: '{}',
    triggerType: 'cron', cron: '*/5 * * * * *', timezone: localTimeZone(), intervalMs: '60000', delayMs: '60000',
    onceAt: '', parents: [], parentOn: 'success', join: 'all_succeeded', startAt: '', endAt: '',
    misfirePolicy: 'fire_once', misfireThresholdMs: '5000', maxCatchUp: '10',
    routing: 'round_robin', workerId: '', hashKey: '', labels: '', selector: '', shards: '', blocking: 'serial', maxConcurrent: '1',
    timeoutMs: '0', queueTimeoutMs: '30000', retries: '0', backoff: 'fixed', retryDelayMs: '1000', retryMaxDelayMs: '60000', reassign: '3',
    enabled: true,
  };
}

/** The draft of a copy of `task`: every setting kept, a new name, created as a new task (issue 8: Clone). */
export function cloneDraft(task: Task, taken: readonly string[]): TaskDraft {
  let name = `${task.name}-copy`;
  for (let n = 2; taken.includes(name); n++) name = `${task.name}-copy-${n}`;
  return { ...draftFromTask(task), name };
}

function labelsText(labels: Record<string, string>): string {
  return Object.entries(labels).map(([key, value]) => `${key}=${value}`).join(', ');
}

/** `key=value, key=value` → a record; an entry without `=` is an error under `routing.labels`. */
function labelsOf(text: string, errors: FieldErrors): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const entry of text.split(',').map((e) => e.trim()).filter(Boolean)) {
    const at = entry.indexOf('=');
    if (at <= 0) {
      errors['routing.labels'] ??= `'${entry}' is not key=value (e.g. zone=eu, gpu=true)`;
      continue;
    }
    labels[entry.slice(0, at).trim()] = entry.slice(at + 1).trim();
  }
  return labels;
}

/** A datetime-local box as an ISO instant, null when empty. */
function instantOrNull(local: string): string | null {
  return local.trim() === '' ? null : new Date(local).toISOString();
}

function toLocalInput(iso: string): string {
  const date = new Date(iso);
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

export function draftFromTask(task: Task): TaskDraft {
  const draft = emptyDraft(task.groupId);
  const { command, ...otherParams } = task.params;
  const trigger = task.trigger;
  return {
    ...draft,
    name: task.name,
    description: task.description,
    handler: task.handler,
    command: typeof command === 'string' ? command : '',
    paramsJson: JSON.stringify(task.handler === 'shell' ? otherParams : task.params, null, 2),
    triggerParamsJson: JSON.stringify(task.triggerParams, null, 2),
    triggerType: trigger.type,
    cron: trigger.type === 'cron' ? trigger.expression : draft.cron,
    timezone: trigger.type === 'cron' ? trigger.timezone : draft.timezone,
    intervalMs: trigger.type === 'fixed_rate' ? String(trigger.intervalMs) : draft.intervalMs,
    delayMs: trigger.type === 'fixed_delay' ? String(trigger.delayMs) : draft.delayMs,
    onceAt: trigger.type === 'once' ? toLocalInput(trigger.at) : '',
    parents: trigger.type === 'parent' ? [...trigger.parents] : [],
    parentOn: trigger.type === 'parent' ? trigger.on : draft.parentOn,
    join: trigger.type === 'parent' ? trigger.join ?? 'all_succeeded' : draft.join,
    startAt: task.startAt ? toLocalInput(task.startAt) : '',
    endAt: task.endAt ? toLocalInput(task.endAt) : '',
    misfirePolicy: task.misfire.policy,
    misfireThresholdMs: String(task.misfire.thresholdMs),
    maxCatchUp: String(task.misfire.maxCatchUp),
    routing: task.routing.strategy,
    workerId: task.routing.workerId ?? '',
    hashKey: task.routing.hashKey ?? '',
    labels: labelsText(task.routing.labels),
    selector: task.routing.selector ?? '',
    shards: task.routing.shards === undefined ? '' : String(task.routing.shards),
    blocking: task.blocking.strategy,
    maxConcurrent: String(task.blocking.maxConcurrent),
    timeoutMs: String(task.timeoutMs),
    queueTimeoutMs: String(task.queueTimeoutMs),
    retries: String(task.retry.count),
    backoff: task.retry.backoff,
    retryDelayMs: String(task.retry.delayMs),
    retryMaxDelayMs: String(task.retry.maxDelayMs),
    reassign: String(task.retry.reassign),
    enabled: task.enabled,
  };
}

/** An empty box means "use the default"; anything else must be a number (zod reports NaN as the error). */
function numberOrDefault(text: string): number | undefined {
  return text.trim() === '' ? undefined : Number(text);
}

function triggerOf(draft: TaskDraft): unknown {
  switch (draft.triggerType) {
    case 'cron': return { type: 'cron', expression: draft.cron, timezone: draft.timezone.trim() || undefined };
    case 'fixed_rate': return { type: 'fixed_rate', intervalMs: numberOrDefault(draft.intervalMs) };
    case 'fixed_delay': return { type: 'fixed_delay', delayMs: numberOrDefault(draft.delayMs) };
    case 'once': return { type: 'once', at: draft.onceAt ? new Date(draft.onceAt).toISOString() : '' };
    case 'api': return { type: 'api' };
    case 'parent': return { type: 'parent', parents: draft.parents, on: draft.parents.length > 1 ? 'success' : draft.parentOn, join: draft.join };
    default: {
      const unknown: never = draft.triggerType;
      return unknown;
    }
  }
}

/** A JSON object typed into a box; undefined (and an error under `field`) when it is not one. */
function jsonObject(text: string, field: string, errors: FieldErrors): Record<string, unknown> | undefined {
  let value: unknown = {};
  const json = text.trim();
  if (json !== '') {
    try {
      value = JSON.parse(json);
    } catch (error) {
      errors[field] = `not valid JSON: ${error instanceof Error ? error.message : String(error)}`;
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    errors[field] = 'must be a JSON object, e.g. {}';
    return undefined;
  }
  return value as Record<string, unknown>;
}

function paramsOf(draft: TaskDraft, errors: FieldErrors): Record<string, unknown> | undefined {
  const params = jsonObject(draft.paramsJson, 'params', errors);
  if (params === undefined || draft.handler !== 'shell') return params;
  if (draft.command.trim() === '') errors['params.command'] = 'must not be empty';
  return { ...params, command: draft.command };
}

/**
 * Builds the TaskInput the form describes, over `base` (the task being edited) so anything the form does
 * not show is kept, and validates it with the contract's schema: the messages are the server's own.
 */
export function draftToSpec(draft: TaskDraft, base: TaskSpec | null): { ok: true; spec: TaskSpec } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const params = paramsOf(draft, errors);
  const labels = labelsOf(draft.labels, errors);
  const candidate = {
    // Only the definition: TaskInput refuses what the master owns (id, timestamps), which an edited task carries.
    ...(base ? taskSpecOf(base) : {}),
    name: draft.name,
    groupId: draft.groupId,
    description: draft.description,
    handler: draft.handler,
    params: params ?? {},
    triggerParams: TAKES_TRIGGER_PARAMS.includes(draft.handler) ? jsonObject(draft.triggerParamsJson, 'triggerParams', errors) ?? {} : {},
    trigger: triggerOf(draft) as Trigger,
    startAt: instantOrNull(draft.startAt),
    endAt: instantOrNull(draft.endAt),
    misfire: { policy: draft.misfirePolicy, thresholdMs: numberOrDefault(draft.misfireThresholdMs), maxCatchUp: numberOrDefault(draft.maxCatchUp) },
    routing: {
      strategy: draft.routing,
      workerId: draft.routing === 'specific' ? draft.workerId || undefined : undefined,
      hashKey: draft.routing === 'consistent_hash' ? draft.hashKey.trim() || undefined : undefined,
      labels,
      selector: draft.selector.trim() || undefined,
      shards: draft.routing === 'shard_broadcast' && draft.shards.trim() ? numberOrDefault(draft.shards) : undefined,
    },
    blocking: { strategy: draft.blocking, maxConcurrent: draft.blocking === 'concurrent' ? numberOrDefault(draft.maxConcurrent) : undefined },
    timeoutMs: numberOrDefault(draft.timeoutMs),
    queueTimeoutMs: numberOrDefault(draft.queueTimeoutMs),
    retry: {
      count: numberOrDefault(draft.retries), backoff: draft.backoff, delayMs: numberOrDefault(draft.retryDelayMs),
      maxDelayMs: numberOrDefault(draft.retryMaxDelayMs), reassign: numberOrDefault(draft.reassign),
    },
    enabled: draft.enabled,
  };
  requiredByStrategy(draft, errors);
  const checked = check(TaskInput, candidate);
  if (!checked.ok) Object.assign(errors, { ...checked.errors, ...errors });
  if (Object.keys(errors).length > 0 || !checked.ok) return { ok: false, errors };
  return { ok: true, spec: checked.value };
}

/**
 * What the master's task rules refuse that the schema alone cannot see (scheduler/task-rules.ts): the same
 * fields and the same words, so the error shows beside its field before anything is sent.
 */
function requiredByStrategy(draft: TaskDraft, errors: FieldErrors): void {
  if (draft.routing === 'specific' && !draft.workerId) errors['routing.workerId'] = 'the specific strategy needs a worker id.';
  if (draft.routing === 'consistent_hash' && !draft.hashKey.trim()) errors['routing.hashKey'] = 'consistent_hash needs the params key to hash on.';
  if (draft.startAt && draft.endAt && new Date(draft.startAt) >= new Date(draft.endAt)) errors.endAt = 'must be later than startAt.';
}
