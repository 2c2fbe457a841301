// The trigger preview (issue 8) across DST: the fires it lists are the planner's own, written in the cron's zone.
import { describe, expect, it } from 'vitest';
import type { Trigger } from '../../../src-main/master/api/contract/domain';
import { isoInZone, previewFires } from '../../../src-main/master/scheduler/preview';
import { nextFireAt, type FireWindow } from '../../../src-main/master/scheduler/triggers';

const T = (iso: string) => Date.parse(iso);
const open: FireWindow = { startAt: null, endAt: null };
const cron = (expression: string, timezone: string): Trigger => ({ type: 'cron', expression, timezone });

/** The preview written in `zone`, as triggers.preview answers it. */
function preview(trigger: Trigger, now: string, count: number, zone: string, window = open): { fires: string[]; note: string | null } {
  const result = previewFires({ trigger, window, count, nowMs: T(now) });
  return { fires: result.fires.map((ms) => isoInZone(ms, zone)), note: result.note };
}

describe('isoInZone', () => {
  it.each([
    ['2026-03-08T07:00:00Z', 'America/New_York', '2026-03-08T03:00:00-04:00'],
    ['2026-03-08T06:59:59Z', 'America/New_York', '2026-03-08T01:59:59-05:00'],
    ['2026-01-01T00:00:00Z', 'UTC', '2026-01-01T00:00:00+00:00'],
    ['2026-10-03T15:30:00Z', 'Australia/Lord_Howe', '2026-10-04T02:30:00+11:00'],
    ['2026-07-01T12:00:00.250Z', 'Asia/Kolkata', '2026-07-01T17:30:00.250+05:30'],
    ['2026-07-01T00:00:00Z', 'Europe/London', '2026-07-01T01:00:00+01:00'],
  ])('%s in %s is %s', (at, zone, written) => {
    expect(isoInZone(T(at), zone)).toBe(written);
    expect(Date.parse(written)).toBe(T(at)); // the same instant, read back
  });
});

describe('previewFires across DST', () => {
  it('New York spring forward: 02:30 does not exist on 8 March, so that day fires once at 03:00 EDT, the end of the gap', () => {
    expect(preview(cron('0 30 2 * * *', 'America/New_York'), '2026-03-06T12:00:00Z', 4, 'America/New_York').fires).toEqual([
      '2026-03-07T02:30:00-05:00',
      '2026-03-08T03:00:00-04:00',
      '2026-03-09T02:30:00-04:00',
      '2026-03-10T02:30:00-04:00',
    ]);
  });

  it('New York fall back: 01:30 happens twice on 1 November and a daily 01:30 fires once, at the first (EDT)', () => {
    expect(preview(cron('0 30 1 * * *', 'America/New_York'), '2026-10-31T12:00:00Z', 3, 'America/New_York').fires).toEqual([
      '2026-11-01T01:30:00-04:00',
      '2026-11-02T01:30:00-05:00',
      '2026-11-03T01:30:00-05:00',
    ]);
  });

  it('New York fall back: a cron with a stepped hour fires in both passes of the repeated hour (every real half hour)', () => {
    expect(preview(cron('0 */30 * * * *', 'America/New_York'), '2026-11-01T04:45:00Z', 6, 'America/New_York').fires).toEqual([
      '2026-11-01T01:00:00-04:00',
      '2026-11-01T01:30:00-04:00',
      '2026-11-01T01:00:00-05:00',
      '2026-11-01T01:30:00-05:00',
      '2026-11-01T02:00:00-05:00',
      '2026-11-01T02:30:00-05:00',
    ]);
  });

  it('Berlin: the skipped 02:30 moves to 03:00 CEST, the repeated one fires once in CEST', () => {
    expect(preview(cron('0 30 2 * * *', 'Europe/Berlin'), '2026-03-28T12:00:00Z', 2, 'Europe/Berlin').fires)
      .toEqual(['2026-03-29T03:00:00+02:00', '2026-03-30T02:30:00+02:00']);
    expect(preview(cron('0 30 2 * * *', 'Europe/Berlin'), '2026-10-24T12:00:00Z', 2, 'Europe/Berlin').fires)
      .toEqual(['2026-10-25T02:30:00+02:00', '2026-10-26T02:30:00+01:00']);
  });

  it('Lord Howe shifts by half an hour: 02:15 does not exist on 4 October (02:00 → 02:30) and fires at 02:30 +11:00', () => {
    expect(preview(cron('0 15 2 * * *', 'Australia/Lord_Howe'), '2026-10-02T12:00:00Z', 3, 'Australia/Lord_Howe').fires).toEqual([
      '2026-10-03T02:15:00+10:30',
      '2026-10-04T02:30:00+11:00',
      '2026-10-05T02:15:00+11:00',
    ]);
  });

  it('Lord Howe fall back: 01:45 happens twice on 5 April and fires once, in the first pass (+11:00)', () => {
    expect(preview(cron('0 45 1 * * *', 'Australia/Lord_Howe'), '2026-04-03T12:00:00Z', 2, 'Australia/Lord_Howe').fires)
      .toEqual(['2026-04-04T01:45:00+11:00', '2026-04-05T01:45:00+11:00']);
  });

  it('matches the planner: each fire is nextFireAt of the one before, as planner.followingFire chains them', () => {
    const trigger = cron('0 */30 * * * *', 'America/New_York');
    const { fires } = previewFires({ trigger, window: open, count: 10, nowMs: T('2026-11-01T04:00:00Z') });
    fires.slice(1).forEach((fire, i) => expect(fire).toBe(nextFireAt(trigger, fires[i]!, open, { anchorMs: fires[i]! })));
  });
});

describe('previewFires — every kind of trigger', () => {
  it('an every-second cron lists 50 consecutive whole seconds', () => {
    const { fires } = previewFires({ trigger: cron('* * * * * *', 'UTC'), window: open, count: 50, nowMs: T('2026-01-01T00:00:00.500Z') });
    expect(fires).toHaveLength(50);
    expect(fires[0]).toBe(T('2026-01-01T00:00:01Z'));
    expect(fires.every((t, i) => i === 0 || t - fires[i - 1]! === 1_000)).toBe(true);
  });

  it('a one-shot in the past lists nothing and says it never fires', () => {
    const result = previewFires({ trigger: { type: 'once', at: '2020-01-01T00:00:00Z' }, window: open, count: 5, nowMs: T('2026-01-01T00:00:00Z') });
    expect(result).toEqual({ fires: [], note: '2020-01-01T00:00:00Z has passed: a one-shot in the past never fires' });
  });

  it('a one-shot ahead fires once, and no more', () => {
    const result = previewFires({ trigger: { type: 'once', at: '2030-01-01T09:00:00+01:00' }, window: open, count: 5, nowMs: T('2026-01-01T00:00:00Z') });
    expect(result.fires).toEqual([T('2030-01-01T08:00:00Z')]);
  });

  it('a fixed rate counts from its start when it has one, as storing it would', () => {
    const window = { startAt: T('2026-06-01T09:00:00Z'), endAt: null };
    const { fires } = previewFires({ trigger: { type: 'fixed_rate', intervalMs: 3_600_000 }, window, count: 3, nowMs: T('2026-01-01T00:00:00Z') });
    expect(fires.map((t) => new Date(t).toISOString())).toEqual(['2026-06-01T09:00:00.000Z', '2026-06-01T10:00:00.000Z', '2026-06-01T11:00:00.000Z']);
  });

  it('the end of the window cuts the list short and says so', () => {
    const window = { startAt: null, endAt: T('2026-01-01T00:00:03Z') };
    const result = previewFires({ trigger: cron('* * * * * *', 'UTC'), window, count: 10, nowMs: T('2026-01-01T00:00:00Z') });
    expect(result.fires).toHaveLength(3);
    expect(result.note).toBe('no fire after the end, 2026-01-01T00:00:03.000Z');
  });

  it('a window that has ended lists nothing', () => {
    const window = { startAt: null, endAt: T('2025-01-01T00:00:00Z') };
    expect(previewFires({ trigger: cron('* * * * * *', 'UTC'), window, count: 5, nowMs: T('2026-01-01T00:00:00Z') }).note)
      .toBe('the end, 2025-01-01T00:00:00.000Z, has passed: it never fires again');
  });

  it('a fixed delay shows its first fire and says the rest follow each run', () => {
    const result = previewFires({ trigger: { type: 'fixed_delay', delayMs: 60_000 }, window: open, count: 5, nowMs: T('2026-01-01T00:00:00Z') });
    expect(result).toEqual({ fires: [T('2026-01-01T00:01:00Z')], note: 'then 60000 ms after each run ends' });
  });

  it('api and parent triggers never fire on time, and say what does fire them', () => {
    expect(previewFires({ trigger: { type: 'api' }, window: open, count: 5, nowMs: 0 })).toEqual({ fires: [], note: 'fires only when triggered: Run now or the tasks.trigger API' });
    expect(previewFires({ trigger: { type: 'parent', parents: ['t1'], on: 'failure', join: 'all_succeeded' }, window: open, count: 5, nowMs: 0 }).note).toBe('fires when a parent task ends (in failure)');
  });

  it('a stored task continues from its stored next fire, as the planner will', () => {
    const trigger: Trigger = { type: 'fixed_rate', intervalMs: 10_000 };
    const { fires } = previewFires({ trigger, window: open, count: 3, nowMs: T('2026-01-01T00:00:00Z'), storedNext: T('2026-01-01T00:00:07Z') });
    expect(fires).toEqual([T('2026-01-01T00:00:07Z'), T('2026-01-01T00:00:17Z'), T('2026-01-01T00:00:27Z')]);
  });
});
