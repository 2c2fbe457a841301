// A master restart loses no result: the agent keeps the result in its outbox and resends it on reconnect.
// A master SIGKILLed in a run's first second dies before its held running mark is written (issue 11): the next
// master adopts the run as assigned, and the agent's result still settles it once, with the agent's start.
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src-main/master/db/embedded';
import {
  freshDatabase, prepare, startAgent, startMark, startMasterProcess, startTestMaster, waitFor, type MasterProcess, type TestAgent, type TestMaster,
} from './harness';

describe('master restart', () => {
  let master: TestMaster | undefined;
  let agent: TestAgent | undefined;
  afterAll(async () => {
    await agent?.stop();
    await master?.stop();
  });

  it('a run that ends while the master is down is stored once the master is back', async () => {
    const url = await freshDatabase();
    const port = String(await freePort());
    master = await startTestMaster(url, { BATON_PORT: port });
    const { groupId, token } = await prepare(master);
    agent = await startAgent(master, token, { name: 'survivor' });
    await waitFor('online', async () => (await master!.api.call('workers.list', {}))[0]?.status === 'online');
    // It ends within a second of the fault: before the agent's run lease (3 beats) lapses and it fences the run.
    const mark = await startMark();
    const task = await master.api.call('tasks.create', {
      name: 'slow', groupId, handler: 'shell', params: { command: `${mark.command}; sleep 0.5; echo survived` }, trigger: { type: 'api' },
    });
    const [run] = await master.api.call('tasks.trigger', { id: task.id });
    await mark.started();
    await master.stop();
    await new Promise((r) => setTimeout(r, 2_500));
    master = await startTestMaster(url, { BATON_PORT: port });
    const done = await waitFor('result delivered after restart', async () => {
      const r = await master!.api.call('runs.get', { id: run!.id });
      return r.state === 'succeeded' ? r : null;
    });
    expect(done.output.trim()).toBe('survived');
    expect(done.workerName).toBe('survivor');
    const all = await master.api.call('runs.list', { taskId: task.id });
    expect(all).toHaveLength(1);
  });

  it('a master SIGKILLed in a run\'s first second: the next master adopts it as assigned and its result settles it once', async () => {
    const url = await freshDatabase();
    const port = String(await freePort());
    const processes: MasterProcess[] = [];
    let runner: TestAgent | undefined;
    try {
      // A 12 s run lease (3 beats of 4 s): the next master is up before the agent fences the run. A shorter outage
      // than the lease is the case where the lost mark matters; a longer one fences the run (run-lease.test).
      const flags = ['--port', port, '--heartbeat-ms', '4000'];
      const first = await startMasterProcess(url, flags);
      processes.push(first);
      const group = await first.api.call('groups.create', { name: 'it' });
      const { secret } = await first.api.call('enrolments.create', { label: 'first second', groupId: group.id });
      runner = await startAgent({ agentUrl: first.url }, secret, { name: 'runner' });
      await waitFor('online', async () => (await first.api.call('workers.list', {}))[0]?.status === 'online');
      const mark = await startMark();
      const task = await first.api.call('tasks.create', {
        name: 'interrupted', groupId: group.id, handler: 'shell', params: { command: `${mark.command}; sleep 3; echo finished` }, trigger: { type: 'api' },
      });
      const [run] = await first.api.call('tasks.trigger', { id: task.id });
      await mark.started();
      first.child.kill('SIGKILL');
      await first.exited;
      const before = await first.api.call('runs.get', { id: run!.id }).catch(() => null);
      expect(before).toBeNull();

      const second = await startMasterProcess(url, flags);
      processes.push(second);
      const adopted = await second.api.call('runs.get', { id: run!.id });
      expect(adopted.state).toBe('assigned');
      expect(adopted.startedAt).toBeNull();
      const done = await waitFor('the run settled', async () => {
        const r = await second.api.call('runs.get', { id: run!.id });
        return r.finishedAt ? r : null;
      }, 30_000);
      expect(done.state).toBe('succeeded');
      expect(done.output.trim()).toBe('finished');
      expect(done.startedAt).not.toBeNull();
      expect(Date.parse(done.startedAt!)).toBeLessThan(Date.parse(done.finishedAt!) - 2_500);
      expect(await second.api.call('runs.list', { taskId: task.id })).toHaveLength(1);
      expect(await mark.count()).toBe(1);
    } finally {
      await runner?.stop('SIGKILL');
      for (const m of processes) if (m.child.exitCode === null && m.child.signalCode === null) m.child.kill('SIGTERM');
      await Promise.all(processes.map((m) => m.exited));
    }
  }, 90_000);
});
