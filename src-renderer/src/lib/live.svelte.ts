// The one owner of live data: polls the master every second for what the visible screens watch.
import type { BatonError, ClusterMaster, Group, MethodOutput, Run, RunLogLine, RunState, Task, Token, Worker } from '@contract';
import { api } from './api';
import { asBatonError } from './failure';

export type Topic = 'info' | 'masters' | 'groups' | 'workers' | 'tasks' | 'runs' | 'recentRuns' | 'tokens';
export type MasterInfo = MethodOutput<'master.info'>;

export interface RunFilter {
  taskId?: string;
  state?: RunState;
}

const POLL_MS = 1_000;
/** How many runs the runs list shows. */
const RUNS_PAGE = 200;
/** How many runs the dashboard counts over; it says so when the last hour holds more. */
export const RECENT_RUNS_LIMIT = 1_000;

export class Live {
  info = $state.raw<MasterInfo | null>(null);
  masters = $state.raw<ClusterMaster[]>([]);
  groups = $state.raw<Group[]>([]);
  workers = $state.raw<Worker[]>([]);
  tasks = $state.raw<Task[]>([]);
  runs = $state.raw<Run[]>([]);
  recentRuns = $state.raw<Run[]>([]);
  tokens = $state.raw<Token[]>([]);
  run = $state.raw<Run | null>(null);
  runLogs = $state.raw<RunLogLine[]>([]);
  runFilter = $state.raw<RunFilter>({});
  /** The last poll's failure, cleared by the next success. */
  error = $state.raw<BatonError | null>(null);
  loaded = $state.raw<ReadonlySet<Topic>>(new Set());
  /** Ticks with every poll so "12 s ago" texts move on. */
  now = $state(Date.now());

  #watchers = new Map<Topic, number>();
  #followedRun: string | null = null;
  #inFlight = false;
  #again = false;

  /** Keeps the topics polled until the returned disposer is called (screens call it in an $effect). */
  watch(...topics: Topic[]): () => void {
    for (const topic of topics) this.#watchers.set(topic, (this.#watchers.get(topic) ?? 0) + 1);
    void this.refresh();
    return () => {
      for (const topic of topics) {
        const count = (this.#watchers.get(topic) ?? 1) - 1;
        if (count > 0) this.#watchers.set(topic, count);
        else this.#watchers.delete(topic);
      }
    };
  }

  /** Polls one run and its log lines, appending new lines as they arrive. */
  followRun(id: string): () => void {
    this.#followedRun = id;
    this.run = null;
    this.runLogs = [];
    void this.refresh();
    return () => {
      if (this.#followedRun !== id) return;
      this.#followedRun = null;
      this.run = null;
      this.runLogs = [];
    };
  }

  setRunFilter(filter: RunFilter): void {
    this.runFilter = filter;
    this.runs = [];
    this.#markLoaded('runs', false);
    void this.refresh();
  }

  start(): () => void {
    const timer = setInterval(() => void this.refresh(), POLL_MS);
    void this.refresh();
    return () => clearInterval(timer);
  }

  /** Polls now; a call during a poll makes one more poll right after it, so fresh writes show at once. */
  async refresh(): Promise<void> {
    if (this.#inFlight) {
      this.#again = true;
      return;
    }
    this.#inFlight = true;
    try {
      const results = await Promise.allSettled([
        ...[...this.#watchers.keys()].map((topic) => this.#fetch(topic)),
        this.#fetchFollowedRun(),
      ]);
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      this.error = failure ? asBatonError(failure.reason) : null;
      this.now = Date.now();
    } finally {
      this.#inFlight = false;
    }
    if (this.#again) {
      this.#again = false;
      await this.refresh();
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
      case 'recentRuns': this.recentRuns = await api.call('runs.list', { limit: RECENT_RUNS_LIMIT }); break;
      case 'runs': {
        const filter = this.runFilter;
        const runs = await api.call('runs.list', { ...filter, limit: RUNS_PAGE });
        // A filter changed while this poll was out: its answer belongs to the old filter.
        if (filter !== this.runFilter) return;
        this.runs = runs;
        break;
      }
      default: {
        const unknown: never = topic;
        throw new Error(`unknown topic ${String(unknown)}`);
      }
    }
    this.#markLoaded(topic, true);
  }

  async #fetchFollowedRun(): Promise<void> {
    const id = this.#followedRun;
    if (!id) return;
    const afterSeq = this.runLogs.at(-1)?.seq ?? -1;
    const [run, lines] = await Promise.all([api.call('runs.get', { id }), api.call('runs.logs', { id, afterSeq })]);
    if (this.#followedRun !== id) return;
    this.run = run;
    const last = this.runLogs.at(-1)?.seq ?? -1;
    const fresh = lines.filter((line) => line.seq > last);
    if (fresh.length > 0) this.runLogs = [...this.runLogs, ...fresh];
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
