// Alerts: which run ends send one (the whole table), what they say, and how they split into delivery jobs.
import { describe, expect, it } from 'vitest';
import { AlertRules, RunState, type AlertState, type Run } from '../../src-main/master/api/contract/domain';
import { alertJobs, resolveAlertDelivery } from '../../src-main/master/alerts/delivery';
import { alertEmail } from '../../src-main/master/alerts/message';
import { decideAlert, OUTPUT_TAIL_CHARS, OUTPUT_TAIL_LINES, outputTail, summaryOf, type Alert } from '../../src-main/master/alerts/rules';

const run: Run = {
  id: 'run_3', taskId: 'tsk_1', taskName: 'nightly-report', rootRunId: 'run_1', attempt: 3, trigger: 'retry',
  parentRunId: null, workerId: 'wkr_1', workerName: 'edge-1', shardIndex: 0, shardTotal: 1, traceId: 'trace-1',
  state: 'failed', plannedAt: '2030-01-01T02:00:00.000Z', queuedAt: null, assignedAt: null,
  startedAt: '2030-01-01T02:00:01.000Z', finishedAt: '2030-01-01T02:00:03.000Z', exitCode: 2,
  output: 'starting\nreport failed\n', error: 'Exited with code 2', reason: null, late: null,
};
const ALERT_STATES: AlertState[] = ['failed', 'timed_out', 'lost', 'succeeded'];
const rules = (over: Partial<AlertRules> = {}): AlertRules => ({ on: ALERT_STATES, email: ['ops@example.com'], webhook: 'https://hooks.example.com/x', ...over });

describe('decideAlert', () => {
  // Every run state × retry follows or not × the state named in `on` or not.
  const table = RunState.options.flatMap((state) => [false, true].flatMap((retryFollows) => [true, false].map((named) => ({
    state, retryFollows, named,
    alerts: !retryFollows && named && (ALERT_STATES as string[]).includes(state),
  }))));

  it.each(table)('$state, retry follows: $retryFollows, named in on: $named → alert: $alerts', ({ state, retryFollows, named, alerts }) => {
    const on = named ? ALERT_STATES.filter((s) => s === state) : ALERT_STATES.filter((s) => s !== state);
    const alert = decideAlert(rules({ on }), { ...run, state }, retryFollows);
    expect(alert !== null).toBe(alerts);
    if (alert) expect(alert.event.state).toBe(state);
  });

  it('sends nothing when the rules name no state, or no channel', () => {
    expect(decideAlert(rules({ on: [] }), run, false)).toBeNull();
    expect(decideAlert(rules({ email: [], webhook: null }), run, false)).toBeNull();
  });

  it('sends to the channels named: email only, webhook only, or both', () => {
    expect(decideAlert(rules({ webhook: null }), run, false)).toMatchObject({ email: ['ops@example.com'], webhook: null });
    expect(decideAlert(rules({ email: [] }), run, false)).toMatchObject({ email: [], webhook: 'https://hooks.example.com/x' });
    expect(decideAlert(rules(), run, false)).toMatchObject({ email: ['ops@example.com'], webhook: 'https://hooks.example.com/x' });
  });

  it('a run failing for want of a worker alerts as failed', () => {
    const noWorker = { ...run, attempt: 1, state: 'failed' as const, workerId: null, workerName: null, exitCode: null,
      reason: 'no_worker', error: 'No eligible worker for 30000 ms (group, handler \'shell\', labels and capacity considered).' };
    const alert = decideAlert(rules({ on: ['failed'] }), noWorker, false);
    expect(alert?.event).toMatchObject({ state: 'failed', reason: 'no_worker', workerName: null });
    expect(alert?.event.summary).toBe('Task nightly-report failed: No eligible worker for 30000 ms (group, handler \'shell\', labels and capacity considered).');
  });

  it('carries every fact of the run', () => {
    expect(decideAlert(rules(), run, false)?.event).toEqual({
      summary: 'Task nightly-report failed on worker edge-1 after 3 attempts: exit code 2',
      taskId: 'tsk_1', taskName: 'nightly-report', runId: 'run_3', rootRunId: 'run_1', attempt: 3, state: 'failed',
      reason: null, error: 'Exited with code 2', exitCode: 2, workerId: 'wkr_1', workerName: 'edge-1',
      plannedAt: '2030-01-01T02:00:00.000Z', finishedAt: '2030-01-01T02:00:03.000Z', traceId: 'trace-1',
      outputTail: 'starting\nreport failed',
    });
  });
});

describe('summaryOf', () => {
  it.each([
    [{ ...run }, 'failed', 'Task nightly-report failed on worker edge-1 after 3 attempts: exit code 2'],
    [{ ...run, attempt: 1 }, 'failed', 'Task nightly-report failed on worker edge-1: exit code 2'],
    [{ ...run, exitCode: 0, error: '\nboom\nstack', reason: 'x' }, 'failed', 'Task nightly-report failed on worker edge-1 after 3 attempts: boom'],
    [{ ...run, exitCode: null, error: null, reason: 'bad_params' }, 'failed', 'Task nightly-report failed on worker edge-1 after 3 attempts: bad_params'],
    [{ ...run, exitCode: null, error: null, reason: null }, 'failed', 'Task nightly-report failed on worker edge-1 after 3 attempts'],
    [{ ...run, exitCode: null, error: 'Time limit of 1000 ms reached.' }, 'timed_out', 'Task nightly-report timed out on worker edge-1 after 3 attempts: Time limit of 1000 ms reached.'],
    [{ ...run, exitCode: null, error: 'worker edge-1 missed 3 heartbeats', reason: 'worker_lost' }, 'lost', 'Task nightly-report was lost on worker edge-1 after 3 attempts: worker edge-1 missed 3 heartbeats'],
    [{ ...run, attempt: 1, exitCode: 0, error: null }, 'succeeded', 'Task nightly-report succeeded on worker edge-1'],
  ] as Array<[Run, AlertState, string]>)('%#: %s', (r, state, summary) => {
    expect(summaryOf(r, state)).toBe(summary);
  });
});

describe('outputTail', () => {
  it('keeps the last lines, without the trailing newlines', () => {
    const lines = Array.from({ length: OUTPUT_TAIL_LINES + 5 }, (_, i) => `line ${i}`);
    expect(outputTail(`${lines.join('\n')}\n\n`)).toBe(lines.slice(5).join('\n'));
    expect(outputTail('')).toBe('');
  });

  it('keeps at most the last characters of very long lines', () => {
    const tail = outputTail(`${'a'.repeat(5_000)}z`);
    expect(tail).toHaveLength(OUTPUT_TAIL_CHARS);
    expect(tail.endsWith('z')).toBe(true);
  });
});

describe('alertEmail', () => {
  const event = decideAlert(rules(), run, false)!.event;

  it('has a subject that names the task and how it ended', () => {
    expect(alertEmail(event).subject).toBe('[Baton] nightly-report failed');
    expect(alertEmail({ ...event, state: 'timed_out' }).subject).toBe('[Baton] nightly-report timed out');
    expect(alertEmail({ ...event, state: 'succeeded' }).subject).toBe('[Baton] nightly-report succeeded');
  });

  it('opens with the summary and lists the facts, leaving out the empty ones', () => {
    const { text } = alertEmail(event);
    expect(text.split('\n')[0]).toBe('Task nightly-report failed on worker edge-1 after 3 attempts: exit code 2');
    for (const fact of ['Task:      nightly-report (tsk_1)', 'Run:       run_3 (attempt 3, first attempt run_1)', 'Exit code: 2',
      'Worker:    edge-1 (wkr_1)', 'Error:     Exited with code 2', 'Planned:   2030-01-01T02:00:00.000Z', 'Trace:     trace-1']) {
      expect(text).toContain(fact);
    }
    expect(text).not.toContain('Reason:');
    expect(text).toMatch(/Output \(last lines\):\nstarting\nreport failed\n$/);
  });
});

describe('alertJobs', () => {
  const event = decideAlert(rules(), run, false)!.event;
  it.each([
    [{ event, email: ['a@example.com'], webhook: 'https://h.example.com' }, ['email', 'webhook']],
    [{ event, email: ['a@example.com'], webhook: null }, ['email']],
    [{ event, email: [], webhook: 'https://h.example.com' }, ['webhook']],
  ] as Array<[Alert, string[]]>)('one job per channel: %#', (alert, channels) => {
    expect(alertJobs(alert).map((j) => j.channel)).toEqual(channels);
  });
});

describe('resolveAlertDelivery', () => {
  it('fills every setting, keeping the ones given', () => {
    expect(resolveAlertDelivery({ smtpUrl: null, from: 'b@x.example' })).toEqual({
      smtpUrl: null, from: 'b@x.example', retry: { delayMs: 30_000, maxRetries: 8 }, timeoutMs: 10_000,
      outbound: { hosts: [], ranges: [], setting: 'BATON_OUTBOUND_ALLOW' },
    });
    expect(resolveAlertDelivery({ smtpUrl: 'smtp://m:25', from: 'b@x.example', retry: { delayMs: 100 }, timeoutMs: 500 }))
      .toMatchObject({ retry: { delayMs: 100, maxRetries: 8 }, timeoutMs: 500 });
  });
});

describe('AlertRules', () => {
  it.each([
    [{}, null],
    [{ on: ['failed'], webhook: 'https://hooks.example.com/x' }, null],
    [{ on: ['failed', 'lost'], email: ['ops@example.com'] }, null],
    [{ on: ['failed'] }, 'these states alert nobody'],
    [{ webhook: 'https://hooks.example.com/x' }, 'choose at least one state'],
    [{ email: ['ops@example.com'] }, 'choose at least one state'],
  ])('%o → %s', (input, problem) => {
    const parsed = AlertRules.safeParse(input);
    if (problem === null) return expect(parsed.success).toBe(true);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]).toMatchObject({ path: ['on'], message: expect.stringContaining(problem) });
  });
});
