// Misfire policies across a real master outage: a master stops across fire times and a NEW master on the
// same database (and port, so the real agent reconnects) applies each task's policy (issue 3, "Misfire").
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run, Task, TaskInput } from '../../src-main/master/api/contract/domain';
import { freshDatabase, prepare, startAgent, startTestMaster, waitFor, type TestAgent, type TestMaster } from './harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ms = (iso: string | null) => Date.parse(iso!);
const OUTAGE_MS = 6_000;

describe('misfire across a master outage', () => {
  let dbUrl: string;
  let master: TestMaster;
  let agent: TestAgent;
  let groupId: string;
  const tasks: Record<string, Task> = {};
  /** Per task: the latest plannedAt stored before the outage. */
  const lastBefore: Record<string, number> = {};
  let restartedAt = 0;

  const rate = (name: string, misfire: TaskInput['misfire'], trigger: TaskInput['trigger'] = { type: 'fixed_rate', intervalMs: 1_000 }) =>
    master.api.call('tasks.create', { name, groupId, handler: 'shell', params: { command: 'true' }, trigger, misfire });

  async function runsOf(taskId: string): Promise<Run[]> {
    const list = await master.api.call('runs.list', { taskId, limit: 1_000 });
    return list.sort((a, b) => ms(a.plannedAt) - ms(b.plannedAt) || a.id.localeCompare(b.id));
  }
  /**
   * Runs planned after the outage began, the ones the new master made from the schedule. A run the old master
   * assigned as it stopped may be lost and reassigned (trigger `failover`, planned at once): not a fire.
   */
  const afterOutage = async (name: string) =>
    (await runsOf(tasks[name]!.id)).filter((r) => ms(r.plannedAt) > lastBefore[name]! && r.trigger !== 'failover');

  beforeAll(async () => {
    dbUrl = await freshDatabase();
    master = await startTestMaster(dbUrl);
    const prepared = await prepare(master);
    groupId = prepared.groupId;
    agent = await startAgent(master, prepared.token, { name: 'misfire-agent' });
    await waitFor('agent online', async () => (await master.api.call('workers.list', {})).find((w) => w.status === 'online'));

    tasks.ignore = await rate('ignore', { policy: 'ignore', thresholdMs: 1_000 });
    tasks.fireOnce = await rate('fire-once', { policy: 'fire_once', thresholdMs: 1_000 });
    tasks.catchUp = await rate('catch-up', { policy: 'catch_up', thresholdMs: 1_000, maxCatchUp: 3 });
    tasks.cronCatchUp = await rate('cron-catch-up', { policy: 'catch_up', thresholdMs: 1_000, maxCatchUp: 2 }, { type: 'cron', expression: '* * * * * *', timezone: 'Europe/Berlin' });
    // Late by less than its threshold: every missed fire still fires, on schedule.
    tasks.tolerant = await rate('tolerant', { policy: 'ignore', thresholdMs: 20_000 });
    tasks.delayIgnore = await master.api.call('tasks.create', {
      name: 'delay-ignore', groupId, handler: 'shell', params: { command: 'true' },
      trigger: { type: 'fixed_delay', delayMs: 500 }, misfire: { policy: 'ignore', thresholdMs: 1_000 },
    });
    await waitFor('every task fired before the outage', async () => {
      for (const t of Object.values(tasks)) if ((await runsOf(t.id)).filter((r) => r.finishedAt).length < 2) return false;
      return true;
    }, 10_000);

    const port = master.port;
    await master.stop();
    // What the old master stored, read straight from the database while no master runs.
    const db = new pg.Client({ connectionString: dbUrl });
    await db.connect();
    const { rows } = await db.query<{ task_id: string; last: Date }>('select task_id, max(planned_at) as last from runs group by task_id');
    await db.end();
    for (const [name, t] of Object.entries(tasks)) lastBefore[name] = rows.find((r) => r.task_id === t.id)!.last.getTime();
    await sleep(OUTAGE_MS);
    master = await startTestMaster(dbUrl, { BATON_PORT: String(port) });
    restartedAt = Date.now();
    await waitFor('fires resumed after the restart', async () => {
      for (const name of ['ignore', 'fireOnce', 'catchUp', 'cronCatchUp', 'tolerant']) {
        if (!(await afterOutage(name)).some((r) => r.trigger === 'schedule' && ms(r.plannedAt) > restartedAt + 1_000)) return false;
      }
      // fixed_delay restarts from the restart itself, which may fall just before restartedAt was taken.
      if (!(await afterOutage('delayIgnore')).some((r) => r.trigger === 'schedule')) return false;
      // The new master's agent (reconnected to the same address) runs the replayed fires.
      return (await afterOutage('catchUp')).filter((r) => r.trigger === 'misfire' && r.state === 'succeeded').length === 3;
    }, 15_000);
    for (const t of Object.values(tasks)) await master.api.call('tasks.setEnabled', { id: t.id, enabled: false });
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await master?.stop();
  });

  /** The plannedAt steps between consecutive runs, in interval units. */
  const steps = (runs: Run[], interval = 1_000) => runs.slice(1).map((r, i) => (ms(r.plannedAt) - ms(runs[i]!.plannedAt)) / interval);

  it('ignore: no misfire runs, the schedule continues after a gap', async () => {
    const runs = await afterOutage('ignore');
    expect(runs.filter((r) => r.trigger === 'misfire')).toHaveLength(0);
    expect(runs.every((r) => r.trigger === 'schedule')).toBe(true);
    // The outage swallowed several fires: the first fire after it is far past the last one before it.
    expect(ms(runs[0]!.plannedAt) - lastBefore.ignore!).toBeGreaterThanOrEqual(4_000);
    expect((ms(runs[0]!.plannedAt) - lastBefore.ignore!) % 1_000).toBe(0);
    expect(steps(runs).every((s) => s === 1)).toBe(true);
  });

  it('fire_once: exactly one misfire run, for the latest missed fire', async () => {
    const runs = await afterOutage('fireOnce');
    const misfires = runs.filter((r) => r.trigger === 'misfire');
    expect(misfires).toHaveLength(1);
    expect(runs[0]!.trigger).toBe('misfire');
    // It stands for the latest missed fire: the very next planned time fired on schedule, no gap.
    expect(runs[1]!.trigger).toBe('schedule');
    expect(steps(runs).every((s) => s === 1)).toBe(true);
    expect(ms(misfires[0]!.plannedAt) - lastBefore.fireOnce!).toBeGreaterThanOrEqual(4_000);
  });

  it('catch_up: maxCatchUp (3) misfire runs, the latest missed fires, distinct', async () => {
    const runs = await afterOutage('catchUp');
    const misfires = runs.filter((r) => r.trigger === 'misfire');
    expect(misfires).toHaveLength(3);
    expect(new Set(misfires.map((r) => r.plannedAt)).size).toBe(3);
    expect(runs.slice(0, 3).every((r) => r.trigger === 'misfire')).toBe(true);
    expect(runs.slice(3).every((r) => r.trigger === 'schedule')).toBe(true);
    expect(steps(runs).every((s) => s === 1)).toBe(true);
    // More fires were missed than replayed: the oldest missed ones were dropped.
    expect(ms(misfires[0]!.plannedAt) - lastBefore.catchUp!).toBeGreaterThanOrEqual(2_000);
    // The new master's agent (reconnected to the same address) runs the replayed fires.
    expect(misfires.map((r) => r.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });

  it('catch_up on a cron of every second replays the latest maxCatchUp (2) whole seconds', async () => {
    const runs = await afterOutage('cronCatchUp');
    const misfires = runs.filter((r) => r.trigger === 'misfire');
    expect(misfires).toHaveLength(2);
    for (const r of runs) expect(new Date(r.plannedAt).getUTCMilliseconds()).toBe(0);
    expect(runs.slice(2).every((r) => r.trigger === 'schedule')).toBe(true);
    expect(steps(runs).every((s) => s === 1)).toBe(true);
  });

  it('a fire late by less than the threshold is not a misfire: every fire runs, on schedule', async () => {
    const runs = await afterOutage('tolerant');
    expect(runs.filter((r) => r.trigger === 'misfire')).toHaveLength(0);
    expect(ms(runs[0]!.plannedAt) - lastBefore.tolerant!).toBe(1_000);
    expect(steps(runs).every((s) => s === 1)).toBe(true);
  });

  it('fixed_delay with ignore keeps firing after the outage', async () => {
    const runs = await afterOutage('delayIgnore');
    expect(runs.filter((r) => r.trigger === 'misfire')).toHaveLength(0);
    // Every run after lastBefore was fired by the new master.
    expect(runs.filter((r) => r.trigger === 'schedule').length).toBeGreaterThanOrEqual(1);
  });

  it('never fires a (task, plannedAt) twice', async () => {
    for (const t of Object.values(tasks)) {
      const keys = (await runsOf(t.id)).filter((r) => r.trigger === 'schedule' || r.trigger === 'misfire').map((r) => r.plannedAt);
      expect(new Set(keys).size, t.name).toBe(keys.length);
    }
  });
});
