// Tasks as a JSON file: export writes TaskInput objects; import accepts the same, all or nothing.
import { TaskInput, taskSpecOf, type Group, type Task, type TaskSpec } from '@contract';

export function exportTasks(tasks: readonly Task[]): string {
  // Only what import takes: TaskInput refuses what the master owns (id, timestamps, next fire).
  return JSON.stringify(tasks.map((task) => TaskInput.parse(taskSpecOf(task))), null, 2);
}

export type ImportCheck = { ok: true; tasks: TaskSpec[] } | { ok: false; errors: string[] };

/** Every problem in the file, each naming its task and field; the file imports only when there are none. */
export function checkImport(text: string, groups: readonly Group[]): ImportCheck {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, errors: [`not valid JSON: ${error instanceof Error ? error.message : String(error)}`] };
  }
  if (!Array.isArray(data)) return { ok: false, errors: ['must be a JSON array of tasks, as Export writes it'] };
  if (data.length === 0) return { ok: false, errors: ['the array holds no tasks'] };

  const groupIds = new Set(groups.map((g) => g.id));
  const errors: string[] = [];
  const tasks: TaskSpec[] = [];
  data.forEach((item, index) => {
    const parsed = TaskInput.safeParse(item);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const path = [`[${index}]`, ...issue.path.map(String)].join('.');
        errors.push(`${path}: ${issue.message}`);
      }
      return;
    }
    if (!groupIds.has(parsed.data.groupId)) {
      errors.push(`[${index}].groupId: no group has the id "${parsed.data.groupId}" on this master`);
      return;
    }
    tasks.push(parsed.data);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, tasks };
}
