// Handlers of the worker page (workers.get, workers.delete) and the dashboard (dashboard.summary), issue 8.
import { SAMPLE_WINDOW_MS } from './contract/worker-detail';
import type { MethodName } from './contract/methods';
import { endedFigures, inFlight, soonestTasks } from '../db/dashboard';
import { readSamples } from '../db/worker-samples';
import { deleteWorker, getWorkerCounted, onlineWorker, runsOfWorker } from '../db/workers';
import { bucketWindow, DAY, denseSeries, HOUR, minuteBuckets, successRate, totals } from '../dashboard/figures';
import { upcomingFires } from '../dashboard/upcoming';
import type { Handler } from './handlers';

const DAY_MS = 86_400_000;
/** Top failing tasks shown. */
const TOP_FAILING = 5;

type Own = 'workers.get' | 'workers.delete' | 'dashboard.summary';

export const workersAndDashboard: { [M in Own & MethodName]: Handler<M> } = {
  'workers.get': async ({ id, runs }, ctx) => {
    const now = Date.now();
    const [{ worker, activeRuns }, samples, recent] = await Promise.all([
      getWorkerCounted(ctx.db, id), readSamples(ctx.db, id, now - SAMPLE_WINDOW_MS), runsOfWorker(ctx.db, id, runs),
    ]);
    return { worker, activeRuns, samples, runs: recent };
  },

  'workers.delete': async ({ id }, ctx) => {
    // The leader's view first: an agent that joined this instant may not be marked online in the table yet.
    const session = ctx.registry.get(id);
    if (session?.socket?.connected) throw onlineWorker(session.name);
    await deleteWorker(ctx.db, id);
    if (session && !session.socket) ctx.registry.remove(id);
    return { ok: true as const };
  },

  'dashboard.summary': async ({ upcoming, running }, ctx) => {
    const now = Date.now();
    const hour = bucketWindow(now, HOUR);
    const day = bucketWindow(now, DAY);
    const [ended, flight, tasks] = await Promise.all([
      endedFigures(ctx.db, hour, day, TOP_FAILING), inFlight(ctx.db, running), soonestTasks(ctx.db, upcoming),
    ]);
    const window = (series: ReturnType<typeof denseSeries>, p95: number | null) => {
      const t = totals(series);
      return { ended: Object.values(t).reduce((a, b) => a + b, 0), successRate: successRate(t), p95DurationMs: p95, series };
    };
    return {
      now: new Date(now).toISOString(),
      hour: window(denseSeries(minuteBuckets(ended.minutes, hour), hour), ended.hourP95),
      day: window(denseSeries(minuteBuckets(ended.minutes, day), day), ended.dayP95),
      topFailing: ended.topFailing,
      running: flight.running, runningTotal: flight.runningTotal, queued: flight.queued,
      upcoming: upcomingFires(tasks, now, DAY_MS, upcoming).map((f) => ({ ...f, at: new Date(f.at).toISOString() })),
      workers: { online: flight.workersOnline, total: flight.workersTotal },
    };
  },
};
