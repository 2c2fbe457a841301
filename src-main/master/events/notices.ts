// What the database's console notices say (migration 9's triggers), parsed and merged: pure, so a burst of
// notices becomes one read per kind, however many statements sent them.
import { z } from 'zod';

const ids = z.array(z.string()).nullable();
/** One notice: exactly one key. `null` ids: more changed than a notice can name. */
const Notice = z.union([
  z.strictObject({ r: z.tuple([z.number().int(), z.number().int()]) }),
  z.strictObject({ u: ids }),
  z.strictObject({ l: z.array(z.tuple([z.string(), z.number().int()])).nullable() }),
  z.strictObject({ w: ids }), z.strictObject({ 'w-': ids }),
  z.strictObject({ t: ids }), z.strictObject({ 't-': ids }),
  z.strictObject({ g: ids }), z.strictObject({ 'g-': ids }),
]);

/** Everything a burst of notices asks a master to look at. */
export interface PendingChanges {
  /** Transition id range covering every notified one (ranges between them belong to other notices of the burst, or are uncommitted). */
  transitions: [number, number] | null;
  runIds: Set<string>;
  /** Log batches by run. */
  logs: Map<string, Set<number>>;
  workerIds: Set<string>;
  removedWorkerIds: Set<string>;
  taskIds: Set<string>;
  groupIds: Set<string>;
  /** Kinds whose notices could not name everything: consoles must read them again. */
  overflow: Set<'runs' | 'logs' | 'workers' | 'tasks' | 'groups'>;
}

export function emptyChanges(): PendingChanges {
  return {
    transitions: null, runIds: new Set(), logs: new Map(), workerIds: new Set(), removedWorkerIds: new Set(),
    taskIds: new Set(), groupIds: new Set(), overflow: new Set(),
  };
}

export function isEmpty(c: PendingChanges): boolean {
  return c.transitions === null && c.runIds.size === 0 && c.logs.size === 0 && c.workerIds.size === 0
    && c.removedWorkerIds.size === 0 && c.taskIds.size === 0 && c.groupIds.size === 0 && c.overflow.size === 0;
}

/** Adds one notice's payload to `into`; false when the payload is not a notice (nothing is added). */
export function addNotice(into: PendingChanges, payload: string): boolean {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return false;
  }
  const parsed = Notice.safeParse(json);
  if (!parsed.success) return false;
  const n = parsed.data;
  const addIds = (set: Set<string>, list: string[] | null, kind: 'runs' | 'workers' | 'tasks' | 'groups') => {
    if (list === null) into.overflow.add(kind);
    else for (const id of list) set.add(id);
  };
  if ('r' in n) {
    const [lo, hi] = n.r;
    into.transitions = into.transitions ? [Math.min(into.transitions[0], lo), Math.max(into.transitions[1], hi)] : [lo, hi];
  } else if ('u' in n) addIds(into.runIds, n.u, 'runs');
  else if ('l' in n) {
    if (n.l === null) into.overflow.add('logs');
    else for (const [runId, seq] of n.l) into.logs.set(runId, (into.logs.get(runId) ?? new Set()).add(seq));
  } else if ('w' in n) addIds(into.workerIds, n.w, 'workers');
  else if ('w-' in n) addIds(into.removedWorkerIds, n['w-'], 'workers');
  else if ('t' in n) addIds(into.taskIds, n.t, 'tasks');
  else if ('t-' in n) addIds(into.taskIds, n['t-'], 'tasks');
  else if ('g' in n) addIds(into.groupIds, n.g, 'groups');
  else addIds(into.groupIds, n['g-'], 'groups');
  return true;
}
