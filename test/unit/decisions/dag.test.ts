import { describe, expect, it } from 'vitest';
import type { ParentCondition, RunState } from '../../../src-main/master/api/contract/domain';
import { findCycle, parentConditionMet } from '../../../src-main/master/scheduler/dag';

describe('findCycle', () => {
  it.each<[string, Record<string, string[]>, string, string[], string[] | null]>([
    ['self-parent', {}, 'a', ['a'], ['a', 'a']],
    ['self among others', { b: [] }, 'a', ['b', 'a'], ['a', 'a']],
    ['2-cycle', { b: ['a'] }, 'a', ['b'], ['a', 'b', 'a']],
    ['long cycle', { b: ['c'], c: ['d'], d: ['a'] }, 'a', ['b'], ['a', 'b', 'c', 'd', 'a']],
    ['cycle through the 2nd parent', { b: [], c: ['a'] }, 'a', ['b', 'c'], ['a', 'c', 'a']],
    ['shortest loop is reported', { b: ['c', 'a'], c: ['a'] }, 'a', ['b'], ['a', 'b', 'a']],
    ['diamond is no cycle', { b: ['a'], c: ['a'] }, 'd', ['b', 'c'], null],
    ['deeper diamond is no cycle', { b: ['a'], c: ['a'], d: ['b', 'c'] }, 'e', ['d', 'b'], null],
    ['chain is no cycle', { b: ['c'], c: ['d'] }, 'a', ['b'], null],
    ['unknown parent', {}, 'a', ['ghost'], null],
    ['no parents', { a: ['a'] }, 'a', [], null], // stored parents are replaced, not added to
    ['a loop elsewhere does not hang', { x: ['y'], y: ['x'] }, 'a', ['x'], null],
    ['prototype-like ids are plain data', { constructor: ['a'] }, 'a', ['constructor', 'toString'], ['a', 'constructor', 'a']],
  ])('%s', (_name, links, taskId, parents, cycle) => {
    expect(findCycle(links, taskId, parents)).toEqual(cycle);
  });
});

const STATES: RunState[] = ['scheduled', 'queued', 'assigned', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'lost', 'skipped'];
const FIRES: Record<ParentCondition, RunState[]> = {
  success: ['succeeded'],
  failure: ['failed', 'timed_out', 'lost'],
  always: ['succeeded', 'failed', 'timed_out', 'cancelled', 'lost'],
};

describe('parentConditionMet — the whole table', () => {
  const rows = (Object.keys(FIRES) as ParentCondition[]).flatMap((on) =>
    STATES.map((state) => [on, state, FIRES[on].includes(state)] as const));
  it.each(rows)('on %s, parent %s → %s', (on, state, expected) => {
    expect(parentConditionMet(on, state)).toBe(expected);
  });
});
