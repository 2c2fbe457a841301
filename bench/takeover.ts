// Leader takeover at default settings: two masters on one database, 4 agents given both addresses, tasks firing
// every second and runs of `sleep` in flight; SIGKILL the leader. Measures kill → the follower leads, → every
// agent is back, → the first run dispatched by the new leader; checks no run in flight is lost, none doubled.
import path from 'node:path';
import { startAgents, stopAgents, type AgentProcess } from './lib/agents';
import { tempDir, withClient } from './lib/cluster';
import { startMasterProcess } from './lib/master';
import { stage } from './lib/setup';
import type { BenchContext, BenchResult } from './lib/types';
import { boundedAll, round, waitFor } from './lib/util';

const AGENTS = 4;
const TARGET_MS = 10_000;

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const tasks = ctx.quick ? 20 : 100;
  const sleepers = ctx.quick ? 5 : 20;
  const sleepS = ctx.quick ? 8 : 15;
  const s = await stage(ctx, 'takeover');
  const followerDir = await tempDir('baton-bench-follower-');
  const follower = await startMasterProcess({ databaseUrl: s.databaseUrl, dataDir: followerDir, logFile: path.join(followerDir, 'master.log') });
  let agents: AgentProcess[] = [];
  try {
    if ((await follower.api.call('master.info', {})).leader) throw new Error('the second master leads; expected it to follow');
    agents = await startAgents(`${s.master.agentUrl},${follower.agentUrl}`, s.token, { count: AGENTS, group: 'bench', capacity: 64, prefix: 'to' });
    await waitFor('agents online', async () => (await s.master.api.call('workers.list', {})).filter((w) => w.status === 'online').length === AGENTS, 30_000);
    await boundedAll(tasks, 8, async (i) => {
      await s.master.api.call('tasks.create', { name: `tick-${i}`, groupId: s.groupId, handler: 'noop', trigger: { type: 'fixed_rate', intervalMs: 1_000 } });
    });
    const sleeper = await s.master.api.call('tasks.create', {
      name: 'sleeper', groupId: s.groupId, handler: 'shell', params: { command: `sleep ${sleepS}` }, trigger: { type: 'api' },
      routing: { strategy: 'round_robin' }, blocking: { strategy: 'concurrent', maxConcurrent: 1_000 }, retry: { count: 1 },
    });
    for (let i = 0; i < sleepers; i++) await s.master.api.call('tasks.trigger', { id: sleeper.id });
    return await withClient(s.databaseUrl, async (c) => {
      await waitFor(`${sleepers} sleepers running`, async () => (await c.query<{ n: number }>(
        `select count(*)::int as n from runs where state = 'running' and task_id = $1`, [sleeper.id])).rows[0]!.n === sleepers, 30_000);
      ctx.log(`takeover: SIGKILL the leader (pid ${s.master.pid})`);
      const killedAt = Date.now();
      process.kill(s.master.pid, 'SIGKILL');
      await waitFor('the follower leading', async () => (await follower.api.call('master.info', {})).leader, 30_000, 20);
      const leadMs = Date.now() - killedAt;
      await waitFor('every agent back', async () => (await follower.api.call('workers.list', {})).filter((w) => w.status === 'online').length === AGENTS, 30_000, 20);
      const agentsMs = Date.now() - killedAt;
      const first = await waitFor('a run dispatched by the new leader', async () => (await c.query<{ at: Date | null }>(
        'select min(assigned_at) as at from runs where assigned_at > $1', [new Date(killedAt)])).rows[0]!.at, 30_000, 50);
      const dispatchMs = first.getTime() - killedAt;
      const ended = await waitFor('every sleeper ended', async () => {
        const { rows } = await c.query<{ state: string; n: number }>(
          `select state, count(*)::int as n from runs where task_id = $1 and finished_at is not null group by 1`, [sleeper.id]);
        return rows.reduce((sum, r) => sum + r.n, 0) >= sleepers ? rows : null;
      }, (sleepS + 30) * 1_000, 200);
      const kept = ended.find((r) => r.state === 'succeeded')?.n ?? 0;
      const { rows: [doubled] } = await c.query<{ n: number }>(
        `select count(*)::int as n from (select 1 from runs where trigger in ('schedule', 'misfire')
         group by task_id, planned_at, shard_index having count(*) > 1) d`);
      const ok = kept === sleepers && doubled!.n === 0;
      return {
        name: 'takeover',
        rows: [
          { metric: 'SIGKILL the leader: kill → the follower leads (lease 5 s)', value: `${round(leadMs / 1_000, 2)} s` },
          { metric: `kill → all ${AGENTS} agents back at the new leader`, value: `${round(agentsMs / 1_000, 2)} s` },
          { metric: `kill → first run dispatched by the new leader (${tasks} tasks firing every second)`, value: `${round(dispatchMs / 1_000, 2)} s`, target: `< ${TARGET_MS / 1_000} s`, met: dispatchMs < TARGET_MS },
          { metric: `runs in flight at the kill stored succeeded; fires doubled`, value: `${kept} of ${sleepers}; ${doubled!.n}`, target: `all; 0`, met: ok },
        ],
        data: { tasks, sleepers, leadMs, agentsMs, dispatchMs, ended, doubled: doubled!.n },
      };
    });
  } finally {
    await stopAgents(agents);
    await follower.stop();
    await s.master.stop();
  }
}
