// Console events pushed by the master (issue 8): over IPC in Electron (window.baton), over Socket.IO /console in a
// browser. The one entry for live data; screens subscribe by kind and get a disposer back.
import { io, type Socket } from 'socket.io-client';
import {
  CONSOLE_NAMESPACE, topicOf, type ConsoleClientEvents, type ConsoleEvent, type ConsoleEventKind, type ConsoleServerEvents,
  type EventTopic, type RunLogLine,
} from '@contract';
import { apiKey } from './api-key.svelte';

type Handler = (event: ConsoleEvent) => void;

/** How events reach this page: the preload bridge, or a Socket.IO connection of our own. */
interface EventLink {
  watch(topics: EventTopic[]): void;
  unwatch(topics: EventTopic[]): void;
}

const handlers = new Set<Handler>();
const topics = new Map<EventTopic, number>();

function dispatch(event: ConsoleEvent): void {
  for (const handler of handlers) handler(event);
}

function bridgeLink(): EventLink {
  const bridge = window.baton!;
  bridge.onEvent(dispatch);
  return { watch: (t) => bridge.watch(t), unwatch: (t) => bridge.unwatch(t) };
}

function socketLink(): EventLink {
  let socket: Socket<ConsoleServerEvents, ConsoleClientEvents> | null = null;
  let connectedBefore = false;
  const open = (key: string | null) => {
    socket?.close();
    connectedBefore = false;
    socket = io(`${location.origin}${CONSOLE_NAMESPACE}`, { auth: key ? { apiKey: key } : {}, transports: ['websocket'] });
    socket.on('event', dispatch);
    socket.on('connect', () => {
      if (topics.size > 0) socket!.emit('subscribe', { topics: [...topics.keys()] }, () => undefined);
      // Whatever changed while the link was down was not sent: screens read again once.
      if (connectedBefore) dispatch({ kind: 'sync', reason: 'reconnected to the master' });
      connectedBefore = true;
    });
  };
  let key = apiKey.value;
  open(key);
  // A key typed in later (the master asked for one) opens a new connection with it.
  setInterval(() => {
    if (apiKey.value === key) return;
    key = apiKey.value;
    open(key);
  }, 1_000);
  return {
    watch: (t) => { if (socket?.connected) socket.emit('subscribe', { topics: t }, () => undefined); },
    unwatch: (t) => { if (socket?.connected) socket.emit('unsubscribe', { topics: t }, () => undefined); },
  };
}

let link: EventLink | null = null;

function watchTopics(list: EventTopic[]): () => void {
  link ??= window.baton ? bridgeLink() : socketLink();
  const fresh = list.filter((t) => !topics.has(t));
  for (const t of list) topics.set(t, (topics.get(t) ?? 0) + 1);
  if (fresh.length > 0) link.watch(fresh);
  return () => {
    const gone = list.filter((t) => {
      const left = (topics.get(t) ?? 0) - 1;
      if (left > 0) topics.set(t, left);
      else topics.delete(t);
      return left <= 0;
    });
    if (gone.length > 0) link?.unwatch(gone);
  };
}

const TOPIC_OF_KIND: Record<Exclude<ConsoleEventKind, 'run.log' | 'sync'>, EventTopic> = {
  'run.changed': 'runs', 'worker.changed': 'workers', 'worker.removed': 'workers', 'task.changed': 'tasks', 'group.changed': 'groups',
};

/**
 * Calls `handler` with every event of these kinds (and with `sync`, which asks to read everything again) until the
 * returned disposer is called.
 */
export function onEvents(kinds: Array<Exclude<ConsoleEventKind, 'run.log' | 'sync'>>, handler: Handler): () => void {
  const wanted = new Set<ConsoleEventKind>([...kinds, 'sync']);
  const own: Handler = (event) => { if (wanted.has(event.kind)) handler(event); };
  handlers.add(own);
  const unwatch = watchTopics([...new Set(kinds.map((k) => TOPIC_OF_KIND[k]))]);
  return () => {
    handlers.delete(own);
    unwatch();
  };
}

/** Asks every screen to read what it shows again (after an outage), as the master's own `sync` does. */
export function readAgain(reason: string): void {
  dispatch({ kind: 'sync', reason });
}

/** New log lines of one run as the master stores them; `resync` when some may have been missed. */
export function watchRunLog(runId: string, on: { lines(lines: RunLogLine[]): void; resync(): void }): () => void {
  const topic: EventTopic = `log:${runId}`;
  const own: Handler = (event) => {
    if (event.kind === 'sync') on.resync();
    else if (event.kind === 'run.log' && topicOf(event) === topic) on.lines(event.lines);
  };
  handlers.add(own);
  const unwatch = watchTopics([topic]);
  return () => {
    handlers.delete(own);
    unwatch();
  };
}
