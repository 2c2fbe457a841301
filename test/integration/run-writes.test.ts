// How many writes a run costs (issue 11): a run that ends within a second of starting is stored, then ended, its running
// step recorded from the agent's start; a longer one is marked running while it runs; a master that stops in a run's
// first second writes the mark first. An update log installed in this file's database sees every write of runs.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, prepare, startAgent, startMark, startTestMaster, waitFor, type TestAgent, type TestMaster } from './harness';

const UPDATE_LOG = `
create table run_updates (n bigint generated always as identity, run_id text, old_state text, new_state text);
create function log_run_update() returns trigger language plpgsql as $$
begin
  insert into run_updates (run_id, old_state, new_state) values (new.id, old.state, new.state);
  return null;
end $$;
create trigger log_run_update after update on runs for each row execute function log_run_update();`;

describe('writes per run', () => {
  let databaseUrl: string;
  let master: TestMaster;
  let groupId: string;
  let agent: TestAgent;

  beforeAll(async () => {
    databaseUrl = await freshDatabase();
    master = await startTestMaster(databaseUrl);
    await master.db.query(UPDATE_LOG);
    const prepared = await prepare(master);
    groupId = prepared.groupId;
    agent = await startAgent(master, prepared.token, { name: 'writes-1' });
    await waitFor('online', async () => (await master.api.call('workers.list', {})).some((w) => w.status === 'online'));
  }, 60_000);
  afterAll(async () => {
    await agent?.stop('SIGKILL');
    await master?.stop();
  });

  const updates = async (runId: string) => (await master.db.query<{ old_state: string; new_state: string }>(
    'select old_state, new_state from run_updates where run_id = $1 order by n', [runId])).rows.map((r) => `${r.old_state}→${r.new_state}`);
  const steps = async (runId: string) => (await master.db.query<{ state: string; at: Date }>(
    'select state, at from run_transitions where run_id = $1 order by id', [runId])).rows;
  const trigger = async (name: string, command: string) => {
    const task = await master.api.call('tasks.create', { name, groupId, handler: 'shell', params: { command }, trigger: { type: 'api' } });
    const [run] = await master.api.call('tasks.trigger', { id: task.id });
    return run!.id;
  };
  const ended = (runId: string) => waitFor('the run ended', async () => {
    const run = await master.api.call('runs.get', { id: runId });
    return run.finishedAt ? run : null;
  }, 30_000);

  it('a run that ends within a second is written twice, and its running step is still recorded at the agent\'s start', async () => {
    const runId = await trigger('quick', 'sleep 0.3');
    const run = await ended(runId);
    expect(run.state).toBe('succeeded');
    expect(await updates(runId)).toEqual(['assigned→succeeded']);
    const recorded = await steps(runId);
    expect(recorded.map((s) => s.state)).toEqual(['assigned', 'running', 'succeeded']);
    expect(recorded[1]!.at.toISOString()).toBe(run.startedAt);
    expect(recorded.map((s) => s.at.getTime())).toEqual([...recorded.map((s) => s.at.getTime())].sort((a, b) => a - b));
  });

  it('a run that takes seconds is marked running while it runs, once', async () => {
    const runId = await trigger('slow', 'sleep 4');
    const running = await waitFor('running in the database', async () => {
      const run = await master.api.call('runs.get', { id: runId });
      return run.state === 'running' ? run : null;
    });
    expect(running.startedAt).not.toBeNull();
    expect(await updates(runId)).toEqual(['assigned→running']);
    const run = await ended(runId);
    expect(run.startedAt).toBe(running.startedAt);
    expect(await updates(runId)).toEqual(['assigned→running', 'running→succeeded']);
    expect((await steps(runId)).map((s) => s.state)).toEqual(['assigned', 'running', 'succeeded']);
  });

  it('a worker whose run has reported takes the next run while that end is still being written: no queued → assigned write', async () => {
    const one = await prepare(master, 'one-slot');
    const single = await startAgent(master, one.token, { name: 'one-slot-1', group: 'one-slot', args: ['--capacity', '1'] });
    const blocker = new pg.Client({ connectionString: databaseUrl });
    await blocker.connect();
    try {
      await waitFor('the one-slot agent online', async () => (await master.api.call('workers.list', {})).some((w) => w.name === 'one-slot-1' && w.status === 'online'));
      const create = (name: string, command: string) => master.api.call('tasks.create', { name, groupId: one.groupId, handler: 'shell', params: { command }, trigger: { type: 'api' } });
      const ran = await startMark();
      const first = await create('first', ran.command);
      const second = await create('second', 'true');
      // Every end updates the dashboard's rollups (migration 20): holding them holds the first run's end write.
      await blocker.query('begin; lock table run_outcomes_by_minute in share row exclusive mode');
      const [a] = await master.api.call('tasks.trigger', { id: first.id });
      await ran.started();
      await waitFor('its result reached the master', async () => (await blocker.query(
        `select 1 from pg_stat_activity where wait_event_type = 'Lock' and query like '%finished_at%'`)).rowCount);
      const [b] = await master.api.call('tasks.trigger', { id: second.id });
      expect((await master.api.call('runs.get', { id: a!.id })).state).toBe('assigned');
      expect(b!.state).toBe('assigned');
      await blocker.query('commit');
      await ended(a!.id);
      expect((await ended(b!.id)).state).toBe('succeeded');
      expect(await updates(b!.id)).toEqual(['assigned→succeeded']);
    } finally {
      await blocker.end();
      await single.stop('SIGKILL');
    }
  }, 60_000);

  it('a scheduled fire of a serial task whose previous run is still going is stored once, assigned, when that run reports', async () => {
    const task = await master.api.call('tasks.create', {
      name: 'overlapping', groupId, handler: 'shell', params: { command: 'sleep 1.4' }, trigger: { type: 'fixed_rate', intervalMs: 1_000 },
    });
    const runs = await waitFor('three runs ended', async () => {
      const list = await master.api.call('runs.list', { taskId: task.id });
      return list.filter((r) => r.finishedAt).length >= 3 ? list : null;
    }, 30_000);
    await master.api.call('tasks.setEnabled', { id: task.id, enabled: false, inFlight: 'stop' });
    const done = runs.filter((r) => r.finishedAt).sort((a, b) => Date.parse(a.plannedAt) - Date.parse(b.plannedAt));
    expect(done.map((r) => r.state)).toEqual(done.map(() => 'succeeded'));
    // Serial: each started after the one before it ended; none waited in the queue, so none was written twice on its way.
    for (const [i, r] of done.entries()) {
      if (i > 0) expect(Date.parse(r.startedAt!)).toBeGreaterThanOrEqual(Date.parse(done[i - 1]!.finishedAt!) - 50);
      expect(await updates(r.id)).not.toContain('queued→assigned');
    }
  }, 60_000);

  it('disabling a serial task while a fire waits for its slot leaves nothing to run: the waiting fire is stored and cancelled', async () => {
    const mark = await startMark();
    const task = await master.api.call('tasks.create', {
      name: 'held-when-disabled', groupId, handler: 'shell', params: { command: `${mark.command}; sleep 5` }, trigger: { type: 'fixed_rate', intervalMs: 1_000 },
    });
    await mark.started();
    const [first] = await master.api.call('runs.list', { taskId: task.id });
    // The next fire is due a second after the first and waits up to a second for the slot: disable inside that wait.
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(first!.plannedAt) + 1_300 - Date.now())));
    await master.api.call('tasks.setEnabled', { id: task.id, enabled: false, inFlight: 'stop' });
    await new Promise((r) => setTimeout(r, 1_500));
    const runs = await master.api.call('runs.list', { taskId: task.id });
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.map((r) => r.state)).toEqual(runs.map(() => 'cancelled'));
    expect(await mark.count()).toBe(1);
  }, 60_000);

  it('a master that stops in a run\'s first second writes its running mark first; the next master finds it running', async () => {
    const mark = await startMark();
    const runId = await trigger('interrupted', `${mark.command}; sleep 6`);
    await mark.started();
    const before = await master.api.call('runs.get', { id: runId });
    expect(before.state).toBe('assigned');
    await master.stop();
    const stopped = await startTestMaster(databaseUrl);
    try {
      const run = await stopped.api.call('runs.get', { id: runId });
      expect(run.state).toBe('running');
      expect(run.startedAt).not.toBeNull();
    } finally {
      master = stopped;
    }
  }, 60_000);
});
