// Routing and blocking with a real master and three real agents.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run, TaskInput } from '../../src-main/master/api/contract/domain';
import { freshDatabase, prepare, startAgent, startTestMaster, waitFor, type TestAgent, type TestMaster } from './harness';

describe('routing and blocking', () => {
  let master: TestMaster;
  const agents: TestAgent[] = [];
  let groupId: string;
  let n = 0;

  const task = (over: Partial<TaskInput>) => master.api.call('tasks.create', {
    name: `t${++n}`, groupId, handler: 'shell', params: { command: 'echo "$BATON_SHARD_INDEX/$BATON_SHARD_TOTAL"' },
    trigger: { type: 'api' }, ...over,
  });
  const ended = (taskId: string, count: number) => waitFor(`${count} ended runs`, async () => {
    const runs = await master.api.call('runs.list', { taskId });
    const done = runs.filter((r) => !['scheduled', 'queued', 'assigned', 'running'].includes(r.state));
    return done.length >= count ? done : null;
  });

  beforeAll(async () => {
    master = await startTestMaster(await freshDatabase());
    const { token, groupId: g } = await prepare(master);
    groupId = g;
    for (const [name, labels] of [['a', 'zone=x'], ['b', 'zone=y'], ['c', 'zone=y']] as const) {
      agents.push(await startAgent(master, token, { name, args: ['--labels', labels, '--capacity', '2'] }));
    }
    await waitFor('3 agents online', async () => (await master.api.call('workers.list', {})).filter((w) => w.status === 'online').length === 3);
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await master?.stop();
  });

  it('round_robin spreads runs over every worker', async () => {
    const t = await task({ routing: { strategy: 'round_robin', labels: {} }, blocking: { strategy: 'concurrent', maxConcurrent: 10 } });
    for (let i = 0; i < 6; i++) await master.api.call('tasks.trigger', { id: t.id });
    const runs = await ended(t.id, 6);
    const counts = new Map<string, number>();
    for (const r of runs) counts.set(r.workerName!, (counts.get(r.workerName!) ?? 0) + 1);
    expect([...counts.values()]).toEqual([2, 2, 2]);
  });

  it('labels restrict the eligible workers', async () => {
    const t = await task({ routing: { strategy: 'round_robin', labels: { zone: 'y' } }, blocking: { strategy: 'concurrent', maxConcurrent: 10 } });
    for (let i = 0; i < 4; i++) await master.api.call('tasks.trigger', { id: t.id });
    const runs = await ended(t.id, 4);
    expect(new Set(runs.map((r) => r.workerName))).toEqual(new Set(['b', 'c']));
  });

  it('specific sends every run to the named worker', async () => {
    const workers = await master.api.call('workers.list', {});
    const c = workers.find((w) => w.name === 'c')!;
    const t = await task({ routing: { strategy: 'specific', workerId: c.id, labels: {} } });
    await master.api.call('tasks.trigger', { id: t.id });
    await master.api.call('tasks.trigger', { id: t.id });
    const runs = await ended(t.id, 2);
    expect(runs.every((r) => r.workerName === 'c')).toBe(true);
  });

  it('consistent_hash keeps one key on one worker', async () => {
    const t = await task({
      params: { command: 'echo "$BATON_PARAM_CUSTOMER"' },
      triggerParams: { customer: { type: 'string' } },
      routing: { strategy: 'consistent_hash', hashKey: 'customer', labels: {} },
    });
    for (let i = 0; i < 4; i++) await master.api.call('tasks.trigger', { id: t.id, params: { customer: 'acme' } });
    const runs = await ended(t.id, 4);
    expect(new Set(runs.map((r) => r.workerName)).size).toBe(1);
    expect(runs.map((r) => r.output.trim())).toEqual(['acme', 'acme', 'acme', 'acme']);
  });

  it('shard_broadcast makes one run per worker, each told its shard', async () => {
    const t = await task({ routing: { strategy: 'shard_broadcast', labels: {} } });
    const created = await master.api.call('tasks.trigger', { id: t.id });
    expect(created).toHaveLength(3);
    const runs = await ended(t.id, 3);
    expect(runs.map((r) => r.output.trim()).sort()).toEqual(['0/3', '1/3', '2/3']);
    expect(new Set(runs.map((r) => r.workerName)).size).toBe(3);
  });

  it('serial queues a fire until the previous run ended', async () => {
    const t = await task({ params: { command: 'sleep 0.6; echo done' }, blocking: { strategy: 'serial', maxConcurrent: 1 } });
    await master.api.call('tasks.trigger', { id: t.id });
    const [second] = await master.api.call('tasks.trigger', { id: t.id });
    expect(second!.state).toBe('queued');
    const runs = (await ended(t.id, 2)).sort((x, y) => x.startedAt!.localeCompare(y.startedAt!));
    expect(runs.every((r) => r.state === 'succeeded')).toBe(true);
    expect(Date.parse(runs[1]!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(runs[0]!.finishedAt!));
  });

  it('discard_later records the new fire as skipped', async () => {
    const t = await task({ params: { command: 'sleep 1' }, blocking: { strategy: 'discard_later', maxConcurrent: 1 } });
    await master.api.call('tasks.trigger', { id: t.id });
    const [second] = await master.api.call('tasks.trigger', { id: t.id });
    expect(second!.state).toBe('skipped');
    expect(second!.reason).toMatch(/discard_later/);
  });

  it('cover_earlier stops the running run and starts the new one', async () => {
    const t = await task({ params: { command: 'sleep 20' }, blocking: { strategy: 'cover_earlier', maxConcurrent: 1 } });
    const [first] = await master.api.call('tasks.trigger', { id: t.id });
    await waitFor('first running', async () => (await master.api.call('runs.get', { id: first!.id })).state === 'running');
    const [second] = await master.api.call('tasks.trigger', { id: t.id });
    const covered = await waitFor('first cancelled', async () => {
      const r = await master.api.call('runs.get', { id: first!.id });
      return r.state === 'cancelled' ? r : null;
    });
    expect(covered.reason).toBe('covered');
    await waitFor('second running', async () => (await master.api.call('runs.get', { id: second!.id })).state === 'running');
    await master.api.call('runs.stop', { id: second!.id });
  });

  it('concurrent allows up to its maximum at once', async () => {
    const t = await task({ params: { command: 'sleep 1' }, blocking: { strategy: 'concurrent', maxConcurrent: 2 } });
    const created: Run[] = [];
    for (let i = 0; i < 3; i++) created.push(...await master.api.call('tasks.trigger', { id: t.id }));
    expect(created.map((r) => r.state)).toEqual(['assigned', 'assigned', 'queued']);
    const runs = await ended(t.id, 3);
    expect(runs.every((r) => r.state === 'succeeded')).toBe(true);
  });
});
