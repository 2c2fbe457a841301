// Which master an agent tries next, and how long it waits.
import { describe, expect, it } from 'vitest';
import { nextMaster, retryDelay } from '../../../worker-agent/src/masters';

const list = ['http://a:1', 'http://b:1', 'http://c:1'];

describe('nextMaster', () => {
  it.each([
    ['walks the list in order', 'http://a:1', undefined, 'http://b:1'],
    ['wraps around', 'http://c:1', undefined, 'http://a:1'],
    ['goes to the leader a follower named', 'http://a:1', 'http://c:1', 'http://c:1'],
    ['follows a named leader outside its list', 'http://a:1', 'http://d:1', 'http://d:1'],
    ['walks on when the named leader is the one that failed', 'http://b:1', 'http://b:1', 'http://c:1'],
    ['starts over from the top after a leader outside its list', 'http://d:1', undefined, 'http://a:1'],
  ])('%s', (_what, current, hint, expected) => {
    expect(nextMaster(list, current, hint)).toBe(expected);
  });

  it('stays on its only master', () => {
    expect(nextMaster(['http://a:1'], 'http://a:1')).toBe('http://a:1');
  });
});

describe('retryDelay', () => {
  it.each([
    [1, 0, 250], [1, 1, 500], [2, 1, 1_000], [3, 1, 2_000], [4, 1, 2_000], [50, 1, 2_000], [50, 0, 1_000],
  ])('failure %i with jitter %d waits %i ms', (failures, random, ms) => {
    expect(retryDelay(failures, random)).toBe(ms);
  });
});
