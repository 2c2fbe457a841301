// What only the leader runs: the live view of agents and runs, dispatch, the planner, and the sweeps that
// declare dead workers and overdue runs. Made fresh for each term of leadership and stopped when it ends.
import type { Task } from './api/contract/domain';
import { Presence } from './agents/presence';
import { AgentRegistry } from './agents/registry';
import type { MasterConfig } from './config';
import { activeRuns, recentLatency } from './db/runs';
import type { RunWriter } from './db/run-writer';
import type { Db } from './db/store';
import { allWorkersOffline, listWorkers } from './db/workers';
import { Dispatcher } from './dispatch/dispatcher';
import { RunEndings } from './dispatch/endings';
import { fromStored } from './dispatch/live-runs';
import type { Logger } from './log';
import { Planner } from './scheduler/planner';

const SWEEP_MS = 250;
const METRICS_FLUSH_MS = 2_000;
/** How often the leader reloads recent run latency for `fastest` routing. */
export const LATENCY_REFRESH_MS = 10_000;

export interface Leading {
  registry: AgentRegistry;
  dispatcher: Dispatcher;
  endings: RunEndings;
  presence: Presence;
  /** A task was stored or deleted: caches and timers must follow. */
  taskChanged(task: Task | { id: string; deleted: true }): void;
  /** Stops firing and sweeping and waits for fires under way; the agents' connections are the caller's. */
  stop(): Promise<void>;
}

/** Rebuilds the view of runs in flight from the database; their workers get until their deadline to rejoin. */
async function recover(db: Db, registry: AgentRegistry, dispatcher: Dispatcher): Promise<void> {
  const live = (await activeRuns(db)).map(fromStored);
  const busyWorkers = new Set(live.map((r) => r.workerId).filter((w): w is string => w !== null));
  for (const w of (await listWorkers(db)).filter((w) => busyWorkers.has(w.id))) {
    registry.upsert({
      workerId: w.id, name: w.name, groupId: w.groupId, handlers: w.handlers, labels: w.labels, capacity: w.capacity,
      admin: w.status === 'disabled' ? 'disabled' : 'enabled', socket: null, running: new Set(), cpu: 0, memory: 0,
      load1: 0, lastBeatAt: Date.now(), lastAssignedAt: null,
    });
  }
  for (const run of live) {
    dispatcher.runs.add(run);
    if (run.workerId) registry.get(run.workerId)?.running.add(run.id);
  }
}

export async function startLeading(deps: { db: Db; lazy: Db; writer: RunWriter; log: Logger; config: MasterConfig }): Promise<Leading> {
  const { db, lazy, writer, log, config } = deps;
  // Agents held by an earlier leader (or this master before a restart) are not connected here yet.
  await allWorkersOffline(db);
  const registry = new AgentRegistry();
  const dispatcher = new Dispatcher({ db, writer, registry, log, heartbeatMs: config.heartbeatMs });
  const planner = new Planner({ db, writer, dispatcher, log });
  const endings = new RunEndings({ db, writer, registry, dispatcher, log, scheduleChanged: (id) => planner.reload(id) });
  dispatcher.stopRun = (id, reason) => endings.stop(id, reason);
  dispatcher.refused = (run, reason, message) => endings.finish(run.id, run.attempt, { state: 'failed', reason, error: message });
  const presence = new Presence({
    db: lazy, registry, dispatcher, endings, log, liveness: { heartbeatMs: config.heartbeatMs, missedBeats: config.missedBeats },
    logQuota: config.logQuota,
  });
  await recover(db, registry, dispatcher);

  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, work: () => Promise<unknown>) => {
    let busy = false;
    timers.push(setInterval(() => {
      if (busy) return;
      busy = true;
      work().catch((error: unknown) => log.error({ err: error }, 'periodic work failed')).finally(() => { busy = false; });
    }, ms));
  };
  // Liveness has its own timer: a long sweep under load must not delay declaring a dead worker.
  every(SWEEP_MS, () => presence.checkLiveness(Date.now()));
  every(SWEEP_MS, () => endings.sweep(Date.now()));
  every(METRICS_FLUSH_MS, () => presence.flushMetrics());
  every(LATENCY_REFRESH_MS, async () => { dispatcher.latency = await recentLatency(db); });
  planner.start();

  return {
    registry, dispatcher, endings, presence,
    taskChanged: (task) => { dispatcher.taskChanged(task); planner.reload(task.id); },
    stop: async () => {
      for (const timer of timers) clearInterval(timer);
      await planner.stop();
    },
  };
}
