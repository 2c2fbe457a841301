// A paused agent process (SIGSTOP: a debugger, a stuck page-in, an operator's Ctrl-Z) cannot fence its own runs.
// Its reaper, a separate process, must kill them by the lease's deadline anyway, so the attempt the master starts
// elsewhere once the lease ended never overlaps the paused one.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src-main/master/api/contract/domain';
import { freshDatabase, prepare, startAgent, startTestMaster, tempDir, waitFor, type TestAgent, type TestMaster } from './harness';

const TERMINAL = new Set(['succeeded', 'failed', 'timed_out', 'cancelled', 'lost', 'skipped']);

interface Marks {
  /** Attempt → the pid of its shell and when it started (ns since the epoch). */
  starts: Map<number, { pid: number; at: bigint }>;
  /** Attempt → its latest heartbeat (ns). */
  lastBeat: Map<number, bigint>;
}

/** The side file: `start <attempt> <pid> <ns>`, `beat <attempt> <ns>` every 200 ms, `end <attempt> <ns>`. */
async function readMarks(file: string): Promise<Marks> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  const marks: Marks = { starts: new Map(), lastBeat: new Map() };
  for (const line of text.split('\n').filter(Boolean)) {
    const [kind, attempt, ...rest] = line.split(' ');
    const n = Number(attempt);
    if (kind === 'start') marks.starts.set(n, { pid: Number(rest[0]), at: BigInt(rest[1]!) });
    if (kind === 'beat') {
      const at = BigInt(rest[0]!);
      if (at > (marks.lastBeat.get(n) ?? 0n)) marks.lastBeat.set(n, at);
    }
  }
  return marks;
}

/** A killed process stays a zombie until its parent (here the paused agent) reaps it; that is gone too. */
async function alive(pid: number): Promise<boolean> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return false;
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
}

describe('an agent process paused (SIGSTOP) during a run', () => {
  let master: TestMaster;
  let groupId: string;
  const agents: TestAgent[] = [];
  let dir: string;

  beforeAll(async () => {
    // A 5 s lease: long enough that a loaded machine does not fence the running agents by itself, short enough
    // that the pause (12 s) clearly outlasts it.
    master = await startTestMaster(await freshDatabase(), { BATON_MISSED_HEARTBEATS: '5' });
    const prepared = await prepare(master);
    groupId = prepared.groupId;
    dir = await tempDir('baton-pause-');
    for (const name of ['pause-a', 'pause-b']) agents.push(await startAgent(master, prepared.token, { name }));
    await waitFor('2 online', async () => (await master.api.call('workers.list', {})).filter((w) => w.status === 'online').length === 2);
  });
  afterAll(async () => {
    for (const a of agents) if (a.process.pid) process.kill(a.process.pid, 'SIGCONT');
    await Promise.all(agents.map((a) => a.stop('SIGKILL')));
    await master?.stop();
  });

  it('the reaper kills the paused agent\'s run before the master starts it elsewhere; the agent reports it fenced', async () => {
    const file = path.join(dir, 'marks');
    const command = `echo "start $BATON_ATTEMPT $$ $(date +%s%N)" >> ${file}; `
      + `(while :; do echo "beat $BATON_ATTEMPT $(date +%s%N)" >> ${file}; sleep 0.2; done) & `
      + `sleep 15; echo "end $BATON_ATTEMPT $(date +%s%N)" >> ${file}; kill $!; echo finished`;
    const task = await master.api.call('tasks.create', {
      name: 'pause', groupId, handler: 'shell', params: { command }, trigger: { type: 'api' },
    });
    const [first] = await master.api.call('tasks.trigger', { id: task.id });
    const running = await waitFor('attempt 1 running', async () => {
      const r = await master.api.call('runs.get', { id: first!.id });
      return r.state === 'running' ? r : null;
    }, 30_000);
    const one = await waitFor('attempt 1 started', async () => (await readMarks(file)).starts.get(1), 30_000);
    const paused = agents.find((a) => a.name === running.workerName)!;
    await new Promise((r) => setTimeout(r, 1_000));
    process.kill(paused.process.pid!, 'SIGSTOP');
    try {
      const two = await waitFor('attempt 2 started on the other agent', async () => (await readMarks(file)).starts.get(2), 40_000);
      // The moment attempt 2's start shows, attempt 1's shell must already be dead.
      expect(await alive(one.pid), 'attempt 1 still ran when attempt 2 started').toBe(false);
      const lastBeat = (await readMarks(file)).lastBeat.get(1)!;
      expect(lastBeat < two.at, 'attempt 1 beat after attempt 2 started').toBe(true);
      // Keep the pause past the lease by a clear margin before resuming.
      await new Promise((r) => setTimeout(r, 3_000));
    } finally {
      process.kill(paused.process.pid!, 'SIGCONT');
    }

    const runs = await waitFor('every attempt ended, one succeeded, the lost one with its late result', async () => {
      const all = (await master.api.call('runs.list', { taskId: task.id })).sort((a: Run, b: Run) => a.attempt - b.attempt);
      const done = all.length >= 2 && all.every((r) => TERMINAL.has(r.state)) && all[0]!.late !== null;
      return done ? all : null;
    }, 60_000);
    expect(runs.filter((r) => r.state === 'succeeded')).toHaveLength(1);
    expect(runs[1]).toMatchObject({ attempt: 2, state: 'succeeded' });
    expect(runs[1]!.workerName).not.toBe(running.workerName);
    expect(runs[1]!.output).toContain('finished');
    // The agent, once resumed, reports the run its reaper killed as fenced, not as a plain failure.
    expect(runs[0]).toMatchObject({ state: 'lost', late: { state: 'failed' } });
    expect(runs[0]!.late!.error).toMatch(/fencing/);
    const marks = await readMarks(file);
    expect(marks.lastBeat.get(1)! < marks.starts.get(2)!.at).toBe(true);
  }, 150_000);
});
