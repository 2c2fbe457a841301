// Messages to an agent that wait together leave in one TCP write. engine.io holds the messages emitted while its
// previous write is under way and then sends them in one go, but as one write per message: a cron instant firing
// thousands of tasks, or a batch of results acknowledged at once, made one syscall each. Measured (bench/dispatch
// profile, issue 11): those per-message writes were 8.5 % of the master's time.

interface Corkable { cork(): void; uncork(): void }
interface Transport { name?: string; send?: (packets: unknown[]) => void; socket?: { _socket?: Partial<Corkable> } }

const batched = new WeakSet<object>();

/**
 * Makes the WebSocket transport under a Socket.IO connection write each group of waiting messages at once (corked),
 * now and after an upgrade from long-polling. Over long-polling, or should the library's internals change, it does
 * nothing: messages then leave one write each, as before.
 */
export function coalesceWrites(socket: unknown): void {
  const conn = (socket as { conn?: { transport?: Transport; on?: (event: 'upgrade', listener: (t: Transport) => void) => void } } | null)?.conn;
  if (!conn) return;
  batchSends(conn.transport);
  conn.on?.('upgrade', batchSends);
}

function batchSends(transport: Transport | undefined): void {
  const send = transport?.send;
  if (!transport || transport.name !== 'websocket' || typeof send !== 'function' || batched.has(transport)) return;
  batched.add(transport);
  transport.send = function (this: Transport, packets: unknown[]) {
    const tcp = this.socket?._socket;
    if (packets.length < 2 || typeof tcp?.cork !== 'function' || typeof tcp.uncork !== 'function') return send.call(this, packets);
    tcp.cork();
    try {
      send.call(this, packets);
    } finally {
      tcp.uncork();
    }
  };
}
