// The worker page's data (issue 8): samples kept from heartbeats at most every 10 s and pruned; an offline worker
// shows no live figures and can be deleted (its runs stay, its agent cannot come back unenrolled); an online one is
// refused; hostile input changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatonError } from '../../src-main/master/api/contract/errors';
import { SAMPLING } from '../../src-main/master/agents/presence';
import { insertSamples, pruneSamples } from '../../src-main/master/db/worker-samples';
import { freshDatabase, prepare, startAgent, startTestMaster, tempDir, waitFor, type TestAgent, type TestMaster } from './harness';

describe('worker page data, delete', () => {
  let master: TestMaster;
  let agent: TestAgent;
  let groupId: string;
  let token: string;
  let agentDir: string;

  beforeAll(async () => {
    master = await startTestMaster(await freshDatabase(), { BATON_HEARTBEAT_MS: '500' });
    ({ groupId, token } = await prepare(master));
    agentDir = await tempDir('baton-agent-');
    agent = await startAgent(master, token, { name: 'sampled', dataDir: agentDir });
    await waitFor('agent online', async () => (await master.api.call('workers.list', {})).find((w) => w.status === 'online'));
  });
  afterAll(async () => {
    await agent?.stop();
    await master?.stop();
  });

  const workerId = async () => (await master.api.call('workers.list', {})).find((w) => w.name === 'sampled')!.id;

  async function refusedWith(call: () => Promise<unknown>, code: string, field?: string): Promise<BatonError> {
    const error = await call().then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(BatonError);
    expect(error).toMatchObject(field ? { code, field } : { code });
    return error as BatonError;
  }

  it('keeps a sample about every 10 s, not one per heartbeat, and prunes old ones', async () => {
    const id = await workerId();
    const first = await waitFor('a first sample', async () => {
      const detail = await master.api.call('workers.get', { id });
      return detail.samples.at.length > 0 ? detail : null;
    }, 15_000);
    expect(first.worker.name).toBe('sampled');
    expect(first.samples.cpu[0]).toBeGreaterThanOrEqual(0);
    expect(first.samples.memory[0]).toBeGreaterThan(0);
    expect(first.samples.memory[0]).toBeLessThanOrEqual(1);
    // Heartbeats every 500 ms for 4 s: 8 beats, still one sample (the next is due 10 s after the first).
    await new Promise((r) => setTimeout(r, 4_000));
    const later = await master.api.call('workers.get', { id });
    expect(later.samples.at.length).toBe(1);

    // A sample from three hours ago is outside the page's hour and gone after a prune; the recent one stays.
    const now = Date.now();
    await insertSamples(master.db, [{ workerId: id, at: now - 3 * 3_600_000, cpu: 0.5, memory: 0.5, load1: 1, running: 0 }]);
    expect((await master.api.call('workers.get', { id })).samples.at).toEqual(later.samples.at);
    const stored = async () => Number((await master.db.query('select count(*) from worker_samples where worker_id = $1', [id])).rows[0].count);
    expect(await stored()).toBe(2);
    expect(await pruneSamples(master.db, now - SAMPLING.keepMs)).toBe(1);
    expect(await stored()).toBe(1);
  });

  it('refuses hostile input to the new methods, naming the field, and changes nothing', async () => {
    const before = await master.api.call('workers.list', {});
    await refusedWith(() => master.api.call('workers.get', { id: 'w'.repeat(65) }), 'invalid_input', 'id');
    await refusedWith(() => master.api.call('workers.get', { id: before[0]!.id, samples: true } as never), 'invalid_input', 'samples');
    await refusedWith(() => master.api.call('workers.get', { id: before[0]!.id, runs: 10_000 }), 'invalid_input', 'runs');
    await refusedWith(() => master.api.call('workers.delete', {} as never), 'invalid_input', 'id');
    await refusedWith(() => master.api.call('workers.delete', { id: 'wrk_missing' }), 'not_found', 'id');
    await refusedWith(() => master.api.call('dashboard.summary', { upcoming: 0 }), 'invalid_input', 'upcoming');
    await refusedWith(() => master.api.call('dashboard.summary', { upcoming: '5' as never }), 'invalid_input', 'upcoming');
    await refusedWith(() => master.api.call('dashboard.summary', { since: 0 } as never), 'invalid_input', 'since');
    expect(await master.api.call('workers.list', {})).toEqual(before);
  });

  it('refuses to delete an online worker; deletes it offline, keeping its runs and shutting its agent out', async () => {
    const id = await workerId();
    const task = await master.api.call('tasks.create', {
      name: 'history', groupId, handler: 'shell', params: { command: 'echo kept' }, trigger: { type: 'api' },
    });
    const [run] = await master.api.call('tasks.trigger', { id: task.id });
    await waitFor('the run ends', async () => (await master.api.call('runs.get', { id: run!.id })).state === 'succeeded');
    const withRun = await master.api.call('workers.get', { id });
    expect(withRun.runs.map((r) => [r.id, r.taskName, r.state])).toEqual([[run!.id, 'history', 'succeeded']]);
    expect(withRun.worker.metrics).not.toBeNull();

    const online = await refusedWith(() => master.api.call('workers.delete', { id }), 'conflict', 'id');
    expect(online.message).toMatch(/sampled is online/);
    expect((await master.api.call('workers.list', {})).map((w) => w.name)).toEqual(['sampled']);

    await agent.stop();
    const offline = await waitFor('the worker offline', async () => {
      const w = (await master.api.call('workers.list', {})).find((x) => x.id === id);
      return w?.status === 'offline' ? w : null;
    });
    // Offline: the last heartbeat's time stays (offline since), its figures are not shown as if live.
    expect(offline.metrics).toBeNull();
    expect(offline.lastHeartbeatAt).not.toBeNull();

    expect(await master.api.call('workers.delete', { id })).toEqual({ ok: true });
    expect(await master.api.call('workers.list', {})).toEqual([]);
    await refusedWith(() => master.api.call('workers.get', { id }), 'not_found', 'id');
    await refusedWith(() => master.api.call('workers.delete', { id }), 'not_found', 'id');
    const kept = await master.api.call('runs.get', { id: run!.id });
    expect([kept.state, kept.workerId, kept.workerName, kept.output.trim()]).toEqual(['succeeded', id, 'sampled', 'kept']);
    expect(Number((await master.db.query('select count(*) from worker_samples where worker_id = $1', [id])).rows[0].count)).toBe(0);

    // Its credential went with it: the same agent (same data folder) is refused and does not reappear.
    agent = await startAgent(master, token, { name: 'sampled', dataDir: agentDir });
    expect(await agent.exited).toBe(3);
    expect(agent.output()).toMatch(/bad_token|revoked/);
    expect(await master.api.call('workers.list', {})).toEqual([]);
  });
});
