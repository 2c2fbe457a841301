// One suite, run with and without cgroups (shell.test.ts, shell-markers.test.ts): whatever a run's command does
// to leave its process group (setsid, a double fork), stop, timeout and the run's end leave nothing of it.
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { assignment, Recorder, start } from './helpers';

/** Alive = exists and is not a zombie (an orphaned zombie may wait a moment for its reaper). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Live processes whose environment names the run: read straight from /proc, not through the agent's code. */
export function processesOf(runId: string): { pid: number; name: string }[] {
  const found: { pid: number; name: string }[] = [];
  for (const entry of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (!readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`BATON_RUN_ID=${runId}`)) continue;
      if (alive(Number(entry))) found.push({ pid: Number(entry), name: readFileSync(`/proc/${entry}/comm`, 'utf8').trim() });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function until(what: string, test: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

/** Starts `command`, waits until `sleeps` sleep processes of the run are up; returns the run and their pids. */
async function startEscaping(command: string, sleeps: number, timeoutMs = 0) {
  const io = new Recorder();
  const assign = assignment('shell', { command }, { timeoutMs });
  const run = start(assign, io);
  await until(`${sleeps} sleeps`, () => processesOf(assign.runId).filter((p) => p.name === 'sleep').length >= sleeps);
  const pids = processesOf(assign.runId).map((p) => p.pid);
  leftovers.push(...pids);
  return { run, io, runId: assign.runId, pids };
}

export function escapeSuite(): void {
  it('timeout ends a setsid process and a background one (sh -c "setsid sleep 300 & sleep 300 & wait")', async () => {
    const { run, runId, pids } = await startEscaping(`sh -c 'setsid sleep 300 & sleep 300 & wait'`, 2, 2_000);
    const outcome = await run.done;
    expect(outcome).toMatchObject({ state: 'timed_out', error: 'timed out after 2000 ms' });
    expect(processesOf(runId)).toEqual([]);
    expect(pids.filter(alive)).toEqual([]);
  });

  it('stop ends a setsid process and a background one', async () => {
    const { run, runId } = await startEscaping(`sh -c 'setsid sleep 300 & sleep 300 & wait'`, 2);
    run.stop('cancelled');
    expect(await run.done).toMatchObject({ state: 'cancelled' });
    expect(processesOf(runId)).toEqual([]);
  });

  // The first stays in the process group (the group kill always reached it); the second also leaves the session.
  for (const command of [`sh -c '(sleep 300 &) ; sleep 300'`, `sh -c '(setsid sleep 300 &) ; sleep 300'`]) {
    it(`stop ends a double-forked process orphaned to init, and the foreground one (${command})`, async () => {
      const { run, runId } = await startEscaping(command, 2);
      run.stop('cancelled');
      expect(await run.done).toMatchObject({ state: 'cancelled' });
      expect(processesOf(runId)).toEqual([]);
    });
  }

  it('a setsid process that ignores SIGTERM gets SIGKILL after the grace, like the group', async () => {
    const command = `setsid sh -c 'trap "" TERM; while :; do sleep 1; done' & trap '' TERM; sleep 300`;
    const { run, runId } = await startEscaping(command, 2);
    run.stop('cancelled');
    expect(await run.done).toMatchObject({ state: 'cancelled' });
    expect(processesOf(runId)).toEqual([]);
  });

  it('a run that succeeds leaves no daemon behind', async () => {
    const io = new Recorder();
    // The pause lets setsid leave the group before the shell exits (the old group kill raced it otherwise).
    const assign = assignment('shell', { command: `(setsid sleep 300 &); sleep 0.5; echo "started"` });
    const outcome = await start(assign, io).done;
    const left = processesOf(assign.runId);
    leftovers.push(...left.map((p) => p.pid));
    expect(outcome).toMatchObject({ state: 'succeeded', output: 'started\n' });
    expect(left).toEqual([]);
  });
}
