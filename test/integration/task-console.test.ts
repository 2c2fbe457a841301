// What the console's task screens rely on (issue 8): trigger previews, archive on delete, the last-result
// column and its filters, Run now with declared params. Real master, real PostgreSQL, a real agent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '../../src-main/master/api/contract/domain';
import { BatonError } from '../../src-main/master/api/contract/errors';
import { masterWithAgent, waitFor, type TestAgent, type TestMaster } from './harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function refusal(call: Promise<unknown>): Promise<BatonError> {
  const error = await call.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(BatonError);
  return error as BatonError;
}

describe('task console', () => {
  let master: TestMaster;
  let agent: TestAgent;
  let groupId: string;

  beforeAll(async () => {
    ({ master, agent, groupId } = await masterWithAgent('console-agent'));
  });
  afterAll(async () => {
    await agent?.stop();
    await master?.stop();
  });

  const runsOf = (taskId: string) => master.api.call('runs.list', { taskId, limit: 1_000 });

  describe('triggers.preview', () => {
    it('lists the next fires of a cron in its zone, with the offset of each moment', async () => {
      const preview = await master.api.call('triggers.preview', { trigger: { type: 'cron', expression: '0 30 2 * * *', timezone: 'America/New_York' }, count: 5 });
      expect(preview.timezone).toBe('America/New_York');
      expect(preview.fires).toHaveLength(5);
      for (const fire of preview.fires) {
        expect(fire).toMatch(/^\d{4}-\d\d-\d\dT(02:30|03:00):00-0[45]:00$/);
        expect(Date.parse(fire)).toBeGreaterThan(Date.now());
      }
      expect(preview.note).toBeNull();
    });

    it('writes other triggers in the zone the viewer asks for, and explains what it cannot list', async () => {
      const rate = await master.api.call('triggers.preview', { trigger: { type: 'fixed_rate', intervalMs: 60_000 }, timezone: 'Asia/Kolkata', count: 3 });
      expect(rate.fires.every((f) => f.endsWith('+05:30'))).toBe(true);
      expect(Date.parse(rate.fires[1]!) - Date.parse(rate.fires[0]!)).toBe(60_000);
      const past = await master.api.call('triggers.preview', { trigger: { type: 'once', at: '2020-01-01T00:00:00Z' } });
      expect(past).toEqual({ timezone: 'UTC', fires: [], note: '2020-01-01T00:00:00Z has passed: a one-shot in the past never fires' });
    });

    it('refuses a bad zone, a bad cron, too many fires and a bad window, naming the field', async () => {
      const cases: Array<[unknown, string, RegExp]> = [
        [{ trigger: { type: 'cron', expression: '0 0 * * * *', timezone: 'Mars/Olympus' } }, 'trigger.timezone', /unknown time zone 'Mars\/Olympus'/],
        [{ trigger: { type: 'cron', expression: '0 0 * * *', timezone: 'UTC' } }, 'trigger.expression', /needs 6 fields, seconds first/],
        [{ trigger: { type: 'cron', expression: '0 61 * * * *', timezone: 'UTC' } }, 'trigger.expression', /invalid cron expression/],
        [{ trigger: { type: 'api' }, count: 51 }, 'count', /at most 50/],
        [{ trigger: { type: 'api' }, count: 0 }, 'count', /at least 1/],
        [{ trigger: { type: 'api' }, timezone: 'Nowhere/City' }, 'timezone', /unknown time zone/],
        [{}, 'trigger', /either a trigger or a taskId/],
        [{ trigger: { type: 'fixed_rate', intervalMs: 1_000 }, startAt: '2030-01-02T00:00:00Z', endAt: '2030-01-01T00:00:00Z' }, 'endAt', /later than startAt/],
      ];
      for (const [input, field, message] of cases) {
        const error = await refusal(master.api.call('triggers.preview', input as never));
        expect(error.code, JSON.stringify(input)).toBe('invalid_input');
        expect(error.field, JSON.stringify(input)).toBe(field);
        expect(error.message).toMatch(message);
      }
    });

    it("previews a stored task from the next fire the planner holds, and a disabled one says it waits", async () => {
      const task = await master.api.call('tasks.create', {
        name: 'preview-stored', groupId, handler: 'noop', trigger: { type: 'cron', expression: '0 0 9 * * *', timezone: 'Europe/Berlin' },
      });
      const preview = await master.api.call('triggers.preview', { taskId: task.id, count: 10 });
      expect(preview.fires).toHaveLength(10);
      expect(Date.parse(preview.fires[0]!)).toBe(Date.parse(task.nextFireAt!));
      expect(preview.fires.every((f) => /T09:00:00\+0[12]:00$/.test(f))).toBe(true);
      await master.api.call('tasks.setEnabled', { id: task.id, enabled: false });
      const disabled = await master.api.call('triggers.preview', { taskId: task.id, count: 2 });
      expect(disabled.note).toMatch(/disabled/);
      expect((await refusal(master.api.call('triggers.preview', { taskId: 'tsk_nope' }))).code).toBe('not_found');
    });
  });

  describe('delete archives', () => {
    let task: Task;

    it('keeps the runs, stops the fires, and hides the task unless asked', async () => {
      task = await master.api.call('tasks.create', {
        name: 'archived-ticker', groupId, handler: 'shell', params: { command: 'echo tick' }, trigger: { type: 'cron', expression: '* * * * * *', timezone: 'UTC' },
      });
      await waitFor('2 finished runs', async () => (await runsOf(task.id)).filter((r) => r.state === 'succeeded').length >= 2, 15_000);
      await master.api.call('tasks.delete', { id: task.id });
      // A fire already on its way when the task was archived may still land: let it, then count.
      await sleep(1_500);
      const kept = await runsOf(task.id);
      expect(kept.length).toBeGreaterThanOrEqual(2);
      await sleep(3_000);
      expect((await runsOf(task.id)).map((r) => r.id).sort()).toEqual(kept.map((r) => r.id).sort());
      expect(kept.every((r) => r.taskName === 'archived-ticker')).toBe(true);

      expect((await master.api.call('tasks.list', {})).map((t) => t.id)).not.toContain(task.id);
      const archived = await master.api.call('tasks.list', { archived: 'only' });
      expect(archived.map((t) => t.id)).toEqual([task.id]);
      expect(archived[0]).toMatchObject({ enabled: false, nextFireAt: null });
      expect(Date.parse(archived[0]!.archivedAt!)).toBeGreaterThan(Date.now() - 60_000);
      expect((await master.api.call('tasks.get', { id: task.id })).archivedAt).toBe(archived[0]!.archivedAt);
    });

    it('refuses to run, edit, enable or delete again an archived task, changing nothing', async () => {
      const before = await master.api.call('tasks.get', { id: task.id });
      const runsBefore = (await runsOf(task.id)).length;
      for (const call of [
        () => master.api.call('tasks.trigger', { id: task.id }),
        () => master.api.call('tasks.update', { id: task.id, patch: { description: 'x' } }),
        () => master.api.call('tasks.setEnabled', { id: task.id, enabled: true }),
        () => master.api.call('tasks.delete', { id: task.id }),
      ]) {
        const error = await refusal(call());
        expect(error.code).toBe('conflict');
        expect(error.message).toMatch(/archived-ticker .* was deleted \(archived\)/);
      }
      expect(await master.api.call('tasks.get', { id: task.id })).toEqual(before);
      expect((await runsOf(task.id)).length).toBe(runsBefore);
    });

    it('frees the name for a new task; two live tasks still cannot share one', async () => {
      const reborn = await master.api.call('tasks.create', { name: 'archived-ticker', groupId, handler: 'noop', trigger: { type: 'api' } });
      expect(reborn.id).not.toBe(task.id);
      const twin = await refusal(master.api.call('tasks.create', { name: 'archived-ticker', groupId, handler: 'noop', trigger: { type: 'api' } }));
      expect(twin.code).toBe('conflict');
      // The old runs still carry their own task, not the new one of the same name.
      expect((await runsOf(reborn.id)).length).toBe(0);
      expect((await runsOf(task.id)).length).toBeGreaterThanOrEqual(2);
    });

    it('an archived task cannot be named as a parent', async () => {
      const error = await refusal(master.api.call('tasks.create', { name: 'orphan', groupId, handler: 'noop', trigger: { type: 'parent', parents: [task.id], on: 'success' } }));
      expect(error.field).toBe('trigger.parents');
    });
  });

  describe('list: last result and filters', () => {
    it('shows each task newest run and filters on it, the handler, enabled and text', async () => {
      const ok = await master.api.call('tasks.create', { name: 'list-ok', description: 'Nightly REPORT', groupId, handler: 'shell', params: { command: 'true' }, trigger: { type: 'api' } });
      const bad = await master.api.call('tasks.create', { name: 'list-bad', groupId, handler: 'shell', params: { command: 'exit 3' }, trigger: { type: 'api' } });
      const idle = await master.api.call('tasks.create', { name: 'list-idle', groupId, handler: 'noop', trigger: { type: 'api' }, enabled: false });
      const [okRun] = await master.api.call('tasks.trigger', { id: ok.id });
      await master.api.call('tasks.trigger', { id: bad.id });
      await waitFor('both ended', async () => {
        const list = await master.api.call('tasks.list', {});
        const state = (id: string) => list.find((t) => t.id === id)?.lastRun?.state;
        return state(ok.id) === 'succeeded' && state(bad.id) === 'failed';
      });
      const list = await master.api.call('tasks.list', {});
      expect(list.find((t) => t.id === ok.id)?.lastRun).toMatchObject({ id: okRun!.id, state: 'succeeded' });
      expect(list.find((t) => t.id === idle.id)?.lastRun).toBeNull();

      const names = async (filter: object) => (await master.api.call('tasks.list', filter)).map((t) => t.name).filter((n) => n.startsWith('list-'));
      expect(await names({ lastState: 'failed' })).toEqual(['list-bad']);
      expect(await names({ lastState: 'never' })).toEqual(['list-idle']);
      expect(await names({ search: 'report' })).toEqual(['list-ok']);
      expect(await names({ search: 'LIST-b' })).toEqual(['list-bad']);
      expect(await names({ handler: 'noop' })).toEqual(['list-idle']);
      expect(await names({ enabled: false })).toEqual(['list-idle']);
      expect(await names({ groupId, handler: 'shell', enabled: true })).toEqual(['list-bad', 'list-ok']);
    });

    it('refuses a bad filter, naming it', async () => {
      for (const [filter, field] of [[{ lastState: 'finished' }, 'lastState'], [{ archived: 'yes' }, 'archived'], [{ search: 'x'.repeat(201) }, 'search'], [{ enabled: 'yes' }, 'enabled']] as const) {
        const error = await refusal(master.api.call('tasks.list', filter as never));
        expect(error.code).toBe('invalid_input');
        expect(error.field).toBe(field);
      }
    });
  });

  describe('Run now', () => {
    it('passes declared params to the run and refuses undeclared or mistyped ones, running nothing', async () => {
      const task = await master.api.call('tasks.create', {
        name: 'run-now-params', groupId, handler: 'shell', trigger: { type: 'api' },
        params: { command: 'echo "region=$BATON_PARAM_REGION n=$BATON_PARAM_COUNT"', region: 'eu-west' },
        triggerParams: { region: { type: 'string', maxLength: 16 }, count: { type: 'integer', required: true } },
      });
      const [run] = await master.api.call('tasks.trigger', { id: task.id, params: { region: 'us-east', count: 3 } });
      const done = await waitFor('run ended', async () => {
        const r = await master.api.call('runs.get', { id: run!.id });
        return r.state === 'succeeded' ? r : null;
      });
      expect(done.output.trim()).toBe('region=us-east n=3');

      for (const [params, field] of [
        [{ count: 1, zone: 'x' }, 'params.zone'],
        [{ count: 'three' }, 'params.count'],
        [{ region: 'eu' }, 'params.count'],
        [{ count: 1, region: 'r'.repeat(17) }, 'params.region'],
        [{ count: 1, command: 'rm -rf /' }, 'params.command'],
      ] as const) {
        const error = await refusal(master.api.call('tasks.trigger', { id: task.id, params }));
        expect(error.code, JSON.stringify(params)).toBe('invalid_input');
        expect(error.field, JSON.stringify(params)).toBe(field);
      }
      expect((await runsOf(task.id)).length).toBe(1);
    });

    it('queues a run with no worker when the group has none online', async () => {
      const empty = await master.api.call('groups.create', { name: 'empty' });
      const task = await master.api.call('tasks.create', { name: 'lonely', groupId: empty.id, handler: 'noop', trigger: { type: 'api' } });
      const [run] = await master.api.call('tasks.trigger', { id: task.id });
      expect(run).toMatchObject({ state: 'queued', workerId: null });
    });
  });
});
