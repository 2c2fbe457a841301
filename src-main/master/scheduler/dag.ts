// Parent → child triggers: refusing links that would loop, and whether a parent's end fires the child.
import type { ParentCondition, RunState } from '../api/contract/domain';
import { assertNever } from '../assert-never';

/**
 * If giving `taskId` the parents `parents` (replacing its current ones) would close a loop, the loop as
 * a path that starts and ends at `taskId`, each task followed by one of its parents
 * (e.g. ['a', 'b', 'c', 'a'] = a waits for b, b for c, c for a); null if the graph stays acyclic.
 * Breadth-first, so the path shown to the operator is a shortest loop.
 * `links` = taskId → parent taskIds, as stored now.
 */
export function findCycle(links: Record<string, string[]>, taskId: string, parents: string[]): string[] | null {
  const cameFrom = new Map<string, string>();
  const queue: string[] = [];
  for (const p of parents) visit(p, taskId);
  // taskId's stored parents are never expanded: reaching taskId ends the search, so the new set replaces them.
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    if (id === taskId) return pathBack(cameFrom, taskId);
    for (const p of Object.hasOwn(links, id) ? links[id]! : []) visit(p, id); // hasOwn: an id like 'constructor' is data
  }
  return null;

  function visit(id: string, from: string): void {
    if (cameFrom.has(id)) return;
    cameFrom.set(id, from);
    queue.push(id);
  }
}

/** Follows `cameFrom` from taskId back to taskId, then reverses it into child → parent order. */
function pathBack(cameFrom: Map<string, string>, taskId: string): string[] {
  const path = [taskId];
  let at = cameFrom.get(taskId)!;
  while (at !== taskId) {
    path.push(at);
    at = cameFrom.get(at)!;
  }
  path.push(taskId);
  return path.reverse();
}

/** Ends that mean "the parent's work did not get done" — cancelled is an operator's choice, not a failure. */
const FAILED: ReadonlySet<RunState> = new Set<RunState>(['failed', 'timed_out', 'lost']);
/**
 * `always` = the parent ran and is over, however it ended, cancelled included (a stopped parent still
 * wants its clean-up child). `skipped` is excluded: that parent never ran, so nothing happened "after" it.
 */
const ENDED_AFTER_RUNNING: ReadonlySet<RunState> = new Set<RunState>(['succeeded', 'failed', 'timed_out', 'cancelled', 'lost']);

/**
 * Whether a parent run that reached `parentState` fires the child. Non-terminal states never do.
 * The caller judges the parent's final attempt: a failed attempt that will be retried is not an end.
 */
export function parentConditionMet(on: ParentCondition, parentState: RunState): boolean {
  switch (on) {
    case 'success':
      return parentState === 'succeeded';
    case 'failure':
      return FAILED.has(parentState);
    case 'always':
      return ENDED_AFTER_RUNNING.has(parentState);
    default:
      return assertNever(on, 'parent condition');
  }
}
