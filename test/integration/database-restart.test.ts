// The database going away is an outage, not a crash: the master keeps running, says so in its API errors,
// and goes on scheduling and storing results once PostgreSQL is back: a result reported during the outage is
// stored afterwards, and no fire is doubled. The outage outlasts the leader lease, so the master also steps
// down and is elected again.
import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { BatonError } from '../../src-main/master/api/contract/errors';
import { removeCluster, startEmbeddedDatabase, type EmbeddedDatabase } from '../../src-main/master/db/embedded';
import { prepare, startAgent, startMark, startTestMaster, tempDir, waitFor, type TestAgent, type TestMaster } from './harness';

describe('database restart', () => {
  let database: EmbeddedDatabase | undefined;
  let master: TestMaster | undefined;
  let agent: TestAgent | undefined;
  let dir = '';
  afterAll(async () => {
    await agent?.stop();
    await master?.stop();
    await database?.stop();
    if (dir) removeCluster(dir);
  });

  it('the master survives PostgreSQL stopping and resumes when it is back', async () => {
    dir = await tempDir('baton-db-restart-');
    database = await startEmbeddedDatabase(dir, () => undefined);
    const port = Number(new URL(database.url).port);
    // A lease shorter than the outage: the master steps down while the database is gone and is elected again after.
    master = await startTestMaster(database.url, { BATON_LEADER_LEASE_MS: '1000' });
    const { groupId, token } = await prepare(master);
    agent = await startAgent(master, token, { name: 'steady' });
    const task = await master.api.call('tasks.create', {
      name: 'every-400', groupId, handler: 'shell', params: { command: 'echo tick' },
      trigger: { type: 'fixed_rate', intervalMs: 400 },
    });
    const succeeded = async () => (await master!.api.call('runs.list', { taskId: task.id, limit: 1_000 }))
      .filter((r) => r.state === 'succeeded');
    await waitFor('two runs before the outage', async () => (await succeeded()).length >= 2);
    // It ends within a second of the fault: before the agent's run lease (3 beats) lapses and it fences the run.
    const mark = await startMark();
    const slow = await master.api.call('tasks.create', {
      name: 'across', groupId, handler: 'shell', params: { command: `${mark.command}; sleep 1; echo across` }, trigger: { type: 'api' },
    });
    const [across] = await master.api.call('tasks.trigger', { id: slow.id });
    await mark.started();

    await database.stop();
    database = undefined;
    await new Promise((r) => setTimeout(r, 2_000));
    const during = await master.api.call('tasks.list', {}).catch((error: unknown) => error);
    expect(during).toBeInstanceOf(BatonError);
    expect((during as BatonError).code).toBe('unavailable');
    expect((during as BatonError).message).toMatch(/database/i);

    const backAt = Date.now();
    database = await startEmbeddedDatabase(dir, () => undefined, { port });
    const after = await waitFor('runs planned after the database is back', async () => {
      const runs = (await succeeded().catch(() => [])).filter((r) => Date.parse(r.plannedAt) >= backAt);
      return runs.length >= 3 ? runs : null;
    }, 30_000);
    expect(after.every((r) => r.output.trim() === 'tick' && r.workerName === 'steady')).toBe(true);
    const ended = await master.api.call('runs.get', { id: across!.id });
    expect([ended.state, ended.output.trim()]).toEqual(['succeeded', 'across']);

    const all = await master.api.call('runs.list', { taskId: task.id, limit: 1_000 });
    const fires = all.filter((r) => r.trigger === 'schedule' || r.trigger === 'misfire').map((r) => r.plannedAt);
    expect(new Set(fires).size).toBe(fires.length);
    expect((await master.api.call('workers.list', {}))[0]?.status).toBe('online');
    const log = await readFile(master.logFile, 'utf8');
    expect(log).toContain('leader lease not renewed in time; stepping down');
    expect(log.match(/"msg":"elected leader"/g)).toHaveLength(2);
  });
});
