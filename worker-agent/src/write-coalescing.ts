// Messages to the master that wait together leave in one TCP write. engine.io-client holds the messages emitted
// while it writes and then sends them in one go, but as one write per message: 500 assignments answered at one cron
// instant, or a batch of results, made one syscall each (issue 11). The master does the same on its side.
import type { Socket } from 'socket.io-client';

interface Corkable { cork(): void; uncork(): void }
interface Transport { name?: string; write?: (packets: unknown[]) => void; ws?: { _socket?: Partial<Corkable> } }

const batched = new WeakSet<object>();

/**
 * Makes the WebSocket transport under `socket` write each group of waiting messages at once (corked), from when the
 * connection opens and after an upgrade from long-polling. Over long-polling, or should the library's internals
 * change, it does nothing: messages then leave one write each, as before.
 */
export function coalesceWrites(socket: Socket): void {
  const manager = socket.io as unknown as { engine?: { transport?: Transport; on?: (e: 'upgrade', l: (t: Transport) => void) => void }; on(e: 'open', l: () => void): void };
  manager.on('open', () => {
    batchWrites(manager.engine?.transport);
    manager.engine?.on?.('upgrade', batchWrites);
  });
}

function batchWrites(transport: Transport | undefined): void {
  const write = transport?.write;
  if (!transport || transport.name !== 'websocket' || typeof write !== 'function' || batched.has(transport)) return;
  batched.add(transport);
  transport.write = function (this: Transport, packets: unknown[]) {
    const tcp = this.ws?._socket;
    if (packets.length < 2 || typeof tcp?.cork !== 'function' || typeof tcp.uncork !== 'function') return write.call(this, packets);
    tcp.cork();
    try {
      write.call(this, packets);
    } finally {
      tcp.uncork();
    }
  };
}
