// Pure decisions of agent identity and quotas: who may enrol or join, event budgets, warning gates, line cuts.
import { describe, expect, it } from 'vitest';
import { EventBucket } from '../../../src-main/master/agents/event-budget';
import { credentialRefusal, enrolmentRefusal, type EnrolmentFacts } from '../../../src-main/master/agents/identity-rules';
import { fitLines } from '../../../src-main/master/agents/log-quota';
import { WarningGate } from '../../../src-main/master/agents/warning-gate';

const NOW = 1_700_000_000_000;
const live: EnrolmentFacts = { groupId: 'grp_a', singleUse: false, uses: 3, expiresAt: null, revoked: false };

describe('enrolmentRefusal', () => {
  it('lets a live token enrol into its own group', () => {
    expect(enrolmentRefusal(live, { id: 'grp_a' }, 'a', NOW)).toBeNull();
    expect(enrolmentRefusal({ ...live, expiresAt: NOW + 1 }, { id: 'grp_a' }, 'a', NOW)).toBeNull();
    expect(enrolmentRefusal({ ...live, singleUse: true, uses: 0 }, { id: 'grp_a' }, 'a', NOW)).toBeNull();
  });

  it.each([
    ['unknown', null, { id: 'grp_a' }, 'bad_token'],
    ['revoked', { ...live, revoked: true }, { id: 'grp_a' }, 'bad_token'],
    ['expired at this instant', { ...live, expiresAt: NOW }, { id: 'grp_a' }, 'enrolment_expired'],
    ['single-use and used', { ...live, singleUse: true, uses: 1 }, { id: 'grp_a' }, 'enrolment_used'],
    ['for another group', live, { id: 'grp_b' }, 'group_mismatch'],
    ['for a group that does not exist', live, null, 'group_mismatch'],
    ['a former agent token, for a group that does not exist', { ...live, groupId: null }, null, 'unknown_group'],
  ] as const)('refuses a token that is %s', (_what, facts, group, code) => {
    expect(enrolmentRefusal(facts, group, 'a', NOW)?.code).toBe(code);
  });

  it('lets a former agent token enrol into any group that exists', () => {
    expect(enrolmentRefusal({ ...live, groupId: null }, { id: 'grp_z' }, 'z', NOW)).toBeNull();
  });
});

describe('credentialRefusal', () => {
  const mine = { groupName: 'a', workerName: 'w1', revoked: false };
  it('admits a credential only as its own worker in its own group', () => {
    expect(credentialRefusal(mine, { group: 'a', name: 'w1' })).toBeNull();
    expect(credentialRefusal(mine, { group: 'a', name: 'w2' })?.code).toBe('name_mismatch');
    expect(credentialRefusal(mine, { group: 'b', name: 'w1' })?.code).toBe('group_mismatch');
    expect(credentialRefusal({ ...mine, revoked: true }, { group: 'a', name: 'w1' })?.code).toBe('bad_token');
    expect(credentialRefusal(null, { group: 'a', name: 'w1' })?.code).toBe('bad_token');
  });
});

describe('EventBucket', () => {
  it('allows a burst, then the rate, and refills with time', () => {
    const bucket = new EventBucket({ perSecond: 10, burst: 3 }, NOW);
    expect([1, 2, 3, 4].map(() => bucket.take(NOW))).toEqual([true, true, true, false]);
    expect(bucket.take(NOW + 50)).toBe(false); // half a token
    expect(bucket.take(NOW + 100)).toBe(true);
    expect(bucket.take(NOW + 100)).toBe(false);
    expect([1, 2, 3, 4].map(() => bucket.take(NOW + 10_000))).toEqual([true, true, true, false]); // never above the burst
  });

  it('does not mint tokens when the clock steps back', () => {
    const bucket = new EventBucket({ perSecond: 1, burst: 1 }, NOW);
    expect(bucket.take(NOW)).toBe(true);
    expect(bucket.take(NOW - 5_000)).toBe(false);
    expect(bucket.take(NOW + 999)).toBe(false);
    expect(bucket.take(NOW + 1_000)).toBe(true);
  });
});

describe('WarningGate', () => {
  it('writes one line per kind and interval, with the count held back', () => {
    const gate = new WarningGate(1_000);
    expect(gate.note('bad log', NOW)).toEqual({ report: true, suppressed: 0 });
    for (let i = 1; i <= 5; i++) expect(gate.note('bad log', NOW + i).report).toBe(false);
    expect(gate.note('bad beat', NOW + 10)).toEqual({ report: true, suppressed: 0 });
    expect(gate.note('bad log', NOW + 1_000)).toEqual({ report: true, suppressed: 5 });
    gate.note('bad log', NOW + 1_001);
    expect(gate.drain()).toEqual([{ kind: 'bad log', suppressed: 1 }]);
    expect(gate.drain()).toEqual([]);
  });
});

describe('fitLines', () => {
  it('counts UTF-8 bytes and cuts long lines without splitting a character', () => {
    expect(fitLines(['abc', 'é'], 10)).toEqual({ lines: ['abc', 'é'], bytes: 5 });
    expect(fitLines(['abcdef'], 4)).toEqual({ lines: ['abcd'], bytes: 4 });
    expect(fitLines(['aé€'], 4)).toEqual({ lines: ['aé'], bytes: 3 }); // € (3 bytes) would be split
    expect(fitLines(['€€'], 6)).toEqual({ lines: ['€€'], bytes: 6 });
    expect(fitLines(['😀x'], 3)).toEqual({ lines: [''], bytes: 0 });
    expect(fitLines([], 4)).toEqual({ lines: [], bytes: 0 });
  });
});
