// The tasks list's filters (issue 8) and its last-result column kept current from run events, as pure functions.
import type { LastRun, RunState, Task } from '@contract';

export interface TaskFilter {
  search: string;
  groupId: string;
  handler: string;
  /** '' = any. */
  enabled: '' | 'enabled' | 'disabled';
  /** '' = any; 'never' = no run yet. */
  lastState: '' | RunState | 'never';
}

export const NO_FILTER: TaskFilter = { search: '', groupId: '', handler: '', enabled: '', lastState: '' };

/** The same rules as tasks.list's filters on the master (db/tasks.ts), applied to the list the console holds. */
export function matches(task: Task, f: TaskFilter, lastRun: LastRun | null): boolean {
  const text = f.search.trim().toLowerCase();
  if (text && !task.name.toLowerCase().includes(text) && !task.description.toLowerCase().includes(text)) return false;
  if (f.groupId && task.groupId !== f.groupId) return false;
  if (f.handler && task.handler !== f.handler) return false;
  if (f.enabled && task.enabled !== (f.enabled === 'enabled')) return false;
  if (f.lastState && (lastRun?.state ?? 'never') !== f.lastState) return false;
  return true;
}

/**
 * The newer of two last runs. Run ids start with their creation time (`run_` + base-36 ms, fixed width), so
 * the larger id is the newer run; a state change of the same run replaces it.
 */
export function newerRun(a: LastRun | null | undefined, b: LastRun | null | undefined): LastRun | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return b.id >= a.id ? b : a;
}
