// The walking skeleton: a cron task runs on a real agent process and its runs are stored with output and state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, prepare, startAgent, startTestMaster, waitFor, type TestAgent, type TestMaster } from './harness';

describe('walking skeleton', () => {
  let master: TestMaster;
  let agent: TestAgent;
  let groupId: string;
  let token: string;

  beforeAll(async () => {
    master = await startTestMaster(await freshDatabase());
    ({ groupId, token } = await prepare(master));
    agent = await startAgent(master, token, { name: 'agent-a' });
    await waitFor('agent online', async () => (await master.api.call('workers.list', {})).find((w) => w.status === 'online'));
  });
  afterAll(async () => {
    await agent?.stop();
    await master?.stop();
  });

  it('runs a cron task at least twice and stores each run with output and state', async () => {
    const task = await master.api.call('tasks.create', {
      name: 'hello', groupId, handler: 'shell', params: { command: 'echo hello' },
      trigger: { type: 'cron', expression: '*/2 * * * * *', timezone: 'UTC' },
    });
    const runs = await waitFor('two succeeded runs', async () => {
      const list = await master.api.call('runs.list', { taskId: task.id });
      const done = list.filter((r) => r.state === 'succeeded');
      return done.length >= 2 ? done : null;
    });
    for (const run of runs) {
      expect(run.workerName).toBe('agent-a');
      expect(run.output.trim()).toBe('hello');
      expect(run.trigger).toBe('schedule');
      expect(run.exitCode).toBe(0);
      expect(new Date(run.plannedAt).getUTCSeconds() % 2).toBe(0);
      expect(run.startedAt && run.finishedAt && run.assignedAt).toBeTruthy();
    }
    await master.api.call('tasks.setEnabled', { id: task.id, enabled: false });
  });

  it('refuses an agent with a bad token, and the agent exits with a clear message', async () => {
    const bad = await startAgent(master, `bt_tok_000000000000.${'x'.repeat(32)}`, { name: 'intruder' });
    const code = await bad.exited;
    expect(code).toBe(3);
    expect(bad.output()).toMatch(/token is unknown or revoked/);
    const workers = await master.api.call('workers.list', {});
    expect(workers.map((w) => w.name)).not.toContain('intruder');
  });

  it('refuses a revoked enrolment token', async () => {
    const { enrolment, secret } = await master.api.call('enrolments.create', { label: 'to revoke', groupId });
    await master.api.call('enrolments.revoke', { id: enrolment.id });
    const revoked = await startAgent(master, secret, { name: 'revoked' });
    expect(await revoked.exited).toBe(3);
  });
});
