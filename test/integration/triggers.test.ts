// Every trigger kind, fired by a real master on real PostgreSQL and run by a real agent process (issue 3, "Triggers").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run, TaskInput } from '../../src-main/master/api/contract/domain';
import { masterWithAgent, waitFor, type TestAgent, type TestMaster } from './harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ms = (iso: string | null) => Date.parse(iso!);

describe('triggers', () => {
  let master: TestMaster;
  let agent: TestAgent;
  let groupId: string;

  beforeAll(async () => {
    ({ master, agent, groupId } = await masterWithAgent('trig-agent'));
  });
  afterAll(async () => {
    await agent?.stop();
    await master?.stop();
  });

  const shellTask = (name: string, command: string, trigger: TaskInput['trigger'], extra: Partial<TaskInput> = {}) =>
    master.api.call('tasks.create', { name, groupId, handler: 'shell', params: { command }, trigger, ...extra });

  /** Runs of a task, oldest planned first. */
  async function runsOf(taskId: string): Promise<Run[]> {
    const list = await master.api.call('runs.list', { taskId, limit: 1_000 });
    return list.sort((a, b) => ms(a.plannedAt) - ms(b.plannedAt) || a.id.localeCompare(b.id));
  }
  const disable = (id: string) => master.api.call('tasks.setEnabled', { id, enabled: false });

  function expectNoDoubleFires(runs: Run[]): void {
    const keys = runs.filter((r) => r.trigger === 'schedule' || r.trigger === 'misfire').map((r) => `${r.taskId}@${r.plannedAt}`);
    expect(new Set(keys).size).toBe(keys.length);
  }

  it('fires a 6-field cron in its own zone (Asia/Kolkata), on whole even seconds', async () => {
    // The hour field names the CURRENT and next hour in Kolkata (UTC+5:30): read as UTC it would not match for hours.
    const hourIn = (t: number) => Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Kolkata', hour: '2-digit', hourCycle: 'h23' }).format(t));
    const h = hourIn(Date.now());
    const hours = [h, (h + 1) % 24];
    const task = await shellTask('cron-kolkata', 'echo tick', { type: 'cron', expression: `*/2 * ${hours.join(',')} * * *`, timezone: 'Asia/Kolkata' });
    expect(task.trigger).toMatchObject({ timezone: 'Asia/Kolkata' });
    const runs = await waitFor('3 cron runs', async () => {
      const r = (await runsOf(task.id)).filter((x) => x.state === 'succeeded');
      return r.length >= 3 ? r : null;
    }, 12_000);
    await disable(task.id);
    for (const run of runs) {
      const planned = new Date(run.plannedAt);
      expect(run.trigger).toBe('schedule');
      expect(planned.getUTCMilliseconds()).toBe(0);
      expect(planned.getUTCSeconds() % 2).toBe(0);
      expect(hours).toContain(hourIn(planned.getTime()));
      expect(run.output.trim()).toBe('tick');
    }
    const planned = runs.map((r) => ms(r.plannedAt));
    for (let i = 1; i < planned.length; i++) expect(planned[i]! - planned[i - 1]!).toBe(2_000);
    expectNoDoubleFires(await runsOf(task.id));
  });

  it('fires a fixed rate of 700 ms on exact multiples of the interval, with no drift', async () => {
    const task = await shellTask('rate-700', 'true', { type: 'fixed_rate', intervalMs: 700 });
    const first = ms(task.nextFireAt);
    const runs = await waitFor('6 fixed-rate runs', async () => {
      const r = (await runsOf(task.id)).filter((x) => x.trigger === 'schedule');
      return r.length >= 6 ? r : null;
    }, 12_000);
    await disable(task.id);
    const planned = runs.map((r) => ms(r.plannedAt));
    expect(planned[0]).toBe(first);
    for (let i = 1; i < planned.length; i++) expect(planned[i]! - planned[i - 1]!).toBe(700);
    expectNoDoubleFires(await runsOf(task.id));
  });

  it('fires a fixed delay only after the previous run ended plus the delay', async () => {
    const task = await shellTask('delay-300', 'sleep 0.5', { type: 'fixed_delay', delayMs: 300 });
    const runs = await waitFor('3 finished fixed-delay runs', async () => {
      const r = (await runsOf(task.id)).filter((x) => x.state === 'succeeded');
      return r.length >= 3 ? r : null;
    }, 12_000);
    await disable(task.id);
    for (let i = 1; i < runs.length; i++) {
      const prev = runs[i - 1]!;
      const cur = runs[i]!;
      expect(ms(cur.plannedAt)).toBeGreaterThanOrEqual(ms(prev.finishedAt) + 300);
      expect(ms(cur.startedAt)).toBeGreaterThanOrEqual(ms(prev.finishedAt));
    }
  });

  it('fires a one-shot exactly once, then has no next fire', async () => {
    const at = new Date(Math.ceil((Date.now() + 1_500) / 1_000) * 1_000).toISOString();
    const task = await shellTask('once', 'echo once', { type: 'once', at });
    expect(task.nextFireAt).toBe(at);
    await waitFor('the one-shot run', async () => (await runsOf(task.id)).find((r) => r.state === 'succeeded'), 8_000);
    await sleep(1_500);
    const runs = await runsOf(task.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ trigger: 'schedule', plannedAt: at, output: 'once\n' });
    expect((await master.api.call('tasks.get', { id: task.id })).nextFireAt).toBeNull();
  });

  it('never fires an api task by itself; tasks.trigger runs it with a declared param set', async () => {
    const task = await master.api.call('tasks.create', {
      name: 'api-only', groupId, handler: 'shell', trigger: { type: 'api' },
      params: { command: 'echo "greeting=$BATON_PARAM_GREETING"', greeting: 'default' },
      triggerParams: { greeting: { type: 'string' } },
    });
    expect(task.nextFireAt).toBeNull();
    await sleep(1_500);
    expect(await runsOf(task.id)).toHaveLength(0);

    const [made] = await master.api.call('tasks.trigger', { id: task.id, params: { greeting: 'override' } });
    expect(made).toMatchObject({ trigger: 'api', taskId: task.id });
    const done = await waitFor('api run ends', async () => {
      const run = await master.api.call('runs.get', { id: made!.id });
      return run.finishedAt ? run : null;
    }, 8_000);
    expect(done.state).toBe('succeeded');
    expect(done.output.trim()).toBe('greeting=override');

    const [plain] = await master.api.call('tasks.trigger', { id: task.id });
    const done2 = await waitFor('second api run ends', async () => {
      const run = await master.api.call('runs.get', { id: plain!.id });
      return run.finishedAt ? run : null;
    }, 8_000);
    expect(done2.output.trim()).toBe('greeting=default');
    expect(await runsOf(task.id)).toHaveLength(2);
  });

  it('respects the start/end window', async () => {
    const now = Date.now();
    const ended = await shellTask('window-ended', 'true', { type: 'fixed_rate', intervalMs: 200 }, {
      startAt: new Date(now - 60_000).toISOString(), endAt: new Date(now - 1_000).toISOString(),
    });
    expect(ended.nextFireAt).toBeNull();
    const startAt = Math.ceil((now + 2_000) / 1_000) * 1_000;
    const later = await shellTask('window-later', 'true', { type: 'fixed_rate', intervalMs: 300 }, {
      startAt: new Date(startAt).toISOString(), endAt: new Date(startAt + 1_000).toISOString(),
    });
    // A fixed rate with a start counts from the start: its first fire is the start itself.
    expect(ms(later.nextFireAt)).toBe(startAt);
    const endAt = now + 1_200;
    const ending = await shellTask('window-ending-delay', 'true', { type: 'fixed_delay', delayMs: 200 }, {
      endAt: new Date(endAt).toISOString(),
    });

    while (Date.now() < startAt - 200) {
      expect(await runsOf(later.id)).toHaveLength(0);
      await sleep(200);
    }
    await waitFor('a run in the window', async () => (await runsOf(later.id)).length > 0, 5_000);
    await sleep(startAt + 1_500 - Date.now());
    const laterRuns = await runsOf(later.id);
    expect(ms(laterRuns[0]!.plannedAt)).toBe(startAt);
    for (const run of laterRuns) {
      expect(ms(run.plannedAt)).toBeGreaterThanOrEqual(startAt);
      expect(ms(run.plannedAt)).toBeLessThanOrEqual(startAt + 1_000);
    }
    expect((await master.api.call('tasks.get', { id: later.id })).nextFireAt).toBeNull();
    expect(await runsOf(ended.id)).toHaveLength(0);

    const endingRuns = await runsOf(ending.id);
    expect(endingRuns.length).toBeGreaterThan(0);
    for (const run of endingRuns) expect(ms(run.plannedAt)).toBeLessThanOrEqual(endAt);
    await Promise.all([disable(later.id), disable(ending.id), disable(ended.id)]);
  });

  describe('parent → child', () => {
    async function endedRun(id: string): Promise<Run> {
      return waitFor(`run ${id} ends`, async () => {
        const run = await master.api.call('runs.get', { id });
        return run.finishedAt ? run : null;
      }, 8_000);
    }
    const childRunsOf = async (taskId: string, parentRunId: string) =>
      (await runsOf(taskId)).filter((r) => r.parentRunId === parentRunId);

    it('fires a success child with the parent run id and output', async () => {
      const parent = await master.api.call('tasks.create', {
        name: 'parent-a', groupId, handler: 'shell', params: { command: 'echo parent-says-hi' }, trigger: { type: 'api' },
      });
      const child = await shellTask('child-a', 'echo "$BATON_PARENT_RUN_ID $BATON_PARENT_OUTPUT"', { type: 'parent', parents: [parent.id], on: 'success' });
      expect(child.nextFireAt).toBeNull();
      const [p] = await master.api.call('tasks.trigger', { id: parent.id });
      expect((await endedRun(p!.id)).state).toBe('succeeded');
      const [c] = await waitFor('child run', async () => {
        const r = await childRunsOf(child.id, p!.id);
        return r.length ? r : null;
      }, 8_000);
      const done = await endedRun(c!.id);
      expect(done).toMatchObject({ trigger: 'parent', parentRunId: p!.id, state: 'succeeded' });
      expect(done.output.trim()).toBe(`${p!.id} parent-says-hi`);
      expect(await runsOf(child.id)).toHaveLength(1);
    });

    it('fires failure children only after a failing parent, always children after both', async () => {
      const parent = await master.api.call('tasks.create', {
        name: 'parent-b', groupId, handler: 'shell', trigger: { type: 'api' },
        params: { command: 'echo out; exit "$BATON_PARAM_CODE"', code: 0 },
        triggerParams: { code: { type: 'integer' } },
      });
      const kids = {
        success: await shellTask('kid-success', 'true', { type: 'parent', parents: [parent.id], on: 'success' }),
        failure: await shellTask('kid-failure', 'true', { type: 'parent', parents: [parent.id], on: 'failure' }),
        always: await shellTask('kid-always', 'true', { type: 'parent', parents: [parent.id], on: 'always' }),
      };
      const fired = async (parentRunId: string) => ({
        success: (await childRunsOf(kids.success.id, parentRunId)).length,
        failure: (await childRunsOf(kids.failure.id, parentRunId)).length,
        always: (await childRunsOf(kids.always.id, parentRunId)).length,
      });

      const [ok] = await master.api.call('tasks.trigger', { id: parent.id });
      expect((await endedRun(ok!.id)).state).toBe('succeeded');
      await waitFor('success + always children', async () => {
        const f = await fired(ok!.id);
        return f.success === 1 && f.always === 1;
      }, 8_000);
      await sleep(500);
      expect(await fired(ok!.id)).toEqual({ success: 1, failure: 0, always: 1 });

      const [bad] = await master.api.call('tasks.trigger', { id: parent.id, params: { code: 3 } });
      const badEnd = await endedRun(bad!.id);
      expect(badEnd).toMatchObject({ state: 'failed', exitCode: 3 });
      await waitFor('failure + always children', async () => {
        const f = await fired(bad!.id);
        return f.failure === 1 && f.always === 1;
      }, 8_000);
      await sleep(500);
      expect(await fired(bad!.id)).toEqual({ success: 0, failure: 1, always: 1 });
      for (const kid of Object.values(kids)) {
        for (const run of await runsOf(kid.id)) expect(run.trigger).toBe('parent');
      }
    });
  });
});
