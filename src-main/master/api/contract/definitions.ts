// The `baton/v1` definitions file (issue 9): groups and tasks keyed by name, every setting a task has and nothing
// the master owns. Derived from TaskInput, so a setting added there travels in files without a change here.
// Imports nothing but zod (and the domain), so the console validates with the very same rules.
import { z } from 'zod';
import { GroupInput, JoinMode, name, ParentCondition, Routing, Trigger, TaskInput } from './domain';

export const DEFINITIONS_FORMAT = 'baton/v1';

/** Bytes a definitions file may have: 1,000 tasks of about 1 KB each, and under the HTTP door's 2 MiB body. */
export const MAX_DEFINITIONS_BYTES = 1024 * 1024;
/** Groups or tasks one file may hold. */
export const MAX_DEFINITIONS_ITEMS = 1_000;

const isoDate = z.iso.datetime({ offset: true }).max(64, 'must be at most 64 characters');

/** A parent task: its name alone when it is in the child's group, else its group and name. */
export const ParentRef = z.union([name, z.strictObject({ group: name, task: name })]);
export type ParentRef = z.infer<typeof ParentRef>;

const ParentTriggerDef = z.strictObject({
  type: z.literal('parent'), parents: z.array(ParentRef).min(1).max(32), on: ParentCondition.default('success'), join: JoinMode.default('all_succeeded'),
});

type TriggerOption = (typeof Trigger.options)[number];
type NonParentOption = Exclude<TriggerOption, { shape: { type: z.ZodLiteral<'parent'> } }>;
const timeTriggers = Trigger.options.filter((o): o is NonParentOption => o.shape.type.value !== 'parent');

/** The contract's triggers, with parents named instead of given by id. */
export const TriggerDef = z.discriminatedUnion('type', [...timeTriggers, ParentTriggerDef] as unknown as [NonParentOption, typeof ParentTriggerDef]);
export type TriggerDef = z.infer<typeof TriggerDef>;

/** The contract's routing, with the worker of `specific` named (in the task's group) instead of given by id. */
export const RoutingDef = Routing.omit({ workerId: true }).extend({ worker: name.optional() });
export type RoutingDef = z.infer<typeof RoutingDef>;

const { name: _taskName, groupId: _groupId, trigger: _trigger, routing: _routing, ...settings } = TaskInput.shape;

/** A task in a file: its group by name, then every setting of TaskInput in the contract's order, ids as names. */
export const TaskDef = z.strictObject({
  name: TaskInput.shape.name, group: name, ...settings, trigger: TriggerDef, routing: RoutingDef.default(RoutingDef.parse({})),
});
export type TaskDef = z.infer<typeof TaskDef>;
export type TaskDefInput = z.input<typeof TaskDef>;

export const GroupDef = GroupInput;
export type GroupDef = z.infer<typeof GroupDef>;

export const DefinitionsFile = z.strictObject({
  format: z.literal(DEFINITIONS_FORMAT, { error: `must be "${DEFINITIONS_FORMAT}": this master reads only that format version` }),
  exportedAt: isoDate,
  groups: z.array(GroupDef).max(MAX_DEFINITIONS_ITEMS, `must hold at most ${MAX_DEFINITIONS_ITEMS} groups`).default([]),
  tasks: z.array(TaskDef).max(MAX_DEFINITIONS_ITEMS, `must hold at most ${MAX_DEFINITIONS_ITEMS} tasks`).default([]),
});
export type DefinitionsFile = z.infer<typeof DefinitionsFile>;


export const ConflictPolicy = z.enum(['skip', 'overwrite', 'rename'], { error: 'must be "skip", "overwrite" or "rename"' });
export type ConflictPolicy = z.infer<typeof ConflictPolicy>;

/** One problem in a file, at its JSON path: `tasks[3].trigger.expression`. */
export const DefinitionProblem = z.object({ path: z.string(), message: z.string() });
export type DefinitionProblem = z.infer<typeof DefinitionProblem>;

/**
 * What import does to one item. `create` (with `renamedFrom` when the name was taken and the policy is rename),
 * `update` (differs, overwritten), `unchanged`, or `conflict` (differs and is left as the master has it: skip).
 */
export const PlanAction = z.enum(['create', 'update', 'unchanged', 'conflict']);
export type PlanAction = z.infer<typeof PlanAction>;

export const PlanItem = z.object({
  kind: z.enum(['group', 'task']),
  /** Where the item is in the file: `groups[0]`, `tasks[3]`. */
  path: z.string(),
  /** The task's group (for tasks); the name it is written under, when renamed. */
  group: z.string().nullable(),
  name: z.string(),
  action: PlanAction,
  renamedFrom: z.string().nullable(),
  /** Top-level settings that differ from the master's (for update and conflict). */
  changes: z.array(z.string()),
});
export type PlanItem = z.infer<typeof PlanItem>;

export const DefinitionsPlan = z.object({
  policy: ConflictPolicy,
  items: z.array(PlanItem),
  /** True when applying would write something (a create or an update). */
  changes: z.boolean(),
  /** Identifies this plan against this master's state: `definitions.apply` refuses to write another one. */
  digest: z.string(),
});
export type DefinitionsPlan = z.infer<typeof DefinitionsPlan>;

/** The file as text, so the master judges everything about it: size, JSON, format and content. */
export const DefinitionsText = z.string().max(MAX_DEFINITIONS_BYTES * 8, "must be a definitions file of at most 1 MiB");

const id = z.string().min(1).max(64);
const names = z.array(name).max(MAX_DEFINITIONS_ITEMS);

/** Without a filter, everything; with them, the groups named (with all their tasks) and the tasks named or picked. */
export const DefinitionsExportInput = z.strictObject({
  groups: names.optional(),
  tasks: names.optional(),
  taskIds: z.array(id).max(MAX_DEFINITIONS_ITEMS).optional(),
  /** The stamp to write instead of now: `export --out` keeps a file's stamp when nothing else changed. */
  exportedAt: isoDate.optional(),
});

/** `text` is exactly the file's bytes: canonical order and formatting, ready to commit. */
export const DefinitionsExport = z.object({ file: DefinitionsFile, text: z.string() });

export const DefinitionsPlanInput = z.strictObject({ text: DefinitionsText, onConflict: ConflictPolicy.default('skip') });

/** `digest`: the plan that was shown; the import is refused if the master's plan is another one by now. */
export const DefinitionsApplyInput = DefinitionsPlanInput.extend({ digest: z.string().min(1).max(64).optional() });
