// Export and the one import of definitions against a master's store: read, decide (pure, in canonical.ts and
// plan.ts), write all or nothing in one transaction that plans again before it writes (issue 9).
import type { z } from 'zod';
import type {
  DefinitionProblem, DefinitionsApplyInput, DefinitionsExportInput, DefinitionsFile, DefinitionsPlan, DefinitionsPlanInput,
} from '../api/contract/definitions';
import type { Task, TaskSpec, Trigger } from '../api/contract/domain';
import { BatonError } from '../api/contract/errors';
import type { MasterContext } from '../context';
import { holdDefinitions } from '../db/definitions';
import * as groups from '../db/groups';
import { inTransaction, type Queryable } from '../db/store';
import * as tasks from '../db/tasks';
import { firstFire } from '../scheduler/task-rules';
import { buildDefinitions, formatDefinitions, type StoredDefinitions } from './canonical';
import { parseDefinitions } from './parse';
import * as workers from '../db/workers';
import { announcedHandlers } from '../db/handler-catalogue';
import { catalogueOf } from '../handlers/catalogue';
import { planImport, specRouting, taskKey, type Writes } from './plan';

/** At most this many problems are spelt out in the message; `data.problems` carries them all. */
const PROBLEMS_IN_MESSAGE = 20;

async function readStored(db: Queryable): Promise<StoredDefinitions> {
  const [g, t, w] = await Promise.all([groups.listGroups(db), tasks.listTasks(db), workers.listWorkers(db)]);
  const catalogues = new Map(await Promise.all(g.map(async (group) => [group.name, catalogueOf(await announcedHandlers(db, group.id))] as const)));
  return { groups: g, tasks: t, workers: w, catalogues };
}

export async function exportDefinitions(ctx: MasterContext, input: z.infer<typeof DefinitionsExportInput>) {
  const built = buildDefinitions(await readStored(ctx.db), input, input.exportedAt ?? new Date().toISOString());
  if (!built.ok) throw new BatonError('not_found', `${built.field}: ${built.message}.`, built.field);
  return { file: built.file, text: formatDefinitions(built.file) };
}

export async function planDefinitions(ctx: MasterContext, input: z.infer<typeof DefinitionsPlanInput>): Promise<DefinitionsPlan> {
  const file = parsedOrThrow(input.text);
  return plannedOrThrow(file, await readStored(ctx.db), input, ctx).plan;
}

export async function applyDefinitions(ctx: MasterContext, input: z.infer<typeof DefinitionsApplyInput>): Promise<DefinitionsPlan> {
  const file = parsedOrThrow(input.text);
  const now = Date.now();
  const { plan, written } = await inTransaction(ctx.db, async (client) => {
    await holdDefinitions(client);
    const stored = await readStored(client);
    const planned = plannedOrThrow(file, stored, input, ctx);
    if (input.digest !== undefined && planned.plan.digest !== input.digest) {
      throw new BatonError('conflict', 'The master\'s groups or tasks changed since this plan was made, so it would now do something else; nothing was imported: plan again.', 'digest');
    }
    return { plan: planned.plan, written: await write(client, planned.writes, stored, now) };
  });
  written.forEach((task) => ctx.taskChanged(task));
  return plan;
}

function parsedOrThrow(text: string): DefinitionsFile {
  const parsed = parseDefinitions(text);
  if (!parsed.ok) throw refusal(parsed.problems);
  return parsed.file;
}

function plannedOrThrow(file: DefinitionsFile, stored: StoredDefinitions, input: z.infer<typeof DefinitionsPlanInput>, ctx: MasterContext) {
  const planned = planImport(file, stored, input.onConflict, ctx.outbound);
  if (!planned.ok) throw refusal(planned.problems);
  return planned;
}

/** One error for a refused file: every problem in `data.problems`, the first ones in the message, the first as field. */
export function refusal(problems: DefinitionProblem[]): BatonError {
  const listed = problems.slice(0, PROBLEMS_IN_MESSAGE).map((p) => `${p.path}: ${p.message}`);
  const more = problems.length > PROBLEMS_IN_MESSAGE ? `; and ${problems.length - PROBLEMS_IN_MESSAGE} more` : '';
  const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
  return new BatonError('invalid_input', `The definitions file was refused (${count}, nothing changed): ${listed.join('; ')}${more}`, problems[0]?.path, { problems });
}

/** Groups first, then tasks parents first, each parent's id known before a child names it. */
async function write(db: Queryable, writes: Writes, stored: StoredDefinitions, now: number): Promise<Task[]> {
  const groupIds = new Map(stored.groups.map((g) => [g.name, g.id]));
  for (const g of writes.groups) {
    const saved = g.action === 'create'
      ? await groups.createGroup(db, { name: g.name, description: g.description }, 'import')
      : await groups.updateGroup(db, g.id!, { description: g.description }, 'import');
    groupIds.set(saved.name, saved.id);
  }
  const groupName = new Map(stored.groups.map((g) => [g.id, g.name]));
  const taskIds = new Map(stored.tasks.map((t) => [taskKey(groupName.get(t.groupId) ?? t.groupId, t.name), t.id]));
  const written: Task[] = [];
  for (const w of writes.tasks) {
    const trigger: Trigger = w.spec.trigger.type === 'parent'
      ? { type: 'parent', parents: w.parents.map((key) => taskIds.get(key)!), on: w.spec.trigger.on, join: w.spec.trigger.join }
      : w.spec.trigger;
    const spec: TaskSpec = { ...w.spec, groupId: groupIds.get(w.group)!, trigger, routing: specRouting(w.spec.routing, w.workerId) };
    const next = spec.enabled ? firstFire(spec, now) : null;
    const at = next === null ? null : new Date(next);
    const task = w.action === 'create' ? await tasks.insertTask(db, spec, at, 'import') : await tasks.replaceTask(db, w.id!, spec, at, 'import');
    taskIds.set(taskKey(w.group, task.name), task.id);
    written.push(task);
  }
  return written;
}
