// Nothing stuck after a leader change (issue 6): the master is paused (SIGSTOP) longer than its leader lease, so
// it steps down when it resumes and is elected again; every run it had, queued or in flight, is owned again.
import { afterAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src-main/master/api/contract/domain';
import { freshDatabase, startAgent, startMasterProcess, waitFor, type MasterProcess, type TestAgent } from './harness';

const TERMINAL = new Set(['succeeded', 'failed', 'timed_out', 'cancelled', 'lost', 'skipped']);
const LEADER_LEASE_MS = 3_000;
const PAUSE_MS = 12_000;

describe('leader paused past its lease', () => {
  let master: MasterProcess | undefined;
  const agents: TestAgent[] = [];
  afterAll(async () => {
    if (master && master.child.exitCode === null) {
      master.child.kill('SIGCONT');
      master.child.kill('SIGTERM');
      await master.exited;
    }
    await Promise.all(agents.map((a) => a.stop('SIGKILL')));
  });

  it('every run reaches a terminal state within its limits; none stays queued with idle agents', async () => {
    master = await startMasterProcess(await freshDatabase(), ['--leader-lease-ms', String(LEADER_LEASE_MS), '--log-level', 'info']);
    const api = master.api;
    const group = await api.call('groups.create', { name: 'pause' });
    const { secret } = await api.call('enrolments.create', { label: 'pause agents', groupId: group.id });
    for (const name of ['pause-a', 'pause-b']) agents.push(await startAgent({ agentUrl: master.url }, secret, { name, group: 'pause' }));
    await waitFor('2 online', async () => (await api.call('workers.list', {})).filter((w) => w.status === 'online').length === 2);

    // In flight across the pause, finishing during it (its result waits in the agent's outbox) or after it.
    const quick = await api.call('tasks.create', {
      name: 'quick', groupId: group.id, handler: 'shell', params: { command: 'sleep 2; echo quick' }, trigger: { type: 'api' },
      blocking: { strategy: 'concurrent', maxConcurrent: 10 }, retry: { count: 1, backoff: 'fixed', delayMs: 500, maxDelayMs: 500 },
    });
    const slow = await api.call('tasks.create', {
      name: 'slow', groupId: group.id, handler: 'shell', params: { command: 'sleep 6; echo slow' }, trigger: { type: 'api' },
      blocking: { strategy: 'concurrent', maxConcurrent: 10 }, retry: { count: 1, backoff: 'fixed', delayMs: 500, maxDelayMs: 500 },
    });
    // Serial: the second waits in the queue behind the first.
    const serial = await api.call('tasks.create', {
      name: 'serial', groupId: group.id, handler: 'shell', params: { command: 'sleep 1; echo serial' }, trigger: { type: 'api' },
    });
    // Nobody can take it: it must fail with no_worker after its queue timeout, pause or not.
    const nowhere = await api.call('tasks.create', {
      name: 'nowhere', groupId: group.id, handler: 'shell', params: { command: 'true' }, trigger: { type: 'api' },
      routing: { strategy: 'round_robin', labels: { zone: 'mars' } }, queueTimeoutMs: 4_000,
    });
    for (let i = 0; i < 3; i++) await api.call('tasks.trigger', { id: quick.id });
    for (let i = 0; i < 2; i++) await api.call('tasks.trigger', { id: slow.id });
    for (let i = 0; i < 2; i++) await api.call('tasks.trigger', { id: serial.id });
    await api.call('tasks.trigger', { id: nowhere.id });
    await waitFor('runs running', async () => (await api.call('runs.list', { state: 'running' })).length >= 5);

    master.child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, PAUSE_MS));
    master.child.kill('SIGCONT');
    const resumedAt = Date.now();

    const all = async () => (await api.call('runs.list', { limit: 1_000 })) as Run[];
    const ended = await waitFor('every run ended, each root with a final attempt', async () => {
      const runs = await all();
      return runs.every((r) => TERMINAL.has(r.state)) ? runs : null;
    }, 45_000);
    // Within limits: the last run ended well inside run time + a lease + a queue timeout after the resume.
    const lastEnd = Math.max(...ended.map((r) => Date.parse(r.finishedAt!)));
    expect(lastEnd - resumedAt).toBeLessThan(30_000);

    const roots = new Map<string, Run[]>();
    for (const r of ended) roots.set(r.rootRunId, [...(roots.get(r.rootRunId) ?? []), r]);
    for (const [root, attempts] of roots) {
      const task = attempts[0]!.taskName;
      const last = attempts.sort((a, b) => b.attempt - a.attempt)[0]!;
      if (task === 'nowhere') expect([last.state, last.reason], root).toEqual(['failed', 'no_worker']);
      else {
        expect(last.state, `${task} ${root}: ${JSON.stringify(attempts.map((a) => [a.attempt, a.state, a.reason]))}`).toBe('succeeded');
        expect(attempts.filter((a) => a.state === 'succeeded')).toHaveLength(1);
      }
    }
    expect(roots.size).toBe(8);
  }, 120_000);
});
