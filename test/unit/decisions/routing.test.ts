import { describe, expect, it } from 'vitest';
import type { Routing, RoutingStrategy } from '../../../src-main/master/api/contract/domain';
import {
  eligibleWorkers, hash32, hashRing, ineligibility, ringLookup, route,
  type Candidate, type RouteDecision, type RouteRequest,
} from '../../../src-main/master/dispatch/routing';

let n = 0;
function w(id: string, over: Partial<Candidate> = {}): Candidate {
  return {
    id, name: id, status: 'online', groupId: 'g', handlers: ['etl'], labels: {},
    capacity: 2, running: 0, cpu: 0.5, memory: 0.5, lastAssignedAt: null, recentLatencyMs: null,
    order: n++, ...over,
  };
}
function req(strategy: RoutingStrategy, over: Partial<Omit<RouteRequest, 'routing'>> & { routing?: Partial<Routing> } = {}): RouteRequest {
  const { routing, ...rest } = over;
  return {
    routing: { strategy, labels: {}, ...routing }, groupId: 'g', handler: 'etl', key: null, cursor: 0,
    random: () => 0, ...rest,
  };
}
const ids = (d: RouteDecision) => (d.kind === 'assign' ? d.workerIds : d.detail);

const ALL: RoutingStrategy[] = [
  'specific', 'first', 'round_robin', 'random', 'consistent_hash', 'least_busy',
  'least_recently_used', 'memory_first', 'cpu_first', 'fastest', 'failover', 'shard_broadcast',
];

describe('eligibility', () => {
  it.each<[string, Partial<Candidate>, Partial<Routing>, string | null]>([
    ['online, free slot, right handler', {}, {}, null],
    ['offline', { status: 'offline' }, {}, 'offline'],
    ['disabled', { status: 'disabled' }, {}, 'disabled'],
    ['draining', { status: 'draining' }, {}, 'draining'],
    ['other group', { groupId: 'other' }, {}, "in group 'other'"],
    ['lacks the handler', { handlers: ['shell'] }, {}, "does not offer handler 'etl'"],
    ['has the labels (and more)', { labels: { zone: 'eu', gpu: 'yes' } }, { labels: { zone: 'eu' } }, null],
    ['label missing', { labels: {} }, { labels: { zone: 'eu' } }, 'lacks label zone=eu'],
    ['label value differs', { labels: { zone: 'us' } }, { labels: { zone: 'eu' } }, 'lacks label zone=eu'],
    ['at capacity', { running: 2, capacity: 2 }, {}, 'at capacity (2/2)'],
    ['over capacity', { running: 3, capacity: 2 }, {}, 'at capacity (3/2)'],
    ['capacity 0', { running: 0, capacity: 0 }, {}, 'at capacity (0/0)'],
    ['one slot left', { running: 1, capacity: 2 }, {}, null],
  ])('%s', (_name, over, routing, why) => {
    const worker = w('x', over);
    const r = req('first', { routing });
    expect(ineligibility(worker, r)).toBe(why);
    expect(eligibleWorkers([worker], r)).toEqual(why === null ? [worker] : []);
  });

  it('returns eligible workers by registration order, whatever the input order', () => {
    const [a, b, c] = [w('a', { order: 3 }), w('b', { order: 1 }), w('c', { order: 2, status: 'draining' })];
    expect(eligibleWorkers([a!, b!, c!], req('first')).map((x) => x.id)).toEqual(['b', 'a']);
  });
});

describe('every strategy finds nobody when nobody is eligible', () => {
  const SHAPES: Record<string, Candidate[]> = {
    'no workers': [],
    'all busy': [w('a', { running: 2 }), w('b', { running: 5, capacity: 5 })],
    'label mismatch': [w('a', { labels: { zone: 'us' } })],
    'wrong group': [w('a', { groupId: 'other' })],
    'disabled / draining / offline': [w('a', { status: 'disabled' }), w('b', { status: 'draining' }), w('c', { status: 'offline' })],
  };
  const rows = ALL.flatMap((s) => Object.keys(SHAPES).map((shape) => [s, shape] as const));
  it.each(rows)('%s with %s', (strategy, shape) => {
    const d = route(SHAPES[shape]!, req(strategy, { routing: { workerId: 'a', labels: shape === 'label mismatch' ? { zone: 'eu' } : {} } }));
    expect(d).toMatchObject({ kind: 'none', reason: 'no_worker' });
  });

  it('the detail says why each worker of the group was passed over', () => {
    const d = route([w('a', { running: 2 }), w('b', { status: 'offline' }), w('c', { groupId: 'x' })], req('round_robin'));
    expect(ids(d)).toBe("no eligible worker for handler 'etl' in group 'g': a at capacity (2/2); b offline");
  });

  it('the detail says when the group is empty', () => {
    expect(ids(route([w('c', { groupId: 'x' })], req('first')))).toBe("no eligible worker for handler 'etl' in group 'g': the group has no workers");
  });
});

describe('strategies', () => {
  // Input order deliberately differs from registration order.
  const pool = () => [w('c', { order: 3 }), w('a', { order: 1 }), w('b', { order: 2 })];

  it.each<[string, Candidate[], RouteRequest, string[] | RegExp]>([
    ['specific → that worker', pool(), req('specific', { routing: { workerId: 'b' } }), ['b']],
    ['specific without workerId', pool(), req('specific'), /needs routing.workerId/],
    ['specific, worker draining', [w('a'), w('b', { status: 'draining' })], req('specific', { routing: { workerId: 'b' } }), /worker b \(b\) is draining/],
    ['specific, worker busy', [w('a'), w('b', { running: 2 })], req('specific', { routing: { workerId: 'b' } }), /at capacity/],
    ['specific, unknown worker', pool(), req('specific', { routing: { workerId: 'zz' } }), /'zz' is not registered/],
    ['first → lowest order', pool(), req('first'), ['a']],
    ['first skips the ineligible', [w('a', { order: 1, running: 2 }), w('b', { order: 2 })], req('first'), ['b']],
    ['random 0 → first', pool(), req('random', { random: () => 0 }), ['a']],
    ['random 0.5 → middle', pool(), req('random', { random: () => 0.5 }), ['b']],
    ['random 0.999 → last', pool(), req('random', { random: () => 0.999 }), ['c']],
    ['random returning 1 stays in range', pool(), req('random', { random: () => 1 }), ['c']],
    ['least_busy', [w('a', { order: 1, running: 1 }), w('b', { order: 2, running: 0 }), w('c', { order: 3, running: 0 })], req('least_busy'), ['b']],
    ['least_busy tie → lowest order', [w('b', { order: 2 }), w('a', { order: 1 })], req('least_busy'), ['a']],
    ['lru: never assigned first', [w('a', { order: 1, lastAssignedAt: 5 }), w('b', { order: 2, lastAssignedAt: null })], req('least_recently_used'), ['b']],
    ['lru: oldest assignment', [w('a', { order: 1, lastAssignedAt: 9 }), w('b', { order: 2, lastAssignedAt: 3 }), w('c', { order: 3, lastAssignedAt: 7 })], req('least_recently_used'), ['b']],
    ['lru: two never assigned → lowest order', [w('b', { order: 2 }), w('a', { order: 1 })], req('least_recently_used'), ['a']],
    ['memory_first', [w('a', { order: 1, memory: 0.9 }), w('b', { order: 2, memory: 0.2 }), w('c', { order: 3, memory: 0.4 })], req('memory_first'), ['b']],
    ['memory_first tie', [w('b', { order: 2, memory: 0.2 }), w('a', { order: 1, memory: 0.2 })], req('memory_first'), ['a']],
    ['cpu_first', [w('a', { order: 1, cpu: 0.3 }), w('b', { order: 2, cpu: 0.1 })], req('cpu_first'), ['b']],
    ['cpu_first ignores memory', [w('a', { order: 1, cpu: 0.1, memory: 0.9 }), w('b', { order: 2, cpu: 0.3, memory: 0.1 })], req('cpu_first'), ['a']],
    ['fastest: lowest known latency', [w('a', { order: 1, recentLatencyMs: 80 }), w('b', { order: 2, recentLatencyMs: 20 })], req('fastest'), ['b']],
    ['fastest: unknown latency goes first', [w('a', { order: 1, recentLatencyMs: 5 }), w('b', { order: 2, recentLatencyMs: null })], req('fastest'), ['b']],
    ['fastest: tie → lowest order', [w('b', { order: 2, recentLatencyMs: 20 }), w('a', { order: 1, recentLatencyMs: 20 })], req('fastest'), ['a']],
    ['shard_broadcast → all eligible by order', [...pool(), w('d', { order: 0, status: 'offline' })], req('shard_broadcast'), ['a', 'b', 'c']],
    ['shard_broadcast skips the busy', [w('a', { order: 1 }), w('b', { order: 2, running: 2 })], req('shard_broadcast'), ['a']],
  ])('%s', (_name, workers, r, expected) => {
    const d = route(workers, r);
    if (expected instanceof RegExp) {
      expect(d.kind).toBe('none');
      expect(ids(d)).toMatch(expected);
    } else expect(ids(d)).toEqual(expected);
  });

  it.each<[number, string, number]>([
    [0, 'a', 1], [1, 'b', 2], [2, 'c', 3], [3, 'a', 4], [7, 'b', 8], [-1, 'c', 0],
  ])('round_robin cursor %i → %s, next cursor %i', (cursor, id, next) => {
    expect(route(pool(), req('round_robin', { cursor }))).toEqual({ kind: 'assign', workerIds: [id], cursor: next });
  });

  it('round_robin over a full cycle serves every worker once', () => {
    let cursor = 0;
    const served: string[] = [];
    for (let i = 0; i < 3; i++) {
      const d = route(pool(), req('round_robin', { cursor }));
      if (d.kind !== 'assign') throw new Error(d.detail);
      served.push(...d.workerIds);
      cursor = d.cursor;
    }
    expect(served.sort()).toEqual(['a', 'b', 'c']);
  });

  it.each(ALL.filter((s) => s !== 'round_robin'))('%s leaves the cursor alone', (strategy) => {
    const d = route(pool(), req(strategy, { cursor: 41, key: 'k', routing: { workerId: 'a' } }));
    expect(d).toMatchObject({ kind: 'assign', cursor: 41 });
  });
});

describe('failover vs first', () => {
  const NOW = 1_000_000;
  const fresh = { nowMs: NOW, maxAgeMs: 7_500 };
  const workers = [
    w('primary', { order: 1, lastHeartbeatAt: NOW - 20_000 }), // quiet, but not yet declared dead
    w('backup', { order: 2, lastHeartbeatAt: NOW - 1_000 }),
    w('third', { order: 3, lastHeartbeatAt: NOW }),
  ];
  it.each<[string, Candidate[], RouteRequest, string[] | RegExp]>([
    ['first ignores heartbeat age', workers, req('first', { freshness: fresh }), ['primary']],
    ['failover passes over a quiet primary', workers, req('failover', { freshness: fresh }), ['backup']],
    ['failover: heartbeat exactly maxAgeMs old is fresh', [w('p', { order: 1, lastHeartbeatAt: NOW - 7_500 })], req('failover', { freshness: fresh }), ['p']],
    ['failover: 1 ms older is stale', [w('p', { order: 1, lastHeartbeatAt: NOW - 7_501 })], req('failover', { freshness: fresh }), /none heartbeated in the last 7500 ms/],
    ['failover: unknown heartbeat is stale', [w('p', { order: 1 })], req('failover', { freshness: fresh }), /1 eligible worker\(s\), none heartbeated/],
    ['failover without freshness = first', workers, req('failover'), ['primary']],
    ['failover never picks an ineligible fresh worker', [w('p', { order: 1, lastHeartbeatAt: NOW, running: 2 }), w('q', { order: 2, lastHeartbeatAt: NOW })], req('failover', { freshness: fresh }), ['q']],
  ])('%s', (_name, ws, r, expected) => {
    const d = route(ws, r);
    if (expected instanceof RegExp) expect(ids(d)).toMatch(expected);
    else expect(ids(d)).toEqual(expected);
  });
});

describe('consistent_hash', () => {
  const KEYS = Array.from({ length: 2_000 }, (_, i) => `customer-${i}`);
  const workersNamed = (...names: string[]) => names.map((id, i) => w(id, { order: i, capacity: 100 }));
  const assignment = (ws: Candidate[]) => new Map(KEYS.map((key) => [key, ids(route(ws, req('consistent_hash', { key })))[0]]));

  it('a key always lands on the same worker, whatever the input order', () => {
    const ws = workersNamed('w1', 'w2', 'w3', 'w4');
    const before = assignment(ws);
    expect(assignment([...ws].reverse())).toEqual(before);
  });

  it('spreads keys evenly: every worker within ±30 % of its fair share', () => {
    // Without the hash's final mixing step, shares ranged 0.44–2.14 of fair; this bound catches that.
    const counts = new Map<string, number>();
    for (const id of assignment(workersNamed('w1', 'w2', 'w3', 'w4')).values()) counts.set(id!, (counts.get(id!) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(['w1', 'w2', 'w3', 'w4']);
    const fair = KEYS.length / 4;
    for (const c of counts.values()) expect(Math.abs(c / fair - 1)).toBeLessThan(0.3);
  });

  it('a worker joining takes keys only for itself; nothing moves between the others', () => {
    const before = assignment(workersNamed('w1', 'w2', 'w3', 'w4'));
    const after = assignment(workersNamed('w1', 'w2', 'w3', 'w4', 'w5'));
    const moved = KEYS.filter((k) => before.get(k) !== after.get(k));
    expect(moved.every((k) => after.get(k) === 'w5')).toBe(true);
    // Roughly a fifth of the keys should move; a naive hash % n would move ~80 %.
    expect(moved.length).toBeGreaterThan(KEYS.length * 0.1);
    expect(moved.length).toBeLessThan(KEYS.length * 0.3);
  });

  it('a worker leaving (or filling up) moves only its own keys', () => {
    const ws = workersNamed('w1', 'w2', 'w3', 'w4');
    const before = assignment(ws);
    const busy = ws.map((x) => (x.id === 'w2' ? { ...x, running: x.capacity } : x));
    for (const after of [assignment(ws.filter((x) => x.id !== 'w2')), assignment(busy)]) {
      for (const k of KEYS) {
        if (before.get(k) === 'w2') expect(after.get(k)).not.toBe('w2');
        else expect(after.get(k)).toBe(before.get(k));
      }
    }
  });

  it('a missing key still routes, and always to the same worker', () => {
    const ws = workersNamed('w1', 'w2', 'w3');
    const a = route(ws, req('consistent_hash', { key: null }));
    expect(a.kind).toBe('assign');
    expect(route([...ws].reverse(), req('consistent_hash', { key: null }))).toEqual(a);
  });

  it('ring lookup: first point at or clockwise after the key, wrapping past the last', () => {
    const h = hash32('k');
    expect(h).toBeGreaterThan(100);
    const ring = (...ats: number[]) => ({ points: ats.map((at, i) => ({ at, id: `p${i}` })) });
    expect(ringLookup(ring(h - 10, h, h + 10), 'k')).toBe('p1');
    expect(ringLookup(ring(h - 10, h + 1, h + 10), 'k')).toBe('p1');
    expect(ringLookup(ring(h - 20, h - 10), 'k')).toBe('p0');
    expect(ringLookup(hashRing(['only'], 1), 'anything')).toBe('only');
  });

  it('hash32 is a stable unsigned 32-bit hash', () => {
    expect(hash32('')).toBe(hash32(''));
    expect(hash32('w1#0')).not.toBe(hash32('w1#1'));
    for (const s of ['', 'a', 'w1#0', 'customer-42', 'ü€']) {
      const h = hash32(s);
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
    }
  });
});
