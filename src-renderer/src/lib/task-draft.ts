// The task form's editable state (strings, as inputs hold them) and its translation to and from the contract's TaskInput.
import {
  TaskInput,
  taskSpecOf,
  type BlockingStrategy,
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
  routing: RoutingStrategy;
  blocking: BlockingStrategy;
  timeoutMs: string;
  retries: string;
  retryDelayMs: string;
  enabled: boolean;
}

export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export function emptyDraft(groupId: string): TaskDraft {
  return {
    name: '', groupId, description: '', handler: 'shell', command: '', paramsJson: '{}', triggerParamsJson: '{}',
    triggerType: 'cron', cron: '*/5 * * * * *', timezone: localTimeZone(), intervalMs: '60000', delayMs: '60000',
    onceAt: '', parents: [], parentOn: 'success',
    routing: 'round_robin', blocking: 'serial', timeoutMs: '0', retries: '0', retryDelayMs: '1000', enabled: true,
  };
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
    routing: task.routing.strategy,
    blocking: task.blocking.strategy,
    timeoutMs: String(task.timeoutMs),
    retries: String(task.retry.count),
    retryDelayMs: String(task.retry.delayMs),
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
    case 'parent': return { type: 'parent', parents: draft.parents, on: draft.parentOn };
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
 * Builds the TaskInput the form describes, over `base` (the task being edited) so settings the form
 * does not show (misfire, labels, sharding...) are kept, and validates it with the contract's schema.
 */
export function draftToSpec(draft: TaskDraft, base: TaskSpec | null): { ok: true; spec: TaskSpec } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const params = paramsOf(draft, errors);
  const retries = numberOrDefault(draft.retries);
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
    routing: { ...base?.routing, strategy: draft.routing },
    blocking: { ...base?.blocking, strategy: draft.blocking },
    timeoutMs: numberOrDefault(draft.timeoutMs),
    retry: { ...base?.retry, count: retries, delayMs: numberOrDefault(draft.retryDelayMs) },
    enabled: draft.enabled,
  };
  const checked = check(TaskInput, candidate);
  if (!checked.ok) Object.assign(errors, { ...checked.errors, ...errors });
  if (Object.keys(errors).length > 0 || !checked.ok) return { ok: false, errors };
  return { ok: true, spec: checked.value };
}
