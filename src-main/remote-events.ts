// Console events from a remote master (the desktop console attached with BATON_REMOTE_URL): the shell joins the
// master's /console Socket.IO namespace with the API key, as a browser console does, and hands events to the window.
import { io, type Socket } from 'socket.io-client';
import {
  CONSOLE_NAMESPACE, type ConsoleClientEvents, type ConsoleEvent, type ConsoleServerEvents, type EventTopic,
} from './master/api/contract/events';

export interface EventLink {
  watch(topics: EventTopic[]): void;
  unwatch(topics: EventTopic[]): void;
  close(): void;
}

export function remoteEvents(target: { url: string; apiKey?: string; ca?: string }, onEvent: (event: ConsoleEvent) => void): EventLink {
  const socket: Socket<ConsoleServerEvents, ConsoleClientEvents> = io(`${target.url}${CONSOLE_NAMESPACE}`, {
    auth: target.apiKey ? { apiKey: target.apiKey } : {}, transports: ['websocket'], ca: target.ca,
  });
  const topics = new Map<EventTopic, number>();
  let connectedBefore = false;
  socket.on('event', onEvent);
  socket.on('connect', () => {
    if (topics.size > 0) socket.emit('subscribe', { topics: [...topics.keys()] }, () => undefined);
    // Events sent while the link was down are gone: the console reads what it shows again.
    if (connectedBefore) onEvent({ kind: 'sync', reason: 'reconnected to the master' });
    connectedBefore = true;
  });
  socket.on('connect_error', (error) => console.error(`baton: console events from ${target.url}: ${error.message}`));
  return {
    watch: (list) => {
      const fresh = list.filter((t) => !topics.has(t));
      for (const t of list) topics.set(t, (topics.get(t) ?? 0) + 1);
      if (fresh.length > 0 && socket.connected) socket.emit('subscribe', { topics: fresh }, () => undefined);
    },
    unwatch: (list) => {
      const gone = list.filter((t) => {
        const left = (topics.get(t) ?? 0) - 1;
        if (left > 0) topics.set(t, left);
        else topics.delete(t);
        return left <= 0;
      });
      if (gone.length > 0 && socket.connected) socket.emit('unsubscribe', { topics: gone }, () => undefined);
    },
    close: () => void socket.close(),
  };
}
