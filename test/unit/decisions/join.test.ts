import { describe, expect, it } from 'vitest';
import type { JoinMode, RunState } from '../../../src-main/master/api/contract/domain';
import { decideJoin, type JoinDecision } from '../../../src-main/master/scheduler/join';

const PARENTS = ['b', 'c'];
const ends = (...pairs: Array<[string, RunState]>) => pairs.map(([taskId, state]) => ({ taskId, taskName: taskId.toUpperCase(), state }));
const kind = (d: JoinDecision) => (d.kind === 'end' ? `end: ${d.reason}` : d.kind);

describe('decideJoin', () => {
  it.each<[JoinMode, Array<[string, RunState]>, string | RegExp]>([
    ['all_succeeded', [], 'wait'],
    ['all_succeeded', [['b', 'succeeded']], 'wait'],
    ['all_succeeded', [['b', 'succeeded'], ['c', 'succeeded']], 'fire'],
    ['all_succeeded', [['c', 'failed']], /^end: parent C ended failed/],
    ['all_succeeded', [['b', 'succeeded'], ['c', 'timed_out']], /^end: parent C ended timed_out/],
    ['all_succeeded', [['b', 'cancelled']], /^end: parent B ended cancelled/],
    ['all_done', [['b', 'failed']], 'wait'],
    ['all_done', [['b', 'failed'], ['c', 'lost']], 'fire'],
    ['all_done', [['b', 'succeeded'], ['c', 'succeeded']], 'fire'],
    ['any_succeeded', [['b', 'failed']], 'wait'],
    ['any_succeeded', [['b', 'failed'], ['c', 'succeeded']], 'fire'],
    ['any_succeeded', [['c', 'succeeded']], 'fire'],
    ['any_succeeded', [['b', 'failed'], ['c', 'timed_out']], /^end: no parent succeeded \(B failed, C timed_out\)/],
  ])('%s after %j → %s', (mode, recorded, expected) => {
    const got = kind(decideJoin(mode, PARENTS, ends(...recorded)));
    if (typeof expected === 'string') expect(got).toBe(expected);
    else expect(got).toMatch(expected);
  });

  it('ignores ends of tasks that are no longer parents (the child was edited mid-generation)', () => {
    expect(decideJoin('all_succeeded', PARENTS, ends(['x', 'failed'], ['b', 'succeeded']))).toEqual({ kind: 'wait' });
    expect(decideJoin('all_done', PARENTS, ends(['x', 'failed'], ['b', 'succeeded'], ['c', 'failed']))).toEqual({ kind: 'fire' });
  });
});
