import { describe, expect, it } from 'vitest';
import type { Misfire } from '../../../src-main/master/api/contract/domain';
import { misfireEnumerationLimit, planDueFires, type MisfirePlan } from '../../../src-main/master/scheduler/misfire';
import { firesBetween } from '../../../src-main/master/scheduler/triggers';

const NOW = 100_000;
const m = (policy: Misfire['policy'], maxCatchUp = 10, thresholdMs = 5_000): Misfire => ({ policy, thresholdMs, maxCatchUp });
// 80k, 90k and 94k are late (more than 5 000 ms before NOW); 95k is exactly at the threshold, so on time.
const DUE = [80_000, 90_000, 94_000, 95_000, 99_000, 100_000];
const s = (plannedAt: number) => ({ plannedAt, kind: 'schedule' as const });
const mf = (plannedAt: number) => ({ plannedAt, kind: 'misfire' as const });
const ON_TIME = [s(95_000), s(99_000), s(100_000)];

describe('planDueFires — policy × due set', () => {
  it.each<[string, number[], Misfire, MisfirePlan]>([
    ['ignore drops every late fire', DUE, m('ignore'), { fire: ON_TIME, missed: 3 }],
    ['fire_once fires the latest late one', DUE, m('fire_once'), { fire: [mf(94_000), ...ON_TIME], missed: 2 }],
    ['catch_up replays the latest maxCatchUp, oldest first', DUE, m('catch_up', 2), { fire: [mf(90_000), mf(94_000), ...ON_TIME], missed: 1 }],
    ['catch_up under the cap replays all', DUE, m('catch_up', 10), { fire: [mf(80_000), mf(90_000), mf(94_000), ...ON_TIME], missed: 0 }],
    ['catch_up cap 1', DUE, m('catch_up', 1), { fire: [mf(94_000), ...ON_TIME], missed: 2 }],
    ['nothing due', [], m('fire_once'), { fire: [], missed: 0 }],
    ['all on time, ignore', [96_000, 100_000], m('ignore'), { fire: [s(96_000), s(100_000)], missed: 0 }],
    ['all on time, fire_once', [96_000, 100_000], m('fire_once'), { fire: [s(96_000), s(100_000)], missed: 0 }],
    ['all late, fire_once', [1_000, 2_000, 3_000], m('fire_once'), { fire: [mf(3_000)], missed: 2 }],
    ['all late, ignore', [1_000, 2_000, 3_000], m('ignore'), { fire: [], missed: 3 }],
    ['unsorted input comes out sorted', [100_000, 80_000, 99_000], m('catch_up'), { fire: [mf(80_000), s(99_000), s(100_000)], missed: 0 }],
    ['threshold 0: only a fire at now is on time', [99_999, 100_000], m('ignore', 10, 0), { fire: [s(100_000)], missed: 1 }],
  ])('%s', (_name, due, misfire, plan) => {
    expect(planDueFires(due, NOW, misfire)).toEqual(plan);
  });

  it('1 ms past the threshold is late', () => {
    expect(planDueFires([94_999], NOW, m('ignore')).missed).toBe(1);
    expect(planDueFires([95_000], NOW, m('ignore')).missed).toBe(0);
  });
});

describe('misfireEnumerationLimit + firesBetween', () => {
  it('sizes the limit so truncation never changes which fires fire', () => {
    // An hour-long outage of a 100 ms fixed-rate task: 36 000 fires due.
    const trigger = { type: 'fixed_rate' as const, intervalMs: 100 };
    const from = NOW - 3_600_000;
    for (const misfire of [m('catch_up', 7), m('fire_once'), m('ignore'), m('catch_up', 3, 1_234)]) {
      const all = firesBetween(trigger, from, NOW, 1e6, { anchorMs: 0 });
      const capped = firesBetween(trigger, from, NOW, misfireEnumerationLimit(misfire), { anchorMs: 0 });
      expect(all.truncated).toBe(false);
      expect(capped.truncated).toBe(true);
      expect(planDueFires(capped.fires, NOW, misfire).fire).toEqual(planDueFires(all.fires, NOW, misfire).fire);
    }
  });

  it.each([[m('catch_up', 10, 5_000), 61], [m('fire_once', 10, 0), 11]])('%o → %i', (misfire, limit) => {
    expect(misfireEnumerationLimit(misfire)).toBe(limit);
  });
});
