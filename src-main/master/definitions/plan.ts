// What importing a definitions file would do to a master, decided over plain data: every problem with its
// JSON path, or one action per item (create / update / unchanged / conflict) under a conflict policy, and the
// writes in an order where every parent is stored before its children (issue 9). Pure.
import { createHash } from 'node:crypto';
import type { OutboundRules } from 'baton-agent/outbound';
import { catalogueOf, type Catalogue } from '../handlers/catalogue';
import type { Group, Task, TaskSpec } from '../api/contract/domain';
import type {
  ConflictPolicy, DefinitionProblem, DefinitionsFile, DefinitionsPlan, GroupDef, PlanItem, TaskDef,
} from '../api/contract/definitions';
import { findCycle } from '../scheduler/dag';
import { checkTaskSpec } from '../scheduler/task-rules';
import { lookupOf, parentKey, sortedJson, taskDefOf, type StoredDefinitions } from './canonical';

export interface GroupWrite { action: 'create' | 'update'; id: string | null; name: string; description: string }

/** A task to store: its spec without group and parents, which the writer fills in from `group` and `parents`. */
export interface TaskWrite {
  action: 'create' | 'update';
  id: string | null;
  group: string;
  spec: Omit<TaskDef, 'group'>;
  /** For a parent trigger: the parents as task keys (see taskKey), stored or written before this one. */
  parents: string[];
  /** For `specific` routing: the id of the worker the file names. */
  workerId: string | undefined;
}

export interface Writes { groups: GroupWrite[]; tasks: TaskWrite[] }

export type Planned = { ok: true; plan: DefinitionsPlan; writes: Writes } | { ok: false; problems: DefinitionProblem[] };

/** One task's identity across file and master: its group and name. */
export function taskKey(group: string, name: string): string {
  return JSON.stringify([group, name]);
}

function shown(key: string): string {
  const [group, name] = JSON.parse(key) as [string, string];
  return `${group}/${name}`;
}

/** Stands for every group while checking a task's own rules: groups are checked by name, here. */
const SOME_GROUP = 'group-of-the-file';

interface TaskTarget { group: string; name: string; action: PlanItem['action']; stored: Task | null; renamedFrom: string | null; changes: string[] }

export function planImport(file: DefinitionsFile, stored: StoredDefinitions, policy: ConflictPolicy, outbound: OutboundRules): Planned {
  const problems: DefinitionProblem[] = [];
  const groupPlan = planGroups(file.groups, stored.groups, policy);
  const storedGroups = new Set(stored.groups.map((g) => g.name));
  const groupName = new Map(stored.groups.map((g) => [g.id, g.name]));
  const storedTasks = new Map(stored.tasks.map((t) => [taskKey(groupName.get(t.groupId) ?? t.groupId, t.name), t]));
  const lookup = lookupOf(stored);

  // Names already taken in each group, so a renamed task takes a free one.
  const taken = new Set([...storedTasks.keys(), ...file.tasks.map((t) => taskKey(groupPlan.target.get(t.group) ?? t.group, t.name))]);
  const targets: Array<TaskTarget | null> = file.tasks.map((def, i) => {
    const group = groupPlan.target.get(def.group) ?? (storedGroups.has(def.group) ? def.group : null);
    if (group === null) {
      problems.push({ path: `tasks[${i}].group`, message: `no group "${def.group}" in the file or on the master; add it to "groups"` });
      return null;
    }
    const current = groupPlan.renamed.has(group) ? undefined : storedTasks.get(taskKey(group, def.name));
    if (!current) return { group, name: def.name, action: 'create', stored: null, renamedFrom: null, changes: [] };
    const changes = differences(def, taskDefOf(current, group, lookup));
    if (changes.length === 0) return { group, name: def.name, action: 'unchanged', stored: current, renamedFrom: null, changes };
    if (policy === 'overwrite') return { group, name: def.name, action: 'update', stored: current, renamedFrom: null, changes };
    if (policy === 'skip') return { group, name: def.name, action: 'conflict', stored: current, renamedFrom: null, changes };
    const name = freeName(def.name, (n) => taken.has(taskKey(group, n)));
    taken.add(taskKey(group, name));
    return { group, name, action: 'create', stored: null, renamedFrom: def.name, changes };
  });

  // A parent is a task of the file (where the file puts it) or one the master has.
  const fileTarget = new Map(file.tasks.flatMap((def, i) => (targets[i] ? [[taskKey(def.group, def.name), taskKey(targets[i].group, targets[i].name)]] : [])));
  const inFile = new Set(file.tasks.map((def) => taskKey(def.group, def.name)));
  const parentsOf = file.tasks.map((def, i) => {
    if (def.trigger.type !== 'parent') return [];
    return def.trigger.parents.flatMap((ref, j) => {
      const { group, name } = parentKey(ref, def.group);
      const key = taskKey(group, name);
      const target = fileTarget.get(key) ?? (storedTasks.has(key) ? key : null);
      // A parent of the file whose group is missing is reported once, at that group.
      if (target === null && !inFile.has(key)) problems.push({ path: `tasks[${i}].trigger.parents[${j}]`, message: `no task "${name}" in group "${group}" in the file or on the master` });
      return target === null ? [] : [target];
    });
  });

  // The worker of `specific` routing, by name among the workers of the group the task lands in.
  const workerIds = new Map(stored.workers.map((w) => [taskKey(groupName.get(w.groupId) ?? w.groupId, w.name), w.id]));
  const workerOf = file.tasks.map((def, i) => {
    const group = targets[i]?.group;
    if (def.routing.worker === undefined || group === undefined) return undefined;
    const id = workerIds.get(taskKey(group, def.routing.worker));
    if (id === undefined) {
      problems.push({ path: `tasks[${i}].routing.worker`, message: `no worker "${def.routing.worker}" in group "${group}" on the master (a worker is known once its agent has joined)` });
    }
    return id;
  });
  file.tasks.forEach((def, i) => problems.push(...ruleProblems(def, parentsOf[i]!, workerOf[i], i, outbound, stored.catalogues?.get(def.group) ?? catalogueOf([]))));
  const writes: TaskWrite[] = file.tasks.flatMap((def, i) => {
    const target = targets[i];
    if (!target || (target.action !== 'create' && target.action !== 'update')) return [];
    const { group: _group, ...spec } = { ...def, name: target.name };
    return [{ action: target.action, id: target.stored?.id ?? null, group: target.group, spec, parents: parentsOf[i]!, workerId: workerOf[i] }];
  });
  problems.push(...cycleProblems(file, targets, writes, stored, lookup));
  if (problems.length > 0) return { ok: false, problems };

  const items: PlanItem[] = [
    ...groupPlan.items,
    ...file.tasks.map((def, i): PlanItem => {
      const t = targets[i]!;
      return { kind: 'task', path: `tasks[${i}]`, group: t.group, name: t.name, action: t.action, renamedFrom: t.renamedFrom, changes: t.changes };
    }),
  ];
  const plan: DefinitionsPlan = {
    policy, items, changes: items.some((item) => item.action === 'create' || item.action === 'update'), digest: digestOf(policy, items),
  };
  return { ok: true, plan, writes: { groups: groupPlan.writes, tasks: parentsFirst(writes) } };
}

interface GroupPlan { items: PlanItem[]; writes: GroupWrite[]; target: Map<string, string>; renamed: Set<string> }

function planGroups(groups: readonly GroupDef[], stored: readonly Group[], policy: ConflictPolicy): GroupPlan {
  const byName = new Map(stored.map((g) => [g.name, g]));
  const taken = new Set([...byName.keys(), ...groups.map((g) => g.name)]);
  const plan: GroupPlan = { items: [], writes: [], target: new Map(), renamed: new Set() };
  groups.forEach((g, i) => {
    const current = byName.get(g.name);
    const item = { kind: 'group' as const, path: `groups[${i}]`, group: null, name: g.name, renamedFrom: null, changes: [] as string[] };
    if (!current) {
      plan.items.push({ ...item, action: 'create' });
      plan.writes.push({ action: 'create', id: null, name: g.name, description: g.description });
    } else if (current.description === g.description) {
      plan.items.push({ ...item, action: 'unchanged' });
    } else if (policy === 'overwrite') {
      plan.items.push({ ...item, action: 'update', changes: ['description'] });
      plan.writes.push({ action: 'update', id: current.id, name: g.name, description: g.description });
    } else if (policy === 'skip') {
      plan.items.push({ ...item, action: 'conflict', changes: ['description'] });
    } else {
      const name = freeName(g.name, (n) => taken.has(n));
      taken.add(name);
      plan.renamed.add(name);
      plan.items.push({ ...item, name, action: 'create', renamedFrom: g.name, changes: ['description'] });
      plan.writes.push({ action: 'create', id: null, name, description: g.description });
    }
    plan.target.set(g.name, plan.items.at(-1)!.name);
  });
  return plan;
}

/** `name-2`, `name-3`, …: the first that is free, kept within the 128 characters a name may have. */
export function freeName(name: string, isTaken: (name: string) => boolean): string {
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const candidate = `${name.slice(0, 128 - suffix.length)}${suffix}`;
    if (!isTaken(candidate)) return candidate;
  }
}

/** The settings in which the file's task differs from the stored one, parents compared by (group, name). */
function differences(file: TaskDef, stored: TaskDef): string[] {
  const comparable = (def: TaskDef) => ({
    ...def,
    trigger: def.trigger.type === 'parent' ? { ...def.trigger, parents: def.trigger.parents.map((p) => parentKey(p, def.group)) } : def.trigger,
  });
  const [a, b] = [comparable(file), comparable(stored)] as Array<Record<string, unknown>>;
  const keys = [...new Set([...Object.keys(a!), ...Object.keys(b!)])];
  return keys.filter((k) => JSON.stringify(sortedJson(a![k])) !== JSON.stringify(sortedJson(b![k])));
}

/** The task's own rules (handler and params, trigger, window, routing, outbound URLs), each at its path in the file. */
function ruleProblems(
  def: TaskDef, parents: string[], workerId: string | undefined, index: number, outbound: OutboundRules, handlers: Catalogue,
): DefinitionProblem[] {
  const trigger = def.trigger.type === 'parent' ? { ...def.trigger, parents: parents.length > 0 ? parents : ['(none)'] } : def.trigger;
  const { group: _group, ...rest } = def;
  // A named worker that is missing is reported where it is named; the rules see it as given.
  const spec: TaskSpec = { ...rest, groupId: SOME_GROUP, trigger, routing: specRouting(def.routing, workerId ?? def.routing.worker) };
  const problem = checkTaskSpec(spec, { taskId: null, groupIds: new Set([SOME_GROUP]), taskIds: new Set(trigger.type === 'parent' ? trigger.parents : []), links: {}, outbound, handlers });
  if (!problem) return [];
  const issues = (problem.data as { issues?: Array<{ path: string; message: string }> } | undefined)?.issues;
  const found = issues ?? [{ path: problem.field ?? '', message: problem.message.replace(`${problem.field}: `, '') }];
  return found.map((issue) => issue.path === 'routing.workerId'
    ? { path: `tasks[${index}].routing.worker`, message: 'the specific strategy needs a worker: name one of the group\'s workers' }
    : { path: `tasks[${index}]${issue.path ? `.${issue.path}` : ''}`, message: issue.message });
}

/** The contract's routing from the file's: the named worker as its id. */
export function specRouting(routing: TaskDef['routing'], workerId: string | undefined): TaskSpec['routing'] {
  const { worker: _worker, ...rest } = routing;
  return workerId === undefined ? rest : { ...rest, workerId };
}

/** Parent links as they would be after the import: the master's, with the written tasks' replacing theirs. */
function cycleProblems(
  file: DefinitionsFile, targets: Array<TaskTarget | null>, writes: TaskWrite[], stored: StoredDefinitions, lookup: ReturnType<typeof lookupOf>,
): DefinitionProblem[] {
  const links: Record<string, string[]> = {};
  for (const task of stored.tasks) {
    if (task.trigger.type !== 'parent') continue;
    const self = lookup(task.id)!;
    links[taskKey(self.group, self.name)] = task.trigger.parents.flatMap((id) => {
      const parent = lookup(id);
      return parent ? [taskKey(parent.group, parent.name)] : [];
    });
  }
  for (const w of writes) links[taskKey(w.group, w.spec.name)] = w.parents;
  const problems: DefinitionProblem[] = [];
  file.tasks.forEach((_def, i) => {
    const target = targets[i];
    const write = target && writes.find((w) => w.group === target.group && w.spec.name === target.name);
    if (!write || write.parents.length === 0) return;
    const cycle = findCycle(links, taskKey(write.group, write.spec.name), write.parents);
    if (cycle) problems.push({ path: `tasks[${i}].trigger.parents`, message: `these parents would make a cycle: ${cycle.map(shown).join(' → ')}` });
  });
  return problems;
}

/** Writes ordered so that each task comes after every written parent (no cycles remain once checked). */
function parentsFirst(writes: TaskWrite[]): TaskWrite[] {
  const byKey = new Map(writes.map((w) => [taskKey(w.group, w.spec.name), w]));
  const done = new Set<TaskWrite>();
  const out: TaskWrite[] = [];
  const visit = (w: TaskWrite) => {
    if (done.has(w)) return;
    done.add(w);
    for (const p of w.parents) {
      const parent = byKey.get(p);
      if (parent) visit(parent);
    }
    out.push(w);
  };
  writes.forEach(visit);
  return out;
}

function digestOf(policy: ConflictPolicy, items: PlanItem[]): string {
  return createHash('sha256').update(JSON.stringify({ policy, items })).digest('hex').slice(0, 32);
}
