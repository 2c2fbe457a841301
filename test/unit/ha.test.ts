// Leadership decisions: how long a leader trusts its lease, and which calls a follower answers itself.
import { describe, expect, it } from 'vitest';
import { methods } from '../../src-main/master/api/contract/methods';
import { answeredLocally, leaseHeld } from '../../src-main/master/ha/rules';

describe('leaseHeld', () => {
  it.each([
    [null, 0, false],
    [1_000, 1_000, true],
    [1_000, 4_999, true],
    [1_000, 5_000, false],
    [1_000, 6_000, false],
  ])('renewal sent at %s, now %i, lease 5 s → %s', (sentAt, now, held) => {
    expect(leaseHeld(sentAt, now, 5_000)).toBe(held);
  });
});

describe('answeredLocally', () => {
  const names = Object.keys(methods);
  it('answers every read itself and hands every action to the leader', () => {
    const local = names.filter(answeredLocally).sort();
    // settings.* edit this master's own settings file (issue 8), so no other master may answer them.
    expect(local).toEqual([
      'alerts.channels.list', 'alerts.rules.list', 'alerts.settings.get', 'credentials.list', 'dashboard.summary', 'enrolments.list', 'groups.list', 'master.info', 'masters.list', 'runs.detail', 'runs.get', 'runs.list', 'runs.logs', 'runs.page', 'settings.get', 'settings.save', 'settings.test', 'tasks.get', 'tasks.list', 'tokens.list', 'workers.get', 'workers.list',
    ]);
    const forwarded = names.filter((n) => !answeredLocally(n));
    expect(forwarded.every((n) => !/\.(list|get|logs|info)$/.test(n))).toBe(true);
  });

  it('hands unknown methods to the leader, which refuses them', () => {
    expect(answeredLocally('nope.nothing')).toBe(false);
  });
});
