// Task definitions the master must refuse: a clear error naming the field, and nothing stored (issue 3, "Triggers").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task, TaskInput } from '../../src-main/master/api/contract/domain';
import { BatonError } from '../../src-main/master/api/contract/errors';
import { freshDatabase, prepare, startTestMaster, type TestMaster } from './harness';

describe('task validation', () => {
  let master: TestMaster;
  let groupId: string;
  let a: Task;
  let b: Task;

  beforeAll(async () => {
    master = await startTestMaster(await freshDatabase());
    ({ groupId } = await prepare(master));
    a = await master.api.call('tasks.create', { name: 'a', groupId, handler: 'noop', trigger: { type: 'api' } });
    b = await master.api.call('tasks.create', { name: 'b', groupId, handler: 'noop', trigger: { type: 'parent', parents: [a.id], on: 'success' } });
  });
  afterAll(async () => {
    await master?.stop();
  });

  const base = (over: Record<string, unknown>): TaskInput => ({
    name: 'candidate', groupId, handler: 'noop', trigger: { type: 'api' }, ...over,
  } as TaskInput);

  /** Runs `call`, expects an invalid_input error on `field`, and that the stored tasks did not change at all. */
  async function refused(call: () => Promise<unknown>, field: string, mentions?: RegExp): Promise<BatonError> {
    const before = await master.api.call('tasks.list', {});
    const error = await call().then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(BatonError);
    const e = error as BatonError;
    expect(e.code).toBe('invalid_input');
    expect(e.field).toBe(field);
    expect(e.message).toContain(field);
    if (mentions) expect(e.message).toMatch(mentions);
    expect(await master.api.call('tasks.list', {})).toEqual(before);
    return e;
  }
  const create = (over: Record<string, unknown>) => () => master.api.call('tasks.create', base(over));
  const update = (id: string, patch: Record<string, unknown>) => () => master.api.call('tasks.update', { id, patch } as never);

  it('refuses an unknown handler, and params the handler does not take, at create, update and trigger', async () => {
    await refused(create({ handler: 'nosuch' }), 'handler', /shell, http, js/);
    await refused(create({ handler: 'shell', params: {} }), 'params.command');
    await refused(create({ handler: 'http', params: { url: 'not a url' } }), 'params.url', /http\(s\) URL/);
    await refused(update(a.id, { handler: 'shell' }), 'patch.params.command');
    const shell = await master.api.call('tasks.create', base({ name: 'echo', handler: 'shell', params: { command: 'echo hi' } }));
    await refused(() => master.api.call('tasks.trigger', { id: shell.id, params: { command: '' } }), 'params.command');
    expect(await master.api.call('runs.list', { taskId: shell.id })).toEqual([]);
    await master.api.call('tasks.delete', { id: shell.id });
  });

  it('refuses a 5-field cron and names the 6 fields', async () => {
    await refused(create({ trigger: { type: 'cron', expression: '*/5 * * * *', timezone: 'UTC' } }), 'trigger.expression', /6 fields/);
  });

  it('refuses a garbage cron and an out-of-range one', async () => {
    await refused(create({ trigger: { type: 'cron', expression: 'every day at noon o clock', timezone: 'UTC' } }), 'trigger.expression', /invalid cron/);
    await refused(create({ trigger: { type: 'cron', expression: '61 * * * * *', timezone: 'UTC' } }), 'trigger.expression');
    await refused(create({ trigger: { type: 'cron', expression: '0 0 0 30 2 *', timezone: 'UTC' } }), 'trigger.expression', /never fires/);
  });

  it('refuses an unknown time zone', async () => {
    await refused(create({ trigger: { type: 'cron', expression: '0 * * * * *', timezone: 'Mars/Olympus' } }), 'trigger.timezone', /Mars\/Olympus/);
  });

  it('refuses a cycle A → B → A made by tasks.update, and a self-parent', async () => {
    const e = await refused(update(a.id, { trigger: { type: 'parent', parents: [b.id], on: 'success' } }), 'patch.trigger.parents', /cycle/);
    expect(e.message).toContain(a.id);
    expect(e.message).toContain(b.id);
    await refused(update(a.id, { trigger: { type: 'parent', parents: [a.id], on: 'always' } }), 'patch.trigger.parents', /cycle/);
    await refused(update(b.id, { trigger: { type: 'parent', parents: [b.id], on: 'always' } }), 'patch.trigger.parents', /cycle/);
    expect((await master.api.call('tasks.get', { id: a.id })).trigger).toEqual({ type: 'api' });
  });

  it('refuses an unknown parent id', async () => {
    await refused(create({ trigger: { type: 'parent', parents: ['tsk_nope'], on: 'success' } }), 'trigger.parents', /tsk_nope/);
  });

  it('refuses endAt before (or at) startAt', async () => {
    await refused(create({ startAt: '2030-01-02T00:00:00Z', endAt: '2030-01-01T00:00:00Z' }), 'endAt');
    await refused(create({ startAt: '2030-01-01T00:00:00Z', endAt: '2030-01-01T00:00:00Z' }), 'endAt');
  });

  it('refuses an unknown group', async () => {
    await refused(create({ groupId: 'grp_nope' }), 'groupId');
  });

  it('refuses bad shapes at the contract level', async () => {
    await refused(() => master.api.call('tasks.create', { name: 'x', groupId, handler: 'noop' } as never), 'trigger');
    await refused(create({ trigger: { type: 'fixed_rate', intervalMs: '700' } }), 'trigger.intervalMs');
    await refused(create({ trigger: { type: 'fixed_rate', intervalMs: 50 } }), 'trigger.intervalMs');
    await refused(create({ trigger: { type: 'once', at: 'tomorrow' } }), 'trigger.at');
    await refused(create({ trigger: { type: 'parent', parents: [a.id], on: 'sometimes' } }), 'trigger.on');
    await refused(create({ trigger: { type: 'weekly' } }), 'trigger.type');
    await refused(create({ misfire: { policy: 'catch_up', maxCatchUp: 0 } }), 'misfire.maxCatchUp');
    await refused(update(a.id, { trigger: { type: 'cron' } }), 'patch.trigger.expression');
  });

  it('refuses to delete a parent task while children run after it', async () => {
    const parent = await master.api.call('tasks.create', base({ name: 'parent-kept' }));
    const child = await master.api.call('tasks.create', base({ name: 'child-of-kept', trigger: { type: 'parent', parents: [parent.id], on: 'success' } }));
    const error = await master.api.call('tasks.delete', { id: parent.id }).then(() => null, (e: unknown) => e as BatonError);
    expect(error?.code).toBe('conflict');
    expect(error?.message).toContain(child.id);
    expect((await master.api.call('tasks.get', { id: parent.id })).id).toBe(parent.id);
  });

  it('refuses an invalid edit and keeps the stored task as it was', async () => {
    const cron = await master.api.call('tasks.create', base({ name: 'cron-ok', trigger: { type: 'cron', expression: '0 0 * * * *', timezone: 'Europe/Berlin' } }));
    await refused(update(cron.id, { trigger: { type: 'cron', expression: '0 0 * * *', timezone: 'Europe/Berlin' } }), 'patch.trigger.expression');
    await refused(update(cron.id, { trigger: { type: 'cron', expression: '0 0 * * * *', timezone: 'Europe/Atlantis' } }), 'patch.trigger.timezone');
    expect(await master.api.call('tasks.get', { id: cron.id })).toEqual(cron);
  });

  it('a valid partial edit changes only the fields it names', async () => {
    const full = await master.api.call('tasks.create', base({
      name: 'keep-me', handler: 'shell', params: { command: 'echo kept' },
      trigger: { type: 'fixed_rate', intervalMs: 60_000 },
      misfire: { policy: 'catch_up', thresholdMs: 2_000, maxCatchUp: 4 }, retry: { count: 2, backoff: 'exponential', delayMs: 10, maxDelayMs: 100 },
      blocking: { strategy: 'discard_later' }, timeoutMs: 5_000, queueTimeoutMs: 1_000,
      startAt: '2030-01-01T00:00:00.000Z', endAt: '2031-01-01T00:00:00.000Z', enabled: false,
    }));
    const edited = await master.api.call('tasks.update', { id: full.id, patch: { description: 'only this' } });
    const { updatedAt: _u1, description: _d1, ...before } = full;
    const { updatedAt: _u2, description, ...after } = edited;
    expect(description).toBe('only this');
    expect(after).toEqual(before);
  });
});
