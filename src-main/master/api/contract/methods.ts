// Every API method once: its input and output schema. IPC, HTTP and tests all speak this map.
import { z } from 'zod';
import {
  AgentCredential, ClusterMaster, Enrolment, Group, GroupInput, Params, Run, RunLogLine, RunState, Task, TaskInput, TaskPatch, Token, TokenScope, Worker, name,
} from './domain';
import { AlertChannel, AlertChannelInput, AlertChannelPatch, AlertRule, AlertRuleInput, AlertRulePatch, AlertSettings, AlertSettingsPatch } from './alerts';
import { DefinitionsApplyInput, DefinitionsExport, DefinitionsExportInput, DefinitionsPlan, DefinitionsPlanInput } from './definitions';
import { RunDetail, RunPage, RunPageInput } from './run-query';
import { TaskListFilter, TriggerPreview, TriggerPreviewInput } from './task-console';
import { DashboardSummary } from './dashboard';
import { WorkerDetail } from './worker-detail';
import { DesktopSettings, SettingsCheck, SettingsView } from './settings';

const id = z.string().min(1).max(64);
const byId = z.strictObject({ id });
/** Inputs refuse unknown fields (issue 7): a misspelt option must not be silently replaced by its default. */
const none = z.strictObject({});
/** A run id as the store makes them (`run_` + time + random), the cursor of runs.list. */
const runId = z.string().regex(/^run_[0-9a-z]{9}[0-9a-f]{12}$/, 'must be a run id such as run_0lz1x2y3z4a1b2c3d4e5f6');
const ok = z.object({ ok: z.literal(true) });

function method<I extends z.ZodType, O extends z.ZodType>(input: I, output: O) {
  return { input, output };
}

export const methods = {
  'master.info': method(none, z.object({
    version: z.string(), masterId: z.string(), leader: z.boolean(), agentUrl: z.string(),
    /** This master's advertised address, and the leader's (null while none is elected). */
    url: z.string(), leaderUrl: z.string().nullable(),
    database: z.enum(['embedded', 'external']), startedAt: z.string(),
  })),

  'groups.list': method(none, z.array(Group)),
  'groups.create': method(GroupInput, Group),
  'groups.update': method(GroupInput.partial().extend({ id }), Group),
  'groups.delete': method(byId, ok),

  'workers.list': method(z.strictObject({ groupId: id.optional() }), z.array(Worker)),
  /** `enabled` takes a worker out of `disabled`; `draining` also finishes its runs before it may be stopped. */
  'workers.setStatus': method(
    z.strictObject({ id, status: z.enum(['enabled', 'disabled', 'draining']) }),
    Worker,
  ),

  'tasks.list': method(TaskListFilter, z.array(Task)),
  'tasks.get': method(byId, Task),
  'tasks.create': method(TaskInput, Task),
  'tasks.update': method(z.strictObject({ id, patch: TaskPatch }), Task),
  'tasks.delete': method(byId, ok),
  /** All or nothing: every task is checked, then all are stored in one transaction. */
  'tasks.import': method(z.strictObject({ tasks: z.array(TaskInput).min(1).max(1_000) }), z.array(Task)),
  'tasks.setEnabled': method(
    z.strictObject({ id, enabled: z.boolean(), inFlight: z.enum(['finish', 'stop']).default('finish') }),
    Task,
  ),
  /** Fires a task now, whatever its trigger; returns the runs created (several for shard broadcast). */
  'tasks.trigger': method(
    z.strictObject({ id, params: Params.optional() }),
    z.array(Run),
  ),

  'runs.list': method(
    z.strictObject({
      taskId: id.optional(),
      state: RunState.optional(),
      limit: z.number().int().min(1).max(1_000).default(100),
      /** Only runs older than this one: the last id of the previous page. */
      before: runId.optional(),
    }),
    z.array(Run),
  ),
  'runs.get': method(byId, Run),
  'runs.logs': method(
    z.strictObject({ id, afterSeq: z.number().int().min(-1).default(-1), limit: z.number().int().min(1).max(5_000).default(1_000) }),
    z.array(RunLogLine),
  ),
  'runs.stop': method(byId, Run),

  'tokens.list': method(none, z.array(Token)),
  /** The secret is shown once, here, and stored only hashed. */
  'tokens.create': method(z.strictObject({ label: name, scope: TokenScope.default('read') }), z.object({ token: Token, secret: z.string() })),
  'tokens.revoke': method(byId, Token),

  'enrolments.list': method(none, z.array(Enrolment)),
  /** The secret is shown once. `expiresInMs`: from now; without it the token never expires. */
  'enrolments.create': method(
    z.strictObject({
      label: name, groupId: id, singleUse: z.boolean().default(false),
      expiresInMs: z.number().int().min(60_000, 'must be at least one minute').max(31_536_000_000, 'must be at most a year').optional(),
    }),
    z.object({ enrolment: Enrolment, secret: z.string() }),
  ),
  /** Also revokes (and so disconnects) the credentials made with it, unless `keepCredentials`. */
  'enrolments.revoke': method(z.strictObject({ id, keepCredentials: z.boolean().default(false) }), Enrolment),
  'credentials.list': method(none, z.array(AgentCredential)),
  /** The agent using it is disconnected within a heartbeat; its runs in flight end as lost. */
  'credentials.revoke': method(z.strictObject({ id }), AgentCredential),

  'masters.list': method(none, z.array(ClusterMaster)),

  // alerts (issue 10): channels, rules, settings
  'alerts.channels.list': method(none, z.array(AlertChannel)),
  'alerts.channels.create': method(AlertChannelInput, AlertChannel),
  'alerts.channels.update': method(z.strictObject({ id, patch: AlertChannelPatch }), AlertChannel),
  /** Refused while a rule names the channel. */
  'alerts.channels.delete': method(byId, ok),
  /** Sends a test message now, outside the storm window; the answer and the channel's state say how it went. */
  'alerts.channels.test': method(byId, z.object({ delivered: z.boolean(), error: z.string().nullable(), channel: AlertChannel })),
  'alerts.rules.list': method(none, z.array(AlertRule)),
  'alerts.rules.create': method(AlertRuleInput, AlertRule),
  'alerts.rules.update': method(z.strictObject({ id, patch: AlertRulePatch }), AlertRule),
  'alerts.rules.delete': method(byId, ok),
  'alerts.settings.get': method(none, AlertSettings),
  'alerts.settings.update': method(AlertSettingsPatch, AlertSettings),
  // definitions (issue 9): the baton/v1 file; plan and apply are the one import behind the API, CLI and console
  'definitions.export': method(DefinitionsExportInput, DefinitionsExport),
  /** Every problem in the file with its JSON path (invalid_input, data.problems), or what importing it would do. */
  'definitions.plan': method(DefinitionsPlanInput, DefinitionsPlan),
  /** All or nothing, in one transaction that makes the plan again and refuses a plan other than `digest`. */
  'definitions.apply': method(DefinitionsApplyInput, DefinitionsPlan),
  // runs (issue 8): the console's runs list and run page, and retrying an ended run
  /** Root runs with their retries, newest first, filtered, with a bounded total and the next page's cursor. */
  'runs.page': method(RunPageInput, RunPage),
  /** A run with its family's attempts, its children and every state transition. */
  'runs.detail': method(byId, RunDetail),
  /** A new attempt of an ended run, with the same params; it queues like any run of its task. */
  'runs.retry': method(byId, Run),

  // tasks (issue 8): the next fires of a trigger or a stored task, computed by the planner's own code
  'triggers.preview': method(TriggerPreviewInput, TriggerPreview),
  // Workers pages and dashboard (issue 8)
  /** One worker with its samples of the last hour and its newest runs (`runs`: how many, default 20). */
  'workers.get': method(z.strictObject({ id, runs: z.number().int().min(1).max(200).default(20) }), WorkerDetail),
  /** Only an offline worker with no run in flight; its runs stay, its samples go, its credential is revoked. */
  'workers.delete': method(byId, ok),
  /** Aggregates over the last hour and day, runs in flight, and fires of the next 24 hours (`upcoming`: how many). */
  'dashboard.summary': method(
    z.strictObject({ upcoming: z.number().int().min(1).max(500).default(50), running: z.number().int().min(1).max(500).default(50) }),
    DashboardSummary,
  ),
  // shell (issue 8): the desktop app's settings file; `test` checks without saving, `save` refuses what `test` fails.
  'settings.get': method(none, SettingsView),
  'settings.test': method(DesktopSettings, z.object({ ok: z.boolean(), checks: z.array(SettingsCheck) })),
  'settings.save': method(DesktopSettings, SettingsView),
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>;
export type MethodOutput<M extends MethodName> = z.infer<Methods[M]['output']>;

export function isMethodName(value: string): value is MethodName {
  return Object.hasOwn(methods, value);
}
