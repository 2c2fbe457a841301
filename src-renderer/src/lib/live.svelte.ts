// The one owner of live data: reads what the visible screens watch once, then again only when the master pushes
// an event saying it changed (lib/events.ts; issue 8: no full-list polling). Reads are debounced and one at a time.
import type { BatonError, ClusterMaster, ConsoleEvent, Group, MethodOutput, Run, RunLogLine, Task, Token, Worker } from '@contract';
import { TERMINAL_STATES } from '@contract';
import { api } from './api';
import { onEvents, readAgain, watchRunLog } from './events';
import { asBatonError } from './failure';
import { outageOf } from './outage';
import { lastSeq, mergeLog } from './run-log';

export type Topic = 'info' | 'masters' | 'groups' | 'workers' | 'tasks' | 'tokens';
export type MasterInfo = MethodOutput<'master.info'>;

/** Events arriving within this long are read as one: under constant run traffic a topic is read about once a second (actions of this console read at once). */
const DEBOUNCE_MS = 1_000;
/**
 * The cluster view (which master leads, when each was last seen) has no events: masters announce themselves in
 * the database every fifth of their lease, and a console reading that every 10 s is slow enough to cost nothing.
 */
const CLUSTER_REFRESH_MS = 10_000;
/** While the master, its database or its leadership is down, every screen reads again this often until a read works. */
const OUTAGE_RETRY_MS = 5_000;
/** Lines per read of a run's log (the contract's most). */
const LOG_PAGE = 5_000;

/** Which topics an event makes stale. */
function staleTopics(event: ConsoleEvent): Topic[] {
  switch (event.kind) {
    case 'run.changed': return [];
    case 'worker.changed':
    case 'worker.removed': return ['workers'];
    case 'task.changed': return ['tasks'];
    case 'group.changed': return ['groups'];
    case 'sync': return ['info', 'masters', 'groups', 'workers', 'tasks', 'tokens'];
    case 'run.log': return [];
  }
}

export class Live {
  info = $state.raw<MasterInfo | null>(null);
  masters = $state.raw<ClusterMaster[]>([]);
  groups = $state.raw<Group[]>([]);
  workers = $state.raw<Worker[]>([]);
  tasks = $state.raw<Task[]>([]);
  tokens = $state.raw<Token[]>([]);
  run = $state.raw<Run | null>(null);
  runLogs = $state.raw<RunLogLine[]>([]);
  /** The last read's failure, cleared by the next success. */
  error = $state.raw<BatonError | null>(null);
  loaded = $state.raw<ReadonlySet<Topic>>(new Set());
  /** Ticks every second so "12 s ago" texts move on (a clock, not a read). */
  now = $state(Date.now());

  #watchers = new Map<Topic, number>();
  #stale = new Set<Topic>();
  #followedRun: string | null = null;
  #runStale = false;
  /** Runs read once more after they ended. */
  #endRead = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #inFlight: Promise<void> | null = null;
  #again = false;
  #retry: ReturnType<typeof setTimeout> | null = null;

  /** Keeps the topics read and following events until the returned disposer is called (screens call it in an $effect). */
  watch(...topics: Topic[]): () => void {
    const fresh = topics.filter((t) => !this.#watchers.has(t));
    for (const topic of topics) this.#watchers.set(topic, (this.#watchers.get(topic) ?? 0) + 1);
    if (fresh.length > 0) this.#markStale(fresh, 0);
    return () => {
      for (const topic of topics) {
        const count = (this.#watchers.get(topic) ?? 1) - 1;
        if (count > 0) this.#watchers.set(topic, count);
        else this.#watchers.delete(topic);
      }
    };
  }

  /** Reads one run and its whole log, then follows both from events. */
  followRun(id: string): () => void {
    this.#followedRun = id;
    this.run = null;
    this.runLogs = [];
    const stopLog = watchRunLog(id, {
      lines: (lines) => { if (this.#followedRun === id) this.runLogs = mergeLog(this.runLogs, lines); },
      resync: () => this.#followStale(),
    });
    const stopRun = onEvents(['run.changed'], (event) => {
      if (event.kind === 'run.changed' && event.run.id === id) this.#followStale();
    });
    this.#followStale();
    return () => {
      stopLog();
      stopRun();
      if (this.#followedRun !== id) return;
      this.#followedRun = null;
      this.run = null;
      this.runLogs = [];
    };
  }

  /** A page's own read failed because the master or its database is down: the frame says so, once (the next good read clears it). */
  noteOutage(error: BatonError): void {
    if (!outageOf(error)) return;
    this.error = error;
    this.#retryLater();
  }

  /** One read of everything, every screen included, a few seconds on (no event comes while something is down). */
  #retryLater(): void {
    if (this.#retry) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      readAgain('trying again after an outage');
    }, OUTAGE_RETRY_MS);
  }

  /** Starts following events (and the clock); returns how to stop. */
  start(): () => void {
    const stopEvents = onEvents(['worker.changed', 'worker.removed', 'task.changed', 'group.changed'], (event) => this.#onEvent(event));
    const clock = setInterval(() => { this.now = Date.now(); }, 1_000);
    const cluster = setInterval(() => this.#markStale(['info', 'masters'], 0), CLUSTER_REFRESH_MS);
    this.#markStale(['info'], 0);
    return () => {
      stopEvents();
      clearInterval(clock);
      clearInterval(cluster);
      if (this.#timer) clearTimeout(this.#timer);
      if (this.#retry) clearTimeout(this.#retry);
    };
  }

  /** Reads every watched topic now (after an action of this console); one more read follows one under way. */
  async refresh(): Promise<void> {
    this.#markStale([...this.#watchers.keys()], null);
    this.#runStale = this.#followedRun !== null;
    await this.#read();
  }

  #onEvent(event: ConsoleEvent): void {
    // A worker's new figures replace it in place: no read for the heartbeats of a hundred workers.
    if (event.kind === 'worker.changed') {
      const at = this.workers.findIndex((w) => w.id === event.worker.id);
      if (at >= 0) {
        this.workers = this.workers.with(at, event.worker);
        return;
      }
    }
    if (event.kind === 'sync') this.#runStale = this.#followedRun !== null;
    this.#markStale(staleTopics(event), DEBOUNCE_MS);
  }

  #followStale(): void {
    this.#runStale = true;
    this.#markStale([], DEBOUNCE_MS);
  }

  /** Marks topics to read (only watched ones count) and reads them after `delayMs`; null: the caller reads. */
  #markStale(topics: Topic[], delayMs: number | null): void {
    for (const topic of topics) if (this.#watchers.has(topic) || topic === 'info') this.#stale.add(topic);
    if (delayMs === null || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#read();
    }, delayMs);
  }

  async #read(): Promise<void> {
    if (this.#inFlight) {
      this.#again = true;
      return this.#inFlight;
    }
    const topics = [...this.#stale];
    this.#stale.clear();
    const followed = this.#runStale ? this.#followedRun : null;
    this.#runStale = false;
    this.#inFlight = (async () => {
      const results = await Promise.allSettled([...topics.map((topic) => this.#fetch(topic)), this.#fetchRun(followed)]);
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      this.error = failure ? asBatonError(failure.reason) : null;
      // A failed read is tried again with the next event or action; during an outage, every few seconds.
      if (this.error && outageOf(this.error)) this.#retryLater();
      this.now = Date.now();
    })();
    try {
      await this.#inFlight;
    } finally {
      this.#inFlight = null;
    }
    if (this.#again) {
      this.#again = false;
      await this.#read();
    }
  }

  async #fetch(topic: Topic): Promise<void> {
    switch (topic) {
      case 'info': this.info = await api.call('master.info', {}); break;
      case 'masters': this.masters = await api.call('masters.list', {}); break;
      case 'groups': this.groups = await api.call('groups.list', {}); break;
      case 'workers': this.workers = await api.call('workers.list', {}); break;
      case 'tasks': this.tasks = await api.call('tasks.list', {}); break;
      case 'tokens': this.tokens = await api.call('tokens.list', {}); break;
      default: {
        const unknown: never = topic;
        throw new Error(`unknown topic ${String(unknown)}`);
      }
    }
    this.#markLoaded(topic, true);
  }

  /** The run, and its log lines after the last held (all of them, page by page, the first time). */
  async #fetchRun(id: string | null): Promise<void> {
    if (!id) return;
    const run = await api.call('runs.get', { id });
    if (this.#followedRun !== id) return;
    this.run = run;
    for (;;) {
      const lines = await api.call('runs.logs', { id, afterSeq: lastSeq(this.runLogs), limit: LOG_PAGE });
      if (this.#followedRun !== id) return;
      const before = this.runLogs.length;
      this.runLogs = mergeLog(this.runLogs, lines);
      if (lines.length < LOG_PAGE || this.runLogs.length === before) break;
    }
    // An ended run's last lines may be stored just after its result: read once more after it ends.
    if (TERMINAL_STATES.includes(run.state) && !this.#endRead.has(id)) {
      this.#endRead.add(id);
      setTimeout(() => this.#followStale(), 1_000);
    }
  }

  #markLoaded(topic: Topic, loaded: boolean): void {
    if (this.loaded.has(topic) === loaded) return;
    const next = new Set(this.loaded);
    if (loaded) next.add(topic);
    else next.delete(topic);
    this.loaded = next;
  }
}

export const live = new Live();
