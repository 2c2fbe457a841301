// Several masters on one PostgreSQL, as processes: one leads, the other follows and serves the API (handing
// actions to the leader); SIGKILL the leader and the follower takes over, the agent follows it, the run in
// flight is stored, the schedule goes on, and no fire is doubled.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase, startAgent, startMark, startMasterProcess, waitFor, type MasterProcess, type TestAgent } from './harness';

const LEASE_MS = 2_000;
// Runs keep their lease for 10 × 1 s heartbeats, longer than a takeover (up to 4 leader leases): the run in flight
// survives the leader change. With the default 3 s its agent would stop it (fencing) and it would be reassigned.
const ARGS = ['--leader-lease-ms', String(LEASE_MS), '--missed-heartbeats', '10', '--log-level', 'info'];

describe('several masters on one database', () => {
  const masters: MasterProcess[] = [];
  let agent: TestAgent | undefined;
  afterAll(async () => {
    await agent?.stop();
    for (const m of masters) if (m.child.exitCode === null && m.child.signalCode === null) m.child.kill('SIGTERM');
    await Promise.all(masters.map((m) => m.exited));
  });

  it('one leads, the follower serves the API, and takes over when the leader is killed', async () => {
    const databaseUrl = await freshDatabase();
    const a = await startMasterProcess(databaseUrl, ARGS);
    masters.push(a);
    expect(a.output()).toContain('leading');
    const b = await startMasterProcess(databaseUrl, ARGS);
    masters.push(b);
    expect(b.output()).toContain('following');
    expect(await b.api.call('master.info', {})).toMatchObject({ leader: false, leaderUrl: a.url, url: b.url });
    expect((await b.api.call('masters.list', {})).map((m) => [m.url, m.leader])).toEqual([[a.url, true], [b.url, false]]);

    // A call another master handed on is never handed on again (two masters with stale views cannot loop).
    const bKey = (await fs.readFile(path.join(b.dataDir, 'api-key'), 'utf8')).trim();
    const handedOn = await fetch(`${b.url}/api/groups.create`, {
      method: 'POST', body: '{"name":"loop"}', headers: { 'x-baton-forwarded': '1', authorization: `Bearer ${bKey}` },
    });
    expect(handedOn.status).toBe(503);
    expect(((await handedOn.json()) as { error: { message: string } }).error.message).toMatch(/Leadership is changing hands/);

    // Everything through the follower: reads answered by it, actions handed to the leader.
    const group = await b.api.call('groups.create', { name: 'ha' });
    const { secret } = await b.api.call('enrolments.create', { label: 'ha agent', groupId: group.id });
    agent = await startAgent({ agentUrl: `${b.url},${a.url}` }, secret, { name: 'follower-of-leaders', group: 'ha' });
    await waitFor('the agent online at the leader', async () => (await b.api.call('workers.list', {}))[0]?.status === 'online');
    expect(agent.output()).toMatch(/"code":"not_leader"/);
    const tick = await b.api.call('tasks.create', {
      name: 'tick', groupId: group.id, handler: 'shell', params: { command: 'echo tick' }, trigger: { type: 'fixed_rate', intervalMs: 500 },
    });
    // It ends within a second of the fault: before the agent's run lease (3 beats) lapses and it fences the run.
    const mark = await startMark();
    const slow = await b.api.call('tasks.create', {
      name: 'across', groupId: group.id, handler: 'shell', params: { command: `${mark.command}; sleep 1; echo across` }, trigger: { type: 'api' },
    });
    const [across] = await b.api.call('tasks.trigger', { id: slow.id });
    await mark.started();

    a.child.kill('SIGKILL');
    const killedAt = Date.now();
    await waitFor('the follower leading', async () => (await b.api.call('master.info', {})).leader, 15_000);
    const takeoverMs = Date.now() - killedAt;
    expect(takeoverMs).toBeLessThan(LEASE_MS * 4);

    const ended = await waitFor('the run in flight stored', async () => {
      const run = await b.api.call('runs.get', { id: across!.id });
      return run.finishedAt ? run : null;
    }, 20_000);
    expect([ended.state, ended.output.trim(), ended.workerName]).toEqual(['succeeded', 'across', 'follower-of-leaders']);
    const after = await waitFor('ticks planned after the takeover', async () => {
      const runs = (await b.api.call('runs.list', { taskId: tick.id, limit: 1_000 }))
        .filter((r) => r.state === 'succeeded' && Date.parse(r.plannedAt) > killedAt + takeoverMs);
      return runs.length >= 3 ? runs : null;
    }, 20_000);
    expect(after.every((r) => r.output.trim() === 'tick')).toBe(true);
    const fires = (await b.api.call('runs.list', { taskId: tick.id, limit: 1_000 })).map((r) => r.plannedAt);
    expect(new Set(fires).size).toBe(fires.length);

    // The killed master comes back as a follower of the new leader.
    const again = await startMasterProcess(databaseUrl, [...ARGS, '--port', new URL(a.url).port]);
    masters.push(again);
    expect(again.output()).toContain('following');
    expect(await again.api.call('master.info', {})).toMatchObject({ leader: false, leaderUrl: b.url });
  });
});
