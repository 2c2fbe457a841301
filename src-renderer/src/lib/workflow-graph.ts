// The task page's workflow graph (issue 10, "the task page shows upstream and downstream as a graph"): which tasks
// belong to a task's workflow and where each box and arrow goes. Pure, over the task list; WorkflowGraph.svelte draws it.
import type { JoinMode, ParentCondition, RunState, Trigger } from '@contract';

/** What the graph needs of a task: the tasks list (with each task's newest run) already holds it. */
export interface GraphTask {
  id: string;
  name: string;
  trigger: Trigger;
  lastRun?: { state: RunState } | null;
  archivedAt?: string | null;
}

export interface WorkflowNode {
  id: string;
  name: string;
  /** With several parents: how they join. */
  join: JoinMode | null;
  /** With one parent: which of its ends fire this task. */
  on: ParentCondition | null;
  state: RunState | null;
  focus: boolean;
  x: number;
  y: number;
}

export interface WorkflowEdge { from: string; to: string; path: string }
export interface WorkflowLayout { nodes: WorkflowNode[]; edges: WorkflowEdge[]; width: number; height: number }

export const NODE = { width: 176, height: 52, gapX: 56, gapY: 18, pad: 4 } as const;

const parentsOf = (task: GraphTask): string[] => (task.trigger.type === 'parent' ? task.trigger.parents : []);

/**
 * The focus task's workflow: every task linked to it through parents and children, in either direction (so a join's
 * other parents show too, and the whole workflow reads at once). Links to tasks not in the list or archived are left out.
 */
export function workflowOf(all: readonly GraphTask[], focusId: string): { tasks: GraphTask[]; links: Array<[string, string]> } {
  // Deleted (archived) tasks never fire again: no longer part of anyone's workflow, though their own page still draws.
  const tasks = all.filter((t) => !t.archivedAt || t.id === focusId);
  const byId = new Map(tasks.map((t) => [t.id, t]));
  if (!byId.has(focusId)) return { tasks: [], links: [] };
  const links = tasks.flatMap((t) => parentsOf(t).filter((p) => byId.has(p)).map((p): [string, string] => [p, t.id]));
  const neighbours = new Map<string, string[]>();
  for (const [from, to] of links) {
    neighbours.set(from, [...(neighbours.get(from) ?? []), to]);
    neighbours.set(to, [...(neighbours.get(to) ?? []), from]);
  }
  const seen = new Set([focusId]);
  const queue = [focusId];
  for (let i = 0; i < queue.length; i++) {
    for (const next of neighbours.get(queue[i]!) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return { tasks: tasks.filter((t) => seen.has(t.id)), links: links.filter(([from]) => seen.has(from)) };
}

/**
 * Layered left to right: a task's column is its longest chain of parents (so every arrow points right), and within
 * a column tasks sit in the order of their parents' rows (fewer crossings), then by name. Columns are centred.
 */
export function layoutWorkflow(tasks: readonly GraphTask[], links: ReadonlyArray<[string, string]>, focusId: string): WorkflowLayout {
  const parents = new Map<string, string[]>(tasks.map((t) => [t.id, []]));
  for (const [from, to] of links) parents.get(to)?.push(from);
  const column = columnsOf(parents);
  const columns: GraphTask[][] = [];
  for (const task of tasks) (columns[column.get(task.id)!] ??= []).push(task);
  const row = new Map<string, number>();
  for (const list of columns) {
    const weight = (t: GraphTask) => average((parents.get(t.id) ?? []).map((p) => row.get(p) ?? 0));
    list.sort((a, b) => weight(a) - weight(b) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
    list.forEach((t, i) => row.set(t.id, i));
  }
  const rows = Math.max(0, ...columns.map((c) => c.length));
  const stepX = NODE.width + NODE.gapX;
  const stepY = NODE.height + NODE.gapY;
  const nodes = columns.flatMap((list, c) => list.map((task, r): WorkflowNode => {
    const parentCount = parentsOf(task).length;
    return {
      id: task.id, name: task.name, state: task.lastRun?.state ?? null, focus: task.id === focusId,
      join: task.trigger.type === 'parent' && parentCount > 1 ? task.trigger.join : null,
      on: task.trigger.type === 'parent' && parentCount === 1 ? task.trigger.on : null,
      x: NODE.pad + c * stepX, y: NODE.pad + ((rows - list.length) / 2 + r) * stepY,
    };
  }));
  const at = new Map(nodes.map((n) => [n.id, n]));
  const edges = links.map(([from, to]) => ({ from, to, path: curve(at.get(from)!, at.get(to)!) }));
  return {
    nodes, edges,
    width: columns.length === 0 ? 0 : 2 * NODE.pad + columns.length * stepX - NODE.gapX,
    height: rows === 0 ? 0 : 2 * NODE.pad + rows * stepY - NODE.gapY,
  };
}

/** Longest chain of parents above each task. Parent links never loop (the master refuses a loop), but a loop read
 * mid-edit must not hang the page: a task met again while its own column is being found counts as a root. */
function columnsOf(parents: ReadonlyMap<string, string[]>): Map<string, number> {
  const column = new Map<string, number>();
  const visiting = new Set<string>();
  const find = (id: string): number => {
    const known = column.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return -1;
    visiting.add(id);
    const value = 1 + Math.max(-1, ...(parents.get(id) ?? []).map(find));
    visiting.delete(id);
    column.set(id, value);
    return value;
  };
  for (const id of parents.keys()) find(id);
  return column;
}

function average(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

/** From the parent's right edge to the child's left edge, an S-curve through the gap between their columns. */
function curve(from: WorkflowNode, to: WorkflowNode): string {
  const [x1, y1] = [from.x + NODE.width, from.y + NODE.height / 2];
  const [x2, y2] = [to.x, to.y + NODE.height / 2];
  const mid = (x1 + x2) / 2;
  return `M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`;
}

/** How a task's join or parent condition reads under its name. */
export function joinLabel(node: Pick<WorkflowNode, 'join' | 'on'>): string | null {
  if (node.join) return node.join.replaceAll('_', ' ');
  if (node.on && node.on !== 'success') return `on ${node.on}`;
  return null;
}
