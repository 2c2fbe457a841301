// Fire lateness: 500 tasks on a cron of every second for 60 s (15 s with --quick); per run
// assigned_at − planned_at from the database, and every (task, second) checked for a lost or doubled fire.
import { startAgents, stopAgents, type AgentProcess } from './lib/agents';
import { withClient } from './lib/cluster';
import { stage } from './lib/setup';
import type { BenchContext, BenchResult } from './lib/types';
import { boundedAll, round, sleep, summary, waitFor } from './lib/util';

// BENCH_LATENESS_TASKS finds the knee (diagnostic); the benchmark proper is 500.
const TASKS = Number(process.env.BENCH_LATENESS_TASKS ?? 500);
const AGENTS = 4;
const CAPACITY = 256;
const TARGET_P99_MS = 100;
const START_AFTER_MS = 20_000;

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const windowS = ctx.quick ? 15 : 60;
  const s = await stage(ctx, 'lateness');
  let agents: AgentProcess[] = [];
  try {
    agents = await startAgents(s.master.agentUrl, s.token, { count: AGENTS, group: 'bench', capacity: CAPACITY });
    await waitFor('agents online', async () => (await s.master.api.call('workers.list', {})).filter((w) => w.status === 'online').length === AGENTS, 120_000);
    // Every task starts firing at the same whole second, after all of them exist: creating 500 tasks while the
    // first ones already fire measured the creation (each create re-reads every task), not steady firing.
    const startAt = Math.ceil(Date.now() / 1_000) * 1_000 + START_AFTER_MS;
    const created = performance.now();
    await boundedAll(TASKS, 16, async (i) => {
      await s.master.api.call('tasks.create', {
        name: `every-second-${i}`, groupId: s.groupId, handler: 'noop', startAt: new Date(startAt).toISOString(),
        trigger: { type: 'cron', expression: '* * * * * *', timezone: 'UTC' },
        routing: { strategy: 'round_robin' }, blocking: { strategy: 'serial' },
      });
    });
    const createS = (performance.now() - created) / 1_000;
    ctx.log(`lateness: ${TASKS} tasks created in ${round(createS)} s; all start at ${new Date(startAt).toISOString()}`);
    // The window starts once every task fires: 2 s after startAt (or after the last create, if that was later).
    const from = Math.max(startAt, Math.ceil(Date.now() / 1_000) * 1_000) + 2_000;
    const to = from + windowS * 1_000;
    const samples: Array<Awaited<ReturnType<typeof s.master.sample>>> = [];
    await sleep(from - Date.now());
    while (Date.now() < to) {
      await sleep(1_000);
      samples.push(await s.master.sample());
    }
    // Runs planned before `to` get a few seconds to be assigned and finish.
    await sleep(3_000);
    return await withClient(s.databaseUrl, async (c) => {
      const range = [new Date(from), new Date(to)];
      const { rows: late } = await c.query<{ ms: number | null; start_ms: number | null; trigger: string }>(
        `select extract(epoch from assigned_at - planned_at) * 1000 as ms,
                extract(epoch from started_at - planned_at) * 1000 as start_ms, trigger
         from runs where planned_at >= $1 and planned_at < $2 and attempt = 1`, range);
      const { rows: [fires] } = await c.query<{ stored_pairs: number; doubled: number; misfire: number }>(
        `select count(*)::int as stored_pairs, count(*) filter (where n > 1)::int as doubled,
                coalesce(sum(misfire), 0)::int as misfire
         from (select task_id, date_trunc('second', planned_at) as sec, count(*) as n,
                      count(*) filter (where trigger = 'misfire') as misfire
               from runs where planned_at >= $1 and planned_at < $2 and trigger in ('schedule', 'misfire') and attempt = 1
               group by 1, 2) per_fire`, range);
      const { rows: states } = await c.query<{ state: string; n: number }>(
        `select state, count(*)::int as n from runs where planned_at >= $1 and planned_at < $2 group by 1 order by 2 desc`, range);
      // Where the lateness comes from: the planner inserting the run late, or the run waiting after insert.
      const { rows: [split] } = await c.query<{ insert_p50: number; insert_p99: number; wait_p50: number; wait_p99: number; queued: number }>(
        `select percentile_cont(0.5) within group (order by extract(epoch from created_at - planned_at) * 1000) as insert_p50,
                percentile_cont(0.99) within group (order by extract(epoch from created_at - planned_at) * 1000) as insert_p99,
                percentile_cont(0.5) within group (order by extract(epoch from assigned_at - created_at) * 1000) as wait_p50,
                percentile_cont(0.99) within group (order by extract(epoch from assigned_at - created_at) * 1000) as wait_p99,
                count(*) filter (where state = 'queued' or queued_at is not null and assigned_at > queued_at + interval '5 ms')::int as queued
         from runs where planned_at >= $1 and planned_at < $2 and attempt = 1`, range);
      const { rows: [overall] } = await c.query<{ n: number; first: Date | null; last: Date | null }>(
        `select count(*)::int as n, min(planned_at) as first, max(planned_at) as last from runs`);
      const expected = TASKS * windowS;
      const lost = expected - fires!.stored_pairs;
      const assigned = late.filter((r) => r.ms !== null).map((r) => Number(r.ms));
      const lat = summary(assigned);
      const startLat = summary(late.filter((r) => r.start_ms !== null).map((r) => Number(r.start_ms)));
      const cpu = samples.map((x) => x.cpuPct);
      const ok = lat.p99 < TARGET_P99_MS && lost === 0 && fires!.doubled === 0;
      return {
        name: 'lateness',
        rows: [
          { metric: `${TASKS} tasks × cron every second, ${windowS} s, ${AGENTS} agents: assigned − planned`, value: `p50 ${round(lat.p50)} ms, p99 ${round(lat.p99)} ms, max ${round(lat.max)} ms`, target: `p99 < ${TARGET_P99_MS} ms`, met: lat.p99 < TARGET_P99_MS },
          { metric: 'started (agent) − planned', value: `p50 ${round(startLat.p50)} ms, p99 ${round(startLat.p99)} ms, max ${round(startLat.max)} ms` },
          { metric: 'split: stored − planned (planner) / assigned − stored (dispatch)', value: `p50 ${round(split!.insert_p50)} / ${round(split!.wait_p50)} ms, p99 ${round(split!.insert_p99)} / ${round(split!.wait_p99)} ms` },
          { metric: 'fires lost / doubled / via misfire', value: `${lost} / ${fires!.doubled} / ${fires!.misfire} of ${expected}`, target: '0 / 0', met: lost === 0 && fires!.doubled === 0 },
          { metric: `creating the ${TASKS} tasks (16 in flight, before any fires)`, value: `${round(createS)} s` },
          { metric: 'master CPU during the window', value: `mean ${round(cpu.reduce((a, b) => a + b, 0) / Math.max(1, cpu.length))} %, max ${round(Math.max(...cpu))} %` },
        ],
        data: {
          tasks: TASKS, windowS, agents: AGENTS, expected, lost, doubled: fires!.doubled, viaMisfire: fires!.misfire,
          neverAssigned: late.length - assigned.length, assignedMinusPlannedMs: lat, startedMinusPlannedMs: startLat,
          createSeconds: createS, split, window: { from: new Date(from), to: new Date(to) }, allRuns: overall,
          states: Object.fromEntries(states.map((r) => [r.state, r.n])), masterSamples: samples, ok,
        },
      };
    });
  } finally {
    await stopAgents(agents);
    await s.master.stop();
  }
}
