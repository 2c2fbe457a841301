// What the console shows of a definitions import: the master plans and applies (definitions.plan / .apply); this
// only words the plan and the refusal for the operator.
import type { BatonError, DefinitionProblem, DefinitionsPlan, PlanItem } from '@contract';

/** `task batch/nightly`, `group batch`. */
export function itemLabel(item: PlanItem): string {
  return item.kind === 'task' ? `task ${item.group}/${item.name}` : `group ${item.name}`;
}

/** Why the item is as it is: a rename, the settings that differ, what a conflict means. */
export function itemNote(item: PlanItem): string {
  return [
    item.renamedFrom ? `renamed from ${item.renamedFrom}` : '',
    item.changes.length > 0 ? `differs in ${item.changes.join(', ')}` : '',
    item.action === 'conflict' ? 'kept as the master has it' : '',
  ].filter(Boolean).join('; ');
}

export function planSummary(plan: DefinitionsPlan): string {
  const count = (action: PlanItem['action']) => plan.items.filter((i) => i.action === action).length;
  return `${count('create')} to create, ${count('update')} to update, ${count('unchanged')} unchanged, ${count('conflict')} in conflict`;
}

/** The file's problems from a refusal (each with its JSON path), or none when the error is about something else. */
export function problemsIn(error: BatonError | null): DefinitionProblem[] {
  const problems = (error?.data as { problems?: unknown } | undefined)?.problems;
  return Array.isArray(problems) ? (problems as DefinitionProblem[]) : [];
}
