// Routing strategies that read live state (metrics, load, recency, heartbeat freshness), with protocol-level agents
// whose heartbeats the test controls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoutingStrategy } from '../../src-main/master/api/contract/domain';
import { freshDatabase, prepare, rawAgent, startTestMaster, waitFor, type RawAgent, type TestMaster } from './harness';

const METRICS = { w1: { cpu: 0.9, memory: 0.2 }, w2: { cpu: 0.1, memory: 0.8 }, w3: { cpu: 0.5, memory: 0.5 } } as const;

describe('routing on live state', () => {
  let master: TestMaster;
  let groupId: string;
  const agents = new Map<string, { socket: RawAgent; beat: NodeJS.Timeout }>();

  const fireWith = async (strategy: RoutingStrategy, times = 1) => {
    const task = await master.api.call('tasks.create', {
      name: `${strategy}-${Math.random().toString(36).slice(2, 7)}`, groupId, handler: 'shell', params: { command: 'true' },
      trigger: { type: 'api' }, routing: { strategy, labels: {} }, blocking: { strategy: 'concurrent', maxConcurrent: 100 },
    });
    const names: string[] = [];
    for (let i = 0; i < times; i++) names.push(...(await master.api.call('tasks.trigger', { id: task.id })).map((r) => r.workerName!));
    return names;
  };

  beforeAll(async () => {
    master = await startTestMaster(await freshDatabase());
    const prepared = await prepare(master);
    groupId = prepared.groupId;
    for (const name of ['w1', 'w2', 'w3'] as const) {
      const socket = await rawAgent(master.agentUrl, prepared.token, { name, capacity: 50 });
      const beat = setInterval(() => socket.emit('heartbeat', { at: Date.now(), ...METRICS[name], load1: 0, running: [] }), 200);
      agents.set(name, { socket, beat });
    }
    await new Promise((r) => setTimeout(r, 500));
  });
  afterAll(async () => {
    for (const { socket, beat } of agents.values()) { clearInterval(beat); socket.disconnect(); }
    await master?.stop();
  });

  it('cpu_first picks the least loaded CPU, memory_first the most free memory', async () => {
    expect(await fireWith('cpu_first')).toEqual(['w2']);
    expect(await fireWith('memory_first')).toEqual(['w1']);
  });

  it('first always takes the first registered worker', async () => {
    expect(await fireWith('first', 3)).toEqual(['w1', 'w1', 'w1']);
  });

  it('least_busy picks the worker with the fewest runs in flight', async () => {
    // These agents never report results, so runs stay in flight: w1 holds 4, w2 holds 1, w3 none.
    expect(await fireWith('least_busy')).toEqual(['w3']);
  });

  it('least_recently_used picks the worker whose last assignment is oldest', async () => {
    // Assignments so far: w2 (cpu_first), w1 (memory_first, first ×3), w3 (least_busy).
    expect(await fireWith('least_recently_used')).toEqual(['w2']);
  });

  it('random spreads over the eligible workers', async () => {
    const names = await fireWith('random', 12);
    expect(names.every((n) => ['w1', 'w2', 'w3'].includes(n))).toBe(true);
    expect(new Set(names).size).toBeGreaterThan(1);
  });

  it('failover passes over a primary that went quiet before it is declared dead', async () => {
    expect(await fireWith('failover')).toEqual(['w1']);
    clearInterval(agents.get('w1')!.beat);
    await new Promise((r) => setTimeout(r, 1_700));
    const workers = await master.api.call('workers.list', {});
    expect(workers.find((w) => w.name === 'w1')!.status).toBe('online');
    expect(await fireWith('failover')).toEqual(['w2']);
    await waitFor('w1 declared offline', async () => (await master.api.call('workers.list', {})).find((w) => w.name === 'w1')!.status === 'offline');
  });
});
