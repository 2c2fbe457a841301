// N simulated agents in one process: socket.io-client connections to /agent, each heartbeating as the
// protocol says. Driven over IPC: {go} starts connecting; reports {connected, refused, beats} every second; {stop} closes everything.
import os from 'node:os';
import { io, type Socket } from 'socket.io-client';
import { AGENT_NAMESPACE, PROTOCOL_VERSION, type AgentHello, type AgentToMasterEvents, type AgentWelcome, type MasterToAgentEvents } from 'baton-agent/protocol';
import { enrolAt } from '../worker-agent/src/credential';

const url = process.env.SIM_MASTER_URL!;
const token = process.env.SIM_TOKEN!;
const count = Number(process.env.SIM_COUNT ?? 1_000);
const batch = 50;

const sockets: Array<Socket<MasterToAgentEvents, AgentToMasterEvents>> = [];
const timers = new Set<NodeJS.Timeout>();
let connected = 0;
let refused = 0;
let beats = 0;

/** Each simulated agent trades the enrolment token for its own credential first, as baton-agent does. */
async function enrol(i: number): Promise<string | null> {
  const reply = await enrolAt(url, { token, name: `sim-${i}`, group: 'sim' });
  if (reply?.ok) return reply.credential;
  refused++;
  return null;
}

function connect(i: number, credential: string): void {
  const hello: AgentHello = {
    protocol: PROTOCOL_VERSION, token: credential, name: `sim-${i}`, group: 'sim', host: os.hostname(), ip: '127.0.0.1',
    version: 'bench', handlers: ['noop'], capacity: 1, labels: {}, running: [],
  };
  const socket: Socket<MasterToAgentEvents, AgentToMasterEvents> = io(`${url}${AGENT_NAMESPACE}`, {
    auth: hello, transports: ['websocket'], reconnection: false,
  });
  let timer: NodeJS.Timeout | null = null;
  socket.on('welcome', (w: AgentWelcome) => {
    connected++;
    timer = setInterval(() => {
      beats++;
      socket.emit('heartbeat', { at: Date.now(), cpu: 0.01, memory: 0.2, load1: 0.1, running: [] });
    }, w.heartbeatMs);
    timers.add(timer);
  });
  socket.on('run:assign', (_a, ack) => ack({ accepted: false, reason: 'busy', message: 'simulated agent' }));
  socket.on('connect_error', () => { refused++; });
  socket.on('disconnect', () => {
    if (timer) { clearInterval(timer); timers.delete(timer); }
    connected--;
  });
  sockets.push(socket);
}

const report = setInterval(() => process.send!({ connected, refused, beats }), 1_000);
let go: () => void = () => undefined;
const started = new Promise<void>((resolve) => { go = resolve; });
process.on('message', (m) => {
  if ((m as { go?: true }).go) go();
  if ((m as { stop?: true }).stop) {
    clearInterval(report);
    for (const t of timers) clearInterval(t);
    for (const s of sockets) s.close();
    setTimeout(() => process.exit(0), 200);
  }
});
process.on('disconnect', () => process.exit(0));

await started;
// Every agent enrols before any connects: enrolling while earlier agents heartbeat starved this process's
// timers past the lease (measured: the first agents were declared dead), which measures the simulator, not the master.
const credentials: Array<string | null> = [];
for (let i = 0; i < count; i += batch) {
  credentials.push(...await Promise.all(Array.from({ length: Math.min(count, i + batch) - i }, (_, k) => enrol(i + k))));
}
// Connect in batches so the handshakes (credential check + worker upsert each) do not all queue at once.
for (let i = 0; i < count; i += batch) {
  for (let j = i; j < Math.min(count, i + batch); j++) if (credentials[j]) connect(j, credentials[j]!);
  await new Promise((r) => setTimeout(r, 100));
}
