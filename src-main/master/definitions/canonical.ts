// Stored groups and tasks as `baton/v1` definitions, in one canonical form: groups by name, tasks by group then
// name, keys in the schema's order and free-form maps sorted, so two masters with the same definitions write the
// same bytes and a file diffs cleanly in git (issue 9).
import type { Catalogue } from '../handlers/catalogue';
import { taskSpecOf, type Group, type Task, type Worker } from '../api/contract/domain';
import {
  DEFINITIONS_FORMAT, GroupDef, TaskDef, type DefinitionsFile, type ParentRef, type TriggerDef,
} from '../api/contract/definitions';

/** What definitions are made from: the master's groups and tasks as stored, and its workers to name them. */
export interface StoredDefinitions {
  groups: readonly Group[];
  tasks: readonly Task[];
  workers: ReadonlyArray<Pick<Worker, 'id' | 'name' | 'groupId'>>;
  /** Group name → the handlers its agents announced (with the built-ins); a group not listed has the built-ins only. */
  catalogues?: ReadonlyMap<string, Catalogue>;
}

/** Code-point order: the same on every machine, whatever its locale. */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The file's text: 2-space JSON with a trailing newline. */
export function formatDefinitions(file: DefinitionsFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Any JSON value with every object's keys sorted, at every depth (params are free-form). */
export function sortedJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedJson);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort(byCodePoint).map((k) => [k, sortedJson((value as Record<string, unknown>)[k])]));
}

function sortedEntries<V>(record: Record<string, V>): Record<string, V> {
  return Object.fromEntries(Object.keys(record).sort(byCodePoint).map((k) => [k, record[k]!]));
}

/** Looks up stored tasks by id, to name parents, and workers by id, to name the worker of `specific` routing. */
export type TaskLookup = ((id: string) => { group: string; name: string } | undefined) & { worker: (id: string) => string | undefined };

export function lookupOf(stored: StoredDefinitions): TaskLookup {
  const groupName = new Map(stored.groups.map((g) => [g.id, g.name]));
  const byId = new Map(stored.tasks.map((t) => [t.id, { group: groupName.get(t.groupId) ?? t.groupId, name: t.name }]));
  const workers = new Map(stored.workers.map((w) => [w.id, w.name]));
  return Object.assign((id: string) => byId.get(id), { worker: (id: string) => workers.get(id) });
}

/** A stored task as its definition: group, parents and worker by name, free-form maps sorted, keys in schema order. */
export function taskDefOf(task: Task, group: string, lookup: TaskLookup): TaskDef {
  const { groupId: _groupId, trigger, ...spec } = taskSpecOf(task);
  const { workerId, ...routing } = spec.routing;
  const def = {
    ...spec,
    name: spec.name,
    group,
    params: sortedJson(spec.params) as Record<string, unknown>,
    triggerParams: sortedEntries(spec.triggerParams),
    // A worker no longer known keeps its id: the import then names it as missing rather than dropping it unseen.
    routing: { ...routing, labels: sortedEntries(routing.labels), ...(workerId === undefined ? {} : { worker: lookup.worker(workerId) ?? workerId }) },
    trigger: trigger.type === 'parent' ? { ...trigger, parents: trigger.parents.map((id) => parentRef(id, group, lookup)) } : trigger,
  };
  // Parsing puts the keys in the schema's order; a task stored before a rule tightened is written as it is.
  const parsed = TaskDef.safeParse(def);
  return parsed.success ? parsed.data : (def as TaskDef);
}

function parentRef(id: string, childGroup: string, lookup: TaskLookup): ParentRef {
  const parent = lookup(id);
  if (!parent) return id;
  return parent.group === childGroup ? parent.name : { group: parent.group, task: parent.name };
}

/** A parent reference as (group, task), the child's group filling in a bare name. */
export function parentKey(ref: ParentRef, childGroup: string): { group: string; name: string } {
  return typeof ref === 'string' ? { group: childGroup, name: ref } : { group: ref.group, name: ref.task };
}

export type ParentTrigger = Extract<TriggerDef, { type: 'parent' }>;

export interface ExportFilter {
  /** Group names: these groups and all their tasks. */
  groups?: readonly string[];
  /** Task names (in any group), with their groups. */
  tasks?: readonly string[];
  /** Task ids, with their groups (the console's selection). */
  taskIds?: readonly string[];
}

export type ExportResult = { ok: true; file: DefinitionsFile } | { ok: false; field: string; message: string };

/** The definitions file of the stored groups and tasks the filter selects (everything without one). Pure. */
export function buildDefinitions(stored: StoredDefinitions, filter: ExportFilter, exportedAt: string): ExportResult {
  const groupName = new Map(stored.groups.map((g) => [g.id, g.name]));
  const missing = missingNames(stored, filter);
  if (missing) return { ok: false, ...missing };
  const filtered = filter.groups !== undefined || filter.tasks !== undefined || filter.taskIds !== undefined;
  const tasks = stored.tasks.filter((t) => !filtered
    || filter.groups?.includes(groupName.get(t.groupId) ?? '') || filter.tasks?.includes(t.name) || filter.taskIds?.includes(t.id));
  const groupNames = new Set([...(filter.groups ?? []), ...tasks.map((t) => groupName.get(t.groupId) ?? t.groupId)]);
  const groups = stored.groups.filter((g) => !filtered || groupNames.has(g.name));
  const lookup = lookupOf(stored);
  const defs = tasks.map((t) => taskDefOf(t, groupName.get(t.groupId) ?? t.groupId, lookup));
  return {
    ok: true,
    file: {
      format: DEFINITIONS_FORMAT,
      exportedAt,
      groups: groups.map((g) => GroupDef.parse({ name: g.name, description: g.description })).sort((a, b) => byCodePoint(a.name, b.name)),
      tasks: defs.sort((a, b) => byCodePoint(a.group, b.group) || byCodePoint(a.name, b.name)),
    },
  };
}

/** A filter naming what this master does not have is a mistake to report, not an empty file. */
function missingNames(stored: StoredDefinitions, filter: ExportFilter): { field: string; message: string } | null {
  const groups = new Set(stored.groups.map((g) => g.name));
  const names = new Set(stored.tasks.map((t) => t.name));
  const ids = new Set(stored.tasks.map((t) => t.id));
  const checks: Array<[string, readonly string[] | undefined, Set<string>, string]> = [
    ['groups', filter.groups, groups, 'group named'], ['tasks', filter.tasks, names, 'task named'], ['taskIds', filter.taskIds, ids, 'task with id'],
  ];
  for (const [field, wanted, known, what] of checks) {
    const index = (wanted ?? []).findIndex((w) => !known.has(w));
    if (index >= 0) return { field: `${field}.${index}`, message: `no ${what} "${wanted![index]}" on this master` };
  }
  return null;
}
