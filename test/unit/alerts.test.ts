// Alerts, the pure parts: which events an attempt raises, which rules hear them, how a storm becomes one message,
// when a failing channel is tried again, each vendor's body and signature, and where webhooks may go.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AlertChannelInput, AlertRuleInput, AlertSettingsPatch, type AlertRule } from '../../src-main/master/api/contract/alerts';
import type { Run } from '../../src-main/master/api/contract/domain';
import { checkDestination, internalAs } from '../../src-main/master/alerts/destination';
import { dingTalkSign, feishuSignature, fill, outgoing, refusalOf, type ChannelSpec } from '../../src-main/master/alerts/formats';
import { groupAlerts, type AlertMessage, type PendingAlert } from '../../src-main/master/alerts/grouping';
import { nextRetryAt } from '../../src-main/master/alerts/retry-schedule';
import {
  channelFailingEvent, matchChannels, outputTail, OUTPUT_TAIL_CHARS, OUTPUT_TAIL_LINES, presenceChanges, runEvents, summaryOf, taskChannels,
  workerEvent, type AlertEvent,
} from '../../src-main/master/alerts/rules';
import { parseAllowList } from 'baton-agent/outbound';

const run: Run = {
  id: 'run_3', taskId: 'tsk_1', taskName: 'nightly-report', rootRunId: 'run_1', attempt: 3, trigger: 'retry',
  parentRunId: null, workerId: 'wkr_1', workerName: 'edge-1', shardIndex: 0, shardTotal: 1, traceId: 'trace-1',
  state: 'failed', plannedAt: '2030-01-01T02:00:00.000Z', queuedAt: '2030-01-01T02:00:00.000Z', assignedAt: '2030-01-01T02:00:00.500Z',
  startedAt: '2030-01-01T02:00:01.000Z', finishedAt: '2030-01-01T02:00:03.000Z', exitCode: 2,
  output: 'starting\nreport failed\n', error: 'Exited with code 2', reason: null, late: null,
};
const T0 = Date.parse('2030-01-01T02:00:00.000Z');

const rule = (over: Partial<AlertRule> = {}): AlertRule => ({
  id: 'alr_1', scope: { type: 'all' }, on: ['run_failed'], attempts: 'final', queueWaitMs: 60_000, channels: ['ops'], enabled: true,
  createdAt: '', updatedAt: '', ...over,
});
const failed = (final = true) => runEvents(run, 'grp_1', final).find((e) => e.reason === 'run_failed')!;

describe('runEvents', () => {
  it.each([
    ['failed', 'run_failed'], ['timed_out', 'run_timed_out'], ['lost', 'run_lost'], ['succeeded', 'run_succeeded'],
    ['cancelled', null], ['skipped', null],
  ] as const)('a run that ended %s raises %s', (state, reason) => {
    const reasons = runEvents({ ...run, state }, 'grp_1', true).map((e) => e.reason).filter((r) => r.startsWith('run_'));
    expect(reasons).toEqual(reason ? [reason] : []);
  });

  it('names the task, run, worker, reason and the last lines of output', () => {
    expect(failed()).toMatchObject({
      reason: 'run_failed', subject: 'tsk_1', taskName: 'nightly-report', groupId: 'grp_1', runId: 'run_3', attempt: 3,
      workerName: 'edge-1', exitCode: 2, outputTail: 'starting\nreport failed', at: run.finishedAt,
      summary: 'Task nightly-report failed on worker edge-1 after 3 attempts: exit code 2',
    });
  });

  it('raises misfired for a caught-up fire, and queue_wait with how long the run waited', () => {
    const events = runEvents({ ...run, trigger: 'misfire', state: 'succeeded', assignedAt: '2030-01-01T02:01:30.000Z' }, 'grp_1', true);
    expect(events.map((e) => e.reason)).toEqual(['run_succeeded', 'misfired', 'queue_wait']);
    expect(events[2]!.waitedMs).toBe(90_000);
    // Never taken by a worker: it waited until it ended.
    expect(runEvents({ ...run, assignedAt: null }, 'grp_1', true).find((e) => e.reason === 'queue_wait')!.waitedMs).toBe(3_000);
    expect(runEvents({ ...run, queuedAt: null }, 'grp_1', true).map((e) => e.reason)).toEqual(['run_failed']);
  });
});

describe('matchChannels', () => {
  it('matches by reason and scope: all, the group, the task', () => {
    const event = failed();
    expect(matchChannels([rule()], event)).toEqual(['ops']);
    expect(matchChannels([rule({ on: ['run_lost'] })], event)).toEqual([]);
    expect(matchChannels([rule({ scope: { type: 'group', groupId: 'grp_1' } })], event)).toEqual(['ops']);
    expect(matchChannels([rule({ scope: { type: 'group', groupId: 'grp_2' } })], event)).toEqual([]);
    expect(matchChannels([rule({ scope: { type: 'task', taskId: 'tsk_1' } })], event)).toEqual(['ops']);
    expect(matchChannels([rule({ scope: { type: 'task', taskId: 'tsk_2' } })], event)).toEqual([]);
    expect(matchChannels([rule({ enabled: false })], event)).toEqual([]);
  });

  it('alerts on the final attempt only, unless the rule asks for every attempt', () => {
    expect(matchChannels([rule()], failed(false))).toEqual([]);
    expect(matchChannels([rule({ attempts: 'every' })], failed(false))).toEqual(['ops']);
    expect(matchChannels([rule({ attempts: 'every' })], failed(true))).toEqual(['ops']);
  });

  it('names each channel once, however many rules name it', () => {
    expect(matchChannels([rule({ channels: ['ops', 'chat'] }), rule({ channels: ['chat'] })], failed())).toEqual(['ops', 'chat']);
  });

  it('alerts on queue waits longer than the rule allows', () => {
    const waited = (ms: number) => ({ ...failed(), reason: 'queue_wait' as const, waitedMs: ms });
    expect(matchChannels([rule({ on: ['queue_wait'], queueWaitMs: 60_000 })], waited(59_999))).toEqual([]);
    expect(matchChannels([rule({ on: ['queue_wait'], queueWaitMs: 60_000 })], waited(60_000))).toEqual(['ops']);
  });

  it('never tells a failing channel about itself', () => {
    const event = channelFailingEvent({ id: 'alc_1', name: 'ops' }, 'answered 500', T0);
    expect(matchChannels([rule({ on: ['channel_failing'], channels: ['ops', 'chat'] })], event)).toEqual(['chat']);
  });

  it('sends worker events to rules for all or for the worker\'s group', () => {
    const event = workerEvent({ id: 'wkr_1', name: 'edge-1', groupId: 'grp_1', host: 'edge-1.local' }, 'worker_offline', T0);
    expect(event.summary).toBe('Worker edge-1 (edge-1.local) went offline');
    expect(matchChannels([rule({ on: ['worker_offline'] })], event)).toEqual(['ops']);
    expect(matchChannels([rule({ on: ['worker_offline'], scope: { type: 'group', groupId: 'grp_1' } })], event)).toEqual(['ops']);
    expect(matchChannels([rule({ on: ['worker_offline'], scope: { type: 'group', groupId: 'grp_2' } })], event)).toEqual([]);
  });
});

describe('taskChannels (a task\'s own email and webhook settings)', () => {
  const settings = { on: ['failed' as const], email: ['ops@example.com'], webhook: 'https://hooks.example.com/x' };
  it('keep alerting on the final attempt of the states they name', () => {
    expect(taskChannels('tsk_1', settings, failed())).toEqual([
      { kind: 'email', name: 'task-tsk_1-email', to: ['ops@example.com'] },
      { kind: 'webhook', name: 'task-tsk_1-webhook', url: 'https://hooks.example.com/x' },
    ]);
    expect(taskChannels('tsk_1', settings, failed(false))).toEqual([]);
    expect(taskChannels('tsk_1', { ...settings, on: ['lost'] }, failed())).toEqual([]);
    expect(taskChannels('tsk_1', { on: [], email: [], webhook: null }, failed())).toEqual([]);
  });
});

describe('presenceChanges', () => {
  it('reports workers crossing offline and back, after a first look that only sets the baseline', () => {
    const first = [{ id: 'a', status: 'online' as const }, { id: 'b', status: 'offline' as const }];
    expect(presenceChanges(null, first)).toEqual([]);
    const before = new Map([['a', true], ['b', false]]);
    expect(presenceChanges(before, [{ id: 'a', status: 'offline' }, { id: 'b', status: 'draining' }, { id: 'c', status: 'offline' }])).toEqual([
      { id: 'a', reason: 'worker_offline' }, { id: 'b', reason: 'worker_online' },
    ]);
  });
});

/** `count` failures of one task, `everyMs` apart from T0. */
function storm(count: number, everyMs: number, over: Partial<AlertEvent> = {}): PendingAlert[] {
  return Array.from({ length: count }, (_, i) => ({ id: String(i + 1), event: { ...failed(), at: new Date(T0 + i * everyMs).toISOString(), ...over } }));
}

describe('groupAlerts', () => {
  it('turns 20 failures in a minute into one message with count 20, and the first and last time', () => {
    const pending = storm(20, 3_000);
    const { ready, gathering } = groupAlerts(pending, 300_000, T0 + 300_000);
    expect(gathering).toBe(0);
    expect(ready).toHaveLength(1);
    expect(ready[0]).toMatchObject({ count: 20, reason: 'run_failed', subject: 'tsk_1', firstAt: '2030-01-01T02:00:00.000Z', lastAt: '2030-01-01T02:00:57.000Z' });
    expect(ready[0]!.ids).toEqual(pending.map((p) => p.id));
  });

  it('holds a message while its window is open', () => {
    expect(groupAlerts(storm(20, 3_000), 300_000, T0 + 299_999)).toEqual({ ready: [], gathering: 1 });
  });

  it('starts a new message after the window, and keeps tasks and reasons apart', () => {
    const pending = [
      ...storm(3, 100_000), // 0 s, 100 s, 200 s: two windows of 150 s
      ...storm(2, 1_000, { subject: 'tsk_2', taskId: 'tsk_2' }).map((p) => ({ ...p, id: `b${p.id}` })),
      ...storm(1, 0, { reason: 'run_lost' }).map((p) => ({ ...p, id: 'c1' })),
    ];
    const { ready, gathering } = groupAlerts(pending, 150_000, T0 + 1_000_000);
    expect(gathering).toBe(0);
    expect(ready.map((m) => [m.subject, m.reason, m.count])).toEqual([
      ['tsk_1', 'run_failed', 2], ['tsk_2', 'run_failed', 2], ['tsk_1', 'run_lost', 1], ['tsk_1', 'run_failed', 1],
    ]);
  });

  it('sends each alert at once with a window of 0', () => {
    expect(groupAlerts(storm(3, 0), 0, T0).ready.map((m) => m.count)).toEqual([1, 1, 1]);
  });
});

describe('nextRetryAt', () => {
  it('doubles from the first delay up to the ceiling', () => {
    const schedule = { firstDelayMs: 1_000, maxDelayMs: 10_000 };
    expect([1, 2, 3, 4, 5, 50].map((n) => nextRetryAt(n, T0, schedule) - T0)).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });
});

const message = (count = 1): AlertMessage => {
  const event = failed();
  return { reason: 'run_failed', subject: 'tsk_1', count, firstAt: '2030-01-01T02:00:00.000Z', lastAt: event.at, first: event, last: event, ids: [] };
};
const spec = (over: Partial<ChannelSpec>): ChannelSpec => ({ kind: 'webhook', to: [], url: 'https://hooks.example.com/x?token=t', secret: null, template: null, ...over });
const body = (out: ReturnType<typeof outgoing>) => (out.kind === 'http' ? JSON.parse(out.body) as Record<string, any> : null)!;
const CONSOLE = 'https://baton.example.com/';
const NOW = T0 + 10_000;

describe('outgoing', () => {
  it('email: a subject naming the task and a body with every fact, the count and the link', () => {
    const out = outgoing(spec({ kind: 'email', to: ['ops@example.com'] }), message(20), CONSOLE, NOW);
    expect(out).toMatchObject({ kind: 'email', to: ['ops@example.com'], subject: '[Baton] Task nightly-report failed on worker edge-1 after 3 attempts: exit code 2' });
    const text = out.kind === 'email' ? out.text : '';
    for (const line of ['20 times between 2030-01-01T02:00:00.000Z and 2030-01-01T02:00:03.000Z', 'Task:      nightly-report', 'Run:       run_3 (attempt 3)',
      'Worker:    edge-1', 'Exit code: 2', 'Open:      https://baton.example.com/#/runs/run_3', 'Output (last lines):\nstarting\nreport failed']) {
      expect(text).toContain(line);
    }
  });

  it('generic webhook: signed over timestamp and body when a secret is set', () => {
    const out = outgoing(spec({ secret: 's3cret' }), message(2), CONSOLE, NOW);
    if (out.kind !== 'http') throw new Error('not http');
    const timestamp = out.headers['x-baton-timestamp']!;
    expect(timestamp).toBe(String(NOW / 1000));
    const expected = crypto.createHmac('sha256', 's3cret').update(`${timestamp}.${out.body}`).digest('hex');
    expect(out.headers['x-baton-signature']).toBe(`sha256=${expected}`);
    expect(body(out)).toMatchObject({ source: 'baton', reason: 'run_failed', count: 2, link: 'https://baton.example.com/#/runs/run_3', event: { runId: 'run_3' } });
    expect(outgoing(spec({}), message(), null, NOW)).not.toHaveProperty(['headers', 'x-baton-signature']);
  });

  it('slack: blocks and a fallback text, mrkdwn escaped', () => {
    const out = body(outgoing(spec({ kind: 'slack' }), message(), CONSOLE, NOW));
    expect(out.text).toBe('Task nightly-report failed on worker edge-1 after 3 attempts: exit code 2');
    expect(out.blocks.map((b: { type: string }) => b.type)).toEqual(['header', 'section', 'section', 'actions']);
    expect(out.blocks[3].elements[0].url).toBe('https://baton.example.com/#/runs/run_3');
    const hostile = { ...message(), last: { ...failed(), taskName: '<!channel> & co' } };
    expect(body(outgoing(spec({ kind: 'slack' }), hostile, null, NOW)).blocks[1].text.text).toContain('&lt;!channel&gt; &amp; co');
  });

  it('teams: a message with one Adaptive Card attachment', () => {
    const out = body(outgoing(spec({ kind: 'teams' }), message(), CONSOLE, NOW));
    expect(out.type).toBe('message');
    expect(out.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(out.attachments[0].content).toMatchObject({ type: 'AdaptiveCard', version: '1.4', actions: [{ type: 'Action.OpenUrl', url: 'https://baton.example.com/#/runs/run_3' }] });
  });

  it('dingtalk: markdown, signed in the query when a secret is set', () => {
    const out = outgoing(spec({ kind: 'dingtalk', url: 'https://oapi.dingtalk.com/robot/send?access_token=abc', secret: 'SECxyz' }), message(), null, NOW);
    if (out.kind !== 'http') throw new Error('not http');
    const url = new URL(out.url);
    expect(url.searchParams.get('access_token')).toBe('abc');
    expect(url.searchParams.get('timestamp')).toBe(String(NOW));
    const expected = crypto.createHmac('sha256', 'SECxyz').update(`${NOW}\nSECxyz`).digest('base64');
    expect(url.searchParams.get('sign')).toBe(expected);
    expect(out.url).toContain(`sign=${encodeURIComponent(expected)}`);
    expect(dingTalkSign('SECxyz', NOW)).toBe(expected);
    expect(body(out)).toMatchObject({ msgtype: 'markdown', markdown: { title: expect.stringContaining('nightly-report') } });
  });

  it('feishu: an interactive card, signed in the body when a secret is set', () => {
    const out = body(outgoing(spec({ kind: 'feishu', secret: 'fs' }), message(), CONSOLE, NOW));
    const seconds = NOW / 1000;
    expect(out.timestamp).toBe(String(seconds));
    expect(out.sign).toBe(crypto.createHmac('sha256', `${seconds}\nfs`).update('').digest('base64'));
    expect(feishuSignature('fs', seconds)).toBe(out.sign);
    expect(out).toMatchObject({ msg_type: 'interactive', card: { header: { title: { tag: 'plain_text' }, template: 'red' } } });
    expect(body(outgoing(spec({ kind: 'feishu' }), message(), CONSOLE, NOW))).not.toHaveProperty('sign');
  });

  it('fills a channel\'s template', () => {
    expect(fill('{{count}}× {{task}} {{reason}} on {{worker}} {{nope}}', message(4), null)).toBe('4× nightly-report failed on edge-1 {{nope}}');
  });
});

describe('refusalOf', () => {
  it.each([
    ['webhook', 204, '', null],
    ['slack', 500, '', 'answered 500'],
    ['dingtalk', 200, '{"errcode":0,"errmsg":"ok"}', null],
    ['dingtalk', 200, '{"errcode":310000,"errmsg":"sign not match"}', 'refused the message: 310000 sign not match'],
    ['feishu', 200, '{"code":0,"msg":"success"}', null],
    ['feishu', 200, '{"code":19021,"msg":"sign match fail"}', 'refused the message: 19021 sign match fail'],
    ['feishu', 200, 'oops', 'answered 200 with a body that is not JSON'],
  ] as const)('%s %d %s → %s', (kind, status, text, refusal) => {
    expect(refusalOf(kind, status, text)).toBe(refusal);
  });
});

describe('destinations of alert webhooks', () => {
  const none = parseAllowList('', 'BATON_OUTBOUND_ALLOW');
  const some = parseAllowList('127.0.0.1, hooks.internal, 10.1.0.0/16', 'BATON_OUTBOUND_ALLOW');
  if (!none.ok || !some.ok) throw new Error('allow list');

  it.each([
    ['http://127.0.0.1:9/x', 'a loopback address'], ['http://localhost/x', 'this machine'], ['http://10.1.2.3/x', 'a private address'],
    ['http://192.168.0.1/x', 'a private address'], ['http://[::1]/x', 'a loopback address'], ['http://[::ffff:127.0.0.1]/x', 'a loopback address'],
    ['http://169.254.169.254/latest', 'a link-local address'], ['http://0.0.0.0/', 'the unspecified address'], ['http://[fd00::1]/', 'a private (unique local) address'],
  ])('%s is refused by default as %s', (url, what) => {
    const verdict = checkDestination(url, none.rules);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.message).toMatch(new RegExp(`${what.replace(/[()]/g, '\\$&')}; alert webhooks may go there only if BATON_OUTBOUND_ALLOW allows it`));
  });

  it('allows public addresses, and internal ones the allow list names', () => {
    expect(checkDestination('https://hooks.slack.com/services/x', none.rules).ok).toBe(true);
    expect(checkDestination('http://8.8.8.8/', none.rules).ok).toBe(true);
    expect(checkDestination('http://127.0.0.1:9/x', some.rules).ok).toBe(true);
    expect(checkDestination('http://hooks.internal/x', some.rules).ok).toBe(true);
    expect(checkDestination('http://10.1.200.3/x', some.rules).ok).toBe(true);
    expect(checkDestination('http://10.2.0.1/x', some.rules).ok).toBe(false);
    expect(internalAs('93.184.216.34')).toBeNull();
  });
});

describe('contract: hostile channel and rule input is refused, naming the field', () => {
  const issue = (schema: { safeParse(v: unknown): { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } } }, value: unknown) => {
    const parsed = schema.safeParse(value);
    expect(parsed.success).toBe(false);
    const first = parsed.error!.issues[0]!;
    return { path: first.path.join('.'), message: first.message };
  };

  it.each([
    [{ kind: 'slack', name: 'chat', url: 'ftp://files.example.com/hook' }, 'url', 'must be an http or https URL, not ftp:'],
    [{ kind: 'slack', name: 'chat', url: 'javascript:alert(1)' }, 'url', 'must be an http or https URL'],
    [{ kind: 'slack', name: 'chat', url: 'not a url' }, 'url', 'must be an absolute URL'],
    [{ kind: 'webhook', name: 'hook', url: 'https://user:pw@hooks.example.com/' }, 'url', 'must not carry a user name or password'],
    [{ kind: 'webhook', name: 'hook', url: `https://hooks.example.com/${'a'.repeat(3_000)}` }, 'url', 'must be at most 2048 characters'],
    [{ kind: 'webhook', name: 'hook', url: 'https://hooks.example.com/', template: 'x'.repeat(2_001) }, 'template', 'must be at most 2000 characters'],
    [{ kind: 'webhook', name: 'hook', url: 'https://hooks.example.com/', headers: { a: 'b' } }, '', 'unknown field headers'],
    [{ kind: 'email', name: 'mail', to: ['ops@example.com'], url: 'https://x.example.com/' }, 'url', 'must not be set: an email channel has no url'],
    [{ kind: 'slack', name: 'chat', to: ['ops@example.com'], url: 'https://hooks.slack.com/x' }, 'to', 'must not be set: a slack channel has no to'],
    [{ kind: 'teams', name: 'chat' }, 'url', 'is required for a teams channel'],
    [{ kind: 'email', name: 'mail', to: ['nope'] }, 'to.0', 'must be an email address'],
    [{ kind: 'email', name: 'mail', to: [] }, 'to', 'must name at least one address'],
    [{ kind: 'pager', name: 'p', url: 'https://x.example.com/' }, 'kind', ''],
    [{ kind: 'slack', name: '../etc', url: 'https://hooks.slack.com/x' }, 'name', 'must be 1 to 64 letters'],
  ])('%o → %s: %s', (input, path, message) => {
    const found = issue(AlertChannelInput, input);
    expect(found.path).toBe(path);
    expect(found.message).toContain(message);
  });

  it('refuses rules without reasons or channels, and worker reasons on a task rule', () => {
    expect(issue(AlertRuleInput, { scope: { type: 'all' }, on: [], channels: ['ops'] })).toMatchObject({ path: 'on' });
    expect(issue(AlertRuleInput, { scope: { type: 'all' }, on: ['run_failed'], channels: [] })).toMatchObject({ path: 'channels' });
    expect(issue(AlertRuleInput, { scope: { type: 'task', taskId: 'tsk_1' }, on: ['worker_offline'], channels: ['ops'] }))
      .toEqual({ path: 'on', message: 'worker_offline is not about a task\'s runs: give the rule scope all or group' });
    expect(issue(AlertSettingsPatch, { windowMs: -1 })).toMatchObject({ path: 'windowMs' });
    expect(issue(AlertSettingsPatch, { consoleUrl: 'file:///etc/passwd' })).toMatchObject({ path: 'consoleUrl' });
  });
});

describe('summaryOf and outputTail', () => {
  it('summarise a run in one line', () => {
    expect(summaryOf({ ...run, attempt: 1 }, 'run_failed')).toBe('Task nightly-report failed on worker edge-1: exit code 2');
    expect(summaryOf({ ...run, exitCode: null, error: 'Time limit of 1000 ms reached.' }, 'run_timed_out'))
      .toBe('Task nightly-report timed out on worker edge-1 after 3 attempts: Time limit of 1000 ms reached.');
    expect(summaryOf({ ...run, attempt: 1, exitCode: 0, error: null }, 'run_succeeded')).toBe('Task nightly-report succeeded on worker edge-1');
  });

  it('keep the last lines of output, and at most the last characters', () => {
    const lines = Array.from({ length: OUTPUT_TAIL_LINES + 5 }, (_, i) => `line ${i}`);
    expect(outputTail(`${lines.join('\n')}\n\n`)).toBe(lines.slice(5).join('\n'));
    expect(outputTail(`${'a'.repeat(5_000)}z`)).toHaveLength(OUTPUT_TAIL_CHARS);
  });
});
