// Drain that really drains (issue 8): a draining worker takes no new run, finishes the one it has, then reads
// `drained`; the setting is stored, so it holds when another master takes over and the agent reconnects to it.
// Disable is a different setting: it reads `disabled` whatever runs.
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase, prepare, startAgent, startTestMaster, waitFor, type TestAgent, type TestMaster } from './harness';

// Runs keep their lease across the takeover (10 missed 1 s heartbeats), so the run in flight is not fenced.
const ENV = { BATON_LEADER_LEASE_MS: '1500', BATON_MISSED_HEARTBEATS: '10' };

describe('drain across a leader change', () => {
  const masters: TestMaster[] = [];
  let agent: TestAgent | undefined;
  afterAll(async () => {
    await agent?.stop();
    for (const m of masters) await m.stop();
  });

  it('takes no new run, reads drained once its run ended, and stays drained under the next leader', async () => {
    const databaseUrl = await freshDatabase();
    const a = await startTestMaster(databaseUrl, ENV);
    masters.push(a);
    const b = await startTestMaster(databaseUrl, ENV);
    masters.push(b);
    expect([a.leading, b.leading]).toEqual([true, false]);
    const { groupId, token } = await prepare(a);
    agent = await startAgent({ agentUrl: `${a.agentUrl},${b.agentUrl}` }, token, { name: 'drainee' });
    const worker = await waitFor('the agent online', async () => (await b.api.call('workers.list', {})).find((w) => w.status === 'online'));
    const status = async () => (await b.api.call('workers.get', { id: worker.id })).worker.status;

    const long = await b.api.call('tasks.create', { name: 'long', groupId, handler: 'shell', params: { command: 'sleep 4; echo done' }, trigger: { type: 'api' } });
    const quick = await b.api.call('tasks.create', {
      name: 'quick', groupId, handler: 'shell', params: { command: 'echo quick' }, trigger: { type: 'api' }, queueTimeoutMs: 1_000,
    });
    const [inFlight] = await b.api.call('tasks.trigger', { id: long.id });
    await waitFor('the long run running', async () => (await b.api.call('runs.get', { id: inFlight!.id })).state === 'running');

    // Through the follower, handed to the leader: draining while a run is in flight.
    expect((await b.api.call('workers.setStatus', { id: worker.id, status: 'draining' })).status).toBe('draining');
    const refusedRun = async (master: TestMaster) => {
      const [run] = await master.api.call('tasks.trigger', { id: quick.id });
      const ended = await waitFor('the quick run to end', async () => {
        const r = await master.api.call('runs.get', { id: run!.id });
        return r.finishedAt ? r : null;
      });
      expect([ended.state, ended.reason, ended.workerId]).toEqual(['failed', 'no_worker', null]);
    };
    await refusedRun(b);
    expect(await status()).toBe('draining');

    // The leader stops; the follower takes over and the agent reconnects to it, still draining.
    await a.stop();
    masters.shift();
    await waitFor('the follower leading', async () => b.leading, 15_000);
    const finished = await waitFor('the run in flight stored', async () => {
      const r = await b.api.call('runs.get', { id: inFlight!.id });
      return r.finishedAt ? r : null;
    }, 20_000);
    expect([finished.state, finished.output.trim(), finished.workerName]).toEqual(['succeeded', 'done', 'drainee']);
    await waitFor('the agent back and drained', async () => (await status()) === 'drained');
    expect((await b.api.call('workers.list', {}))[0]!.status).toBe('drained');
    await refusedRun(b);
    expect(await status()).toBe('drained');

    // Disable is another setting, shown as such; enabling takes the worker back into service.
    expect((await b.api.call('workers.setStatus', { id: worker.id, status: 'disabled' })).status).toBe('disabled');
    expect((await b.api.call('workers.setStatus', { id: worker.id, status: 'enabled' })).status).toBe('online');
    const [back] = await b.api.call('tasks.trigger', { id: quick.id });
    await waitFor('a run on the enabled worker', async () => {
      const r = await b.api.call('runs.get', { id: back!.id });
      return r.state === 'succeeded' && r.workerName === 'drainee';
    });
  });
});
