import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatTerm, parseSelector, unmatchedTerm } from '../../../src-main/master/api/contract/label-selector';
import { Routing } from '../../../src-main/master/api/contract/domain';
import { route, type Candidate, type RouteRequest } from '../../../src-main/master/dispatch/routing';

const matches = (text: string, labels: Record<string, string>) => {
  const parsed = parseSelector(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return unmatchedTerm(parsed.selector, labels) === null;
};

describe('label selectors', () => {
  it.each<[string, Record<string, string>, boolean]>([
    ['zone in (a,b)', { zone: 'a' }, true],
    ['zone in (a, b)', { zone: 'b' }, true],
    ['zone in (a,b)', { zone: 'c' }, false],
    ['zone in (a,b)', {}, false],
    ['zone notin (a,b)', { zone: 'c' }, true],
    ['zone notin (a,b)', {}, true],
    ['zone notin (a,b)', { zone: 'a' }, false],
    ['gpu=yes', { gpu: 'yes' }, true],
    ['gpu==yes', { gpu: 'yes' }, true],
    ['gpu = yes', { gpu: 'no' }, false],
    ['gpu!=yes', {}, true],
    ['gpu!=yes', { gpu: 'yes' }, false],
    ['!maintenance', {}, true],
    ['!maintenance', { maintenance: '' }, false],
    ['maintenance', { maintenance: '' }, true],
    ['zone in (a,b), gpu=yes, !maintenance', { zone: 'b', gpu: 'yes' }, true],
    ['zone in (a,b), gpu=yes, !maintenance', { zone: 'b', gpu: 'yes', maintenance: 'now' }, false],
    ['team.example.com/owner=ops', { 'team.example.com/owner': 'ops' }, true],
    ['constructor', {}, false],
  ])('%s over %j → %s', (text, labels, expected) => {
    expect(matches(text, labels)).toBe(expected);
  });

  it.each([
    ['', /is empty/],
    ['zone in (a,b', /unbalanced/],
    ['zone in ((a))', /nested/],
    ['gpu=yes,', /term 2 is empty/],
    ['zone in ()', /term 1: "" in "zone in \(\)" is not a label value/],
    ['a b c', /term 1: "a b c" is not a term/],
    ['!', /term 1/],
    ['-bad=1', /term 1: "-bad" is not a label key/],
    ['k=v v', /term 1/],
    [Array.from({ length: 33 }, (_, i) => `k${i}`).join(','), /more than 32 terms/],
  ])('refuses %j, saying why', (text, message) => {
    const parsed = parseSelector(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });

  it('the contract refuses a bad selector naming the field and the term', () => {
    const result = Routing.safeParse({ strategy: 'round_robin', selector: 'zone in (a,' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ path: ['selector'], message: expect.stringMatching(/unbalanced/) });
  });

  it('never throws on any text; what it accepts formats back to an equivalent selector', () => {
    fc.assert(fc.property(fc.string({ maxLength: 60 }), fc.dictionary(fc.constantFrom('zone', 'gpu', 'a'), fc.constantFrom('a', 'b', 'yes', '')), (text, labels) => {
      const parsed = parseSelector(text);
      if (!parsed.ok) return;
      const again = parseSelector(parsed.selector.map(formatTerm).join(','));
      expect(again).toEqual(parsed);
      expect(unmatchedTerm(parsed.selector, labels) === null).toBe(matches(text, labels));
    }), { numRuns: 3_000 });
  });
});

let order = 0;
function w(id: string, labels: Record<string, string>, over: Partial<Candidate> = {}): Candidate {
  return {
    id, name: id, status: 'online', groupId: 'g', handlers: ['etl'], labels, capacity: 2, running: 0, cpu: 0, memory: 0,
    lastAssignedAt: null, recentLatencyMs: null, order: order++, ...over,
  };
}
function req(routing: Partial<Routing>): RouteRequest {
  return { routing: { strategy: 'shard_broadcast', labels: {}, ...routing }, groupId: 'g', handler: 'etl', key: null, cursor: 0, random: () => 0 };
}
const decided = (workers: Candidate[], r: RouteRequest) => {
  const d = route(workers, r);
  return d.kind === 'assign' ? d.workerIds : d.detail;
};

describe('routing by selector and a fixed shard count', () => {
  const fleet = [w('eu-gpu', { zone: 'eu', gpu: 'yes' }), w('us-gpu', { zone: 'us', gpu: 'yes' }), w('eu-cpu', { zone: 'eu' }),
    w('eu-gpu-down', { zone: 'eu', gpu: 'yes', maintenance: 'yes' })];

  it('a broadcast reaches exactly the workers the selector picks', () => {
    expect(decided(fleet, req({ selector: 'zone in (eu), gpu=yes, !maintenance' }))).toEqual(['eu-gpu']);
    expect(decided(fleet, req({ selector: 'gpu' }))).toEqual(['eu-gpu', 'us-gpu', 'eu-gpu-down']);
  });

  it('says which term kept a worker out when none matches', () => {
    expect(decided(fleet, req({ selector: 'zone=ap' }))).toMatch(/does not match selector term zone=ap/);
  });

  it('spreads a fixed shard count round robin within free slots', () => {
    expect(decided(fleet, req({ selector: 'zone=eu', shards: 5 }))).toEqual(['eu-gpu', 'eu-cpu', 'eu-gpu-down', 'eu-gpu', 'eu-cpu']);
    const busy = [w('a', {}, { capacity: 3, running: 2 }), w('b', {}, { capacity: 4, running: 0 })];
    expect(decided(busy, req({ shards: 4 }))).toEqual(['a', 'b', 'b', 'b']);
  });

  it('waits rather than overloading when the shards do not fit the free slots', () => {
    expect(decided([w('a', {}, { capacity: 1 })], req({ shards: 3 }))).toMatch(/asks for 3 shards; the eligible workers have 1 free slots/);
  });
});
