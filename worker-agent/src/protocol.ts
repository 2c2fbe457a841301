// The wire protocol between a Baton master and its worker agents (Socket.IO namespace `/agent`).
// Every event is declared once here; both sides parse what they receive with these schemas.
import { z } from 'zod';
import { schemaShapeProblem } from './handler-schema.js';

export const PROTOCOL_VERSION = 1;
export const AGENT_NAMESPACE = '/agent';
/** Where an agent trades its enrolment token for its own credential, once. */
export const ENROL_NAMESPACE = '/enrol';

/** PostgreSQL text cannot hold U+0000: an identifier with one is refused, named (it would fail deep in the store). */
const noNul = (s: z.ZodString) => s.refine((v) => !v.includes('\u0000'), 'must not contain a NUL character (U+0000)');
/**
 * Output is whatever a command printed, binary included: a NUL keeps its place as U+FFFD, as invalid UTF-8 already
 * does, so the run's result and log lines can be stored (a NUL made the store refuse them, and the run never ended).
 */
const printable = (max: number) => z.string().max(max).transform((v) => v.replaceAll('\u0000', '\uFFFD'));

const label = noNul(z.string().min(1).max(128));
/** A group's name, as long as the master allows group names (200). */
const groupName = noNul(z.string().min(1).max(200));
const runId = noNul(z.string().min(1).max(64));
const attempt = z.number().int().min(1);

const secret = z.string().min(16).max(256);

/**
 * Sent as Socket.IO handshake `auth`; the master refuses the connection when it does not parse. Messages from
 * agents are strict: an unknown field is refused with its name, not ignored (issue 7, finding 8).
 */
export const AgentHello = z.strictObject({
  protocol: z.literal(PROTOCOL_VERSION),
  /** The agent's own credential (`bt_crd_…`), bound to `name` and `group`. */
  token: secret,
  name: label,
  group: groupName,
  host: noNul(z.string().min(1).max(255)),
  ip: noNul(z.string().max(64)).default(''),
  version: noNul(z.string().min(1).max(64)),
  handlers: z.array(label).min(1).max(64),
  capacity: z.number().int().min(1).max(10_000),
  labels: z.record(label, noNul(z.string().max(256))).default({}),
  /** Runs still executing on this agent when it (re)connects, so the master does not mark them lost. */
  running: z.array(runId).max(10_000).default([]),
  /**
   * The params of each offered handler as a JSON Schema (2020-12, an object schema, at most SCHEMA_MAX_CHARS as
   * JSON): the master checks a task's params with it (issue 9). A handler left out takes any params (older agents).
   */
  handlerParams: z.record(label, z.record(z.string(), z.unknown())).optional(),
}).superRefine((hello, ctx) => {
  // Also reached when another field failed: only look at what parsed.
  if (!Array.isArray(hello.handlers) || typeof hello.handlerParams !== 'object' || hello.handlerParams === null) return;
  const names = Object.keys(hello.handlerParams);
  if (names.length > 64) ctx.addIssue({ code: 'custom', path: ['handlerParams'], message: 'at most 64 handlers' });
  for (const name of names.slice(0, 64)) {
    if (!hello.handlers.includes(name)) {
      ctx.addIssue({ code: 'custom', path: ['handlerParams', name], message: `is not among the handlers this agent offers (${hello.handlers.join(', ')})` });
    }
    const problem = schemaShapeProblem(hello.handlerParams[name]);
    if (problem) ctx.addIssue({ code: 'custom', path: ['handlerParams', name], message: problem });
  }
});
export type AgentHello = z.infer<typeof AgentHello>;

/** The structured reason a refused agent gets in `connect_error.data`. */
export const RefusalCode = z.enum([
  'bad_hello', 'bad_token', 'duplicate_name', 'group_mismatch', 'not_leader',
  'name_mismatch', 'name_taken', 'enrolment_expired', 'enrolment_used', 'unknown_group', 'wrong_namespace', 'rate_limited',
]);
export type RefusalCode = z.infer<typeof RefusalCode>;
/** `leaderUrl`: with `not_leader`, where the leader can be reached, as that master advertises itself. */
export const Refusal = z.object({ code: RefusalCode, message: z.string(), leaderUrl: z.string().url().optional() });
export type Refusal = z.infer<typeof Refusal>;

/** The file `credential` in an agent's data folder (mode 600): its credential and the identity it is bound to. */
export const CredentialFile = z.strictObject({ credential: secret, name: label, group: groupName });
export type CredentialFile = z.infer<typeof CredentialFile>;

/** Handshake `auth` on ENROL_NAMESPACE; the agent then emits `enrol` once and keeps the credential it gets. */
export const EnrolHello = z.strictObject({ protocol: z.literal(PROTOCOL_VERSION), token: secret, name: label, group: groupName });
export type EnrolHello = z.infer<typeof EnrolHello>;
export const EnrolReply = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), credential: secret }),
  z.object({ ok: z.literal(false), code: RefusalCode, message: z.string() }),
]);
export type EnrolReply = z.infer<typeof EnrolReply>;

/** What the master tells an agent right after accepting it. */
export const AgentWelcome = z.object({
  workerId: z.string(),
  heartbeatMs: z.number().int().positive(),
  /**
   * How long the master keeps this agent's runs after the last heartbeat it received (its lease). The agent
   * stops its runs (fencing) before that much time has passed since it SENT its last acknowledged heartbeat.
   */
  leaseMs: z.number().int().positive(),
});
export type AgentWelcome = z.infer<typeof AgentWelcome>;

export const Heartbeat = z.strictObject({
  at: z.number().int(),
  /** 0..1 share of all cores busy since the previous heartbeat. */
  cpu: z.number().min(0).max(1),
  /** 0..1 share of memory in use on the host. */
  memory: z.number().min(0).max(1),
  load1: z.number().min(0),
  running: z.array(runId).max(10_000),
});
export type Heartbeat = z.infer<typeof Heartbeat>;

/** The master's answer to a heartbeat: the lease of every run the agent listed is renewed from its receipt. */
export const HeartbeatAck = z.object({ renewed: z.literal(true) });
export type HeartbeatAck = z.infer<typeof HeartbeatAck>;

export const ShardInfo = z.object({ index: z.number().int().min(0), total: z.number().int().min(1) });
export type ShardInfo = z.infer<typeof ShardInfo>;

export const RunAssign = z.object({
  runId,
  attempt,
  taskId: z.string(),
  taskName: z.string(),
  handler: label,
  params: z.record(z.string(), z.unknown()),
  /** 0 = no limit. */
  timeoutMs: z.number().int().min(0),
  shard: ShardInfo,
  traceId: z.string().regex(/^[0-9a-f]{32}$/),
  /** This attempt's span in the trace (W3C parent-id format); masters before 0.2 sent none. */
  spanId: z.string().regex(/^[0-9a-f]{16}$/).optional(),
  parent: z.object({ runId, output: z.string() }).nullable().default(null),
  /** Every parent run this run was started for (several for a workflow join), with their stored outputs. */
  parents: z.array(z.object({ runId, taskName: z.string().max(512), state: z.string().max(32), output: z.string() })).max(32).default([]),
});
export type RunAssign = z.infer<typeof RunAssign>;

export const RejectReason = z.enum(['busy', 'unknown_handler', 'draining', 'bad_params']);
export type RejectReason = z.infer<typeof RejectReason>;
export const AssignAck = z.discriminatedUnion('accepted', [
  z.object({ accepted: z.literal(true), startedAt: z.number().int() }),
  z.object({ accepted: z.literal(false), reason: RejectReason, message: z.string() }),
]);
export type AssignAck = z.infer<typeof AssignAck>;

export const StopReason = z.enum(['cancelled', 'covered']);
export type StopReason = z.infer<typeof StopReason>;
export const RunStop = z.object({ runId, attempt, reason: StopReason });
export type RunStop = z.infer<typeof RunStop>;

export const RunLog = z.strictObject({
  runId,
  attempt,
  /** Per-run sequence, so the master can drop a batch it already stored. */
  seq: z.number().int().min(0),
  stream: z.enum(['stdout', 'stderr', 'system']),
  lines: z.array(printable(16_384)).max(1_000),
});
export type RunLog = z.infer<typeof RunLog>;

export const ResultState = z.enum(['succeeded', 'failed', 'timed_out', 'cancelled']);
export type ResultState = z.infer<typeof ResultState>;
export const RunResult = z.strictObject({
  runId,
  attempt,
  state: ResultState,
  exitCode: z.number().int().nullable(),
  /** Tail of the handler's output, bounded by the agent. */
  output: printable(65_536),
  error: printable(8_192).nullable(),
  startedAt: z.number().int(),
  finishedAt: z.number().int(),
  /** The agent killed the run because its lease could not be renewed: the master counts it as lost, not failed. */
  fenced: z.boolean().optional(),
});
export type RunResult = z.infer<typeof RunResult>;

export const ResultAck = z.discriminatedUnion('stored', [
  z.object({ stored: z.literal(true) }),
  z.object({ stored: z.literal(false), code: z.string(), message: z.string() }),
]);
export type ResultAck = z.infer<typeof ResultAck>;

/**
 * Refusals that sending again cannot change: the run is unknown, belongs to another worker or attempt, its log is
 * full, or the message does not parse. The agent drops such a result or log batch (logging an error) instead of resending it.
 */
export const FINAL_REFUSALS: ReadonlySet<string> = new Set(['unknown_run', 'not_your_run', 'invalid_input', 'stale_attempt', 'log_quota']);

/** Log batches are acknowledged like results, so the agent can keep (bounded) what a cut did not deliver. */
export const LogAck = ResultAck;
export type LogAck = ResultAck;

/** agent → master */
export interface AgentToMasterEvents {
  /** The ack is optional on the wire: an agent that does not ask for it never renews a lease (tools, old agents). */
  heartbeat: (beat: Heartbeat, ack?: (ack: HeartbeatAck) => void) => void;
  'run:log': (log: RunLog, ack?: (ack: LogAck) => void) => void;
  'run:result': (result: RunResult, ack: (ack: ResultAck) => void) => void;
}

/** agent → master on ENROL_NAMESPACE */
export interface EnrolToMasterEvents {
  enrol: (ack: (reply: EnrolReply) => void) => void;
}

/** master → agent */
export interface MasterToAgentEvents {
  welcome: (welcome: AgentWelcome) => void;
  'run:assign': (assign: RunAssign, ack: (ack: AssignAck) => void) => void;
  'run:stop': (stop: RunStop, ack: (ok: boolean) => void) => void;
}

/** Trace context for HTTP handlers: W3C `traceparent` built from the run's trace id. */
export function traceparent(traceId: string, spanId: string): string {
  return `00-${traceId}-${spanId}-01`;
}

export { BUILTIN_PARAMS_SCHEMAS, HANDLER_NAMES, HANDLER_PARAMS, type HandlerName } from './handler-params.js';
export { compileParamsSchema, SCHEMA_MAX_CHARS, type JsonSchema, type ParamsCheck, type ParamsVerdict } from './handler-schema.js';
