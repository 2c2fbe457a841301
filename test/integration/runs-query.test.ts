// The runs list, run page, retry and stop of issue 8 on a real master and PostgreSQL: a few thousand runs made
// with SQL page strictly newest first with exact totals and every filter; retries sit under their first attempt;
// hostile inputs are refused naming the field and change nothing; retry and stop on a real agent, with transitions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatonError } from '../../src-main/master/api/contract/errors';
import type { RunFamily, RunPageInput } from '../../src-main/master/api/contract/run-query';
import { freshDatabase, prepare, startAgent, startTestMaster, waitFor, type TestAgent, type TestMaster } from './harness';

const ROOTS = 3_000;

describe('runs list, run page, retry and stop', () => {
  let master: TestMaster;
  let agent: TestAgent;
  let groupId: string;
  let taskA: string;
  let taskB: string;

  const page = (input: RunPageInput) => master.api.call('runs.page', input);
  const all = async (input: RunPageInput): Promise<RunFamily[]> => {
    const out: RunFamily[] = [];
    let cursor: string | undefined;
    for (;;) {
      const p = await page({ ...input, limit: 200, cursor });
      out.push(...p.runs);
      if (!p.next) return out;
      cursor = p.next;
    }
  };
  const sql = async <T>(text: string, params: unknown[] = []) => (await master.db.query(text, params)).rows as T[];
  const refusal = (call: Promise<unknown>) => call.then(() => null, (e: BatonError) => e);

  beforeAll(async () => {
    master = await startTestMaster(await freshDatabase());
    const prepared = await prepare(master);
    groupId = prepared.groupId;
    const other = await master.api.call('groups.create', { name: 'other' });
    const mk = (name: string, group: string) => master.api.call('tasks.create', {
      name, groupId: group, handler: 'shell', params: { command: 'true' }, trigger: { type: 'api' },
    });
    taskA = (await mk('gen-a', groupId)).id;
    taskB = (await mk('gen-b', other.id)).id;
    // Roots: every 7th shares its creation time with the one before (ties broken by id), states and triggers vary,
    // every 10th failed and has a retry (attempt 2) that succeeded, outputs carry a searchable word on every 97th.
    await master.db.query(`
      insert into runs (id, task_id, root_run_id, attempt, trigger, worker_id, worker_name, trace_id, state, planned_at, created_at, output, error)
      select 'run_' || lpad(i::text, 9, '0') || lpad(to_hex(i), 12, '0'),
        case when i % 3 = 0 then $2 else $1 end,
        'run_' || lpad(i::text, 9, '0') || lpad(to_hex(i), 12, '0'), 1,
        (array['schedule', 'api', 'parent'])[1 + i % 3], 'wrk_' || (i % 4), 'w' || (i % 4), 't',
        case when i % 10 = 0 then 'failed' when i % 11 = 0 then 'cancelled' else 'succeeded' end,
        timestamptz '2026-01-01' + i * interval '1 second', timestamptz '2026-01-01' + ((i - (case when i % 7 = 0 then 1 else 0 end)) * interval '1 second'),
        case when i % 97 = 0 then 'found NEEDLE_50% here' else 'plain output ' || i end,
        case when i % 10 = 0 then 'exit 1' end
      from generate_series(1, ${ROOTS}) i`, [taskA, taskB]);
    await master.db.query(`
      insert into runs (id, task_id, root_run_id, attempt, trigger, worker_id, worker_name, trace_id, state, planned_at, created_at, output)
      select 'run_' || lpad((100000 + i)::text, 9, '0') || lpad(to_hex(100000 + i), 12, '0'), task_id, id, 2, 'retry', 'wrk_9', 'w9', 't',
        'succeeded', now(), created_at + interval '5 seconds', 'retried fine'
      from runs r, lateral (select substr(r.id, 5, 9)::int as i) n where r.state = 'failed'`);
    // As autovacuum would after such a load: the planner needs the table's statistics.
    await master.db.query('analyze runs');
    agent = await startAgent(master, prepared.token, { name: 'rq-agent' });
    await waitFor('agent online', async () => (await master.api.call('workers.list', {}))[0]?.status === 'online');
  }, 120_000);
  afterAll(async () => {
    await agent?.stop();
    await master?.stop();
  });

  it('pages every root run once, strictly newest first by (created, id), with an exact total', async () => {
    const first = await page({ limit: 50 });
    expect(first.total).toEqual({ count: ROOTS, capped: false });
    // Later pages of the same list are not counted again.
    expect((await page({ limit: 50, cursor: first.next! })).total).toBeNull();
    expect(first.runs).toHaveLength(50);
    const listed = await all({});
    const expected = await sql<{ id: string }>('select id from runs where id = root_run_id order by created_at desc, id desc');
    expect(listed.map((r) => r.id)).toEqual(expected.map((r) => r.id));
    // Tied creation times are ordered by id, descending.
    const tied = await sql<{ id: string }>(`select id from runs where created_at = timestamptz '2026-01-01' + interval '6 seconds' order by id desc`);
    expect(tied).toHaveLength(2);
    const at = listed.findIndex((r) => r.id === tied[0]!.id);
    expect(listed[at + 1]!.id).toBe(tied[1]!.id);
  });

  it('groups retries under their first attempt and shows an output excerpt only', async () => {
    const failed = (await all({ taskId: taskA })).filter((r) => r.retries.length > 0);
    expect(failed.length).toBeGreaterThan(0);
    for (const family of failed) {
      expect(family.attempt).toBe(1);
      expect(family.retries.map((r) => [r.attempt, r.state, r.rootRunId])).toEqual([[2, 'succeeded', family.id]]);
    }
    const retryIds = new Set(failed.flatMap((r) => r.retries.map((x) => x.id)));
    expect((await all({})).some((r) => retryIds.has(r.id))).toBe(false);
  });

  it('filters by task, group, worker, newest state, trigger, time range and text, totals matching', async () => {
    const count = async (where: string, params: unknown[] = []) =>
      (await sql<{ n: number }>(`select count(*)::int as n from runs r where r.id = r.root_run_id and ${where}`, params))[0]!.n;
    // Every filter pages the same roots as plain SQL, in the same strict order (ties on creation time included).
    const check = async (input: RunPageInput, where: string, params: unknown[] = []) => {
      const want = await count(where, params);
      const got = await all(input);
      expect({ input, n: got.length }).toEqual({ input, n: want });
      const ordered = await sql<{ id: string }>(
        `select id from runs r where r.id = r.root_run_id and ${where} order by created_at desc, id desc`, params);
      expect(got.map((r) => r.id)).toEqual(ordered.map((r) => r.id));
      expect((await page({ ...input, limit: 1 })).total!.count).toBe(want);
      return got;
    };
    await check({ taskId: taskB }, 'r.task_id = $1', [taskB]);
    await check({ groupId }, 'r.task_id = $1', [taskA]);
    await check({ workerId: 'wrk_1' }, `r.worker_id = 'wrk_1'`);
    // The retry ran on wrk_9: its family is found by it.
    await check({ workerId: 'wrk_9' }, `r.state = 'failed'`);
    // Newest attempt: failed first attempts were retried and succeeded, so no family is failed now.
    expect((await page({ state: ['failed'] })).total).toEqual({ count: 0, capped: false });
    await check({ state: ['cancelled'] }, `r.state = 'cancelled'`);
    await check({ state: ['succeeded', 'cancelled'] }, 'true');
    await check({ trigger: ['parent'] }, `r.trigger = 'parent'`);
    await check({ from: '2026-01-01T00:10:00Z', to: '2026-01-01T00:20:00.000+00:00' },
      `r.created_at >= '2026-01-01T00:10:00Z' and r.created_at < '2026-01-01T00:20:00Z'`);
    // `%` and `_` are matched as themselves, case-insensitively.
    const found = await check({ text: 'needle_50%' }, `r.output like '%NEEDLE_50\\%%'`);
    expect(found.length).toBe(Math.floor(ROOTS / 97));
    expect((await page({ text: 'needle%50' })).total!.count).toBe(0);
    await check({ text: 'exit 1', taskId: taskA, trigger: ['api'] }, `r.error = 'exit 1' and r.task_id = $1 and r.trigger = 'api'`, [taskA]);
    // A word in most outputs ('plain', 'retried fine') takes the walk over roots (see PROBE_ROOTS in db/run-page.ts);
    // the families whose root says "found NEEDLE" but whose retry matches are found through the retry.
    const common = await check({ text: 'IN' }, `exists (select 1 from runs a where a.root_run_id = r.id and a.output ilike '%in%')`);
    const byRetry = common.filter((f) => !/in/i.test(f.output ?? ''));
    expect(byRetry.length).toBe(Math.floor(ROOTS / 970));
    expect(byRetry.every((f) => f.retries.some((a) => /in/i.test(a.output ?? '')))).toBe(true);
  });

  it('says "more than 10,000" past the count bound', async () => {
    await master.db.query(`
      insert into runs (id, task_id, root_run_id, attempt, trigger, trace_id, state, planned_at, created_at)
      select 'run_' || lpad((200000 + i)::text, 9, '0') || lpad(to_hex(200000 + i), 12, '0'), $1,
        'run_' || lpad((200000 + i)::text, 9, '0') || lpad(to_hex(200000 + i), 12, '0'), 1, 'api', 't', 'succeeded', now(), timestamptz '2025-01-01'
      from generate_series(1, 10001) i`, [taskB]);
    expect((await page({ limit: 1 })).total).toEqual({ count: 10_000, capped: true });
    expect((await page({ taskId: taskA, limit: 1 })).total!.capped).toBe(false);
    await master.db.query(`delete from runs where created_at = timestamptz '2025-01-01'`);
  });

  it('refuses a forged cursor, a bad time range, 10 KB of search text and unknown fields, naming the field; nothing changes', async () => {
    const before = await sql<{ n: number; t: number }>('select (select count(*)::int from runs) as n, (select count(*)::int from run_transitions) as t');
    const cases: Array<[RunPageInput, string, RegExp]> = [
      [{ cursor: 'eyJpZCI6InJ1bl8xIn0' }, 'cursor', /next. cursor of a previous page/],
      [{ cursor: `1.run_000000001000000000001'; drop table runs; --` }, 'cursor', /at most 64|cursor of a previous page/],
      [{ cursor: '-5.run_000000001000000000001' }, 'cursor', /cursor of a previous page/],
      [{ from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, 'to', /must not be before from/],
      [{ from: 'yesterday' }, 'from', /./],
      [{ text: 'x'.repeat(10_240) }, 'text', /at most 200 characters/],
      [{ text: '   ' }, 'text', /must not be empty/],
      [{ state: ['exploded' as 'failed'] }, 'state.0', /./],
      [{ limit: 100_000 }, 'limit', /./],
      [{ sort: 'asc' } as RunPageInput, 'sort', /unknown field/],
    ];
    for (const [input, field, message] of cases) {
      const error = await refusal(page(input));
      expect({ input, code: error?.code, field: error?.field }).toEqual({ input, code: 'invalid_input', field });
      expect(error!.message).toMatch(message);
    }
    // A well-formed cursor that no page made is only a position: the runs older than it.
    const older = await page({ cursor: `${Date.parse('2026-01-01T00:00:10Z') * 1000}.run_00000001000000000000a`, limit: 200 });
    expect(older.runs.map((r) => r.id)).toEqual((await sql<{ id: string }>(
      `select id from runs where id = root_run_id and created_at < timestamptz '2026-01-01T00:00:10Z' order by created_at desc, id desc`)).map((r) => r.id));
    expect(await sql('select (select count(*)::int from runs) as n, (select count(*)::int from run_transitions) as t')).toEqual(before);
  });

  it('retries an ended run as a new attempt with the same params, and shows every transition on the run page', async () => {
    const task = await master.api.call('tasks.create', {
      name: 'fails', groupId, handler: 'shell', params: { command: 'echo "try $BATON_PARAM_WHO"; exit 3', who: 'default' },
      triggerParams: { who: { type: 'string' } }, trigger: { type: 'api' },
    });
    const [run] = await master.api.call('tasks.trigger', { id: task.id, params: { who: 'ops' } });
    const ended = await waitFor('the run failed', async () => {
      const r = await master.api.call('runs.get', { id: run!.id });
      return r.state === 'failed' ? r : null;
    }, 30_000);
    expect(ended.output).toContain('try ops');
    const retry = await master.api.call('runs.retry', { id: run!.id });
    expect(retry).toMatchObject({ rootRunId: run!.id, attempt: 2, trigger: 'retry', taskId: task.id });
    const second = await waitFor('the retry failed too', async () => {
      const r = await master.api.call('runs.get', { id: retry.id });
      return r.state === 'failed' ? r : null;
    }, 30_000);
    expect(second.output).toContain('try ops');
    const detail = await master.api.call('runs.detail', { id: retry.id });
    expect(detail.attempts.map((a) => [a.id, a.attempt])).toEqual([[run!.id, 1], [retry.id, 2]]);
    const states = (id: string) => detail.transitions.filter((t) => t.runId === id).map((t) => t.state);
    expect(states(run!.id)).toEqual(['assigned', 'running', 'failed']);
    expect(states(retry.id)).toEqual(['queued', 'assigned', 'running', 'failed']);
    expect(detail.transitions.every((t, i, list) => i === 0 || t.at >= list[i - 1]!.at || t.runId !== list[i - 1]!.runId)).toBe(true);
    const family = (await page({ taskId: task.id })).runs;
    expect(family.map((f) => [f.id, f.retries.map((r) => r.id)])).toEqual([[run!.id, [retry.id]]]);
    expect((await page({ taskId: task.id, state: ['failed'] })).total!.count).toBe(1);

    // Only an ended run can be retried; an unknown one is not found.
    const [slow] = await master.api.call('tasks.trigger', {
      id: (await master.api.call('tasks.create', { name: 'slow', groupId, handler: 'shell', params: { command: 'sleep 30' }, trigger: { type: 'api' } })).id,
    });
    await waitFor('slow running', async () => (await master.api.call('runs.get', { id: slow!.id })).state === 'running');
    expect(await refusal(master.api.call('runs.retry', { id: slow!.id }))).toMatchObject({ code: 'conflict', field: 'id' });
    expect(await refusal(master.api.call('runs.retry', { id: 'run_000000000ffffffffffff' }))).toMatchObject({ code: 'not_found' });
    const stopped = await master.api.call('runs.stop', { id: slow!.id });
    expect(stopped.state).toBe('cancelled');
    const slowDetail = await master.api.call('runs.detail', { id: slow!.id });
    expect(slowDetail.transitions.map((t) => t.state)).toEqual(['assigned', 'running', 'cancelled']);
    expect(await sql('select count(*)::int as n from runs where task_id = $1', [task.id])).toEqual([{ n: 2 }]);
  });
});
