// The API's behaviour, one handler per contract method. Transports (IPC, HTTP) call `handle` and nothing else.
import type { z } from 'zod';
import type { Reply } from './contract/client';
import { TaskInput, taskSpecOf, type Task, type TaskSpec } from './contract/domain';
import { BatonError, invalidInput } from './contract/errors';
import { isMethodName, methods, type MethodName, type Methods } from './contract/methods';
import * as credentials from '../db/agent-credentials';
import * as enrolments from '../db/enrolments';
import * as groups from '../db/groups';
import * as runs from '../db/runs';
import * as runLogs from '../db/run-logs';
import * as tasks from '../db/tasks';
import * as tokens from '../db/tokens';
import * as workers from '../db/workers';
import { inTransaction, unreachableError } from '../db/store';
import { listMasters } from '../ha/lease';
import type { MasterContext } from '../context';
import { checkTaskSpec, firstFire, type TaskWorld } from '../scheduler/task-rules';
import { announcedHandlers } from '../db/handler-catalogue';
import { catalogueOf, checkHandlerParams } from '../handlers/catalogue';
import { checkTriggerParams } from '../scheduler/trigger-params';
import { runHandlers } from './run-handlers';
import { nulPath } from './stored-text';
import { callTrace } from '../tracing/call-trace';
import { alertHandlers } from '../alerts/handlers';
import { definitionHandlers } from './definitions-handlers';
import { previewTrigger } from './trigger-preview';
import { workersAndDashboard } from './workers-and-dashboard';
import { settingsHandlers } from './settings-handlers';

export type Handler<M extends MethodName> = (
  input: z.infer<Methods[M]['input']>, ctx: MasterContext,
) => Promise<z.input<Methods[M]['output']>>;

/** Stores a checked spec; `inputPath` is where the spec sits in the method's input, so errors name the field sent. */
async function storeTask(ctx: MasterContext, id: string | null, spec: TaskSpec, inputPath = ''): Promise<Task> {
  const problem = checkTaskSpec(spec, await taskWorld(ctx, id, spec));
  if (problem) throw at(inputPath, problem);
  const next = spec.enabled ? firstFire(spec, Date.now()) : null;
  const task = id
    ? await tasks.replaceTask(ctx.db, id, spec, next === null ? null : new Date(next))
    : await tasks.insertTask(ctx.db, spec, next === null ? null : new Date(next));
  ctx.taskChanged(task);
  return task;
}

/** The error as found at `path` of the method's input (unchanged when path is empty). */
function at(path: string, error: BatonError): BatonError {
  return path ? new BatonError(error.code, `${path}.${error.message}`, `${path}.${error.field}`, error.data) : error;
}

/** Just the facts checkTaskSpec needs about this spec, so storing a task costs the same with 10 or 10,000 tasks. */
async function taskWorld(ctx: MasterContext, taskId: string | null, spec: TaskSpec): Promise<TaskWorld> {
  const parents = spec.trigger.type === 'parent' ? spec.trigger.parents : [];
  const [group, existing, links, announced] = await Promise.all([
    groups.getGroup(ctx.db, spec.groupId).then(() => [spec.groupId], () => []),
    parents.length > 0 ? tasks.existingTaskIds(ctx.db, parents) : Promise.resolve([]),
    parents.length > 0 ? tasks.parentLinks(ctx.db) : Promise.resolve({}),
    announcedHandlers(ctx.db, spec.groupId),
  ]);
  return { taskId, groupIds: new Set(group), taskIds: new Set(existing), links, outbound: ctx.outbound, handlers: catalogueOf(announced) };
}

const handlers: { [M in MethodName]: Handler<M> } = {
  'master.info': async (_input, ctx) => ctx.info(),

  'groups.list': (_input, ctx) => groups.listGroups(ctx.db),
  'groups.create': (input, ctx) => groups.createGroup(ctx.db, input),
  'groups.update': ({ id, ...patch }, ctx) => groups.updateGroup(ctx.db, id, patch),
  'groups.delete': async ({ id }, ctx) => { await groups.deleteGroup(ctx.db, id); return { ok: true as const }; },

  'workers.list': ({ groupId }, ctx) => workers.listWorkers(ctx.db, groupId),
  'workers.setStatus': async ({ id, status }, ctx) => {
    const worker = await workers.setAdminState(ctx.db, id, status);
    const session = ctx.registry.get(id);
    if (session) session.admin = status;
    return worker;
  },

  'tasks.list': (filter, ctx) => tasks.listTasks(ctx.db, filter),
  'tasks.get': ({ id }, ctx) => tasks.getTask(ctx.db, id),
  'tasks.create': (input, ctx) => storeTask(ctx, null, input),
  'tasks.update': async ({ id, patch }, ctx) => {
    const current = await tasks.getTask(ctx.db, id);
    if (current.archivedAt) throw tasks.archivedError(current);
    const merged = TaskInput.safeParse({ ...taskSpecOf(current), ...patch });
    if (!merged.success) throw invalidInput(merged.error, 'patch');
    return storeTask(ctx, id, merged.data, 'patch');
  },
  'tasks.import': async ({ tasks: specs }, ctx) => {
    for (const [i, spec] of specs.entries()) {
      const problem = checkTaskSpec(spec, await taskWorld(ctx, null, spec));
      if (problem) throw at(`tasks.${i}`, problem);
    }
    const now = Date.now();
    const created = await inTransaction(ctx.db, async (client) => {
      const stored: Task[] = [];
      for (const spec of specs) {
        const next = spec.enabled ? firstFire(spec, now) : null;
        stored.push(await tasks.insertTask(client, spec, next === null ? null : new Date(next), 'import'));
      }
      return stored;
    });
    created.forEach((task) => ctx.taskChanged(task));
    return created;
  },
  'tasks.delete': async ({ id }, ctx) => {
    const children = Object.entries(await tasks.parentLinks(ctx.db)).filter(([, parents]) => parents.includes(id)).map(([child]) => child);
    if (children.length > 0) {
      throw new BatonError('conflict', `Tasks ${children.join(', ')} run after this one; change their trigger or delete them first.`, 'id', { children });
    }
    // Archived first, so no fire slips in between stopping its runs and the task leaving the schedule.
    await tasks.archiveTask(ctx.db, id);
    ctx.taskChanged({ id, deleted: true });
    const live = ctx.dispatcher.runs.ofTask(id);
    await Promise.all(live.map((r) => ctx.endings.stop(r.id, 'cancelled')));
    return { ok: true as const };
  },
  'tasks.setEnabled': async ({ id, enabled, inFlight }, ctx) => {
    const current = await tasks.getTask(ctx.db, id);
    if (current.archivedAt) throw tasks.archivedError(current);
    const task = await storeTask(ctx, id, { ...taskSpecOf(current), enabled });
    if (!enabled) {
      const live = ctx.dispatcher.runs.ofTask(id);
      const stoppable = inFlight === 'stop' ? live : live.filter((r) => r.state === 'queued' || r.state === 'scheduled');
      await Promise.all(stoppable.map((r) => ctx.endings.stop(r.id, 'cancelled')));
    }
    return task;
  },
  'tasks.trigger': async ({ id, params }, ctx) => {
    const task = await ctx.dispatcher.task(id);
    if (task.archivedAt) throw tasks.archivedError(task);
    // Only given params are checked against the handler's schema: no catalogue query per plain trigger (issue 11).
    const catalogue = catalogueOf(params ? await announcedHandlers(ctx.db, task.groupId) : []);
    const bad = checkTriggerParams(task.handler, task.triggerParams, params ?? {}, catalogue.get(task.handler) ?? null)
      ?? (params ? checkHandlerParams(task.handler, { ...task.params, ...params }, catalogue) : null);
    if (bad) throw bad;
    return ctx.dispatcher.fire(task, Date.now(), 'api', { params, trace: callTrace() });
  },

  'runs.list': (input, ctx) => runs.listRuns(ctx.db, input),
  'runs.get': ({ id }, ctx) => runs.getRun(ctx.db, id),
  'runs.logs': ({ id, afterSeq, limit }, ctx) => runLogs.readLog(ctx.db, id, afterSeq, limit),
  'runs.stop': ({ id }, ctx) => ctx.endings.stop(id, 'cancelled'),

  'tokens.list': (_input, ctx) => tokens.listTokens(ctx.db),
  'tokens.create': ({ label, scope }, ctx) => tokens.createToken(ctx.db, label, scope),
  'tokens.revoke': ({ id }, ctx) => tokens.revokeToken(ctx.db, id),

  'enrolments.list': (_input, ctx) => enrolments.listEnrolments(ctx.db),
  'enrolments.create': (input, ctx) => enrolments.createEnrolment(ctx.db, input),
  'enrolments.revoke': ({ id, keepCredentials }, ctx) => enrolments.revokeEnrolment(ctx.db, id, keepCredentials),
  'credentials.list': (_input, ctx) => credentials.listCredentials(ctx.db),
  'credentials.revoke': ({ id }, ctx) => credentials.revokeCredential(ctx.db, id),

  'masters.list': (_input, ctx) => listMasters(ctx.db),
  ...alertHandlers,
  ...definitionHandlers,
  ...runHandlers,
  'triggers.preview': (input, ctx) => previewTrigger(input, ctx),
  ...workersAndDashboard,
  ...settingsHandlers,
};

/** Parses the input with the method's schema, runs it, and returns a Reply; never throws. */
export async function handle(ctx: MasterContext, method: string, input: unknown): Promise<Reply> {
  try {
    if (!isMethodName(method)) throw new BatonError('unknown_method', `There is no API method "${method}".`);
    const nul = nulPath(input);
    if (nul !== null) throw new BatonError('invalid_input', `${nul || 'input'}: must not contain a NUL character (U+0000)`, nul || undefined);
    const parsed = methods[method].input.safeParse(input ?? {});
    if (!parsed.success) throw invalidInput(parsed.error);
    const run = handlers[method] as (input: unknown, ctx: MasterContext) => Promise<unknown>;
    return { ok: true, value: await run(parsed.data, ctx) };
  } catch (error) {
    if (error instanceof BatonError) return { ok: false, error: error.toWire() };
    const outage = unreachableError(error);
    if (outage) return { ok: false, error: outage.toWire() };
    ctx.log.error({ err: error, method }, 'API method failed');
    return { ok: false, error: { code: 'internal', message: `The master failed to run ${method}; see its log.` } };
  }
}
