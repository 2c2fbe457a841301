// The domain as the API shows it: one zod schema per entity, the TS types derived from them.
// Imports nothing but zod, so the renderer can validate forms with the very same rules.
import { z } from 'zod';
import { parseSelector } from './label-selector';
import { unknownFieldsMessage } from './errors';

// "is required" reads better to an operator than zod's "Invalid input: expected string, received undefined";
// an unknown field (issue 7) is named with the field it most likely meant: "unknown field timeout (did you mean timeoutMs?)".
z.config({
  customError: (issue) => {
    if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
    if (issue.code === 'unrecognized_keys') return unknownFieldsMessage(issue.keys, Object.keys(shapeOf(issue.inst)));
    return undefined;
  },
});

function shapeOf(schema: unknown): object {
  return typeof schema === 'object' && schema !== null && 'shape' in schema && typeof schema.shape === 'object' && schema.shape !== null ? schema.shape : {};
}

/**
 * Size limits of API input (issue 7): every string, array and record is bounded, so no field can carry
 * megabytes into the database or the scheduler's memory.
 */
export const LIMITS = {
  /** Keys and short values: label keys, hash keys, param names. */
  key: 128,
  /** Label values, time zones and other short settings. */
  value: 256,
  /** A cron expression: six fields fit in far less; a 100 KB "cron" is an attack, not a schedule. */
  cron: 256,
  /** Entries of a record (labels, declared trigger params). */
  entries: 64,
  /** A task's params, or a trigger's, as JSON. */
  paramsBytes: 64 * 1024,
} as const;

/** A record with bounded keys and at most `max` entries. */
function boundedRecord<V extends z.ZodType>(value: V, max: number = LIMITS.entries) {
  return z.record(z.string().min(1, 'must not be empty').max(LIMITS.key, `must be at most ${LIMITS.key} characters`), value)
    .refine((record) => Object.keys(record).length <= max, `must have at most ${max} entries`);
}

/** Free-form params (any JSON), at most LIMITS.paramsBytes bytes once serialised. */
export const Params = z.record(z.string().max(LIMITS.key, `must be at most ${LIMITS.key} characters`), z.unknown())
  .refine((params) => jsonBytes(params) <= LIMITS.paramsBytes, `must be JSON of at most ${LIMITS.paramsBytes / 1024} KiB`);

/** Bytes of the value as JSON; what cannot be JSON (a BigInt, a cycle, sent over IPC) counts as too big. */
function jsonBytes(value: unknown): number {
  try {
    return new TextEncoder().encode(JSON.stringify(value)).length;
  } catch {
    return Infinity;
  }
}

/** Names of groups and tasks: long enough for the descriptive names operators use (200 characters). */
export const NAME_MAX = 200;
export const name = z.string().trim().min(1, 'must not be empty').max(NAME_MAX, `must be at most ${NAME_MAX} characters`);
const id = z.string().min(1).max(64);
const ms = z.number().int().min(0);
// The format alone allows any number of fraction digits: a megabyte "date" would pass it.
const isoDate = z.iso.datetime({ offset: true }).max(64, 'must be at most 64 characters');

export const RunState = z.enum([
  'scheduled', 'queued', 'assigned', 'running',
  'succeeded', 'failed', 'timed_out', 'cancelled', 'lost', 'skipped',
]);
export type RunState = z.infer<typeof RunState>;
export const TERMINAL_STATES: readonly RunState[] = ['succeeded', 'failed', 'timed_out', 'cancelled', 'lost', 'skipped'];

/** `drained`: draining and nothing of it runs any more (issue 8); both take no new runs, like `disabled`. */
export const WorkerStatus = z.enum(['online', 'offline', 'disabled', 'draining', 'drained']);
export type WorkerStatus = z.infer<typeof WorkerStatus>;

export const RoutingStrategy = z.enum([
  'specific', 'first', 'round_robin', 'random', 'consistent_hash', 'least_busy',
  'least_recently_used', 'memory_first', 'cpu_first', 'fastest', 'failover', 'shard_broadcast',
]);
export type RoutingStrategy = z.infer<typeof RoutingStrategy>;

export const BlockingStrategy = z.enum(['serial', 'discard_later', 'cover_earlier', 'concurrent']);
export type BlockingStrategy = z.infer<typeof BlockingStrategy>;

export const MisfirePolicy = z.enum(['ignore', 'fire_once', 'catch_up']);
export type MisfirePolicy = z.infer<typeof MisfirePolicy>;

export const ParentCondition = z.enum(['success', 'failure', 'always']);
export type ParentCondition = z.infer<typeof ParentCondition>;

/** How a task with several parents waits for them, per generation. */
export const JoinMode = z.enum(['all_succeeded', 'all_done', 'any_succeeded']);
export type JoinMode = z.infer<typeof JoinMode>;

export const Trigger = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('cron'),
    /** 6 fields, seconds first: `*\/5 * * * * *`. */
    expression: z.string().trim().min(1).max(LIMITS.cron, `must be at most ${LIMITS.cron} characters`),
    timezone: z.string().min(1).max(LIMITS.value, `must be at most ${LIMITS.value} characters`).default('UTC'),
  }),
  z.strictObject({ type: z.literal('fixed_rate'), intervalMs: z.number().int().min(100) }),
  z.strictObject({ type: z.literal('fixed_delay'), delayMs: z.number().int().min(0) }),
  z.strictObject({ type: z.literal('once'), at: isoDate }),
  z.strictObject({ type: z.literal('api') }),
  z.strictObject({
    type: z.literal('parent'), parents: z.array(id).min(1).max(32),
    /** With one parent: which of its ends fire this task. */
    on: ParentCondition.default('success'),
    /** With several parents: one run per generation (one fire of the root task), once the join is met. */
    join: JoinMode.default('all_succeeded'),
  }),
]);
export type Trigger = z.infer<typeof Trigger>;
export type TriggerType = Trigger['type'];

export const Routing = z.strictObject({
  strategy: RoutingStrategy.default('round_robin'),
  /** For `specific`. */
  workerId: id.optional(),
  /** For `consistent_hash`: the params key whose value is hashed. */
  hashKey: z.string().max(128).optional(),
  /** Only workers carrying all of these labels are eligible. */
  labels: boundedRecord(z.string().max(LIMITS.value, `must be at most ${LIMITS.value} characters`)).default({}),
  /** Only workers whose labels match this expression are eligible: `zone in (a,b), gpu=yes, !maintenance`. */
  selector: z.string().max(512).superRefine((text, ctx) => {
    const parsed = parseSelector(text);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
  }).optional(),
  /** For `shard_broadcast`: this many shards spread over the eligible workers, instead of one per worker. */
  shards: z.number().int().min(1).max(1_000).optional(),
});
export type Routing = z.infer<typeof Routing>;

export const Blocking = z.strictObject({
  strategy: BlockingStrategy.default('serial'),
  /** For `concurrent`. */
  maxConcurrent: z.number().int().min(1).max(10_000).default(1),
});
export type Blocking = z.infer<typeof Blocking>;

export const Misfire = z.strictObject({
  policy: MisfirePolicy.default('fire_once'),
  /** A fire later than this counts as missed. */
  thresholdMs: ms.default(5_000),
  /** For `catch_up`: the most missed fires replayed at once. */
  maxCatchUp: z.number().int().min(1).max(1_000).default(10),
});
export type Misfire = z.infer<typeof Misfire>;

export const Retry = z.strictObject({
  count: z.number().int().min(0).max(100).default(0),
  backoff: z.enum(['fixed', 'exponential']).default('fixed'),
  delayMs: ms.default(1_000),
  maxDelayMs: ms.default(60_000),
  /** How often a lost attempt (its worker unreachable past the lease) is started again; does not use `count`. */
  reassign: z.number().int().min(0).max(100).default(3),
});
export type Retry = z.infer<typeof Retry>;

/** How a run's final attempt (no retry follows) may end and send an alert; a run failing with `no_worker` ends `failed`. */
export const AlertState = z.enum(['failed', 'timed_out', 'lost', 'succeeded']);
export type AlertState = z.infer<typeof AlertState>;

/** Up to 20 recipients: an alert is for the people on call, not a mailing list. */
export const MAX_ALERT_EMAILS = 20;

export const AlertRules = z.strictObject({
  on: z.array(AlertState).max(AlertState.options.length, `must name each state at most once`).default([]),
  email: z.array(z.email({ error: 'must be an email address such as ops@example.com' }).max(254, 'must be at most 254 characters'))
    .max(MAX_ALERT_EMAILS, `must be at most ${MAX_ALERT_EMAILS} addresses`).default([]),
  webhook: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://hooks.example.com/baton' })
    .max(2_000, 'must be at most 2000 characters').nullable().default(null),
}).superRefine((rules, ctx) => {
  // Rules that can never alert anyone are a mistake to point out, not to store.
  const channels = rules.email.length > 0 || rules.webhook !== null;
  if (rules.on.length > 0 && !channels) ctx.addIssue({ code: 'custom', path: ['on'], message: 'these states alert nobody: add an email address or a webhook' });
  if (rules.on.length === 0 && channels) ctx.addIssue({ code: 'custom', path: ['on'], message: 'choose at least one state, or the addresses and webhook never hear anything' });
});
export type AlertRules = z.infer<typeof AlertRules>;

/** The types a declared trigger param may have: what a JSON API call can carry and a shell variable can show. */
export const TriggerParamType = z.enum(['string', 'number', 'integer', 'boolean']);
export type TriggerParamType = z.infer<typeof TriggerParamType>;

/** One param a trigger may set (issue 7): what it is, whether a trigger must give it, and how long a string may be. */
export const TriggerParamDecl = z.strictObject({
  type: TriggerParamType,
  required: z.boolean().default(false),
  /** For strings: the most characters a trigger may send. */
  maxLength: z.number().int().min(1).max(LIMITS.paramsBytes).optional(),
});
export type TriggerParamDecl = z.infer<typeof TriggerParamDecl>;

/**
 * The params a `tasks.trigger` call may set, by name; nothing else, and never the handler's own params
 * (`command`, `url`, ...). Names are identifiers, so each maps to one `BATON_PARAM_<NAME>` shell variable.
 */
export const TriggerParams = z.record(
  z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must be a name of letters, digits and _ (up to 64), starting with a letter'),
  TriggerParamDecl,
).refine((record) => Object.keys(record).length <= LIMITS.entries, `must declare at most ${LIMITS.entries} params`);
export type TriggerParams = z.infer<typeof TriggerParams>;

const taskFields = {
  name,
  groupId: id,
  description: z.string().max(2_000),
  handler: z.string().trim().min(1).max(128),
  params: Params,
  triggerParams: TriggerParams,
  trigger: Trigger,
  misfire: Misfire,
  routing: Routing,
  blocking: Blocking,
  /** 0 = no limit. */
  timeoutMs: ms,
  retry: Retry,
  alerts: AlertRules,
  /** How long a run may wait in `queued` for an eligible worker before failing with `no_worker`. */
  queueTimeoutMs: ms,
  startAt: isoDate.nullable(),
  endAt: isoDate.nullable(),
  enabled: z.boolean(),
};

export const TaskInput = z.strictObject({
  ...taskFields,
  description: taskFields.description.default(''),
  params: taskFields.params.default({}),
  triggerParams: TriggerParams.default({}),
  misfire: Misfire.default(Misfire.parse({})),
  routing: Routing.default(Routing.parse({})),
  blocking: Blocking.default(Blocking.parse({})),
  timeoutMs: ms.default(0),
  retry: Retry.default(Retry.parse({})),
  alerts: AlertRules.default(AlertRules.parse({})),
  queueTimeoutMs: ms.default(30_000),
  startAt: isoDate.nullable().default(null),
  endAt: isoDate.nullable().default(null),
  enabled: z.boolean().default(true),
});
/** An edit: only the fields it names change (no defaults, unlike TaskInput). */
export const TaskPatch = z.strictObject(taskFields).partial();
export type TaskPatch = z.input<typeof TaskPatch>;
export type TaskInput = z.input<typeof TaskInput>;
export type TaskSpec = z.infer<typeof TaskInput>;

/** A task's definition alone, without what the master owns (id, timestamps, next fire): what TaskInput takes. */
export function taskSpecOf(task: TaskSpec): TaskSpec {
  const fields = Object.keys(TaskInput.shape).filter((key) => key in task);
  return Object.fromEntries(fields.map((key) => [key, task[key as keyof TaskSpec]])) as TaskSpec;
}

const stamps = { createdAt: isoDate, updatedAt: isoDate };

// Outputs stay lenient: a client must read a newer master's answer that carries a field it does not know yet.
export const Task = z.object({
  ...TaskInput.shape, id, ...stamps, nextFireAt: isoDate.nullable(),
  /** Set when the task was deleted: it never fires again, its runs stay (issue 8). Optional: older masters leave it out. */
  archivedAt: isoDate.nullable().optional(),
  /** Its newest run, for the tasks list (issue 8). */
  lastRun: z.object({ id, state: RunState, plannedAt: isoDate, finishedAt: isoDate.nullable() }).nullable().optional(),
});
export type Task = z.infer<typeof Task>;

export const GroupInput = z.strictObject({ name, description: z.string().max(2_000).default('') });
export type GroupInput = z.input<typeof GroupInput>;
export const Group = z.object({ ...GroupInput.shape, id, ...stamps });
export type Group = z.infer<typeof Group>;

export const WorkerMetrics = z.object({
  cpu: z.number(), memory: z.number(), load1: z.number(), running: z.number().int(),
});
export type WorkerMetrics = z.infer<typeof WorkerMetrics>;

export const Worker = z.object({
  id,
  name: z.string(),
  groupId: id,
  host: z.string(),
  ip: z.string(),
  version: z.string(),
  labels: z.record(z.string(), z.string()),
  handlers: z.array(z.string()),
  capacity: z.number().int(),
  status: WorkerStatus,
  lastHeartbeatAt: isoDate.nullable(),
  metrics: WorkerMetrics.nullable(),
  ...stamps,
});
export type Worker = z.infer<typeof Worker>;

export const RunTrigger = z.enum(['schedule', 'misfire', 'api', 'parent', 'retry', 'failover']);
export type RunTrigger = z.infer<typeof RunTrigger>;

export const Run = z.object({
  id,
  taskId: id,
  taskName: z.string(),
  /** The first attempt's id; retries link back to it. */
  rootRunId: id,
  attempt: z.number().int().min(1),
  trigger: RunTrigger,
  parentRunId: id.nullable(),
  workerId: id.nullable(),
  workerName: z.string().nullable(),
  shardIndex: z.number().int(),
  shardTotal: z.number().int(),
  traceId: z.string(),
  state: RunState,
  plannedAt: isoDate,
  queuedAt: isoDate.nullable(),
  assignedAt: isoDate.nullable(),
  startedAt: isoDate.nullable(),
  finishedAt: isoDate.nullable(),
  exitCode: z.number().int().nullable(),
  output: z.string(),
  error: z.string().nullable(),
  /** Machine-readable cause of a non-success end: `no_worker`, `worker_lost`, `covered`, ... */
  reason: z.string().nullable(),
  /** A result that arrived after the master ended the attempt for want of one (lost, or timed out with no_result): kept for the record, it changes nothing that followed. */
  late: z.object({
    state: z.enum(['succeeded', 'failed', 'timed_out', 'cancelled']),
    exitCode: z.number().int().nullable(),
    error: z.string().nullable(),
    startedAt: isoDate,
    finishedAt: isoDate,
    receivedAt: isoDate,
  }).nullable(),
});
export type Run = z.infer<typeof Run>;

export const RunLogLine = z.object({
  seq: z.number().int(), stream: z.enum(['stdout', 'stderr', 'system']), line: z.string(), at: isoDate,
});
export type RunLogLine = z.infer<typeof RunLogLine>;

/**
 * `agent`: joins a worker agent over the gateway. The others are API keys for HTTP clients, each opening more:
 * `read` (lists and reads), `operate` (also trigger, stop, enable/disable, drain), `admin` (everything).
 */
export const TokenScope = z.enum(['read', 'operate', 'admin'], { error: 'must be "read", "operate" or "admin"' });
export type TokenScope = z.infer<typeof TokenScope>;

export const Token = z.object({
  id, label: z.string(), scope: TokenScope, createdAt: isoDate, revokedAt: isoDate.nullable(), lastUsedAt: isoDate.nullable(),
});
export type Token = z.infer<typeof Token>;

/**
 * An enrolment token: agents of its group exchange it once each for their own credential (README "Security →
 * Agent identity"). `groupId` null: a former agent token, good for any group that exists.
 */
export const Enrolment = z.object({
  id, label: z.string(), groupId: id.nullable(), singleUse: z.boolean(), expiresAt: isoDate.nullable(), uses: z.number().int(),
  createdAt: isoDate, revokedAt: isoDate.nullable(), lastUsedAt: isoDate.nullable(),
});
export type Enrolment = z.infer<typeof Enrolment>;

/** One worker's own credential: joins only as that worker name in that group. */
export const AgentCredential = z.object({
  id, groupId: id, workerName: z.string(), enrolmentId: id.nullable(),
  createdAt: isoDate, revokedAt: isoDate.nullable(), lastUsedAt: isoDate.nullable(),
});
export type AgentCredential = z.infer<typeof AgentCredential>;

/** One master of the cluster sharing this database, as it last announced itself (every fifth of its lease). */
export const ClusterMaster = z.object({ id: z.string(), url: z.string(), leader: z.boolean(), startedAt: isoDate, seenAt: isoDate });
export type ClusterMaster = z.infer<typeof ClusterMaster>;
