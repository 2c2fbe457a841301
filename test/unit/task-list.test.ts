// The tasks list's client side (issue 8): filters with the master's rules, the newest run kept from events,
// and Run now's words, which must say when a run waits because no worker of its group is online.
import { describe, expect, it } from 'vitest';
import { Task, TaskInput, type Run, type Worker } from '../../src-main/master/api/contract/domain';
import { matches, newerRun, NO_FILTER } from '../../src-renderer/src/lib/task-list';
import { paramsToSend, runNowNotice } from '../../src-renderer/src/lib/run-now';

const task = Task.parse({
  ...TaskInput.parse({ name: 'Nightly-Report', description: 'sends the PDF', groupId: 'grp_1', handler: 'shell', params: { command: 'true' }, trigger: { type: 'api' } }),
  id: 'tsk_1', createdAt: '2030-01-01T00:00:00.000Z', updatedAt: '2030-01-01T00:00:00.000Z', nextFireAt: null,
});
const last = (id: string, state: Run['state']) => ({ id, state, plannedAt: '2030-01-01T00:00:00.000Z', finishedAt: null });

describe('matches', () => {
  it.each([
    [{ search: 'report' }, null, true],
    [{ search: 'pdf' }, null, true],
    [{ search: 'invoice' }, null, false],
    [{ groupId: 'grp_2' }, null, false],
    [{ handler: 'noop' }, null, false],
    [{ enabled: 'disabled' }, null, false],
    [{ enabled: 'enabled' }, null, true],
    [{ lastState: 'never' }, null, true],
    [{ lastState: 'never' }, last('run_1', 'failed'), false],
    [{ lastState: 'failed' }, last('run_1', 'failed'), true],
  ] as const)('%j with last run %j → %s', (filter, lastRun, expected) => {
    expect(matches(task, { ...NO_FILTER, ...filter }, lastRun)).toBe(expected);
  });
});

describe('newerRun', () => {
  it('keeps the later run id, and a newer state of the same run', () => {
    expect(newerRun(last('run_0mb', 'succeeded'), last('run_0ma', 'failed'))?.id).toBe('run_0mb');
    expect(newerRun(last('run_0ma', 'running'), last('run_0ma', 'failed'))?.state).toBe('failed');
    expect(newerRun(null, undefined)).toBeNull();
  });
});

describe('Run now', () => {
  const decls = { region: { type: 'string', required: false }, count: { type: 'integer', required: true }, dry: { type: 'boolean', required: false } } as const;

  it('sends typed values and leaves empty boxes to the defaults', () => {
    expect(paramsToSend(decls, { region: 'eu', count: '3', dry: 'false' })).toEqual({ region: 'eu', count: 3, dry: false });
    expect(paramsToSend(decls, { region: '', count: ' ', dry: '' })).toEqual({});
    // Words in a number box go as typed, so the master names the param in its refusal.
    expect(paramsToSend(decls, { count: 'three' })).toEqual({ count: 'three' });
  });

  const run = (state: Run['state'], workerId: string | null) => ({ id: 'run_1', state, workerId } as Run);
  const worker = (status: Worker['status'], handlers = ['shell']) => ({ groupId: 'grp_1', status, handlers } as Worker);

  it('says a queued run waits because no worker of the group is online', () => {
    const notice = runNowNotice(task, [run('queued', null)], [worker('offline')], 'batch');
    expect(notice).toMatchObject({ tone: 'warn', text: 'Nightly-Report: queued, no worker of group batch is online; it waits up to 30.0 s for one, then fails with no_worker.' });
  });

  it('says when online workers lack the handler, or are busy', () => {
    expect(runNowNotice(task, [run('queued', null)], [worker('online', ['http'])], 'batch').text).toMatch(/no online worker of group batch offers the shell handler/);
    expect(runNowNotice(task, [run('queued', null)], [worker('online')], 'batch').text).toMatch(/waiting for a free worker/);
  });

  it('says started when a worker took it', () => {
    expect(runNowNotice(task, [run('assigned', 'wrk_1')], [worker('online')], 'batch')).toMatchObject({ tone: 'ok', text: 'Started 1 run of Nightly-Report.' });
  });
});
