// Issue 10, the alerts about scheduling itself, the pure parts: which fires a misfire policy skipped, the alert that
// tells them, and queue_wait raised while a run still waits (which rules hear it, and what the message shows).
import { describe, expect, it } from 'vitest';
import type { AlertRule } from '../../src-main/master/api/contract/alerts';
import type { Misfire } from '../../src-main/master/api/contract/domain';
import { outgoing } from '../../src-main/master/alerts/formats';
import { groupAlerts } from '../../src-main/master/alerts/grouping';
import { matchChannels, skippedEvent, waitingEvent, type WaitingRun } from '../../src-main/master/alerts/rules';
import { planDueFires, skippedFires } from '../../src-main/master/scheduler/misfire';

const NOW = 100_000;
const m = (policy: Misfire['policy'], maxCatchUp = 10, thresholdMs = 5_000): Misfire => ({ policy, thresholdMs, maxCatchUp });
// 80k, 90k and 94k are late (more than 5 000 ms before NOW); 95k is on time.
const DUE = [80_000, 90_000, 94_000, 95_000, 100_000];

describe('skippedFires', () => {
  it.each<[string, Misfire, ReturnType<typeof skippedFires>]>([
    ['ignore skips every late fire', m('ignore'), { count: 3, atLeast: false, firstAt: 80_000, lastAt: 94_000 }],
    ['fire_once skips all but the latest late fire', m('fire_once'), { count: 2, atLeast: false, firstAt: 80_000, lastAt: 90_000 }],
    ['catch_up skips the oldest beyond maxCatchUp', m('catch_up', 1), { count: 2, atLeast: false, firstAt: 80_000, lastAt: 90_000 }],
    ['catch_up under its cap skips nothing', m('catch_up', 3), null],
  ])('%s', (_name, misfire, expected) => {
    expect(skippedFires(DUE, NOW, misfire, false)).toEqual(expected);
  });

  it('counts exactly what planDueFires drops', () => {
    for (const misfire of [m('ignore'), m('fire_once'), m('catch_up', 1), m('catch_up', 2), m('catch_up', 9)]) {
      expect(skippedFires(DUE, NOW, misfire, false)?.count ?? 0).toBe(planDueFires(DUE, NOW, misfire).missed);
    }
  });

  it('says "at least" when the enumeration was cut, and skips nothing when nothing is late', () => {
    expect(skippedFires([10_000, 94_000, 90_000, 99_000], NOW, m('ignore'), true)).toEqual({ count: 3, atLeast: true, firstAt: 10_000, lastAt: 94_000 });
    expect(skippedFires([96_000, 100_000], NOW, m('ignore'), false)).toBeNull();
    expect(skippedFires([], NOW, m('ignore'), false)).toBeNull();
  });
});

const task = { id: 'tsk_1', name: 'hourly-sync', groupId: 'grp_1', misfire: m('fire_once') };
const rule = (over: Partial<AlertRule> = {}): AlertRule => ({
  id: 'alr_1', scope: { type: 'all' }, on: ['misfired'], attempts: 'final', queueWaitMs: 60_000, channels: ['ops'], enabled: true,
  createdAt: '', updatedAt: '', ...over,
});
const iso = (ms: number) => new Date(ms).toISOString();

describe('skippedEvent', () => {
  const T = Date.parse('2030-01-01T02:00:00.000Z');
  const event = skippedEvent(task, { count: 4, atLeast: false, firstAt: T, lastAt: T + 3_000 }, T + 10_000);

  it('names the task, how many fires were skipped and the first and last planned time', () => {
    expect(event).toMatchObject({
      reason: 'misfired', subject: 'tsk_1', taskId: 'tsk_1', taskName: 'hourly-sync', groupId: 'grp_1', at: iso(T + 10_000), runId: null,
      skipped: { count: 4, atLeast: false, firstAt: iso(T), lastAt: iso(T + 3_000) },
      summary: `Task hourly-sync skipped 4 fires planned from ${iso(T)} to ${iso(T + 3_000)} (misfire policy fire_once)`,
    });
    expect(skippedEvent(task, { count: 1, atLeast: false, firstAt: T, lastAt: T }, T).summary).toBe(`Task hourly-sync skipped 1 fire planned at ${iso(T)} (misfire policy fire_once)`);
    expect(skippedEvent(task, { count: 1, atLeast: true, firstAt: T, lastAt: T + 1 }, T).summary).toMatch(/^Task hourly-sync skipped at least 1 fires/);
  });

  it('is heard by misfired rules of all, the group or the task, and by no other', () => {
    expect(matchChannels([rule()], event)).toEqual(['ops']);
    expect(matchChannels([rule({ scope: { type: 'group', groupId: 'grp_1' } })], event)).toEqual(['ops']);
    expect(matchChannels([rule({ scope: { type: 'task', taskId: 'tsk_1' } })], event)).toEqual(['ops']);
    expect(matchChannels([rule({ scope: { type: 'task', taskId: 'tsk_2' } }), rule({ on: ['run_failed'] }), rule({ enabled: false })], event)).toEqual([]);
  });

  it('shows the skipped fires in the message', () => {
    const [message] = groupAlerts([{ id: '1', event }], 0, T + 10_000).ready;
    const mail = outgoing({ kind: 'email', to: ['ops@example.com'], url: '', secret: null, template: null }, message!, null, T);
    expect(mail).toMatchObject({ subject: `[Baton] ${event.summary}` });
    expect(mail.kind === 'email' && mail.text).toContain(`Skipped: 4 fires, ${iso(T)} to ${iso(T + 3_000)}`);
  });
});

describe('waitingEvent', () => {
  const T = Date.parse('2030-01-01T02:00:00.000Z');
  const run: WaitingRun = { id: 'run_9', taskId: 'tsk_1', taskName: 'hourly-sync', groupId: 'grp_1', rootRunId: 'run_9', attempt: 1, traceId: 'tr', queuedAt: iso(T) };

  it('tells how long the run has waited so far, and that it still waits', () => {
    expect(waitingEvent(run, T + 61_400)).toMatchObject({
      reason: 'queue_wait', subject: 'tsk_1', runId: 'run_9', state: 'queued', waitedMs: 61_400, at: iso(T + 61_400),
      summary: 'Run of task hourly-sync has waited 61 s for a worker and still waits',
    });
  });

  it('is heard only by rules whose limit the wait has passed', () => {
    const rules = [rule({ on: ['queue_wait'], queueWaitMs: 60_000, channels: ['soon'] }), rule({ on: ['queue_wait'], queueWaitMs: 600_000, channels: ['late'] })];
    expect(matchChannels(rules, waitingEvent(run, T + 59_999))).toEqual([]);
    expect(matchChannels(rules, waitingEvent(run, T + 60_000))).toEqual(['soon']);
    expect(matchChannels(rules, waitingEvent(run, T + 600_000)).sort()).toEqual(['late', 'soon']);
  });

  it('a clock behind the queue time reads as no wait, never a negative one', () => {
    expect(waitingEvent(run, T - 5_000).waitedMs).toBe(0);
  });
});
