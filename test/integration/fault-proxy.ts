// A TCP proxy on loopback between agents and a master that injects network faults on command: stall (hold every
// byte both ways, no reset, as a cut cable or a frozen middlebox does), reset (RST every connection), refuse new
// connections, heal. Agents are pointed at `url` instead of the master.
import net from 'node:net';

type Mode = 'pass' | 'stall' | 'refuse';

interface Link { client: net.Socket; upstream: net.Socket; held: Array<{ to: net.Socket; chunk: Buffer }> }

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`, for `--master`. */
  url: string;
  /** Holds all bytes of every connection (present and new) until `heal`; nothing is closed. */
  stall(): void;
  /** Destroys every connection with a TCP reset; new ones still pass. */
  reset(): void;
  /** Resets new connections at once (connection refused, as seen by the agent); present ones are not touched. */
  refuse(): void;
  /** Passes bytes again, held ones first, in order. */
  heal(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: { host?: string; port: number }): Promise<FaultProxy> {
  let mode: Mode = 'pass';
  const links = new Set<Link>();

  const forward = (link: Link, to: net.Socket, chunk: Buffer) => {
    if (mode === 'stall' || link.held.length > 0) link.held.push({ to, chunk });
    else if (!to.destroyed) to.write(chunk);
  };
  const release = (link: Link) => {
    for (const { to, chunk } of link.held.splice(0)) if (!to.destroyed) to.write(chunk);
  };

  const server = net.createServer((client) => {
    if (mode === 'refuse') return void client.resetAndDestroy();
    const upstream = net.connect(target.port, target.host ?? '127.0.0.1');
    const link: Link = { client, upstream, held: [] };
    links.add(link);
    client.on('data', (chunk) => forward(link, upstream, chunk));
    upstream.on('data', (chunk) => forward(link, client, chunk));
    // A side that ends is passed on as an end, after the held bytes: a stall holds closes too.
    const afterStall = (work: () => void) => {
      const attempt = () => (mode === 'stall' ? setTimeout(attempt, 50) : work());
      attempt();
    };
    const end = (to: net.Socket) => () => afterStall(() => (release(link), to.end()));
    client.on('end', end(upstream));
    upstream.on('end', end(client));
    const drop = () => {
      links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', () => afterStall(drop));
    upstream.on('close', () => afterStall(drop));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    stall: () => { mode = 'stall'; },
    refuse: () => { mode = 'refuse'; },
    reset: () => {
      for (const link of links) {
        link.client.resetAndDestroy();
        link.upstream.resetAndDestroy();
      }
      links.clear();
    },
    heal: () => {
      mode = 'pass';
      for (const link of links) release(link);
    },
    close: async () => {
      mode = 'pass';
      for (const link of links) {
        link.client.destroy();
        link.upstream.destroy();
      }
      links.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
