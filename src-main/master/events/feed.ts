// The master's console feed: turns the database's change notices (from every master sharing it) into typed
// console events for the clients subscribed here, reading details only for topics someone watches.
import type { ConsoleEvent, EventTopic, RunChange } from '../api/contract/events';
import { topicOf } from '../api/contract/events';
import { listenForNotices } from '../db/console-notices';
import { readBatches } from '../db/run-logs';
import { runChanges } from '../db/runs';
import type { Db } from '../db/store';
import { listWorkers } from '../db/workers';
import type { Logger } from '../log';
import { addNotice, emptyChanges, isEmpty, type PendingChanges } from './notices';

/** One client's view of the feed: the topics it watches; events of other topics are not sent to it. */
export interface Subscription {
  watch(topics: readonly EventTopic[]): void;
  unwatch(topics: readonly EventTopic[]): void;
  dispose(): void;
}

export interface ConsoleFeed {
  subscribe(handler: (event: ConsoleEvent) => void): Subscription;
  stop(): Promise<void>;
}

interface Subscriber { topics: Map<EventTopic, number>; handler: (event: ConsoleEvent) => void }

export async function openConsoleFeed(url: string, db: Db, log: Logger): Promise<ConsoleFeed> {
  const subscribers = new Set<Subscriber>();
  let pending = emptyChanges();
  let draining: Promise<void> | null = null;

  const watched = (topic: EventTopic) => [...subscribers].some((s) => s.topics.has(topic));
  const publish = (event: ConsoleEvent) => {
    const topic = topicOf(event);
    for (const s of subscribers) {
      if (topic !== null && !s.topics.has(topic)) continue;
      try {
        s.handler(event);
      } catch (error) {
        log.warn({ err: error, kind: event.kind }, 'a console event handler failed');
      }
    }
  };

  // One read per kind for everything that arrived since the last one: a burst of notices costs a few queries.
  const drain = async () => {
    while (!isEmpty(pending)) {
      const changes = pending;
      pending = emptyChanges();
      await deliver(changes, { watched, publish, db }).catch((error: unknown) => {
        log.warn({ err: error }, 'could not read changes for console events; consoles read again');
        publish({ kind: 'sync', reason: 'the master could not read some changes' });
      });
    }
    draining = null;
  };

  const stopListening = await listenForNotices(url, {
    notice: (payload) => {
      if (!addNotice(pending, payload)) return void log.warn({ payload: payload.slice(0, 200) }, 'unreadable console notice ignored');
      draining ??= drain();
    },
    resumed: () => publish({ kind: 'sync', reason: 'the master listens to the database again; changes may have been missed' }),
    failed: (error) => log.warn({ err: error }, 'console notices: the database connection failed; retrying'),
  });

  return {
    subscribe(handler) {
      const subscriber: Subscriber = { topics: new Map(), handler };
      subscribers.add(subscriber);
      return {
        watch: (topics) => { for (const t of topics) subscriber.topics.set(t, (subscriber.topics.get(t) ?? 0) + 1); },
        unwatch: (topics) => {
          for (const t of topics) {
            const left = (subscriber.topics.get(t) ?? 0) - 1;
            if (left > 0) subscriber.topics.set(t, left);
            else subscriber.topics.delete(t);
          }
        },
        dispose: () => { subscribers.delete(subscriber); },
      };
    },
    stop: async () => {
      subscribers.clear();
      await stopListening();
      await draining;
    },
  };
}

async function deliver(
  c: PendingChanges,
  to: { watched: (topic: EventTopic) => boolean; publish: (e: ConsoleEvent) => void; db: Db },
): Promise<void> {
  const { watched, publish, db } = to;
  for (const kind of c.overflow) publish({ kind: 'sync', reason: `more ${kind} changed at once than events name` });
  if (watched('runs') && (c.transitions || c.runIds.size > 0)) {
    const runs = await runChanges(db, { range: c.transitions, ids: [...c.runIds] });
    for (const run of runs) publish({ kind: 'run.changed', run: run satisfies RunChange });
  }
  for (const [runId, seqs] of c.logs) {
    if (!watched(`log:${runId}`)) continue;
    const lines = await readBatches(db, runId, [...seqs]);
    if (lines.length > 0) publish({ kind: 'run.log', runId, lines });
  }
  if (watched('workers') && c.workerIds.size > 0) {
    const byId = new Map((await listWorkers(db)).map((w) => [w.id, w]));
    for (const id of c.workerIds) {
      const worker = byId.get(id);
      publish(worker ? { kind: 'worker.changed', worker } : { kind: 'worker.removed', id });
    }
  }
  for (const id of c.removedWorkerIds) publish({ kind: 'worker.removed', id });
  for (const id of c.taskIds) publish({ kind: 'task.changed', id });
  for (const id of c.groupIds) publish({ kind: 'group.changed', id });
}
