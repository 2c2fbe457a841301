// Alerts about scheduling itself (issue 10), with real masters on a real database and a local webhook receiver:
// fires a misfire policy skipped across a master outage are told with their count and first and last time (caught-up
// fires too), and a run waiting in the queue past a rule's limit is told while it still waits, once, across a
// leader change and its own end.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientOver } from '../../src-main/master/api/contract/client';
import type { Run } from '../../src-main/master/api/contract/domain';
import { resolveConfig } from '../../src-main/master/config';
import { startMaster } from '../../src-main/master/index';
import { createLogger } from '../../src-main/master/log';
import { freshDatabase, prepare, tempDir, waitFor, type TestMaster } from './harness';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (iso: string) => Date.parse(iso);

interface Received { path: string; body: any; at: number }

/** A local webhook receiver that keeps every message it is sent. */
async function startReceiver() {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => { raw += chunk.toString(); });
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(raw), at: Date.now() });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    at: (p: string) => received.filter((r) => r.path === p),
    stop: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

/** A master whose alert loop looks every 100 ms, so alerts arrive within a fraction of a second of being due. */
async function startAlertingMaster(databaseUrl: string): Promise<TestMaster> {
  const dataDir = await tempDir('baton-master-');
  const config = resolveConfig({ BATON_DATABASE_URL: databaseUrl, BATON_PORT: '0', BATON_DATA_DIR: dataDir, BATON_OUTBOUND_ALLOW: '127.0.0.1' });
  const logFile = path.join(dataDir, 'master.log');
  const master = await startMaster(config, { logger: createLogger('debug', logFile), alertTickMs: 100 });
  return Object.assign(master, { api: clientOver((m, i) => master.handle(m, i)), logFile });
}

describe('alerts about scheduling', () => {
  let hooks: Awaited<ReturnType<typeof startReceiver>>;
  let dbUrl: string;
  let master: TestMaster;
  let groupId: string;

  beforeAll(async () => {
    hooks = await startReceiver();
    dbUrl = await freshDatabase();
    master = await startAlertingMaster(dbUrl);
    // No agent serves this group: runs wait in the queue (or fail at once with queueTimeoutMs 0).
    ({ groupId } = await prepare(master));
    await master.api.call('alerts.settings.update', { windowMs: 0 });
  });
  afterAll(async () => {
    await master?.stop();
    await hooks?.stop();
  });

  const runsOf = async (taskId: string): Promise<Run[]> => master.api.call('runs.list', { taskId, limit: 1_000 });

  it('tells the fires a misfire policy skipped across a master outage, with their count and first and last time', async () => {
    await master.api.call('alerts.channels.create', { kind: 'webhook', name: 'misfires', url: `${hooks.url}/misfires` });
    await master.api.call('alerts.rules.create', { scope: { type: 'group', groupId }, on: ['misfired'], channels: ['misfires'] });
    const rate = (name: string, misfire: Record<string, unknown>) => master.api.call('tasks.create', {
      name, groupId, handler: 'noop', trigger: { type: 'fixed_rate', intervalMs: 1_000 }, queueTimeoutMs: 0, misfire,
    });
    const skips = await rate('skips', { policy: 'ignore', thresholdMs: 1_000 });
    const catchesUp = await rate('catches-up', { policy: 'catch_up', thresholdMs: 1_000, maxCatchUp: 2 });
    // Late by less than its threshold: nothing is skipped, so nothing is told.
    const tolerant = await rate('tolerant', { policy: 'ignore', thresholdMs: 60_000 });
    await waitFor('every task fired', async () => {
      for (const t of [skips, catchesUp, tolerant]) if ((await runsOf(t.id)).length === 0) return false;
      return true;
    });

    await master.stop();
    const stoppedAt = Date.now();
    await pause(5_000);
    master = await startAlertingMaster(dbUrl);
    const restartedAt = Date.now();

    const told = (taskId: string) => hooks.at('/misfires').map((r) => r.body).filter((b) => b.event.taskId === taskId);
    const skipped = await waitFor('the skipped fires told', async () => told(skips.id).find((b) => b.event.skipped));
    const fires = skipped.event.skipped;
    expect(skipped).toMatchObject({ reason: 'misfired', count: 1, event: { taskName: 'skips', runId: null } });
    // Every fire of the 1 s rate from the first the old master missed to the last the policy dropped.
    expect(fires.atLeast).toBe(false);
    expect(fires.count).toBeGreaterThanOrEqual(3);
    expect(fires.count).toBe((ms(fires.lastAt) - ms(fires.firstAt)) / 1_000 + 1);
    expect(ms(fires.firstAt)).toBeLessThanOrEqual(stoppedAt + 1_000);
    expect(ms(fires.lastAt)).toBeLessThan(restartedAt - 1_000);
    const stored = (await runsOf(skips.id)).map((r) => ms(r.plannedAt));
    expect(stored.filter((t) => t >= ms(fires.firstAt) && t <= ms(fires.lastAt))).toEqual([]); // skipped: no run
    expect(skipped.event.summary).toBe(`Task skips skipped ${fires.count} fires planned from ${fires.firstAt} to ${fires.lastAt} (misfire policy ignore)`);

    // catch_up replays the latest two: those are told when their runs end; the older ones as skipped.
    const caught = await waitFor('catch-up told both ways', async () => {
      const list = told(catchesUp.id);
      const replayed = list.filter((b) => b.event.runId !== null);
      return list.some((b) => b.event.skipped) && replayed.length >= 2 ? { list, replayed } : null;
    });
    const skippedByCatchUp = caught.list.find((b) => b.event.skipped)!.event.skipped;
    const replayedRuns = (await runsOf(catchesUp.id)).filter((r) => r.trigger === 'misfire');
    expect(replayedRuns).toHaveLength(2);
    expect(caught.replayed.map((b) => b.event.runId).sort()).toEqual(replayedRuns.map((r) => r.id).sort());
    expect(Math.min(...replayedRuns.map((r) => ms(r.plannedAt)))).toBe(ms(skippedByCatchUp.lastAt) + 1_000);

    await pause(1_000);
    expect(told(tolerant.id)).toEqual([]);
    expect(told(skips.id).filter((b) => b.event.skipped)).toHaveLength(1); // told once, not on every look
    for (const t of [skips, catchesUp, tolerant]) await master.api.call('tasks.setEnabled', { id: t.id, enabled: false });
  }, 60_000);

  it('tells a run waiting in the queue past the limit while it still waits, once, across a leader change and its end', async () => {
    await master.api.call('alerts.settings.update', { windowMs: 1_500 });
    await master.api.call('alerts.channels.create', { kind: 'webhook', name: 'queue', url: `${hooks.url}/queue` });
    await master.api.call('alerts.channels.create', { kind: 'webhook', name: 'queue-later', url: `${hooks.url}/queue-later` });
    const task = await master.api.call('tasks.create', { name: 'waits', groupId, handler: 'noop', trigger: { type: 'api' }, queueTimeoutMs: 8_000 });
    await master.api.call('alerts.rules.create', { scope: { type: 'task', taskId: task.id }, on: ['queue_wait'], queueWaitMs: 1_000, channels: ['queue'] });
    await master.api.call('alerts.rules.create', { scope: { type: 'task', taskId: task.id }, on: ['queue_wait'], queueWaitMs: 600_000, channels: ['queue-later'] });
    await master.api.call('tasks.trigger', { id: task.id });
    await master.api.call('tasks.trigger', { id: task.id });

    const [message] = await waitFor('the queue_wait alert', async () => hooks.at('/queue').length > 0 && hooks.at('/queue'));
    const runs = await runsOf(task.id);
    expect(runs.map((r) => r.state)).toEqual(['queued', 'queued']); // told while they wait
    // Both runs within the storm window: one message with count 2, grouped as usual.
    expect(message!.body).toMatchObject({ reason: 'queue_wait', count: 2, event: { taskName: 'waits', state: 'queued' } });
    expect(message!.body.event.waitedMs).toBeGreaterThanOrEqual(1_000);
    expect(message!.body.event.summary).toMatch(/^Run of task waits has waited \d+ s for a worker and still waits$/);

    // A new leader looks at the same waiting runs: they were told already.
    await master.stop();
    master = await startAlertingMaster(dbUrl);
    await waitFor('both runs ended (no worker)', async () => (await runsOf(task.id)).every((r) => r.state === 'failed'), 30_000);
    await pause(2_500); // the end's own queue_wait events, and the storm window, have passed
    expect(hooks.at('/queue')).toHaveLength(1);
    expect(hooks.at('/queue-later')).toEqual([]);
    expect((await master.api.call('alerts.channels.list', {})).find((c) => c.name === 'queue')!.state).toMatchObject({ status: 'ok', pending: 0 });
  }, 60_000);
});
