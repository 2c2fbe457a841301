// Real output is not tidy text (found by a tester): a command printing NUL bytes, raw binary or ANSI colours ends
// like any other run, with its output and log lines stored; before, the store refused a NUL, the agent resent the
// result forever and the run stayed `running`, holding its agent's slot. An API input with a NUL is refused, named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { masterWithAgent, waitFor, type TestAgent, type TestMaster } from './harness';

describe('binary output', () => {
  let master: TestMaster;
  let groupId: string;
  let agent: TestAgent;

  beforeAll(async () => {
    ({ master, agent, groupId } = await masterWithAgent('bin'));
  });
  afterAll(async () => {
    await agent?.stop();
    await master?.stop();
  });

  async function runOf(name: string, command: string) {
    const task = await master.api.call('tasks.create', { name, groupId, handler: 'shell', params: { command }, trigger: { type: 'api' } });
    const [run] = await master.api.call('tasks.trigger', { id: task.id });
    return waitFor(`${name} ended`, async () => {
      const r = await master.api.call('runs.get', { id: run!.id });
      return r.finishedAt ? r : null;
    }, 30_000);
  }

  it('a NUL on stdout and stderr, and raw binary, end the run with its output and logs', async () => {
    const nul = await runOf('nul', "printf 'a\\000b\\n'; printf 'e\\000\\n' >&2");
    expect(nul.state).toBe('succeeded');
    expect(nul.output).toContain('a\uFFFDb');
    const lines = (await master.api.call('runs.logs', { id: nul.id })).map((l) => `${l.stream}:${l.line}`);
    expect(lines).toEqual(expect.arrayContaining(['stdout:a\uFFFDb', 'stderr:e\uFFFD']));

    const binary = await runOf('binary', 'head -c 4000 /dev/urandom; printf "\\033[31mred\\033[0m\\n"');
    expect(binary.state).toBe('succeeded');
    expect(binary.output).toContain('\u001b[31mred\u001b[0m');
    expect((await master.api.call('runs.logs', { id: binary.id })).length).toBeGreaterThan(0);
    // The agent's slot is free again: another run goes through at once.
    expect((await runOf('after', 'echo next')).output.trim()).toBe('next');
  });

  it('refuses an API input holding a NUL, naming the field, and stores nothing', async () => {
    const before = (await master.api.call('tasks.list', {})).length;
    const reply = await master.handle('tasks.create', { name: 'a\u0000b', groupId, handler: 'noop', trigger: { type: 'api' } });
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid_input', field: 'name', message: expect.stringContaining('NUL') } });
    const nested = await master.handle('tasks.create', { name: 'ok', groupId, handler: 'shell', params: { command: 'echo \u0000' }, trigger: { type: 'api' } });
    expect(nested).toMatchObject({ ok: false, error: { code: 'invalid_input', field: 'params.command' } });
    expect((await master.api.call('tasks.list', {})).length).toBe(before);
  });
});
