// The leader lease does not queue behind the master's own work (issue 11): a burst of dispatch writes once filled
// the connection pool so long that the lease renewal waited past the lease, and the leader stepped down mid-burst.
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, prepare, startTestMaster, type TestMaster } from './harness';

// Short enough that the test is quick, long enough that a machine under load (shared by six test suites) holds it.
const LEASE_MS = 2_000;
/** Longer than the lease: every connection of the master's pool is taken for this long, and more wait behind. */
const BUSY_S = 5;

let master: TestMaster;

beforeAll(async () => {
  master = await startTestMaster(await freshDatabase(), { BATON_LEADER_LEASE_MS: String(LEASE_MS) });
}, 60_000);

afterAll(async () => {
  await master?.stop();
});

describe('leader lease under a busy pool', () => {
  it('keeps leading while every pooled connection is busy for longer than the lease, then dispatches', async () => {
    const { groupId } = await prepare(master);
    const task = await master.api.call('tasks.create', {
      name: 'after-the-burst', groupId, handler: 'shell', params: { command: 'true' }, trigger: { type: 'api' },
    });
    expect(master.leading).toBe(true);
    const logBefore = (await fs.readFile(master.logFile, 'utf8')).length;

    const busy = Array.from({ length: 16 }, () => master.db.query(`select pg_sleep(${BUSY_S})`));
    const seen: boolean[] = [];
    const started = Date.now();
    while (Date.now() - started < BUSY_S * 1_000 + 500) {
      seen.push(master.leading);
      await new Promise((r) => setTimeout(r, 50));
    }
    await Promise.all(busy);

    expect(seen.length).toBeGreaterThan(20);
    expect(seen.every(Boolean)).toBe(true);
    expect((await fs.readFile(master.logFile, 'utf8')).slice(logBefore)).not.toContain('stepping down');
    // Still the leader afterwards: an API trigger is handled here (no worker yet, so it waits in the queue).
    const [run] = await master.api.call('tasks.trigger', { id: task.id });
    expect(run?.state).toBe('queued');
  }, 60_000);
});
