// Run processes die with their run (issue 6, item 3), on real agents: a SIGKILLed agent's reaper ends its run's
// processes, setsid included, while the run goes elsewhere; a restarted agent ends what a dead one left.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, prepare, startAgent, startTestMaster, tempDir, waitFor, type TestAgent, type TestMaster } from './harness';

const gone = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};
/** Gone or a zombie waiting for its (possibly just killed) parent to be reaped: either way it runs no more. */
const ended = async (pid: number) => gone(pid) || (await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ') Z')).split(') ')[1]!.startsWith('Z');

/** The run writes the pids of a `setsid sleep 300` (outside its process group) and of its own shell, which becomes a sleep. */
const escaping = (dir: string) => `setsid sleep 300 & echo $! >> ${dir}/pids-$BATON_ATTEMPT; echo $$ >> ${dir}/pids-$BATON_ATTEMPT; exec sleep 300`;
const pidsOf = async (dir: string, attempt: number) =>
  (await fs.readFile(path.join(dir, `pids-${attempt}`), 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);
/** The reaper the agent recorded in its data folder, if any. */
const reaperPid = async (dataDir: string) => {
  const text = await fs.readFile(path.join(dataDir, 'processes.json'), 'utf8').catch(() => null);
  return text === null ? null : (JSON.parse(text) as { reaperPid: number | null }).reaperPid;
};

// `auto` uses a cgroup where the agent may (it may here, as root); `off` leaves only the environment markers.
describe.skipIf(process.platform !== 'linux').each(['auto', 'off'])('run processes (BATON_AGENT_CGROUP=%s)', (mode) => {
  let master: TestMaster;
  const agents: TestAgent[] = [];
  const pidDirs: string[] = [];
  const pidDir = async () => {
    pidDirs.push(await tempDir('baton-pids-'));
    return pidDirs.at(-1)!;
  };

  const before = process.env.BATON_AGENT_CGROUP;
  beforeAll(async () => {
    process.env.BATON_AGENT_CGROUP = mode; // the agents the harness starts inherit it
    master = await startTestMaster(await freshDatabase());
  });
  afterAll(async () => {
    if (before === undefined) delete process.env.BATON_AGENT_CGROUP;
    else process.env.BATON_AGENT_CGROUP = before;
    await Promise.all(agents.map((a) => a.stop('SIGKILL')));
    // Whatever a failed test left: every pid any run wrote down.
    for (const dir of pidDirs) for (const attempt of [1, 2]) for (const pid of await pidsOf(dir, attempt)) if (!gone(pid)) process.kill(pid, 'SIGKILL');
    await master?.stop();
  });

  it('SIGKILL of an agent mid-run: the run runs elsewhere within 5 s and none of its processes is left', async () => {
    const { groupId, token } = await prepare(master, 'kill');
    const dataDirs = { k1: await tempDir('baton-agent-'), k2: await tempDir('baton-agent-') };
    for (const name of ['k1', 'k2'] as const) agents.push(await startAgent(master, token, { name, group: 'kill', dataDir: dataDirs[name] }));
    await waitFor('2 online', async () => (await master.api.call('workers.list', {})).filter((w) => w.status === 'online').length === 2);
    const dir = await pidDir();
    const t = await master.api.call('tasks.create', {
      name: 'escaper', groupId, handler: 'shell', params: { command: escaping(dir) }, trigger: { type: 'api' },
      retry: { count: 1, backoff: 'fixed', delayMs: 100, maxDelayMs: 100 },
    });
    const [run] = await master.api.call('tasks.trigger', { id: t.id });
    const pids = await waitFor('the run\'s pids', async () => ((await pidsOf(dir, 1)).length === 2 ? pidsOf(dir, 1) : null));
    expect(pids.every((pid) => !gone(pid))).toBe(true);
    const { workerName } = await master.api.call('runs.get', { id: run!.id });
    const victim = agents.find((a) => a.name === workerName)!;
    const reaper = await reaperPid(dataDirs[victim.name as 'k1' | 'k2']);

    const killedAt = Date.now();
    victim.process.kill('SIGKILL');
    const retry = await waitFor('new attempt running elsewhere', async () => {
      const runs = await master.api.call('runs.list', { taskId: t.id });
      return runs.find((r) => r.attempt === 2 && r.state === 'running');
    }, 30_000);
    const elapsed = Date.now() - killedAt;
    console.log(`SIGKILLed agent (cgroup ${mode}): new attempt running on ${retry.workerName} after ${elapsed} ms`);
    expect(retry.workerName).not.toBe(victim.name);
    expect(elapsed).toBeLessThan(15_000); // the promise is 5 s; a loaded test machine gets slack

    for (const pid of pids) await waitFor(`old run's process ${pid} gone`, () => ended(pid), 10_000);
    expect(reaper).not.toBeNull();
    await waitFor('the reaper exited after its sweep', async () => gone(reaper!), 10_000);
    const retryPids = await waitFor('the retry\'s pids', async () => ((await pidsOf(dir, 2)).length === 2 ? pidsOf(dir, 2) : null));
    expect(retryPids.every((pid) => !gone(pid))).toBe(true); // the reaper killed only the dead agent's runs
    await master.api.call('runs.stop', { id: retry.id });
    for (const pid of retryPids) await waitFor(`stopped retry's process ${pid} gone`, () => ended(pid), 10_000);
  });

  it('an agent restarted on the same data folder kills what its SIGKILLed predecessor and reaper left', async () => {
    const { groupId, token } = await prepare(master, 'restart');
    const dataDir = await tempDir('baton-agent-');
    const first = await startAgent(master, token, { name: 'r1', group: 'restart', dataDir });
    agents.push(first);
    await waitFor('r1 online', async () => (await master.api.call('workers.list', {})).some((w) => w.name === 'r1' && w.status === 'online'));
    const dir = await pidDir();
    const t = await master.api.call('tasks.create', {
      name: 'left-behind', groupId, handler: 'shell', params: { command: escaping(dir) }, trigger: { type: 'api' },
    });
    await master.api.call('tasks.trigger', { id: t.id });
    const pids = await waitFor('the run\'s pids', async () => ((await pidsOf(dir, 1)).length === 2 ? pidsOf(dir, 1) : null));
    const tracking = mode === 'off' ? 'tracked by their environment markers (BATON_AGENT_CGROUP=off)' : 'contained in a cgroup';
    expect(first.output()).toContain(`run processes ${tracking}`);

    const reaper = await reaperPid(dataDir);
    if (reaper !== null) process.kill(reaper, 'SIGKILL');
    first.process.kill('SIGKILL');
    await first.exited;
    // Seen offline before the restart: the master's offline write for the old connection can otherwise land
    // after the new one's online write (a master race, reported), leaving r1 shown offline while connected.
    await waitFor('r1 offline', async () => (await master.api.call('workers.list', {})).some((w) => w.name === 'r1' && w.status === 'offline'));
    expect(pids.filter(gone)).toEqual([]); // with agent and reaper dead, nothing else would end them

    const second = await startAgent(master, token, { name: 'r1', group: 'restart', dataDir });
    agents.push(second);
    for (const pid of pids) await waitFor(`leftover ${pid} killed`, () => ended(pid), 15_000);
    await waitFor('the restart to say so', async () => second.output().includes('killed run processes an earlier agent on this data folder left behind'));
    await waitFor('r1 online again', async () => (await master.api.call('workers.list', {})).some((w) => w.name === 'r1' && w.status === 'online'));

    // A clean stop takes the reaper down with the agent.
    const secondReaper = await reaperPid(dataDir);
    expect(secondReaper !== null && !gone(secondReaper)).toBe(true);
    await second.stop('SIGTERM');
    await waitFor('the reaper gone after a clean stop', async () => gone(secondReaper!), 10_000);
  });
});
