// Failover, network stall: 4 agents (one through a fault-injecting proxy), 50 runs in flight, the proxied agent's
// link stalled for 30 s (bytes held both ways, no reset). Per run it held: time from the stall until a new attempt
// runs elsewhere; and duplicate executions: a run whose old attempt still ticked after its new one started
// (each run appends its id and the time to a side file five times a second).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startFaultProxy } from '../test/integration/fault-proxy';
import { startAgents, stopAgents, type AgentProcess } from './lib/agents';
import { tempDir, withClient } from './lib/cluster';
import { stage } from './lib/setup';
import type { BenchContext, Row } from './lib/types';
import { boundedAll, round, sleep, summary, waitFor } from './lib/util';

const AGENTS = 4;
const RUNS = 50;
const STALL_MS = 30_000;
const TARGET_MS = 5_000;

export async function stallCase(ctx: BenchContext): Promise<{ rows: Row[]; data: Record<string, unknown> }> {
  const s = await stage(ctx, 'failover_stall');
  const proxy = await startFaultProxy({ port: Number(new URL(s.master.agentUrl).port) });
  let agents: AgentProcess[] = [];
  try {
    agents = [
      ...await startAgents(s.master.agentUrl, s.token, { count: AGENTS - 1, group: 'bench', capacity: 64, prefix: 'st' }),
      ...await startAgents(proxy.url, s.token, { count: 1, group: 'bench', capacity: 64, prefix: 'stalled' }),
    ];
    await waitFor('agents online', async () =>
      (await s.master.api.call('workers.list', {})).filter((w) => w.status === 'online').length === AGENTS, 30_000);
    const ticks = path.join(await tempDir('baton-bench-stall-'), 'ticks');
    const task = await s.master.api.call('tasks.create', {
      name: 'ticker', groupId: s.groupId, handler: 'shell', trigger: { type: 'api' },
      params: { command: `for i in $(seq 1 300); do echo "$BATON_RUN_ID $(date +%s%N)" >> ${ticks}; sleep 0.2; done` },
      routing: { strategy: 'round_robin' }, blocking: { strategy: 'concurrent', maxConcurrent: 1_000 }, queueTimeoutMs: 60_000,
    });
    await boundedAll(RUNS, 16, async () => { await s.master.api.call('tasks.trigger', { id: task.id }); });
    return await withClient(s.databaseUrl, async (c) => {
      await waitFor(`${RUNS} runs running`, async () => (await c.query<{ n: number }>(
        `select count(*)::int as n from runs where state = 'running'`)).rows[0]!.n === RUNS, 30_000);
      const held = (await c.query<{ id: string }>(
        `select id from runs where state = 'running' and worker_name = 'stalled-0'`)).rows.map((r) => r.id);
      ctx.log(`failover stall: stalling the link of stalled-0, holding ${held.length} of ${RUNS} runs, for ${STALL_MS / 1_000} s`);
      const stalledAt = Date.now();
      proxy.stall();
      const moved = await waitFor('every held run running again elsewhere', async () => {
        const { rows } = await c.query<{ root: string; id: string; started: Date }>(
          `select root_run_id as root, id, started_at as started from runs
           where root_run_id = any($1) and attempt > 1 and state = 'running' and worker_name <> 'stalled-0'`, [held]);
        return rows.length === held.length ? rows : null;
      }, STALL_MS, 50);
      const ms = moved.map((r) => r.started.getTime() - stalledAt);
      await sleep(Math.max(0, stalledAt + STALL_MS - Date.now()));
      proxy.heal();
      await sleep(5_000); // the stalled agent reconnects and delivers what it kept

      // Duplicates: an old attempt that ticked at or after its new attempt's first tick.
      const byRun = new Map<string, bigint[]>();
      for (const line of (await readFile(ticks, 'utf8')).split('\n').filter(Boolean)) {
        const [id, at] = line.split(' ');
        byRun.set(id!, [...(byRun.get(id!) ?? []), BigInt(at!)]);
      }
      const newOf = new Map(moved.map((r) => [r.root, r.id]));
      const duplicates = held.filter((old) => {
        const oldTicks = byRun.get(old) ?? [];
        const newTicks = byRun.get(newOf.get(old)!) ?? [];
        if (oldTicks.length === 0 || newTicks.length === 0) return false;
        return oldTicks.reduce((a, b) => (a > b ? a : b)) >= newTicks.reduce((a, b) => (a < b ? a : b));
      }).length;
      const { rows: late } = await c.query<{ n: number }>(
        `select count(*)::int as n from runs where id = any($1) and state = 'lost' and late is not null`, [held]);
      const t = summary(ms);
      const { rows: live } = await c.query<{ id: string }>(`select id from runs where state in ('queued', 'assigned', 'running')`);
      await Promise.all(live.map((r) => s.master.api.call('runs.stop', { id: r.id }).catch(() => undefined)));
      return {
        rows: [
          { metric: `network stall (${STALL_MS / 1_000} s) of 1 of ${AGENTS} agents holding ${held.length} of ${RUNS} runs: stall → new attempt running elsewhere`, value: `p50 ${round(t.p50 / 1_000, 2)} s, p99 ${round(t.p99 / 1_000, 2)} s, max ${round(t.max / 1_000, 2)} s`, target: `< ${TARGET_MS / 1_000} s`, met: t.max < TARGET_MS },
          { metric: 'network stall: duplicate executions (old attempt alive after its new one started)', value: String(duplicates), target: '0', met: duplicates === 0 },
          { metric: 'network stall: lost attempts whose late (fenced) result arrived after healing', value: `${late[0]!.n} of ${held.length}` },
        ],
        data: { agents: AGENTS, runs: RUNS, held: held.length, stallMs: STALL_MS, stallToRunningMs: t, duplicates, lateResults: late[0]!.n },
      };
    });
  } finally {
    await stopAgents(agents);
    await proxy.close();
    await s.master.stop();
  }
}
