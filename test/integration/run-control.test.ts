// Time limits, retries, stop, disabling, the no-worker queue limit and trace ids, on real agents.
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run, TaskInput } from '../../src-main/master/api/contract/domain';
import { freshDatabase, prepare, startAgent, startMark, startTestMaster, waitFor, type TestAgent, type TestMaster } from './harness';

const ACTIVE = ['scheduled', 'queued', 'assigned', 'running'];

describe('run control', () => {
  let master: TestMaster;
  let agent: TestAgent;
  let groupId: string;
  let n = 0;

  const task = (over: Partial<TaskInput>) => master.api.call('tasks.create', {
    name: `rc${++n}`, groupId, handler: 'shell', params: { command: 'true' }, trigger: { type: 'api' }, ...over,
  });
  const settled = (taskId: string, count: number) => waitFor(`${count} settled runs`, async () => {
    const runs = await master.api.call('runs.list', { taskId });
    return runs.length >= count && runs.every((r) => !ACTIVE.includes(r.state)) ? runs : null;
  }, 30_000);
  const state = (id: string, wanted: Run['state']) => waitFor(`run ${wanted}`, async () => {
    const r = await master.api.call('runs.get', { id });
    return r.state === wanted ? r : null;
  });

  beforeAll(async () => {
    master = await startTestMaster(await freshDatabase());
    const prepared = await prepare(master);
    groupId = prepared.groupId;
    agent = await startAgent(master, prepared.token, { name: 'rc-agent', args: ['--capacity', '8'] });
    await waitFor('agent online', async () => (await master.api.call('workers.list', {}))[0]?.status === 'online');
  });
  afterAll(async () => {
    await agent?.stop();
    await master?.stop();
  });

  it('a time limit kills the whole process tree and ends the run timed_out', async () => {
    const marker = `/tmp/baton-tree-${Date.now()}`;
    const t = await task({ timeoutMs: 800, params: { command: `sleep 30 & echo $! > ${marker}; sleep 30` } });
    const [run] = await master.api.call('tasks.trigger', { id: t.id });
    const ended = await state(run!.id, 'timed_out');
    expect(ended.finishedAt).toBeTruthy();
    const child = Number((await fs.readFile(marker, 'utf8')).trim());
    await waitFor('background child gone', async () => {
      try { process.kill(child, 0); return false; } catch { return true; }
    }, 5_000);
    await fs.rm(marker, { force: true });
  });

  it('retries a failing run with backoff, each attempt its own row linked to the first', async () => {
    const t = await task({ params: { command: 'echo "attempt $BATON_ATTEMPT"; exit 7' }, retry: { count: 2, backoff: 'exponential', delayMs: 200, maxDelayMs: 1000 } });
    const [first] = await master.api.call('tasks.trigger', { id: t.id });
    const runs = (await settled(t.id, 3)).sort((a, b) => a.attempt - b.attempt);
    expect(runs.map((r) => [r.attempt, r.state, r.exitCode])).toEqual([[1, 'failed', 7], [2, 'failed', 7], [3, 'failed', 7]]);
    expect(runs.every((r) => r.rootRunId === first!.id)).toBe(true);
    expect(runs.slice(1).every((r) => r.trigger === 'retry')).toBe(true);
    expect(runs[2]!.output.trim()).toBe('attempt 3');
    const gap = Date.parse(runs[2]!.plannedAt) - Date.parse(runs[1]!.finishedAt!);
    expect(gap).toBeGreaterThanOrEqual(400);
  });

  it('stops a running run from the API: cancelled', async () => {
    const t = await task({ params: { command: 'sleep 30' } });
    const [run] = await master.api.call('tasks.trigger', { id: t.id });
    await state(run!.id, 'running');
    const stopped = await master.api.call('runs.stop', { id: run!.id });
    expect(stopped.state).toBe('cancelled');
  });

  it('disabling a task with inFlight=stop stops its runs; with finish lets them end', async () => {
    const stopTask = await task({ params: { command: 'sleep 30' } });
    const [a] = await master.api.call('tasks.trigger', { id: stopTask.id });
    await state(a!.id, 'running');
    await master.api.call('tasks.setEnabled', { id: stopTask.id, enabled: false, inFlight: 'stop' });
    expect((await master.api.call('runs.get', { id: a!.id })).state).toBe('cancelled');

    const mark = await startMark();
    const finishTask = await task({ params: { command: `${mark.command}; sleep 1; echo finished` } });
    const [b] = await master.api.call('tasks.trigger', { id: finishTask.id });
    await mark.started();
    await master.api.call('tasks.setEnabled', { id: finishTask.id, enabled: false, inFlight: 'finish' });
    expect((await state(b!.id, 'succeeded')).output.trim()).toBe('finished');
  });

  it('a disabled worker gets no new runs, but its run in flight finishes and is stored', async () => {
    const [worker] = await master.api.call('workers.list', {});
    const mark = await startMark();
    const t = await task({ params: { command: `${mark.command}; sleep 1; echo kept` }, queueTimeoutMs: 1_500 });
    const [inFlight] = await master.api.call('tasks.trigger', { id: t.id });
    await mark.started();
    await master.api.call('workers.setStatus', { id: worker!.id, status: 'disabled' });
    const [waiting] = await master.api.call('tasks.trigger', { id: t.id });
    expect(waiting!.state).toBe('queued');
    expect((await state(inFlight!.id, 'succeeded')).output.trim()).toBe('kept');
    const failed = await state(waiting!.id, 'failed');
    expect(failed.reason).toBe('no_worker');
    expect(failed.workerId).toBeNull();
    await master.api.call('workers.setStatus', { id: worker!.id, status: 'enabled' });
  });

  it('a run with no eligible worker waits in queued, then fails with no_worker', async () => {
    const t = await task({ routing: { strategy: 'round_robin', labels: { gpu: 'yes' } }, queueTimeoutMs: 1_000 });
    const [run] = await master.api.call('tasks.trigger', { id: t.id });
    expect(run!.state).toBe('queued');
    const failed = await state(run!.id, 'failed');
    expect(failed.reason).toBe('no_worker');
    expect(failed.error).toMatch(/No eligible worker/);
  });

  it('passes the trace id to the handler and writes it in master and agent logs', async () => {
    const t = await task({ params: { command: 'echo "$BATON_TRACE_ID $TRACEPARENT"' } });
    const [run] = await master.api.call('tasks.trigger', { id: t.id });
    const done = await state(run!.id, 'succeeded');
    const [traceId, traceparent] = done.output.trim().split(' ');
    expect(traceId).toBe(run!.traceId);
    expect(traceparent).toMatch(new RegExp(`^00-${run!.traceId}-[0-9a-f]{16}-01$`));
    await waitFor('trace id in master log', async () => (await fs.readFile(master.logFile, 'utf8')).includes(run!.traceId));
    expect(agent.output()).toContain(run!.traceId);
  });

  it('streams log lines of a run', async () => {
    const t = await task({ params: { command: 'for i in 1 2 3; do echo line$i; done' } });
    const [run] = await master.api.call('tasks.trigger', { id: t.id });
    await state(run!.id, 'succeeded');
    const lines = await waitFor('log lines', async () => {
      const l = await master.api.call('runs.logs', { id: run!.id });
      return l.length >= 3 ? l : null;
    });
    expect(lines.filter((l) => l.stream === 'stdout').map((l) => l.line)).toEqual(['line1', 'line2', 'line3']);
  });
});
