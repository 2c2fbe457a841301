// Dispatch throughput: 10,000 API-triggered noop runs over 8 agent processes, end to end, side by side with BullMQ,
// pg-boss, graphile-worker and Agenda on the same workload (bench/peers, issue 11).
import { startAgents, stopAgents, type AgentProcess } from './lib/agents';
import { withClient } from './lib/cluster';
import { sampleActivity } from './lib/pg-activity';
import { stage } from './lib/setup';
import type { BenchContext, BenchResult, Row } from './lib/types';
import { boundedAll, round, sleep, summary, waitFor } from './lib/util';
import { runPeers, selectPeers } from './peers/index';
import { batonVsBullmq, sideBySide, TARGET_LABEL, type Outcome } from './peers/table';
import { describeWorkload, resolveWorkload, type Workload } from './peers/workload';

// The workload (10,000 runs, 256 in flight; BENCH_DISPATCH_RUNS and BENCH_DISPATCH_IN_FLIGHT override it for every
// system alike) comes from peers/workload.ts. BENCH_DISPATCH_TASKS spreads Baton's triggers over several tasks
// (diagnostic: the master serialises fires per task).
const TASKS = Number(process.env.BENCH_DISPATCH_TASKS ?? 1);
const TARGET_RUNS_PER_S = 1_000;
const DEADLINE_MS = 180_000;
// Set-up, not measured: eight agents starting at once on a shared 2-core machine (load ~25) took over 30 s.
const AGENTS_ONLINE_MS = 120_000;

function defaultWorkload(ctx: BenchContext): Workload {
  const resolved = resolveWorkload(process.env, ctx.quick);
  if (!resolved.ok) throw new Error(resolved.error.message);
  return resolved.workload;
}

/** Baton alone (bench/history.ts also runs it on a database holding millions of runs). */
export async function baton(ctx: BenchContext, w: Workload = defaultWorkload(ctx)) {
  const { jobs: RUNS, workers: AGENTS, concurrency: CAPACITY, inFlight: IN_FLIGHT } = w;
  const s = await stage(ctx, 'dispatch');
  let agents: AgentProcess[] = [];
  try {
    agents = await startAgents(s.master.agentUrl, s.token, { count: AGENTS, group: 'bench', capacity: CAPACITY });
    await waitFor(`${AGENTS} agents online`, async () => (await s.master.api.call('workers.list', {})).filter((w) => w.status === 'online').length === AGENTS, AGENTS_ONLINE_MS);
    const tasks = await Promise.all(Array.from({ length: TASKS }, (_, i) => s.master.api.call('tasks.create', {
      name: `noop-${i}`, groupId: s.groupId, handler: 'noop', trigger: { type: 'api' },
      routing: { strategy: 'round_robin' }, blocking: { strategy: 'concurrent', maxConcurrent: 10_000 },
      queueTimeoutMs: 600_000,
    })));
    // Let the agents' first heartbeats land so routing sees fresh workers.
    await sleep(1_500);

    const activity = sampleActivity(s.databaseUrl);
    let triggerErrors = 0;
    // What the first refused trigger said, so a failing run names its cause in the table.
    let firstTriggerError = '';
    const t0 = performance.now();
    let triggeredAt = 0;
    const triggerMs: number[] = [];
    const firing = boundedAll(RUNS, IN_FLIGHT, async (i) => {
      const t = performance.now();
      await s.master.api.call('tasks.trigger', { id: tasks[i % TASKS]!.id }).catch((error: unknown) => {
        triggerErrors++;
        firstTriggerError ||= error instanceof Error ? `${(error as { code?: string }).code ?? error.name}: ${error.message}` : String(error);
      });
      triggerMs.push(performance.now() - t);
    }).then(() => { triggeredAt = performance.now(); });

    // Only this bench's runs count: the database may hold others (bench/history.ts).
    const own = [tasks.map((t) => t.id)];
    const done = await withClient(s.databaseUrl, async (c) => {
      let last = 0;
      const progress = setInterval(() => ctx.log(`dispatch: ${last} / ${RUNS} succeeded`), 5_000);
      try {
        // Every run terminal (a run that ends lost or failed must not hang the benchmark); the end of the
        // measurement is the poll that first sees all of them stored. It reads the per-task rollup of ended runs,
        // which each end's own statement keeps (migration 20): counting the runs table every 50 ms was about a
        // seventh of the database's busy time here, a cost of the observer that the peers' polls do not pay.
        // The stored runs themselves are checked below.
        return await waitFor('all runs terminal', async () => {
          const { rows } = await c.query<{ n: number; ok: number }>(
            `select coalesce(sum(ended), 0)::int as n, coalesce(sum(ended - failures), 0)::int as ok
               from run_failures_by_task where task_id = any($1)`, own);
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
      seconds, runsPerS: check.succeeded / seconds, triggerLatencyMs: summary(triggerMs), triggerSeconds: (triggeredAt - t0) / 1_000, triggerErrors, firstTriggerError, states, ...check, dbActivity,
    };
  } finally {
    await stopAgents(agents);
    await s.master.stop();
  }
}

function batonOutcome(b: BatonResult, w: Workload): Outcome {
  return {
    id: 'baton', system: 'Baton', kind: 'measured', jobsPerS: b.runsPerS, seconds: b.seconds, finished: b.succeeded, expected: w.jobs,
    note: [
      `runs stored in PostgreSQL with every transition and output, ${w.workers} agents over Socket.IO`,
      `${b.complete} of ${w.jobs} succeeded with all timestamps`,
      ...(b.triggerErrors ? [`${b.triggerErrors} tasks.trigger calls failed (first: ${b.firstTriggerError})`] : []),
    ].join('; '),
  };
}

type BatonResult = Awaited<ReturnType<typeof baton>>;

function batonRows(b: BatonResult, w: Workload): Row[] {
  return [
    { metric: `Baton: ${w.jobs} API runs, ${w.workers} agents, end to end${w.quick ? ' (--quick)' : ''}`, value: `${round(b.runsPerS)} runs/s (${round(b.seconds, 2)} s${TASKS > 1 ? `, over ${TASKS} tasks` : ''})`, target: `≥ ${TARGET_RUNS_PER_S} runs/s`, met: b.runsPerS >= TARGET_RUNS_PER_S },
    { metric: 'Baton: runs stored succeeded with all timestamps', value: `${b.complete} / ${w.jobs}`, target: `${w.jobs}`, met: b.succeeded === w.jobs && b.complete === w.jobs },
    { metric: 'Baton: run states stored', value: Object.entries(b.states).map(([k, n]) => `${k} ${n}`).join(', ') },
    { metric: `Baton: tasks.trigger latency (${w.inFlight} in flight)`, value: `p50 ${round(b.triggerLatencyMs.p50)} ms, p99 ${round(b.triggerLatencyMs.p99)} ms` },
  ];
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const resolved = resolveWorkload(process.env, ctx.quick);
  if (!resolved.ok) throw new Error(resolved.error.message);
  const selected = selectPeers(process.env.BENCH_DISPATCH_PEERS);
  if (!selected.ok) throw new Error(selected.error.message);
  const w = resolved.workload;
  // A Baton run that fails (e.g. its deadline passes) is a row of the table; the peers still run.
  let b: BatonResult | null = null;
  let batonError = '';
  try {
    b = await baton(ctx, w);
  } catch (error) {
    batonError = error instanceof Error ? error.message : String(error);
  }
  ctx.log(`dispatch: baton ${b ? `${round(b.runsPerS)} runs/s` : `failed: ${batonError}`}; now the peers: ${selected.peers.map((p) => p.name).join(', ') || 'none'}`);
  const first: Outcome = b ? batonOutcome(b, w) : { id: 'baton', system: 'Baton', kind: 'failed', error: batonError, note: '' };
  const outcomes: Outcome[] = [first, ...await runPeers(ctx, selected.peers, w)];
  const verdict = batonVsBullmq(outcomes);
  return {
    name: 'dispatch',
    rows: [
      ...(b ? batonRows(b, w) : [{ metric: 'Baton', value: `failed: ${batonError}`, met: false }]),
      { metric: `${TARGET_LABEL}, same run${w.quick ? ' (--quick)' : ''}`, value: verdict.value, target: '≥ 1× BullMQ', ...(verdict.met === undefined ? {} : { met: verdict.met }) },
    ],
    table: sideBySide(outcomes, describeWorkload(w)),
    data: { workload: w, tasks: TASKS, baton: b, outcomes },
  };
}
