// A master restart loses no result: the agent keeps the result in its outbox and resends it on reconnect.
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src-main/master/db/embedded';
import { freshDatabase, prepare, startAgent, startTestMaster, waitFor, type TestAgent, type TestMaster } from './harness';

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
    const task = await master.api.call('tasks.create', {
      name: 'slow', groupId, handler: 'shell', params: { command: 'sleep 1.5; echo survived' }, trigger: { type: 'api' },
    });
    const [run] = await master.api.call('tasks.trigger', { id: task.id });
    await waitFor('running', async () => (await master!.api.call('runs.get', { id: run!.id })).state === 'running');
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
});
