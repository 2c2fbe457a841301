import { spawnSync } from 'node:child_process';
import { realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HANDLERS, prepare } from '../../../worker-agent/src/executors/index';
import { assignment, Recorder, start, tempDir, TRACE_ID } from './helpers';
import { agentInstance } from '../../../worker-agent/src/processes/instance';
import { alive, escapeSuite } from './run-escapes';

const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

describe('shell executor', () => {
  it('succeeds on exit 0 and keeps stdout and stderr in the output and the log', async () => {
    const io = new Recorder();
    const outcome = await start(assignment('shell', { command: 'echo out; echo err >&2' }), io).done;
    expect(outcome).toMatchObject({ state: 'succeeded', exitCode: 0, error: null });
    expect(outcome.output).toContain('out\n');
    expect(outcome.output).toContain('err\n');
    expect(io.lines).toContainEqual({ stream: 'stdout', line: 'out' });
    expect(io.lines).toContainEqual({ stream: 'stderr', line: 'err' });
  });

  it('fails with the exit code of the command', async () => {
    const outcome = await start(assignment('shell', { command: 'echo partial; exit 7' })).done;
    expect(outcome).toMatchObject({ state: 'failed', exitCode: 7, error: 'exit code 7' });
    expect(outcome.output).toBe('partial\n');
  });

  it('passes the run, trace and parent to the command as environment', async () => {
    const assign = assignment(
      'shell',
      { command: 'env | grep -E "^(BATON_|TRACEPARENT|MINE)" | sort', env: { MINE: 'yes' } },
      { attempt: 2, shard: { index: 3, total: 5 }, parent: { runId: 'parent-1', output: 'hello from parent' } },
    );
    const env = Object.fromEntries(
      (await start(assign).done).output.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(env).toMatchObject({
      BATON_RUN_ID: assign.runId,
      BATON_ATTEMPT: '2',
      BATON_TASK_ID: 'task-1',
      BATON_TRACE_ID: TRACE_ID,
      BATON_SHARD_INDEX: '3',
      BATON_SHARD_TOTAL: '5',
      BATON_PARENT_RUN_ID: 'parent-1',
      BATON_PARENT_OUTPUT: 'hello from parent',
      MINE: 'yes',
    });
    expect(env.TRACEPARENT).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
  });

  it('runs in the given cwd', async () => {
    const dir = await tempDir();
    const outcome = await start(assignment('shell', { command: 'pwd -P', cwd: dir })).done;
    expect(outcome.output.trim()).toBe(realpathSync(dir));
  });

  it('fails with a message naming a cwd that does not exist', async () => {
    const outcome = await start(assignment('shell', { command: 'true', cwd: '/nonexistent-baton-dir' })).done;
    expect(outcome).toMatchObject({ state: 'failed', error: expect.stringContaining('in /nonexistent-baton-dir') });
  });

  it('on timeout kills the whole process tree and reports timed_out', async () => {
    const io = new Recorder();
    // Two sleeps: one in the background, one in the foreground of a nested shell; both print their pid.
    const command = `sleep 30 & echo "pid $!"; sh -c 'echo "pid $$"; exec sleep 30'`;
    const run = start(assignment('shell', { command }, { timeoutMs: 1_500 }), io);
    const pidLines = (lines: string[]) => lines.filter((l) => l.startsWith('pid '));
    await io.until((lines) => pidLines(lines).length === 2);
    const pids = pidLines(io.text()).map((l) => Number(l.slice(4)));
    leftovers.push(...pids);
    expect(pids).toHaveLength(2);
    expect(pids.every(alive)).toBe(true);

    const outcome = await run.done;
    expect(outcome.state).toBe('timed_out');
    expect(outcome.error).toBe('timed out after 1500 ms');
    expect(pids.filter(alive)).toEqual([]);
  });

  it('stop kills the run, even one that ignores SIGTERM, and reports cancelled', async () => {
    const io = new Recorder();
    const run = start(assignment('shell', { command: `trap '' TERM; echo ready; sleep 30 & wait` }), io);
    await io.until((lines) => lines.includes('ready'));
    run.stop('cancelled');
    expect(await run.done).toMatchObject({ state: 'cancelled', error: 'stopped by the master' });
  });

  // The second command's sleep leaves the process group (setsid): only the exit hook's sweep reaches it.
  for (const command of ['sleep 30 & echo "pid $!"; wait', 'setsid sleep 30 & echo "pid $!"; wait']) {
    it(`ends what running runs started when the agent process exits abruptly (${command})`, async () => {
      const script = join(await tempDir(), 'exit-early.ts');
      const executors = new URL('../../../worker-agent/src/executors/index.ts', import.meta.url).pathname;
      writeFileSync(
        script,
        `import { HANDLERS, prepare } from ${JSON.stringify(executors)};
         const assign = ${JSON.stringify(assignment('shell', { command }))};
         const run = prepare(assign, HANDLERS);
         if (run.ok) run.start({ log: (_stream, line) => { console.log(line); process.exit(1); } });`,
      );
      const child = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8' });
      const pid = Number(/pid (\d+)/.exec(child.stdout)?.[1]);
      leftovers.push(pid);
      expect(pid).toBeGreaterThan(0);
      expect(alive(pid)).toBe(false);
    });
  }

  it('rejects bad params naming the param, and unknown handlers', () => {
    expect(prepare(assignment('shell', { command: 42 }), HANDLERS)).toMatchObject({
      ok: false,
      reason: 'bad_params',
      message: expect.stringMatching(/^params\.command: /),
    });
    expect(prepare(assignment('shell', { cwd: '/tmp' }), HANDLERS)).toMatchObject({
      reason: 'bad_params',
      message: expect.stringMatching(/^params\.command: /),
    });
    expect(prepare(assignment('shell', { command: 'true' }), ['http'])).toMatchObject({ ok: false, reason: 'unknown_handler' });
  });
});

// With the cgroup where this machine lets the agent make one (shell-markers.test.ts runs the same without).
describe.skipIf(process.platform !== 'linux')('run processes that leave the process group', () => {
  escapeSuite();

  // Only a cgroup holds a process that left the session, was orphaned and dropped its environment.
  it.skipIf(agentInstance().cgroup === null)('with a cgroup, stop ends a process that also cleared its environment', async () => {
    const io = new Recorder();
    const run = start(assignment('shell', { command: `(setsid env -i sleep 300 & echo "pid $!"); echo ready; sleep 300` }), io);
    await io.until((lines) => lines.includes('ready'));
    const pid = Number(io.text().find((l) => l.startsWith('pid '))?.slice(4));
    leftovers.push(pid);
    expect(alive(pid)).toBe(true);
    run.stop('cancelled');
    expect(await run.done).toMatchObject({ state: 'cancelled' });
    expect(alive(pid)).toBe(false);
  });
});

describe('shell params beyond the known ones', () => {
  it('become BATON_PARAM_<KEY> variables, strings as they are and the rest as JSON', async () => {
    const { paramEnv } = await import('../../../worker-agent/src/executors/shell');
    const { ShellParams } = await import('../../../worker-agent/src/handler-params');
    const params = ShellParams.parse({ command: 'true', customer: 'acme', 'batch-size': 5, opts: { a: 1 } });
    expect(paramEnv(params)).toEqual({ BATON_PARAM_CUSTOMER: 'acme', BATON_PARAM_BATCH_SIZE: '5', BATON_PARAM_OPTS: '{"a":1}' });
  });
  it('still name a missing command', async () => {
    const { ShellParams } = await import('../../../worker-agent/src/handler-params');
    const result = ShellParams.safeParse({ comand: 'typo' });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual(['command']);
  });
});
