// What each root run keeps of its family (migration 14, issue 8): the newest attempt's state and times and every
// attempt's workers follow an automatic retry, a reassignment after an agent is killed, an operator's retry and a
// deleted attempt; runs.page's state and worker filters and the dashboard read them. Real master, PostgreSQL, agents.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src-main/master/api/contract/domain';
import { freshDatabase, prepare, startAgent, startTestMaster, tempDir, waitFor, type TestAgent, type TestMaster } from './harness';

interface Kept { newest_state: string; family_workers: string[]; newest_finished_at: Date | null }

describe('newest attempt kept on the root run', () => {
  let master: TestMaster;
  let groupId: string;
  const agents: TestAgent[] = [];

  beforeAll(async () => {
    master = await startTestMaster(await freshDatabase());
    const prepared = await prepare(master);
    groupId = prepared.groupId;
    agents.push(await startAgent(master, prepared.token, { name: 'fam-1' }), await startAgent(master, prepared.token, { name: 'fam-2' }));
    await waitFor('2 online', async () => (await master.api.call('workers.list', {})).filter((w) => w.status === 'online').length === 2);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop('SIGKILL')));
    await master?.stop();
  });

  const kept = async (rootId: string): Promise<Kept> =>
    (await master.db.query<Kept>('select newest_state, family_workers, newest_finished_at from runs where id = $1', [rootId])).rows[0]!;
  /** Every root's kept columns equal what its family says now: the newest attempt by number, every worker. */
  const stale = async () => (await master.db.query<{ id: string }>(`
    select r.id from runs r,
      lateral (select state, finished_at from runs a where a.root_run_id = r.id order by attempt desc, id desc limit 1) n,
      lateral (select coalesce(array_agg(distinct worker_id order by worker_id) filter (where worker_id is not null), '{}') as w
               from runs a where a.root_run_id = r.id) w
    where r.id = r.root_run_id
      and (r.newest_state, r.newest_finished_at, r.family_workers) is distinct from (n.state, n.finished_at, w.w)
    union all
    -- The worker rows (migration 19) name exactly each root's kept workers, and no root that is gone.
    select coalesce(k.root_run_id, r.id) from
      (select root_run_id, array_agg(worker_id order by worker_id) as w from run_family_workers group by root_run_id) k
      full join (select id, family_workers from runs where id = root_run_id and cardinality(family_workers) > 0) r
        on r.id = k.root_run_id
    where k.w is distinct from r.family_workers`)).rows;
  /** A worker's families counted by runs.page with no other filter (its rows alone), and by plain SQL. */
  const workerTotals = async (id: string) => [
    (await master.api.call('runs.page', { workerId: id, limit: 1 })).total!.count,
    (await master.db.query<{ n: number }>(
      'select count(distinct root_run_id)::int as n from runs where worker_id = $1', [id])).rows[0]!.n,
  ];
  const total = async (input: { taskId: string; state?: Run['state'][]; workerId?: string }) =>
    (await master.api.call('runs.page', { ...input, limit: 10 })).total!.count;
  const workerId = async (name: string) => (await master.api.call('workers.list', {})).find((w) => w.name === name)!.id;
  const shellTask = (name: string, command: string, retry?: Record<string, unknown>) => master.api.call('tasks.create', {
    name, groupId, handler: 'shell', params: { command }, trigger: { type: 'api' }, ...(retry ? { retry } : {}),
  });
  const runsOf = (taskId: string, done: (runs: Run[]) => boolean, what: string) => waitFor(what, async () => {
    const runs = await master.api.call('runs.list', { taskId });
    return done(runs) ? runs : null;
  }, 30_000);

  it('follows an automatic retry: waiting, then succeeded, with both attempts\' workers', async () => {
    const marker = `${await tempDir('baton-family-')}/failed-once`;
    const flaky = await shellTask('flaky', `if [ -f ${marker} ]; then echo second; else touch ${marker}; exit 1; fi`,
      { count: 1, backoff: 'fixed', delayMs: 0, maxDelayMs: 0 });
    const waiting = await shellTask('waiting', 'exit 1', { count: 1, backoff: 'fixed', delayMs: 600_000, maxDelayMs: 600_000 });
    const [first] = await master.api.call('tasks.trigger', { id: flaky.id });
    const [slowFirst] = await master.api.call('tasks.trigger', { id: waiting.id });
    const runs = await runsOf(flaky.id, (r) => r.map((x) => x.state).join() === 'succeeded,failed', 'the retry succeeded');
    await runsOf(waiting.id, (r) => r.map((x) => x.state).join() === 'scheduled,failed', 'the retry waits');

    const done = await kept(first!.id);
    expect(done.newest_state).toBe('succeeded');
    expect(done.newest_finished_at?.toISOString()).toBe(runs[0]!.finishedAt);
    expect(done.family_workers).toEqual([...new Set(runs.map((r) => r.workerId!))].sort());
    expect([await total({ taskId: flaky.id, state: ['succeeded'] }), await total({ taskId: flaky.id, state: ['failed'] })]).toEqual([1, 0]);
    // A failure whose retry is still waiting is neither failed nor ended: its newest attempt is scheduled.
    expect(await kept(slowFirst!.id)).toMatchObject({ newest_state: 'scheduled', newest_finished_at: null });
    expect([await total({ taskId: waiting.id, state: ['scheduled'] }), await total({ taskId: waiting.id, state: ['failed'] })]).toEqual([1, 0]);
    const summary = await master.api.call('dashboard.summary', {});
    expect([summary.hour.ended, summary.hour.series.counts.succeeded.reduce((a, b) => a + b, 0)]).toEqual([1, 1]);
    expect(await stale()).toEqual([]);
  });

  it('follows a reassignment after the agent running it is killed, and names both workers', async () => {
    const long = await shellTask('long', 'sleep 30');
    const [run] = await master.api.call('tasks.trigger', { id: long.id });
    const running = await waitFor('running', async () => {
      const r = await master.api.call('runs.get', { id: run!.id });
      return r.state === 'running' ? r : null;
    });
    expect(await kept(run!.id)).toMatchObject({ newest_state: 'running', family_workers: [running.workerId] });
    const victim = agents.find((a) => a.name === running.workerName)!;
    victim.process.kill('SIGKILL');
    const moved = await waitFor('reassigned and running elsewhere', async () => {
      const runs = await master.api.call('runs.list', { taskId: long.id });
      return runs.find((r) => r.attempt === 2 && r.state === 'running');
    }, 30_000);
    expect((await master.api.call('runs.get', { id: run!.id })).state).toBe('lost');
    expect(await kept(run!.id)).toMatchObject({
      newest_state: 'running', family_workers: [running.workerId!, moved.workerId!].sort(), newest_finished_at: null,
    });
    // Found by either worker, and by the newest state only.
    expect(await total({ taskId: long.id, workerId: running.workerId! })).toBe(1);
    expect(await total({ taskId: long.id, workerId: moved.workerId! })).toBe(1);
    expect(await total({ taskId: long.id, state: ['lost'] })).toBe(0);
    for (const id of [running.workerId!, moved.workerId!]) {
      const [counted, plain] = await workerTotals(id);
      expect(counted).toBe(plain);
    }
    await master.api.call('runs.stop', { id: moved.id });
    await waitFor('the stop is kept on the root', async () => (await kept(run!.id)).newest_state === 'cancelled');
    expect(await total({ taskId: long.id, state: ['cancelled'] })).toBe(1);
    expect(await stale()).toEqual([]);
  });

  it('follows an operator\'s retry, and falls back when that attempt is deleted', async () => {
    const marker = `${await tempDir('baton-family-')}/failed-once`;
    const once = await shellTask('fails-once', `if [ -f ${marker} ]; then echo second; else touch ${marker}; exit 3; fi`);
    const [run] = await master.api.call('tasks.trigger', { id: once.id });
    await runsOf(once.id, (r) => r[0]?.state === 'failed', 'the run failed');
    expect((await kept(run!.id)).newest_state).toBe('failed');
    expect(await total({ taskId: once.id, state: ['failed'] })).toBe(1);

    const retry = await master.api.call('runs.retry', { id: run!.id });
    await runsOf(once.id, (r) => r.map((x) => x.state).join() === 'succeeded,failed', 'the operator\'s retry succeeded');
    expect((await kept(run!.id)).newest_state).toBe('succeeded');
    expect([await total({ taskId: once.id, state: ['failed'] }), await total({ taskId: once.id, state: ['succeeded'] })]).toEqual([0, 1]);
    expect(await stale()).toEqual([]);

    // A later attempt removed (as retention may) leaves the root with what its remaining attempts say.
    await master.db.query('delete from runs where id = $1', [retry.id]);
    expect((await kept(run!.id)).newest_state).toBe('failed');
    expect(await total({ taskId: once.id, state: ['failed'] })).toBe(1);
    expect(await stale()).toEqual([]);

    // The whole family removed (as retention does): its worker rows go with its root, and the counts follow.
    const worker = (await master.api.call('runs.get', { id: run!.id })).workerId!;
    const [before] = await workerTotals(worker);
    await master.db.query('delete from runs where root_run_id = $1', [run!.id]);
    expect(await workerTotals(worker)).toEqual([before! - 1, before! - 1]);
    expect(await stale()).toEqual([]);
  });

  it('refuses a state filter outside the run states and a worker id too long, naming the field; nothing changes', async () => {
    const before = (await master.db.query('select id, newest_state, family_workers from runs order by id')).rows;
    const refusal = (input: object) => master.api.call('runs.page', input as never).then(() => null, (e: { code: string; field?: string }) => e);
    expect(await refusal({ state: ['newest'] })).toMatchObject({ code: 'invalid_input', field: 'state.0' });
    expect(await refusal({ workerId: 'w'.repeat(10_000) })).toMatchObject({ code: 'invalid_input', field: 'workerId' });
    expect((await master.db.query('select id, newest_state, family_workers from runs order by id')).rows).toEqual(before);
  });
});
