// A master SIGKILLed with its embedded PostgreSQL starts again on the same folder unaided (issue 6): the orphaned
// PostgreSQL is stopped, agents reconnect to the same URL, and every run in flight ends `succeeded` exactly once.
// A second master on a folder whose master is alive is refused, naming that master, and changes nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clientOver, type ApiClient } from '../../src-main/master/api/contract/client';
import { httpTransport } from '../../src-main/master/api/contract/http-client';
import { BatonError } from '../../src-main/master/api/contract/errors';
const ownerLockFile = (d: string) => `${d}.master`;
import { clusterDir, freePort, removeCluster, startEmbeddedDatabase } from '../../src-main/master/db/embedded';
import { MASTER_BIN, startAgent, tempDir, waitFor, type TestAgent } from './harness';

interface EmbeddedMaster { child: ChildProcess; output(): string; exited: Promise<number | null> }

/** The built CLI on the embedded database (no --database-url), on a fixed port so agents find it again. */
function spawnMaster(dataDir: string, port: number): EmbeddedMaster {
  const child = spawn(process.execPath, [MASTER_BIN, '--port', String(port), '--data-dir', dataDir, '--heartbeat-ms', '500'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function listening(master: EmbeddedMaster): Promise<void> {
  await waitFor('master listening', async () => {
    if (master.child.exitCode !== null) throw new Error(`the master exited (${master.child.exitCode}):\n${master.output()}`);
    return master.output().includes('listening on');
  }, 90_000);
}

/** Runs, and is not a zombie: the orphan is reparented to a PID 1 that may never reap it. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

async function postmasterPid(dataDir: string): Promise<number> {
  return Number((await fs.readFile(path.join(clusterDir(dataDir), 'postmaster.pid'), 'utf8')).split('\n')[0]);
}

describe('restart after a crash, embedded database', () => {
  const masters: EmbeddedMaster[] = [];
  const agents: TestAgent[] = [];
  const postgresPids: number[] = [];
  const dataDirs: string[] = [];
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop('SIGKILL')));
    for (const m of masters) {
      if (m.child.exitCode === null && m.child.signalCode === null) m.child.kill('SIGTERM');
      await m.exited;
    }
    // A PostgreSQL this test orphaned and the master did not stop (the test failed before): ended by its PID.
    for (const pid of postgresPids) if (alive(pid)) process.kill(pid, 'SIGQUIT');
    for (const dir of dataDirs) removeCluster(dir);
  });

  it('SIGKILL mid-flight: it starts again unaided and each of 100 runs succeeds exactly once', async () => {
    const dataDir = await tempDir('baton-crash-');
    dataDirs.push(dataDir);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const first = spawnMaster(dataDir, port);
    masters.push(first);
    await listening(first);
    const apiKey = (await fs.readFile(path.join(dataDir, 'api-key'), 'utf8')).trim();
    const api: ApiClient = clientOver(httpTransport(url, { apiKey }));

    const group = await api.call('groups.create', { name: 'it' });
    const { secret } = await api.call('enrolments.create', { label: 'crash test', groupId: group.id });
    for (const name of ['c1', 'c2']) agents.push(await startAgent({ agentUrl: url }, secret, { name, args: ['--capacity', '60'] }));
    await waitFor('2 agents online', async () => (await api.call('workers.list', {})).filter((w) => w.status === 'online').length === 2);
    const task = await api.call('tasks.create', {
      name: 'crash-sleep', groupId: group.id, handler: 'shell', params: { command: 'sleep 8; echo done' }, trigger: { type: 'api' },
      blocking: { strategy: 'concurrent', maxConcurrent: 100 }, queueTimeoutMs: 120_000,
      retry: { count: 2, backoff: 'fixed', delayMs: 100, maxDelayMs: 100 },
    });
    const roots = new Set<string>();
    // Ten at a time, so all 100 are running well before the first one ends.
    for (let batch = 0; batch < 10; batch++) {
      const triggered = await Promise.all(Array.from({ length: 10 }, () => api.call('tasks.trigger', { id: task.id })));
      for (const run of triggered.flat()) roots.add(run.id);
    }
    expect(roots.size).toBe(100);
    await waitFor('100 runs running', async () => (await api.call('runs.list', { taskId: task.id, state: 'running', limit: 1_000 })).length === 100, 30_000);

    const pgPid = await postmasterPid(dataDir);
    postgresPids.push(pgPid);
    first.child.kill('SIGKILL');
    await first.exited;
    // The crash as issue 6 found it: PostgreSQL outlives its master and still holds postmaster.pid.
    expect(alive(pgPid)).toBe(true);
    expect(await postmasterPid(dataDir)).toBe(pgPid);

    const second = spawnMaster(dataDir, port);
    masters.push(second);
    await listening(second);
    expect(alive(pgPid)).toBe(false);
    expect(second.output()).toContain(`PostgreSQL (PID ${pgPid}) of ${clusterDir(dataDir)} outlived its master`);
    expect(await postmasterPid(dataDir)).not.toBe(pgPid);
    postgresPids.push(await postmasterPid(dataDir));

    const api2: ApiClient = clientOver(httpTransport(url, { apiKey }));
    const settled = await waitFor('every run ended', async () => {
      const runs = await api2.call('runs.list', { taskId: task.id, limit: 1_000 });
      const open = runs.filter((r) => !['succeeded', 'failed', 'timed_out', 'cancelled', 'lost', 'skipped'].includes(r.state));
      const succeededRoots = new Set(runs.filter((r) => r.state === 'succeeded').map((r) => r.rootRunId));
      return open.length === 0 && succeededRoots.size === 100 ? runs : null;
    }, 120_000);
    // Exactly once per run: one succeeded attempt per root (a lost attempt followed by a reassigned one counts once).
    const succeededPerRoot = new Map<string, number>();
    for (const r of settled.filter((x) => x.state === 'succeeded')) succeededPerRoot.set(r.rootRunId, (succeededPerRoot.get(r.rootRunId) ?? 0) + 1);
    expect([...succeededPerRoot.keys()].sort()).toEqual([...roots].sort());
    expect([...succeededPerRoot.values()].every((n) => n === 1)).toBe(true);
    expect(settled.filter((r) => r.state === 'succeeded').every((r) => r.output?.includes('done'))).toBe(true);
  }, 300_000);

  it('a second master on a folder whose master is alive is refused, naming its PID and folder, and changes nothing', async () => {
    const live = masters.at(-1)!;
    const dataDir = dataDirs[0]!;
    const lockBefore = await fs.readFile(ownerLockFile(clusterDir(dataDir)), 'utf8');
    const pgBefore = await postmasterPid(dataDir);

    const intruder = spawnMaster(dataDir, await freePort());
    masters.push(intruder);
    expect(await intruder.exited).toBe(1);
    const said = intruder.output();
    expect(said).toContain(`PID ${live.child.pid}`);
    expect(said).toContain(dataDir);
    expect(said).toMatch(/^baton-master: cannot start: /m);
    expect(said).not.toMatch(/^\s+at /m);

    expect(await fs.readFile(ownerLockFile(clusterDir(dataDir)), 'utf8')).toBe(lockBefore);
    expect(await postmasterPid(dataDir)).toBe(pgBefore);
    expect(alive(pgBefore)).toBe(true);
    expect(live.child.exitCode).toBeNull();
  });

  it('a postmaster.pid naming a live process that is not this cluster\'s PostgreSQL (a reused PID) is cleared', async () => {
    const live = masters.at(-2)!;
    const dataDir = dataDirs[0]!;
    live.child.kill('SIGTERM');
    expect(await live.exited).toBe(0);
    // After a power cut the PID in the file may since belong to anything: here, this test's own process.
    const pidFile = path.join(clusterDir(dataDir), 'postmaster.pid');
    await fs.writeFile(pidFile, `${process.pid}\n${clusterDir(dataDir)}\n1795697544\n5432\n\n127.0.0.1\n`);
    const next = spawnMaster(dataDir, await freePort());
    masters.push(next);
    await listening(next);
    expect(next.output()).toContain(`removing ${pidFile}: the process it names is gone`);
    expect(await postmasterPid(dataDir)).not.toBe(process.pid);
    postgresPids.push(await postmasterPid(dataDir));
  });

  it('PostgreSQL failing to start says why (it rejected with `undefined`), and leaves no claim behind', async () => {
    const dataDir = await tempDir('baton-pg-port-');
    dataDirs.push(dataDir);
    const port = await freePort();
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const error = await startEmbeddedDatabase(dataDir, () => undefined, { port }).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(BatonError);
      expect((error as BatonError).message).toMatch(new RegExp(`port ${port}.*(could not bind|could not create any TCP/IP sockets)`));
      await expect(fs.access(ownerLockFile(clusterDir(dataDir)))).rejects.toThrow();
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
