// Failover: 4 agents, 50 runs of `sleep 30` in flight, SIGKILL the agent holding the most; per lost run, the
// time from the kill until its retry attempt is running on another agent (the agent's reported start).
import { startAgents, stopAgents, type AgentProcess } from './lib/agents';
import { withClient } from './lib/cluster';
import { stage } from './lib/setup';
import type { BenchContext, BenchResult } from './lib/types';
import { boundedAll, round, summary, waitFor } from './lib/util';
import { stallCase } from './failover-stall';

const AGENTS = 4;
const RUNS = 50;
const TARGET_MS = 5_000;

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const kill = await killCase(ctx);
  const stall = await stallCase(ctx);
  return { name: 'failover', rows: [...kill.rows, ...stall.rows], data: { ...kill.data, stall: stall.data } };
}

async function killCase(ctx: BenchContext): Promise<BenchResult> {
  const s = await stage(ctx, 'failover');
  let agents: AgentProcess[] = [];
  try {
    agents = await startAgents(s.master.agentUrl, s.token, { count: AGENTS, group: 'bench', capacity: 64, prefix: 'fo' });
    const workers = await waitFor('agents online', async () => {
      const list = (await s.master.api.call('workers.list', {})).filter((w) => w.status === 'online');
      return list.length === AGENTS ? list : null;
    }, 30_000);
    const task = await s.master.api.call('tasks.create', {
      name: 'sleeper', groupId: s.groupId, handler: 'shell', params: { command: 'sleep 30' }, trigger: { type: 'api' },
      routing: { strategy: 'round_robin' }, blocking: { strategy: 'concurrent', maxConcurrent: 1_000 },
      retry: { count: 1, backoff: 'fixed', delayMs: 100 }, queueTimeoutMs: 60_000,
    });
    await boundedAll(RUNS, 16, async () => { await s.master.api.call('tasks.trigger', { id: task.id }); });
    return await withClient(s.databaseUrl, async (c) => {
      await waitFor(`${RUNS} runs running`, async () => (await c.query<{ n: number }>(
        `select count(*)::int as n from runs where state = 'running'`)).rows[0]!.n === RUNS, 30_000);
      const { rows: holders } = await c.query<{ worker_name: string; n: number }>(
        `select worker_name, count(*)::int as n from runs where state = 'running' group by 1 order by 2 desc`);
      const victim = agents.find((a) => a.name === holders[0]!.worker_name)!;
      const victimId = workers.find((w) => w.name === victim.name)!.id;
      const lostIds = (await c.query<{ id: string }>(`select id from runs where state = 'running' and worker_id = $1`, [victimId])).rows.map((r) => r.id);
      ctx.log(`failover: SIGKILL ${victim.name} (pid ${victim.pid}) holding ${lostIds.length} of ${RUNS} runs`);
      const killedAt = Date.now();
      victim.kill('SIGKILL');
      const retries = await waitFor('every lost run running again elsewhere', async () => {
        const { rows } = await c.query<{ root: string; started: Date; worker_id: string; first_state: string; lost_at: Date | null }>(
          `select r.root_run_id as root, r.started_at as started, r.worker_id, f.state as first_state, f.finished_at as lost_at
           from runs r join runs f on f.id = r.root_run_id
           where r.root_run_id = any($1) and r.attempt = 2 and r.state = 'running'`, [lostIds]);
        return rows.length === lostIds.length ? rows : null;
      }, 30_000, 50);
      const seenAt = Date.now();
      const ms = retries.map((r) => r.started.getTime() - killedAt);
      const detect = retries.filter((r) => r.lost_at).map((r) => r.lost_at!.getTime() - killedAt);
      const elsewhere = retries.every((r) => r.worker_id !== victimId);
      const { rows: attempts } = await c.query<{ root: string; terminal: number }>(
        `select root_run_id as root, count(*) filter (where attempt = 1 and state = 'lost')::int as terminal
         from runs where root_run_id = any($1) group by 1`, [lostIds]);
      const oneTerminal = attempts.every((a) => a.terminal === 1);
      const t = summary(ms);
      const d = summary(detect);
      // Stop the sleepers on the surviving agents so nothing outlives the benchmark.
      const { rows: live } = await c.query<{ id: string }>(`select id from runs where state in ('queued', 'assigned', 'running')`);
      await Promise.all(live.map((r) => s.master.api.call('runs.stop', { id: r.id }).catch(() => undefined)));
      return {
        name: 'failover',
        rows: [
          { metric: `SIGKILL 1 of ${AGENTS} agents holding ${lostIds.length} of ${RUNS} runs: kill → retry running elsewhere`, value: `p50 ${round(t.p50 / 1_000, 2)} s, p99 ${round(t.p99 / 1_000, 2)} s, max ${round(t.max / 1_000, 2)} s`, target: `< ${TARGET_MS / 1_000} s`, met: t.max < TARGET_MS && elsewhere },
          { metric: 'kill → first attempt stored lost', value: `p50 ${round(d.p50 / 1_000, 2)} s, max ${round(d.max / 1_000, 2)} s` },
          { metric: 'every retry on another agent; one terminal state per lost attempt', value: `${elsewhere ? 'yes' : 'NO'}; ${oneTerminal ? 'yes' : 'NO'}`, met: elsewhere && oneTerminal },
        ],
        data: { agents: AGENTS, runs: RUNS, lost: lostIds.length, killToRunningMs: t, killToLostMs: d, observedAfterMs: seenAt - killedAt, elsewhere, oneTerminal, holders },
      };
    });
  } finally {
    await stopAgents(agents);
    await s.master.stop();
  }
}
