// Dispatch throughput: 10,000 API-triggered noop runs over 8 agent processes, end to end, against plain Agenda.
import { Agenda } from 'agenda';
import { PostgresBackend } from '@agendajs/postgres-backend';
import { startAgents, stopAgents, type AgentProcess } from './lib/agents';
import { withClient } from './lib/cluster';
import { sampleActivity } from './lib/pg-activity';
import { stage } from './lib/setup';
import type { BenchContext, BenchResult } from './lib/types';
import { boundedAll, round, sleep, summary, waitFor } from './lib/util';

// BENCH_DISPATCH_RUNS is for profiling a shorter run; the benchmark proper is 10,000.
const RUNS = Number(process.env.BENCH_DISPATCH_RUNS ?? 10_000);
// BENCH_DISPATCH_TASKS spreads the triggers over several tasks (diagnostic: the master serialises fires per task).
const TASKS = Number(process.env.BENCH_DISPATCH_TASKS ?? 1);
const AGENTS = 8;
const CAPACITY = 64;
const IN_FLIGHT = Number(process.env.BENCH_DISPATCH_IN_FLIGHT ?? 256);
const TARGET_RUNS_PER_S = 1_000;
const DEADLINE_MS = 180_000;

/** Baton alone (bench/history.ts also runs it on a database holding millions of runs). */
export async function baton(ctx: BenchContext) {
  const s = await stage(ctx, 'dispatch');
  let agents: AgentProcess[] = [];
  try {
    agents = await startAgents(s.master.agentUrl, s.token, { count: AGENTS, group: 'bench', capacity: CAPACITY });
    await waitFor('8 agents online', async () => (await s.master.api.call('workers.list', {})).filter((w) => w.status === 'online').length === AGENTS, 120_000);
    const tasks = await Promise.all(Array.from({ length: TASKS }, (_, i) => s.master.api.call('tasks.create', {
      name: `noop-${i}`, groupId: s.groupId, handler: 'noop', trigger: { type: 'api' },
      routing: { strategy: 'round_robin' }, blocking: { strategy: 'concurrent', maxConcurrent: 10_000 },
      queueTimeoutMs: 600_000,
    })));
    // Let the agents' first heartbeats land so routing sees fresh workers.
    await sleep(1_500);

    const activity = sampleActivity(s.databaseUrl);
    let triggerErrors = 0;
    const t0 = performance.now();
    let triggeredAt = 0;
    const triggerMs: number[] = [];
    const firing = boundedAll(RUNS, IN_FLIGHT, async (i) => {
      const t = performance.now();
      await s.master.api.call('tasks.trigger', { id: tasks[i % TASKS]!.id }).catch(() => { triggerErrors++; });
      triggerMs.push(performance.now() - t);
    }).then(() => { triggeredAt = performance.now(); });

    // Only this bench's runs count: the database may hold others (bench/history.ts).
    const own = [tasks.map((t) => t.id)];
    const done = await withClient(s.databaseUrl, async (c) => {
      let last = 0;
      const progress = setInterval(() => ctx.log(`dispatch: ${last} / ${RUNS} succeeded`), 5_000);
      try {
        // Every run terminal (a run that ends lost or failed must not hang the benchmark); the end of the
        // measurement is the poll that first sees all of them stored.
        return await waitFor('all runs terminal', async () => {
          const { rows } = await c.query<{ n: number; ok: number }>(
            `select count(*) filter (where state in ('succeeded', 'failed', 'timed_out', 'cancelled', 'lost', 'skipped'))::int as n,
               count(*) filter (where state = 'succeeded')::int as ok from runs where task_id = any($1)`, own);
          last = rows[0]!.ok;
          return rows[0]!.n >= RUNS - triggerErrors && triggeredAt > 0 ? performance.now() : null;
        }, DEADLINE_MS, 50);
      } finally {
        clearInterval(progress);
      }
    });
    await firing;
    const dbActivity = await activity.stop();
    const seconds = (done - t0) / 1_000;

    const check = await withClient(s.databaseUrl, async (c) => (await c.query<{
      total: number; succeeded: number; complete: number; assign_to_finish_p50: number | null; by_worker: number;
    }>(`select count(*)::int as total,
        count(*) filter (where state = 'succeeded')::int as succeeded,
        count(*) filter (where state = 'succeeded' and queued_at is not null and assigned_at is not null
          and started_at is not null and finished_at is not null)::int as complete,
        (percentile_cont(0.5) within group (order by extract(epoch from finished_at - assigned_at) * 1000))::float8 as assign_to_finish_p50,
        count(distinct worker_id)::int as by_worker
      from runs where task_id = any($1)`, own)).rows[0]!);
    const states = await withClient(s.databaseUrl, async (c) => Object.fromEntries((await c.query<{ state: string; reason: string | null; n: number }>(
      `select state, reason, count(*)::int as n from runs where task_id = any($1) group by 1, 2 order by 3 desc`, own)).rows.map((r) => [`${r.state}${r.reason ? `/${r.reason}` : ''}`, r.n])));
    return {
      seconds, runsPerS: check.succeeded / seconds, triggerLatencyMs: summary(triggerMs), triggerSeconds: (triggeredAt - t0) / 1_000, triggerErrors, states, ...check, dbActivity,
    };
  } finally {
    await stopAgents(agents);
    await s.master.stop();
  }
}

/** The same 10,000 jobs as plain Agenda 6 jobs (`define` + `now`) on a fresh database of the same PostgreSQL. */
async function agenda(ctx: BenchContext) {
  const connectionString = await ctx.cluster.freshDatabase('bench_agenda');
  const agenda = new Agenda({ backend: new PostgresBackend({ connectionString }) });
  let completed = 0;
  let failed = 0;
  agenda.define('noop', async () => undefined);
  agenda.on('complete', () => { completed++; });
  agenda.on('fail', () => { failed++; });
  await agenda.start();
  try {
    const t0 = performance.now();
    await boundedAll(RUNS, IN_FLIGHT, async (i) => { await agenda.now('noop', { i }); });
    const createdAt = performance.now();
    const progress = setInterval(() => ctx.log(`agenda: ${completed} / ${RUNS} completed`), 5_000);
    try {
      await waitFor('all Agenda jobs completed', async () => completed >= RUNS, DEADLINE_MS, 20);
    } finally {
      clearInterval(progress);
    }
    const seconds = (performance.now() - t0) / 1_000;
    const stored = await withClient(connectionString, async (c) => (await c.query<{ n: number }>(
      `select count(*)::int as n from agenda_jobs where last_finished_at is not null and fail_reason is null`,
    ).catch(() => ({ rows: [{ n: -1 }] }))).rows[0]!.n);
    return { seconds, jobsPerS: RUNS / seconds, createSeconds: (createdAt - t0) / 1_000, failed, storedFinished: stored };
  } finally {
    await agenda.stop();
  }
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const b = await baton(ctx);
  ctx.log(`dispatch: baton ${round(b.runsPerS)} runs/s; now the Agenda baseline`);
  const a = process.env.BENCH_SKIP_AGENDA ? { seconds: NaN, jobsPerS: NaN, createSeconds: NaN, failed: 0, storedFinished: 0 } : await agenda(ctx);
  const ok = b.succeeded === RUNS && b.complete === RUNS;
  return {
    name: 'dispatch',
    rows: [
      { metric: `Baton: ${RUNS} API runs, ${AGENTS} agents, end to end`, value: `${round(b.runsPerS)} runs/s (${round(b.seconds, 2)} s${TASKS > 1 ? `, over ${TASKS} tasks` : ''})`, target: `≥ ${TARGET_RUNS_PER_S} runs/s`, met: b.runsPerS >= TARGET_RUNS_PER_S },
      { metric: 'Baton: runs stored succeeded with all timestamps', value: `${b.complete} / ${RUNS}`, target: `${RUNS}`, met: ok },
      { metric: 'Baton: run states stored', value: Object.entries(b.states).map(([k, n]) => `${k} ${n}`).join(', ') },
      { metric: `Baton: tasks.trigger latency (${IN_FLIGHT} in flight)`, value: `p50 ${round(b.triggerLatencyMs.p50)} ms, p99 ${round(b.triggerLatencyMs.p99)} ms` },
      { metric: `Agenda 6 baseline: ${RUNS} now() jobs`, value: `${round(a.jobsPerS)} jobs/s (${round(a.seconds, 2)} s)` },
      { metric: 'Baton / Agenda', value: `${round(b.runsPerS / a.jobsPerS, 2)}×` },
    ],
    data: { runs: RUNS, agents: AGENTS, capacity: CAPACITY, inFlight: IN_FLIGHT, baton: b, agenda: a },
  };
}
