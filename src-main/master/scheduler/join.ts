// Whether a child with several parents fires for one generation (one fire of the root task), from how the
// parents of that generation have ended so far. Pure; the store serialises the calls per child and generation.
import type { JoinMode, RunState } from '../api/contract/domain';
import { assertNever } from '../assert-never';

export type JoinDecision = { kind: 'wait' } | { kind: 'fire' } | { kind: 'end'; reason: string };

export interface ParentEnd { taskId: string; taskName: string; state: RunState }

/** `parents`: the child's parent task ids; `ended`: the final ends recorded for this generation so far. */
export function decideJoin(mode: JoinMode, parents: readonly string[], ended: readonly ParentEnd[]): JoinDecision {
  const mine = ended.filter((e) => parents.includes(e.taskId));
  const allIn = parents.every((p) => mine.some((e) => e.taskId === p));
  const succeeded = mine.filter((e) => e.state === 'succeeded');
  switch (mode) {
    case 'all_succeeded': {
      const bad = mine.find((e) => e.state !== 'succeeded');
      if (bad) return { kind: 'end', reason: `parent ${bad.taskName} ended ${bad.state}, and this child waits for all parents to succeed (join all_succeeded)` };
      return allIn ? { kind: 'fire' } : { kind: 'wait' };
    }
    case 'all_done':
      return allIn ? { kind: 'fire' } : { kind: 'wait' };
    case 'any_succeeded':
      if (succeeded.length > 0) return { kind: 'fire' };
      return allIn
        ? { kind: 'end', reason: `no parent succeeded (${mine.map((e) => `${e.taskName} ${e.state}`).join(', ')}), and this child needs one (join any_succeeded)` }
        : { kind: 'wait' };
    default:
      return assertNever(mode, 'join mode');
  }
}
