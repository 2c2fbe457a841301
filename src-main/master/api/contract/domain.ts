// The domain as the API shows it: one zod schema per entity, the TS types derived from them.
// Imports nothing but zod, so the renderer can validate forms with the very same rules.
import { z } from 'zod';

// "is required" reads better to an operator than zod's "Invalid input: expected string, received undefined".
z.config({ customError: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined) });

export const name = z.string().trim().min(1, 'must not be empty').max(128, 'must be at most 128 characters');
const id = z.string().min(1).max(64);
const ms = z.number().int().min(0);
const isoDate = z.iso.datetime({ offset: true });

export const RunState = z.enum([
  'scheduled', 'queued', 'assigned', 'running',
  'succeeded', 'failed', 'timed_out', 'cancelled', 'lost', 'skipped',
]);
export type RunState = z.infer<typeof RunState>;
export const TERMINAL_STATES: readonly RunState[] = ['succeeded', 'failed', 'timed_out', 'cancelled', 'lost', 'skipped'];

export const WorkerStatus = z.enum(['online', 'offline', 'disabled', 'draining']);
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

export const Trigger = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('cron'),
    /** 6 fields, seconds first: `*\/5 * * * * *`. */
    expression: z.string().trim().min(1),
    timezone: z.string().min(1).default('UTC'),
  }),
  z.object({ type: z.literal('fixed_rate'), intervalMs: z.number().int().min(100) }),
  z.object({ type: z.literal('fixed_delay'), delayMs: z.number().int().min(0) }),
  z.object({ type: z.literal('once'), at: isoDate }),
  z.object({ type: z.literal('api') }),
  z.object({ type: z.literal('parent'), parents: z.array(id).min(1).max(32), on: ParentCondition }),
]);
export type Trigger = z.infer<typeof Trigger>;
export type TriggerType = Trigger['type'];

export const Routing = z.object({
  strategy: RoutingStrategy.default('round_robin'),
  /** For `specific`. */
  workerId: id.optional(),
  /** For `consistent_hash`: the params key whose value is hashed. */
  hashKey: z.string().max(128).optional(),
  /** Only workers carrying all of these labels are eligible. */
  labels: z.record(z.string(), z.string()).default({}),
});
export type Routing = z.infer<typeof Routing>;

export const Blocking = z.object({
  strategy: BlockingStrategy.default('serial'),
  /** For `concurrent`. */
  maxConcurrent: z.number().int().min(1).max(10_000).default(1),
});
export type Blocking = z.infer<typeof Blocking>;

export const Misfire = z.object({
  policy: MisfirePolicy.default('fire_once'),
  /** A fire later than this counts as missed. */
  thresholdMs: ms.default(5_000),
  /** For `catch_up`: the most missed fires replayed at once. */
  maxCatchUp: z.number().int().min(1).max(1_000).default(10),
});
export type Misfire = z.infer<typeof Misfire>;

export const Retry = z.object({
  count: z.number().int().min(0).max(100).default(0),
  backoff: z.enum(['fixed', 'exponential']).default('fixed'),
  delayMs: ms.default(1_000),
  maxDelayMs: ms.default(60_000),
});
export type Retry = z.infer<typeof Retry>;

/** How a run's final attempt (no retry follows) may end and send an alert; a run failing with `no_worker` ends `failed`. */
export const AlertState = z.enum(['failed', 'timed_out', 'lost', 'succeeded']);
export type AlertState = z.infer<typeof AlertState>;

/** Up to 20 recipients: an alert is for the people on call, not a mailing list. */
export const MAX_ALERT_EMAILS = 20;

export const AlertRules = z.object({
  on: z.array(AlertState).default([]),
  email: z.array(z.email({ error: 'must be an email address such as ops@example.com' }))
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

const taskFields = {
  name,
  groupId: id,
  description: z.string().max(2_000),
  handler: z.string().trim().min(1).max(128),
  params: z.record(z.string(), z.unknown()),
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

export const TaskInput = z.object({
  ...taskFields,
  description: taskFields.description.default(''),
  params: taskFields.params.default({}),
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
export const TaskPatch = z.object(taskFields).partial();
export type TaskPatch = z.input<typeof TaskPatch>;
export type TaskInput = z.input<typeof TaskInput>;
export type TaskSpec = z.infer<typeof TaskInput>;

const stamps = { createdAt: isoDate, updatedAt: isoDate };

export const Task = TaskInput.extend({ id, ...stamps, nextFireAt: isoDate.nullable() });
export type Task = z.infer<typeof Task>;

export const GroupInput = z.object({ name, description: z.string().max(2_000).default('') });
export type GroupInput = z.input<typeof GroupInput>;
export const Group = GroupInput.extend({ id, ...stamps });
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
export const TokenScope = z.enum(['agent', 'read', 'operate', 'admin'], { error: 'must be "agent", "read", "operate" or "admin"' });
export type TokenScope = z.infer<typeof TokenScope>;

export const Token = z.object({
  id, label: z.string(), scope: TokenScope, createdAt: isoDate, revokedAt: isoDate.nullable(), lastUsedAt: isoDate.nullable(),
});
export type Token = z.infer<typeof Token>;

/** One master of the cluster sharing this database, as it last announced itself (every fifth of its lease). */
export const ClusterMaster = z.object({ id: z.string(), url: z.string(), leader: z.boolean(), startedAt: isoDate, seenAt: isoDate });
export type ClusterMaster = z.infer<typeof ClusterMaster>;
