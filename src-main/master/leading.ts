// What only the leader runs: the live view of agents and runs, dispatch, the planner, and the sweeps that
// declare dead workers and overdue runs. Made fresh for each term of leadership and stopped when it ends.
import type { Task } from './api/contract/domain';
import { Presence } from './agents/presence';
import { AgentRegistry } from './agents/registry';
import type { MasterConfig } from './config';
import { activeRuns, recentLatency, type StoredRun } from './db/runs';
import type { RunWriter } from './db/run-writer';
import type { Db } from './db/store';
import { allWorkersOffline, listWorkers } from './db/workers';
import { Dispatcher } from './dispatch/dispatcher';
import { RunEndings } from './dispatch/endings';
import { fromStored, type LiveRun } from './dispatch/live-runs';
import type { Logger } from './log';
import type { MasterMetrics } from './metrics/instruments';
import { Planner } from './scheduler/planner';

const SWEEP_MS = 250;
/** How often the leader looks for runs active in the database that no part of it owns (see adopt). */
const ADOPT_MS = 5_000;
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

/**
 * Takes runs active in the database into this term's view: at the start of a term all of them (their workers get a
 * full lease from now to rejoin), later those nobody owns: written by the term before this one as it stopped (a
 * retry scheduled by a sweep under way when a paused leader resumed), which would otherwise wait forever.
 * `ended(id)`: this term already ended the run (its row may have been read before that was committed).
 */
async function adopt(db: Db, registry: AgentRegistry, dispatcher: Dispatcher, ended: (id: string) => boolean): Promise<LiveRun[]> {
  const live = (await activeRuns(db)).filter((r) => !dispatcher.runs.get(r.id) && !ended(r.id)).map(fromStored);
  const busyWorkers = new Set(live.map((r) => r.workerId).filter((w): w is string => w !== null && !registry.get(w)));
  for (const w of busyWorkers.size ? (await listWorkers(db)).filter((w) => busyWorkers.has(w.id)) : []) {
    if (registry.get(w.id)) continue;
    registry.upsert({
      workerId: w.id, name: w.name, groupId: w.groupId, handlers: w.handlers, labels: w.labels, capacity: w.capacity,
      admin: w.status === 'disabled' ? 'disabled' : 'enabled', socket: null, running: new Set(), cpu: 0, memory: 0,
      load1: 0, lastBeatAt: Date.now(), lastAssignedAt: null,
    });
  }
  const adopted: LiveRun[] = [];
  for (const run of live) {
    if (dispatcher.runs.get(run.id) || ended(run.id)) continue; // taken or ended while the workers were read
    dispatcher.runs.add(run);
    if (run.workerId) registry.get(run.workerId)?.running.add(run.id);
    adopted.push(run);
  }
  return adopted;
}

export async function startLeading(deps: {
  db: Db; lazy: Db; writer: RunWriter; log: Logger; config: MasterConfig; metrics: MasterMetrics;
  firesSkipped?: ConstructorParameters<typeof Planner>[0]['skipped'];
}): Promise<Leading> {
  const { db, lazy, writer, log, config, metrics } = deps;
  // Agents held by an earlier leader (or this master before a restart) are not connected here yet.
  await allWorkersOffline(db);
  const registry = new AgentRegistry();
  const dispatcher = new Dispatcher({ db, writer, registry, log, heartbeatMs: config.heartbeatMs, metrics });
  const planner = new Planner({ db, writer, dispatcher, log, skipped: deps.firesSkipped });
  const endings = new RunEndings({ db, writer, registry, dispatcher, log, scheduleChanged: (id) => planner.reload(id) });
  dispatcher.stopRun = (id, reason) => endings.stop(id, reason);
  endings.events.on('ended', (run: StoredRun) => {
    dispatcher.task(run.taskId).then((t) => t.handler, () => 'unknown').then((handler) => metrics.runFinished(run.state, handler), () => undefined);
  });
  dispatcher.refused = (run, reason, message) => endings.finish(run.id, run.attempt, { state: 'failed', reason, error: message });
  const presence = new Presence({
    db: lazy, registry, dispatcher, endings, log, liveness: { heartbeatMs: config.heartbeatMs, missedBeats: config.missedBeats },
    logQuota: config.logQuota,
  });
  await adopt(db, registry, dispatcher, () => false);

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
  every(ADOPT_MS, async () => {
    const orphans = await adopt(db, registry, dispatcher, (id) => endings.endedRecently(id));
    if (orphans.length) log.warn({ runs: orphans.map((r) => r.id) }, 'adopted runs no part of this leader owned');
    await endings.children.recover(Date.now());
  });
  planner.start();

  return {
    registry, dispatcher, endings, presence,
    taskChanged: (task) => { dispatcher.taskChanged(task); planner.reload(task.id); },
    stop: async () => {
      presence.stop();
      endings.close();
      for (const timer of timers) clearInterval(timer);
      // Fires waiting for their slot are stored queued now, so the term's last fires are written before it ends.
      dispatcher.parked.storeAll();
      await planner.stop();
    },
  };
}
