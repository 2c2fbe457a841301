// A burst of messages to one agent connection leaves in (about) one TCP write (issue 11), over real Socket.IO on loopback.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { coalesceWrites } from '../../src-main/master/agents/write-coalescing';
import { coalesceWrites as coalesceAgentWrites } from '../../worker-agent/src/write-coalescing';

const BURST = 100;
const stops: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** A server and one connected client over `transport`; resolves with the server's side of the connection. */
async function pair(transport: 'websocket' | 'polling' | 'upgrade', agentSide = false): Promise<{ server: ServerSocket; client: Socket }> {
  const httpServer = http.createServer();
  const ioServer = new Server(httpServer, { serveClient: false });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  stops.push(() => new Promise<void>((resolve) => { ioServer.close(() => resolve()); }));
  const connected = new Promise<ServerSocket>((resolve) => ioServer.on('connection', resolve));
  const client = connect(`http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`, {
    transports: transport === 'upgrade' ? ['polling', 'websocket'] : [transport], reconnection: false,
  });
  if (agentSide) coalesceAgentWrites(client);
  stops.push(async () => { client.disconnect(); });
  const server = await connected;
  if (transport === 'upgrade') {
    coalesceWrites(server); // before the upgrade, as the gateway does on connection
    await new Promise<void>((resolve) => server.conn.once('upgrade', () => resolve()));
  }
  await new Promise<void>((resolve) => (client.connected ? resolve() : client.once('connect', () => resolve())));
  return { server, client };
}

/** Counts the writes that reach the TCP socket under `server` from now on (each is one syscall). */
function writeCounter(server: ServerSocket): () => number {
  type Tcp = { _write: (...a: unknown[]) => unknown; _writev: (...a: unknown[]) => unknown };
  const tcp = (server.conn as unknown as { transport: { socket: { _socket: Tcp } } }).transport.socket._socket;
  let writes = 0;
  for (const method of ['_write', '_writev'] as const) {
    const original = tcp[method];
    tcp[method] = function (this: Tcp, ...args: unknown[]) { writes++; return original.apply(this, args); };
  }
  return () => writes;
}

function received(client: Socket, count: number): Promise<number[]> {
  const got: number[] = [];
  return new Promise((resolve) => client.on('n', (n: number) => { got.push(n); if (got.length === count) resolve(got); }));
}

async function burst(transport: 'websocket' | 'polling' | 'upgrade', coalesce: boolean): Promise<{ got: number[]; writes: number | null }> {
  const { server, client } = await pair(transport);
  const arrived = received(client, BURST);
  if (coalesce) coalesceWrites(server);
  const writes = transport === 'polling' ? null : writeCounter(server);
  for (let i = 0; i < BURST; i++) server.emit('n', i);
  return { got: await arrived, writes: writes?.() ?? null };
}

const inOrder = Array.from({ length: BURST }, (_, i) => i);

describe('coalesceWrites', () => {
  it('sends a burst of messages on one connection in two writes (the first, then all that waited), in order', async () => {
    const { got, writes } = await burst('websocket', true);
    expect(got).toEqual(inOrder);
    expect(writes).toBeLessThanOrEqual(3);
  });

  it('without it, the same burst takes a write per message (what the test above measures)', async () => {
    const { got, writes } = await burst('websocket', false);
    expect(got).toEqual(inOrder);
    expect(writes).toBeGreaterThanOrEqual(BURST / 2);
  });

  it('also after an upgrade from long-polling to WebSocket (agents connect that way)', async () => {
    const { got, writes } = await burst('upgrade', true);
    expect(got).toEqual(inOrder);
    expect(writes).toBeLessThanOrEqual(3);
  });

  it('does nothing over long-polling, whose messages still all arrive', async () => {
    const { got } = await burst('polling', true);
    expect(got).toEqual(inOrder);
  });

  it('leaves a socket that is not a Socket.IO connection alone', () => {
    expect(() => coalesceWrites(null)).not.toThrow();
    expect(() => coalesceWrites({ conn: { transport: { name: 'websocket', socket: {} } } })).not.toThrow();
  });
});

describe('coalesceWrites on the agent', () => {
  type Tcp = { _write: (...a: unknown[]) => unknown; _writev: (...a: unknown[]) => unknown };

  async function agentBurst(coalesce: boolean): Promise<{ got: number[]; writes: number }> {
    const { server, client } = await pair('websocket', coalesce);
    const got: number[] = [];
    const arrived = new Promise<void>((resolve) => server.on('n', (n: number) => { got.push(n); if (got.length === BURST) resolve(); }));
    const tcp = (client.io as unknown as { engine: { transport: { ws: { _socket: Tcp } } } }).engine.transport.ws._socket;
    let writes = 0;
    for (const method of ['_write', '_writev'] as const) {
      const original = tcp[method];
      tcp[method] = function (this: Tcp, ...args: unknown[]) { writes++; return original.apply(this, args); };
    }
    for (let i = 0; i < BURST; i++) client.emit('n', i);
    await arrived;
    return { got, writes };
  }

  it('sends a burst of messages to the master in two writes, all of them, in order', async () => {
    const { got, writes } = await agentBurst(true);
    expect(got).toEqual(inOrder);
    expect(writes).toBeLessThanOrEqual(3);
  });

  it('without it, a write per message', async () => {
    const { got, writes } = await agentBurst(false);
    expect(got).toEqual(inOrder);
    expect(writes).toBeGreaterThanOrEqual(BURST / 2);
  });
});
