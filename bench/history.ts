// Stored history at scale (issue 11): dispatch and lateness on an empty database and on one holding 10,000,000 runs
// (1,000,000 with --quick), in the same bench run; then retention pruning of the 1,000,000 old ones (100,000) while
// 500 tasks fire every second. Each measurement on the loaded history gets its own copy of it (a template clone).
import crypto from 'node:crypto';
import { migrate } from '../src-main/master/db/migrations';
import { pruneRuns } from '../src-main/master/db/retention';
import { closePool, openPool } from '../src-main/master/db/store';
import { loadHistory, type HistoryShape } from './history-load';
import { withClient } from './lib/cluster';
import type { BenchContext, BenchResult, Row } from './lib/types';
import { round, sleep, summary, waitFor } from './lib/util';

const RETENTION_DAYS = 30;
const WITHIN = 0.1;
// The lateness bench runs at its proper size here; pruning finds that bench's window from outside by this count.
const LATENESS_TASKS = 500;

type Lateness = Awaited<ReturnType<typeof import('./lateness').run>>;
type SizeResult = import('./lateness').SizeResult;
type Dispatch = Awaited<ReturnType<typeof import('./dispatch').baton>>;

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const shape: HistoryShape = ctx.quick ? { runs: 1_000_000, old: 100_000 } : { runs: 10_000_000, old: 1_000_000 };
  // A shorter dispatch run than the dispatch bench's 10,000 (BENCH_DISPATCH_RUNS still wins when set).
  process.env.BENCH_DISPATCH_RUNS ??= String(ctx.quick ? 2_000 : 5_000);
  // Lateness at its proper size only (the lateness bench alone reports 500, 1,000 and 2,000).
  process.env.BENCH_LATENESS_TASKS = String(LATENESS_TASKS);
  // The masters' own hourly pruning starts with them and would prune the old runs during the lateness and dispatch
  // measurements (seen: it held the lock when this bench's pruning began); here only this bench prunes.
  process.env.BATON_RUN_RETENTION_DAYS ??= '3650';
  const { baton } = await import('./dispatch');
  const { run: lateness } = await import('./lateness');

  ctx.log('history: empty database: lateness, then dispatch');
  const empty = { lateness: await lateness(ctx), dispatch: await baton(ctx) };

  const loadedUrl = await ctx.cluster.freshDatabase('bench_history');
  const db = openPool(loadedUrl);
  await migrate(db).finally(() => closePool(db));
  ctx.log(`history: generating ${shape.runs} runs (${shape.old} past a ${RETENTION_DAYS}-day retention)`);
  const loadS = await loadHistory(loadedUrl, shape, ctx.log);
  const sizeGb = await withClient(loadedUrl, async (c) => Number((await c.query<{ b: string }>('select pg_database_size(current_database()) as b')).rows[0]!.b) / 1e9);
  ctx.log(`history: ${shape.runs} runs in ${round(loadS)} s, database ${round(sizeGb, 2)} GB`);

  const copies = cloning(ctx, loadedUrl);
  ctx.log('history: loaded database: lateness, then dispatch');
  const loaded = { lateness: await copies.use((c) => lateness(c)), dispatch: await copies.use((c) => baton(c)) };

  ctx.log(`history: pruning ${shape.old} old runs while ${LATENESS_TASKS} tasks fire every second`);
  const own = { ...ctx, cluster: { ...ctx.cluster, freshDatabase: async () => loadedUrl } };
  const [pruning, prunedLateness] = await Promise.all([pruneInWindow(loadedUrl, ctx), lateness(own)]);
  const leftOld = await withClient(loadedUrl, async (c) => (await c.query<{ n: number }>(
    `select count(*)::int as n from runs where task_id like 'tsk_history_%' and finished_at < now() - make_interval(days => $1)`, [RETENTION_DAYS])).rows[0]!.n);

  return report(shape, { empty, loaded, prunedLateness, pruning, loadS, sizeGb, leftOld });
}

/** Lateness runs with `BENCH_LATENESS_TASKS` tasks starting at one `start_at`; pruning starts as its window does. */
async function pruneInWindow(url: string, ctx: BenchContext) {
  const startAt = await withClient(url, (c) => waitFor('lateness tasks created', async () => {
    const { rows: [r] } = await c.query<{ at: Date | null; n: number }>(
      `select min(start_at) as at, count(*)::int as n from tasks where name like 'every-second-%'`);
    return r && r.n >= LATENESS_TASKS ? r.at : null;
  }, 600_000, 500));
  const windowFrom = Math.max(startAt.getTime(), Date.now()) + 2_000;
  const windowTo = windowFrom + (ctx.quick ? 15 : 60) * 1_000;
  await sleep(windowFrom - Date.now());
  const db = openPool(url);
  const batches: Array<{ at: number; runs: number; ms: number }> = [];
  const t0 = Date.now();
  try {
    const outcome = await pruneRuns(db, {
      retentionDays: RETENTION_DAYS, now: new Date(), onBatch: (b) => batches.push({ at: Date.now(), runs: b.runs, ms: b.ms }),
    });
    if (outcome.kind !== 'pruned') throw new Error('pruning found another pruner holding the lock');
    const seconds = (Date.now() - t0) / 1_000;
    const inWindow = batches.filter((b) => b.at <= windowTo).reduce((n, b) => n + b.runs, 0);
    ctx.log(`history: pruned ${outcome.runs} runs in ${round(seconds)} s (${inWindow} during the lateness window)`);
    return { runs: outcome.runs, batches: outcome.batches, seconds, inWindow, windowS: (windowTo - windowFrom) / 1_000, batchMs: summary(batches.map((b) => b.ms)) };
  } finally {
    await closePool(db);
  }
}

/** A context whose fresh databases are copies of `template`, each dropped after its one use. */
function cloning(ctx: BenchContext, template: string) {
  const name = new URL(template).pathname.slice(1);
  return {
    async use<T>(work: (c: BenchContext) => Promise<T>): Promise<T> {
      const made: string[] = [];
      const cluster = {
        ...ctx.cluster,
        async freshDatabase(prefix: string) {
          const copy = `${prefix}_${crypto.randomBytes(4).toString('hex')}`;
          const t0 = performance.now();
          // file_copy: a copy of the files, seconds for gigabytes, instead of WAL-logging every block.
          await withClient(ctx.cluster.url, (c) => c.query(`create database ${copy} template ${name} strategy file_copy`));
          ctx.log(`history: copied the loaded database in ${round((performance.now() - t0) / 1_000)} s`);
          made.push(copy);
          const url = new URL(template);
          url.pathname = `/${copy}`;
          return url.toString();
        },
      };
      try {
        return await work({ ...ctx, cluster });
      } finally {
        for (const copy of made) await withClient(ctx.cluster.url, (c) => c.query(`drop database if exists ${copy} with (force)`));
      }
    },
  };
}

/** The one size this bench runs the lateness bench at. */
const size = (l: Lateness) => (l.data.sizes as SizeResult[])[0]!;
const p99 = (l: Lateness) => size(l).dispatched.p99;
const startP99 = (l: Lateness) => size(l).started.p99;
const lostOrDoubled = (l: Lateness) => size(l).lost + size(l).doubled;
const pct = (now: number, before: number) => `${now >= before ? '+' : ''}${round(((now - before) / before) * 100)} %`;

function report(shape: HistoryShape, r: {
  empty: { lateness: Lateness; dispatch: Dispatch }; loaded: { lateness: Lateness; dispatch: Dispatch }; prunedLateness: Lateness;
  pruning: Awaited<ReturnType<typeof pruneInWindow>>; loadS: number; sizeGb: number; leftOld: number;
}): BenchResult {
  const runsM = `${shape.runs / 1e6} M`;
  const d0 = r.empty.dispatch.runsPerS;
  const d1 = r.loaded.dispatch.runsPerS;
  const l0 = p99(r.empty.lateness);
  const l1 = p99(r.loaded.lateness);
  const l2 = p99(r.prunedLateness);
  const rows: Row[] = [
    { metric: `generating ${runsM} runs (+ 4 transitions each, logs for 1 in 10) through SQL`, value: `${round(r.loadS)} s (${round(shape.runs / r.loadS / 1_000)} k runs/s), database ${round(r.sizeGb, 2)} GB` },
    { metric: `dispatch (${process.env.BENCH_DISPATCH_RUNS} API runs): empty → ${runsM} runs stored`, value: `${round(d0)} → ${round(d1)} runs/s (${pct(d1, d0)})`, target: `≥ −${WITHIN * 100} %`, met: d1 >= d0 * (1 - WITHIN) },
    { metric: `lateness (${LATENESS_TASKS} tasks every second) assigned − planned p99: empty → ${runsM} runs`, value: `${round(l0)} → ${round(l1)} ms (${pct(l1, l0)})`, target: `≤ +${WITHIN * 100} %`, met: l1 <= l0 * (1 + WITHIN) },
    { metric: 'lateness started (agent) − planned p99: empty → loaded → loaded while pruning', value: `${round(startP99(r.empty.lateness))} → ${round(startP99(r.loaded.lateness))} → ${round(startP99(r.prunedLateness))} ms` },
    { metric: `lateness p99 while pruning ${shape.old / 1e6} M old runs vs. the same history not pruning`, value: `${round(l1)} → ${round(l2)} ms (${pct(l2, l1)})`, target: `≤ +${WITHIN * 100} %`, met: l2 <= l1 * (1 + WITHIN) },
    { metric: 'fires lost + doubled: empty / loaded / while pruning', value: `${lostOrDoubled(r.empty.lateness)} / ${lostOrDoubled(r.loaded.lateness)} / ${lostOrDoubled(r.prunedLateness)}`, target: '0', met: lostOrDoubled(r.empty.lateness) + lostOrDoubled(r.loaded.lateness) + lostOrDoubled(r.prunedLateness) === 0 },
    { metric: 'pruning: runs, time, batches (batch ms p50 / p99 / max)', value: `${r.pruning.runs} in ${round(r.pruning.seconds)} s (${round(r.pruning.runs / r.pruning.seconds / 1_000, 1)} k runs/s), ${r.pruning.batches} batches (${round(r.pruning.batchMs.p50)} / ${round(r.pruning.batchMs.p99)} / ${round(r.pruning.batchMs.max)} ms); ${r.pruning.inWindow} during the ${r.pruning.windowS} s window` },
    { metric: 'old runs left after pruning', value: `${r.leftOld}`, target: '0', met: r.leftOld === 0 },
  ];
  return {
    name: 'history', rows,
    data: {
      shape, retentionDays: RETENTION_DAYS, loadSeconds: r.loadS, databaseGb: r.sizeGb, pruning: r.pruning, leftOld: r.leftOld,
      dispatch: { empty: r.empty.dispatch, loaded: r.loaded.dispatch },
      lateness: { empty: r.empty.lateness.data, loaded: r.loaded.lateness.data, pruning: r.prunedLateness.data },
    },
  };
}
