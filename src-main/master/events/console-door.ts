// The browser console's event socket: Socket.IO namespace /console on the master's server. A client shows an API key
// (any scope opens `read`, all events need) as the HTTP door asks for one, the server's Origin rule applies to its
// handshake (api/http.ts socketDoor), and it receives only the topics it subscribed to.
import type { Namespace, Server, Socket } from 'socket.io';
import {
  CONSOLE_NAMESPACE, TopicRequest, type ConsoleClientEvents, type ConsoleServerEvents,
} from '../api/contract/events';
import { invalidInput, type WireError } from '../api/contract/errors';
import { admitKey } from '../access/guard';
import type { ApiAuth } from '../access/rules';
import type { Db } from '../db/store';
import type { Logger } from '../log';
import type { ConsoleFeed } from './feed';

type ConsoleSocket = Socket<ConsoleClientEvents, ConsoleServerEvents>;

/** How often the keys of connected consoles are checked again, so a revoked key stops receiving events. */
const KEY_RECHECK_MS = 5_000;

function refusal(error: WireError): Error & { data: WireError } {
  return Object.assign(new Error(error.message), { data: error });
}

export function openConsoleDoor(io: Server, deps: { db: Db; apiAuth: ApiAuth; feed: ConsoleFeed; log: Logger }): () => void {
  const nsp = io.of(CONSOLE_NAMESPACE) as Namespace<ConsoleClientEvents, ConsoleServerEvents>;
  const admit = (socket: ConsoleSocket) => {
    const key = (socket.handshake.auth as { apiKey?: unknown }).apiKey;
    return admitKey(deps.db, deps.apiAuth, socket.handshake.address, typeof key === 'string' ? `Bearer ${key}` : undefined);
  };

  nsp.use((socket, next) => {
    admit(socket).then((admitted) => next(admitted.ok ? undefined : refusal(admitted.error)), () => {
      next(refusal({ code: 'unavailable', message: 'The master could not check the API key (database unreachable); try again shortly.' }));
    });
  });

  nsp.on('connection', (socket) => {
    const subscription = deps.feed.subscribe((event) => socket.emit('event', event));
    const topics = (raw: unknown, apply: (request: TopicRequest) => void, ack: unknown) => {
      const reply = typeof ack === 'function' ? ack as (r: unknown) => void : () => undefined;
      const parsed = TopicRequest.safeParse(raw);
      if (!parsed.success) return reply({ ok: false, error: invalidInput(parsed.error).toWire() });
      apply(parsed.data);
      reply({ ok: true });
    };
    socket.on('subscribe', (raw, ack) => topics(raw, (r) => subscription.watch(r.topics), ack));
    socket.on('unsubscribe', (raw, ack) => topics(raw, (r) => subscription.unwatch(r.topics), ack));
    socket.on('disconnect', () => subscription.dispose());
  });

  let checking = false;
  const recheck = setInterval(() => {
    if (checking || nsp.sockets.size === 0) return;
    checking = true;
    Promise.all([...nsp.sockets.values()].map(async (socket) => {
      const admitted = await admit(socket).catch(() => null);
      if (admitted && !admitted.ok) {
        deps.log.info({ address: socket.handshake.address }, 'console event socket closed: its API key was revoked');
        socket.disconnect(true);
      }
    })).finally(() => { checking = false; });
  }, KEY_RECHECK_MS);
  recheck.unref();

  return () => {
    clearInterval(recheck);
    nsp.removeAllListeners();
    nsp.disconnectSockets(true);
  };
}
