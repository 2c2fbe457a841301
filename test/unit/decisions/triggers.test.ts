import { describe, expect, it } from 'vitest';
import type { Trigger } from '../../../src-main/master/api/contract/domain';
import { checkTrigger, firesBetween, fixedDelayNext, nextFireAt, type FireWindow } from '../../../src-main/master/scheduler/triggers';

const T = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const cron = (expression: string, timezone = 'UTC'): Trigger => ({ type: 'cron', expression, timezone });
const open: FireWindow = { startAt: null, endAt: null };

/** The next `n` fires after `from`, chaining nextFireAt as the scheduler does. */
function chain(trigger: Trigger, from: number, n: number, window = open, opts = {}): Array<string | null> {
  const out: Array<string | null> = [];
  let at: number | null = from;
  for (let i = 0; i < n && at !== null; i++) {
    at = nextFireAt(trigger, at, window, opts);
    out.push(iso(at));
  }
  return out;
}

describe('checkTrigger', () => {
  it.each<[string, Trigger]>([
    ['every 5 s', cron('*/5 * * * * *')],
    ['weekday mornings in Berlin', cron('0 30 9 * * MON-FRI', 'Europe/Berlin')],
    ['New York', cron('0 0 9 * * 1-5', 'America/New_York')],
    ['29 February (fires in leap years)', cron('0 0 0 29 2 *')],
    ['once', { type: 'once', at: '2030-01-31T09:00:00+01:00' }],
    ['fixed rate', { type: 'fixed_rate', intervalMs: 1_000 }],
    ['fixed delay', { type: 'fixed_delay', delayMs: 0 }],
    ['api', { type: 'api' }],
    ['parent', { type: 'parent', parents: ['t1'], on: 'success', join: 'all_succeeded' }],
  ])('%s is valid', (_name, trigger) => {
    expect(checkTrigger(trigger)).toEqual({ ok: true });
  });

  it.each<[string, Trigger, string, RegExp]>([
    ['5 fields (classic cron)', cron('*/5 * * * *'), 'trigger.expression', /needs 6 fields, seconds first.*has 5/],
    ['7 fields', cron('0 0 0 * * * 2030'), 'trigger.expression', /needs 6 fields.*has 7/],
    ['garbage words', cron('every five minutes please'), 'trigger.expression', /needs 6 fields.*has 4/],
    ['nickname', cron('@daily'), 'trigger.expression', /needs 6 fields/],
    ['illegal characters', cron('x * * * * *'), 'trigger.expression', /invalid cron expression 'x \* \* \* \* \*'.*illegal characters/],
    ['second 60', cron('60 * * * * *'), 'trigger.expression', /second/],
    ['hour 24', cron('0 0 24 * * *'), 'trigger.expression', /hour/],
    ['day 32', cron('0 0 0 32 * *'), 'trigger.expression', /day: 32$/],
    ['day 0', cron('0 0 0 0 * *'), 'trigger.expression', /day: 0$/],
    ['month 13', cron('0 0 0 * 13 *'), 'trigger.expression', /month: 13$/],
    ['weekday 8', cron('0 0 0 * * 8'), 'trigger.expression', /dayOfWeek/],
    ['reversed range', cron('0 0 5-1 * * *'), 'trigger.expression', /larger than/],
    ['30 February never comes', cron('0 0 0 30 2 *'), 'trigger.expression', /never fires/],
    ['unknown zone', cron('0 * * * * *', 'Mars/Olympus'), 'trigger.timezone', /unknown time zone 'Mars\/Olympus'.*IANA/],
    ['empty zone', cron('0 * * * * *', ''), 'trigger.timezone', /unknown time zone/],
    ['once at garbage', { type: 'once', at: 'next tuesday' }, 'trigger.at', /not a date/],
  ])('%s is refused on %s', (_name, trigger, field, message) => {
    const check = checkTrigger(trigger);
    expect(check).toMatchObject({ ok: false, field });
    expect(check.ok === false && check.message).toMatch(message);
  });
});

describe('nextFireAt — cron', () => {
  it.each<[string, Trigger, string, string]>([
    ['seconds field', cron('*/15 * * * * *'), '2024-01-01T12:00:07.500Z', '2024-01-01T12:00:15.000Z'],
    ['strictly after a fire', cron('*/15 * * * * *'), '2024-01-01T12:00:15.000Z', '2024-01-01T12:00:30.000Z'],
    ['1 ms before a fire', cron('*/15 * * * * *'), '2024-01-01T12:00:14.999Z', '2024-01-01T12:00:15.000Z'],
    ['Berlin winter = UTC+1', cron('0 0 9 * * *', 'Europe/Berlin'), '2024-01-15T00:00:00Z', '2024-01-15T08:00:00.000Z'],
    ['Berlin summer = UTC+2', cron('0 0 9 * * *', 'Europe/Berlin'), '2024-07-15T00:00:00Z', '2024-07-15T07:00:00.000Z'],
    // Weekdays 9:00 in New York: Friday before the US switch is EST (UTC−5), Monday after is EDT (UTC−4).
    ['New York Friday, EST', cron('0 0 9 * * 1-5', 'America/New_York'), '2024-03-08T12:00:00Z', '2024-03-08T14:00:00.000Z'],
    ['New York over the weekend DST change, EDT', cron('0 0 9 * * 1-5', 'America/New_York'), '2024-03-08T14:00:00Z', '2024-03-11T13:00:00.000Z'],
  ])('%s', (_name, trigger, after, next) => {
    expect(iso(nextFireAt(trigger, T(after), open))).toBe(next);
  });

  // Berlin springs forward on 2024-03-31: 02:00 CET → 03:00 CEST (01:00Z); 02:xx does not exist.
  it('Berlin spring forward: an interval job skips the missing hour', () => {
    expect(chain(cron('0 */30 * * * *', 'Europe/Berlin'), T('2024-03-31T00:00:00Z'), 3)).toEqual([
      '2024-03-31T00:30:00.000Z', // 01:30 CET
      '2024-03-31T01:00:00.000Z', // 03:00 CEST — 02:00 and 02:30 never happened
      '2024-03-31T01:30:00.000Z', // 03:30 CEST
    ]);
  });

  it('Berlin spring forward: a fixed-time job in the gap runs right after it, once', () => {
    expect(chain(cron('0 30 2 * * *', 'Europe/Berlin'), T('2024-03-30T12:00:00Z'), 2)).toEqual([
      '2024-03-31T01:00:00.000Z', // 03:00 CEST, the first valid time after the gap
      '2024-04-01T00:30:00.000Z', // back to 02:30 CEST
    ]);
  });

  // Berlin falls back on 2024-10-27: 03:00 CEST → 02:00 CET (01:00Z); 02:xx happens twice.
  it('Berlin fall back: an interval job runs on both occurrences of the repeated hour', () => {
    expect(chain(cron('0 */30 * * * *', 'Europe/Berlin'), T('2024-10-26T23:45:00Z'), 5)).toEqual([
      '2024-10-27T00:00:00.000Z', // 02:00 CEST
      '2024-10-27T00:30:00.000Z', // 02:30 CEST
      '2024-10-27T01:00:00.000Z', // 02:00 CET
      '2024-10-27T01:30:00.000Z', // 02:30 CET
      '2024-10-27T02:00:00.000Z', // 03:00 CET
    ]);
  });

  it('Berlin fall back: a fixed-time job in the repeated hour runs once, at the first occurrence', () => {
    expect(chain(cron('0 30 2 * * *', 'Europe/Berlin'), T('2024-10-26T12:00:00Z'), 2)).toEqual([
      '2024-10-27T00:30:00.000Z', // 02:30 CEST
      '2024-10-28T01:30:00.000Z', // next day 02:30 CET — not 2024-10-27T01:30Z
    ]);
  });

  it('New York fall back: 01:30 runs once, in EDT', () => {
    expect(chain(cron('0 30 1 * * *', 'America/New_York'), T('2024-11-02T12:00:00Z'), 2)).toEqual([
      '2024-11-03T05:30:00.000Z', // 01:30 EDT
      '2024-11-04T06:30:00.000Z', // 01:30 EST
    ]);
  });
});

describe('nextFireAt — windows', () => {
  const every10s = cron('*/10 * * * * *');
  it.each<[string, string, FireWindow, string | null]>([
    ['before startAt → first fire at/after startAt', '2024-01-01T00:00:00Z', { startAt: T('2024-01-01T01:00:05Z'), endAt: null }, '2024-01-01T01:00:10.000Z'],
    ['a fire exactly at startAt counts', '2024-01-01T00:00:00Z', { startAt: T('2024-01-01T01:00:00Z'), endAt: null }, '2024-01-01T01:00:00.000Z'],
    ['after startAt → unaffected', '2024-01-01T02:00:00Z', { startAt: T('2024-01-01T01:00:00Z'), endAt: null }, '2024-01-01T02:00:10.000Z'],
    ['a fire exactly at endAt counts', '2024-01-01T00:59:55Z', { startAt: null, endAt: T('2024-01-01T01:00:00Z') }, '2024-01-01T01:00:00.000Z'],
    ['next fire past endAt → null', '2024-01-01T01:00:00Z', { startAt: null, endAt: T('2024-01-01T01:00:05Z') }, null],
    ['after endAt → null', '2024-01-02T00:00:00Z', { startAt: null, endAt: T('2024-01-01T00:00:00Z') }, null],
    ['empty window → null', '2024-01-01T00:00:00Z', { startAt: T('2024-01-01T01:00:01Z'), endAt: T('2024-01-01T01:00:09Z') }, null],
  ])('%s', (_name, after, window, next) => {
    expect(iso(nextFireAt(every10s, T(after), window))).toBe(next);
  });
});

describe('nextFireAt — once, fixed rate, and the untimed triggers', () => {
  const at = '2030-01-01T00:00:00.000Z';
  const once: Trigger = { type: 'once', at };
  it.each<[string, number, FireWindow, number | null]>([
    ['before at', T(at) - 1, open, T(at)],
    ['exactly at → already fired', T(at), open, null],
    ['after at', T(at) + 1, open, null],
    ['at before the window', 0, { startAt: T(at) + 1, endAt: null }, null],
    ['at after the window', 0, { startAt: null, endAt: T(at) - 1 }, null],
  ])('once %s', (_name, after, window, next) => {
    expect(nextFireAt(once, after, window)).toBe(next);
  });

  const rate: Trigger = { type: 'fixed_rate', intervalMs: 300 };
  it.each<[string, number, FireWindow, { anchorMs?: number }, number]>([
    ['first fire one interval after the anchor', 1_000, open, { anchorMs: 1_000 }, 1_300],
    ['before the anchor', 0, open, { anchorMs: 1_000 }, 1_300],
    ['just before a multiple', 1_299, open, { anchorMs: 1_000 }, 1_300],
    ['strictly after a multiple', 1_300, open, { anchorMs: 1_000 }, 1_600],
    ['far later: still on the anchor grid', 1_000 + 300 * 1e6 + 7, open, { anchorMs: 1_000 }, 1_000 + 300 * (1e6 + 1)],
    ['startAt lands between multiples', 0, { startAt: 1_450, endAt: null }, { anchorMs: 1_000 }, 1_600],
    ['no anchor: startAt anchors', 0, { startAt: 1_450, endAt: null }, {}, 1_750],
    ['no anchor, no startAt: epoch grid', 1_000, open, {}, 1_200],
  ])('fixed_rate %s', (_name, after, window, opts, next) => {
    expect(nextFireAt(rate, after, window, opts)).toBe(next);
  });

  it('fixed_rate does not drift when every fire is handled late', () => {
    // The scheduler asks for the next fire from when it handled the previous one, 37 ms late each time.
    let handledAt = 1_000;
    const fires: number[] = [];
    for (let i = 0; i < 1_000; i++) {
      const next = nextFireAt(rate, handledAt, open, { anchorMs: 1_000 })!;
      fires.push(next);
      handledAt = next + 37;
    }
    expect(fires.at(-1)).toBe(1_000 + 300 * 1_000);
    expect(fires.every((t) => (t - 1_000) % 300 === 0)).toBe(true);
  });

  it('fixed_rate respects endAt', () => {
    expect(nextFireAt(rate, 1_300, { startAt: null, endAt: 1_599 }, { anchorMs: 1_000 })).toBeNull();
  });

  it.each<Trigger>([
    { type: 'api' },
    { type: 'parent', parents: ['p'], on: 'always', join: 'all_succeeded' },
    { type: 'fixed_delay', delayMs: 500 },
  ])('%o never fires on time', (trigger) => {
    expect(nextFireAt(trigger, 0, open)).toBeNull();
    expect(firesBetween(trigger, 0, 1e9, 100)).toEqual({ fires: [], truncated: false });
  });

  it('fixed_delay counts from the end of the previous run', () => {
    expect(fixedDelayNext(10_000, 2_500)).toBe(12_500);
    expect(fixedDelayNext(10_000, 0)).toBe(10_000);
  });
});

describe('firesBetween — (from, to], latest `limit` kept', () => {
  const every10s = cron('*/10 * * * * *');
  const t0 = T('2024-01-01T00:00:00Z');
  it.each<[string, Trigger, number, number, number, object, number[], boolean]>([
    ['excludes from, includes to', every10s, t0, t0 + 60_000, 100, {}, [10, 20, 30, 40, 50, 60], false],
    ['keeps the latest when capped', every10s, t0, t0 + 60_000, 3, {}, [40, 50, 60], true],
    ['exactly limit fires is not truncated', every10s, t0, t0 + 30_000, 3, {}, [10, 20, 30], false],
    ['limit 0', every10s, t0, t0 + 30_000, 0, {}, [], true],
    ['empty range', every10s, t0 + 30_000, t0 + 30_000, 10, {}, [], false],
    ['window cuts both ends', every10s, t0, t0 + 60_000, 100, { window: { startAt: t0 + 20_000, endAt: t0 + 45_000 } }, [20, 30, 40], false],
    ['window outside range', every10s, t0, t0 + 60_000, 100, { window: { startAt: t0 + 120_000, endAt: null } }, [], false],
    ['fixed_rate', { type: 'fixed_rate', intervalMs: 15_000 }, t0, t0 + 60_000, 100, { anchorMs: t0 }, [15, 30, 45, 60], false],
    ['fixed_rate capped', { type: 'fixed_rate', intervalMs: 15_000 }, t0, t0 + 60_000, 2, { anchorMs: t0 }, [45, 60], true],
    ['fixed_rate before its anchor', { type: 'fixed_rate', intervalMs: 15_000 }, t0, t0 + 60_000, 100, { anchorMs: t0 + 30_000 }, [45, 60], false],
    ['once inside', { type: 'once', at: new Date(t0 + 5_000).toISOString() }, t0, t0 + 60_000, 100, {}, [5], false],
    ['once at from (exclusive)', { type: 'once', at: new Date(t0).toISOString() }, t0, t0 + 60_000, 100, {}, [], false],
  ])('%s', (_name, trigger, from, to, limit, opts, seconds, truncated) => {
    expect(firesBetween(trigger, from, to, limit, opts)).toEqual({ fires: seconds.map((sec) => t0 + sec * 1_000), truncated });
  });

  it('a year-long outage of a per-second cron stays cheap', () => {
    const started = performance.now();
    const r = firesBetween(cron('* * * * * *'), t0, t0 + 365 * 86_400_000, 5);
    expect(r.truncated).toBe(true);
    expect(r.fires).toEqual([4, 3, 2, 1, 0].map((k) => t0 + 365 * 86_400_000 - k * 1_000));
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('Berlin fall back: both 02:xx occurrences are enumerated', () => {
    const r = firesBetween(cron('0 */30 * * * *', 'Europe/Berlin'), T('2024-10-26T23:45:00Z'), T('2024-10-27T02:15:00Z'), 100);
    expect(r.fires.map(iso)).toEqual([
      '2024-10-27T00:00:00.000Z', '2024-10-27T00:30:00.000Z', '2024-10-27T01:00:00.000Z',
      '2024-10-27T01:30:00.000Z', '2024-10-27T02:00:00.000Z',
    ]);
  });

  it('agrees with chained nextFireAt across the Berlin spring gap', () => {
    const trigger = cron('0 */20 * * * *', 'Europe/Berlin');
    const from = T('2024-03-30T22:00:00Z');
    const to = T('2024-03-31T04:00:00Z');
    const chained: number[] = [];
    for (let t = nextFireAt(trigger, from, open); t !== null && t <= to; t = nextFireAt(trigger, t, open)) chained.push(t);
    expect(firesBetween(trigger, from, to, 1_000).fires).toEqual(chained);
  });
});
