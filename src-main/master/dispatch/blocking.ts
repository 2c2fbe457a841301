// What happens to a new run of a task while earlier runs of the same task are still in flight.
import type { Blocking } from '../api/contract/domain';
import { assertNever } from '../assert-never';

export interface ActiveRun { runId: string; state: 'queued' | 'assigned' | 'running'; plannedAt: number }

export type BlockingDecision =
  | { kind: 'start' }                         // dispatch the new run now
  | { kind: 'wait' }                          // serial / concurrent at max: new run stays queued until a slot frees
  | { kind: 'skip'; reason: string }          // discard_later: new run recorded as `skipped`
  | { kind: 'cover'; stopRunIds: string[] };  // cover_earlier: stop these, then start the new one

/**
 * How many runs of one task may hold a slot (assigned or running) at once.
 * discard_later and cover_earlier keep at most one run alive by construction, so their limit is 1 too.
 */
export function slotLimit(blocking: Blocking): number {
  switch (blocking.strategy) {
    case 'serial':
    case 'discard_later':
    case 'cover_earlier':
      return 1;
    case 'concurrent':
      return blocking.maxConcurrent;
    default:
      return assertNever(blocking.strategy, 'blocking strategy');
  }
}

/**
 * `active` = the task's other runs that hold a slot (assigned/running) or wait for one (queued),
 * the new run excluded. A queued run is ahead of the new one, so the new one never overtakes it (FIFO).
 */
export function decideBlocking(blocking: Blocking, active: ActiveRun[]): BlockingDecision {
  switch (blocking.strategy) {
    case 'serial':
    case 'concurrent': {
      const holding = holders(active).length;
      return decideBySlots(blocking, holding, active.length - holding);
    }
    case 'discard_later':
      // Queued runs count too: they will run, so the new one would still pile up behind them.
      return active.length === 0 ? { kind: 'start' } : { kind: 'skip', reason: skipReason(active) };
    case 'cover_earlier':
      return active.length === 0 ? { kind: 'start' } : { kind: 'cover', stopRunIds: byPlannedAt(active).map((r) => r.runId) };
    default:
      return assertNever(blocking.strategy, 'blocking strategy');
  }
}

/**
 * When a run ends: which `waiting` (queued) runs may start now, oldest plannedAt first, as many as
 * free slots allow. `active` = runs still holding a slot; queued entries in it are not counted as holders.
 */
export function nextToStart(blocking: Blocking, active: ActiveRun[], waiting: ActiveRun[]): string[] {
  const free = freeSlots(blocking, holders(active).length);
  if (free <= 0) return [];
  return byPlannedAt(waiting).slice(0, free).map((r) => r.runId);
}

/** How many more runs may take a slot while `holding` runs hold one (never negative). */
export function freeSlots(blocking: Blocking, holding: number): number {
  return Math.max(0, slotLimit(blocking) - holding);
}

/**
 * serial and concurrent decide on counts alone, so a fire costs the same with ten runs of its task in flight or
 * ten thousand (bench/dispatch, issue 11: building the run list per fire took 2 % of the master's time).
 * A queued run is ahead of the new one (FIFO), so any queued run means wait.
 */
export function decideBySlots(blocking: Blocking, holding: number, queued: number): BlockingDecision {
  return queued === 0 && holding < slotLimit(blocking) ? { kind: 'start' } : { kind: 'wait' };
}

function holders(runs: ActiveRun[]): ActiveRun[] {
  return runs.filter((r) => r.state !== 'queued');
}

/** FIFO order; runId breaks ties so the order is the same on every master. */
function byPlannedAt(runs: ActiveRun[]): ActiveRun[] {
  return [...runs].sort((a, b) => a.plannedAt - b.plannedAt || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
}

function skipReason(active: ActiveRun[]): string {
  const first = byPlannedAt(active)[0]!;
  const more = active.length > 1 ? ` and ${active.length - 1} more` : '';
  return `discard_later: earlier run ${first.runId} is still ${first.state}${more}`;
}
