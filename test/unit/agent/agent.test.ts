// The agent against a real Socket.IO server playing the master's side of protocol.ts.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { readdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Server, type Socket } from 'socket.io';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  AGENT_NAMESPACE,
  AgentHello,
  type AgentToMasterEvents,
  type MasterToAgentEvents,
  type Refusal,
  type ResultAck,
  type RunLog,
  type RunResult,
} from 'baton-agent/protocol';
import { refusalIsFatal, startAgent, type Agent } from '../../../worker-agent/src/agent';
import { RefusalCode } from '../../../worker-agent/src/protocol';
import { resolveAgentConfig } from '../../../worker-agent/src/config';
import { writeCredential } from '../../../worker-agent/src/credential';
import { createLogger } from '../../../worker-agent/src/logger';
import { assignment, tempDir } from './helpers';

const TOKEN = 'agent-token-0123456789';
type MasterSocket = Socket<AgentToMasterEvents, MasterToAgentEvents>;

interface Master {
  url: string;
  hellos: AgentHello[];
  results: RunResult[];
  logs: RunLog[];
  running: string[][];
  /** The next agent connection (or the current one). */
  connection(): Promise<MasterSocket>;
  /** How the master answers each `run:result`; default: stored. */
  store: (result: RunResult) => ResultAck;
  /** Whether heartbeats are acknowledged (the lease renewed); default: yes. */
  renew: boolean;
  /** The lease told in `welcome`. */
  leaseMs: number;
  /** Handshakes the agent attempted, refused or not. */
  handshakes: number;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startMaster(refusal: Refusal | null = null): Promise<Master> {
  const http = createServer();
  const io = new Server(http);
  const waiting: ((socket: MasterSocket) => void)[] = [];
  let current: MasterSocket | null = null;
  const master: Master = {
    url: '',
    hellos: [],
    results: [],
    logs: [],
    running: [],
    connection: () => (current?.connected ? Promise.resolve(current) : new Promise((resolve) => waiting.push(resolve))),
    store: () => ({ stored: true }),
    renew: true,
    leaseMs: 60_000,
    handshakes: 0,
  };
  const nsp = io.of(AGENT_NAMESPACE);
  nsp.use((socket, next) => {
    master.handshakes++;
    const hello = AgentHello.safeParse(socket.handshake.auth);
    const refuse = refusal ?? (hello.success ? null : { code: 'bad_hello', message: hello.error.message });
    if (refuse) return next(Object.assign(new Error(refuse.message), { data: refuse }));
    master.hellos.push(hello.data!);
    next();
  });
  nsp.on('connection', (socket: MasterSocket) => {
    current = socket;
    socket.on('heartbeat', (beat, ack) => { master.running.push(beat.running); if (master.renew) ack?.({ renewed: true }); });
    socket.on('run:log', (log, ack) => { master.logs.push(log); ack?.({ stored: true }); });
    socket.on('run:result', (result, ack) => {
      const answer = master.store(result);
      if (answer.stored) master.results.push(result);
      ack(answer);
    });
    socket.emit('welcome', { workerId: 'w-1', heartbeatMs: 100, leaseMs: master.leaseMs });
    waiting.splice(0).forEach((resolve) => resolve(socket));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  master.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  cleanups.push(() => new Promise((resolve) => io.close(resolve)));
  return master;
}

async function agentFor(master: Master, dataDir: string, flags: Record<string, string> = {}, onFirstRun?: () => void): Promise<Agent> {
  const config = resolveAgentConfig({ master: master.url, token: TOKEN, group: 'local', name: 'a1', dataDir, stopGraceMs: '1000', ...flags }, {});
  const agent = await startAgent({ ...config, token: TOKEN }, createLogger('fatal', 'a1'), undefined, undefined, onFirstRun);
  cleanups.push(() => agent.stop());
  return agent;
}

const outboxFiles = async (dataDir: string) => (await readdir(join(dataDir, 'outbox'))).filter((f) => f.endsWith('.json'));

describe('agent', () => {
  it('takes a run, heartbeats it, streams its log, stops it and delivers the result', async () => {
    const master = await startMaster();
    const dataDir = await tempDir();
    await agentFor(master, dataDir, { capacity: '1', labels: 'zone=a' });
    const socket = await master.connection();
    expect(master.hellos[0]).toMatchObject({ name: 'a1', group: 'local', capacity: 1, labels: { zone: 'a' }, running: [] });

    const run = assignment('shell', { command: 'echo hi; sleep 30' });
    const accepted = await socket.emitWithAck('run:assign', run);
    expect(accepted).toMatchObject({ accepted: true });
    expect(await socket.emitWithAck('run:assign', run)).toEqual(accepted); // a repeated assign is not run twice
    expect(await socket.emitWithAck('run:assign', assignment('noop', {}))).toMatchObject({ accepted: false, reason: 'busy' });
    expect(await socket.emitWithAck('run:assign', { ...assignment('noop', {}), traceId: 'nope' })).toMatchObject({
      accepted: false,
      reason: 'bad_params',
      message: expect.stringContaining('assign.traceId'),
    });

    await vi.waitFor(() => expect(master.logs).toContainEqual({ runId: run.runId, attempt: 1, seq: 0, stream: 'stdout', lines: ['hi'] }));
    await vi.waitFor(() => expect(master.running).toContainEqual([run.runId]));
    expect(await socket.emitWithAck('run:stop', { runId: run.runId, attempt: 1, reason: 'cancelled' })).toBe(true);

    await vi.waitFor(() => expect(master.results).toHaveLength(1));
    expect(master.results[0]).toMatchObject({ runId: run.runId, attempt: 1, state: 'cancelled', output: 'hi\n' });
    await vi.waitFor(async () => expect(await outboxFiles(dataDir)).toEqual([]));
  });

  // The CLI turns V8's optimising compiler back on there (issue 11): an idle agent never needs it.
  it('tells its embedder once, when the first run is assigned, and not while it only heartbeats', async () => {
    const master = await startMaster();
    let firstRuns = 0;
    await agentFor(master, await tempDir(), { capacity: '2' }, () => firstRuns++);
    const socket = await master.connection();
    await new Promise((resolve) => setTimeout(resolve, 300)); // welcomed, heartbeating
    expect(firstRuns).toBe(0);
    expect(await socket.emitWithAck('run:assign', assignment('noop', {}))).toMatchObject({ accepted: true });
    expect(firstRuns).toBe(1);
    expect(await socket.emitWithAck('run:assign', assignment('noop', {}))).toMatchObject({ accepted: true });
    expect(firstRuns).toBe(1);
  });

  it('fences its runs once heartbeats go unacknowledged for 2/3 of the lease, and reports them fenced', async () => {
    const master = await startMaster();
    master.leaseMs = 900;
    const dataDir = await tempDir();
    await agentFor(master, dataDir);
    const socket = await master.connection();
    const run = assignment('shell', { command: 'echo started; sleep 30' });
    expect(await socket.emitWithAck('run:assign', run)).toMatchObject({ accepted: true });
    await vi.waitFor(() => expect(master.logs.flatMap((l) => l.lines)).toContain('started'));
    await new Promise((r) => setTimeout(r, 1_200)); // renewed all along: still running
    expect(master.results).toEqual([]);

    master.renew = false;
    const cutAt = Date.now();
    await vi.waitFor(() => expect(master.results).toHaveLength(1), { timeout: 5_000 });
    // Stopped within 2/3 of the lease (600 ms) after the last renewed beat, plus one check and the kill.
    expect(Date.now() - cutAt).toBeLessThan(900 + 500);
    expect(master.results[0]).toMatchObject({ runId: run.runId, state: 'failed', fenced: true, error: expect.stringMatching(/fencing/) });
  });

  it('drops a result the master refuses for good instead of resending it', async () => {
    const master = await startMaster();
    let refusals = 0;
    master.store = () => (refusals++, { stored: false, code: 'not_your_run', message: 'not yours' });
    const dataDir = await tempDir();
    await agentFor(master, dataDir);
    const socket = await master.connection();
    await socket.emitWithAck('run:assign', assignment('noop', {}));
    await vi.waitFor(() => expect(refusals).toBe(1));
    await vi.waitFor(async () => expect(await outboxFiles(dataDir)).toEqual([]));
    await new Promise((r) => setTimeout(r, 6_000)); // past the resend interval (5 s)
    expect(refusals).toBe(1);
  }, 15_000);

  it('keeps a result the master did not store and resends it after reconnecting', async () => {
    const master = await startMaster();
    master.store = () => ({ stored: false, code: 'db_down', message: 'database unavailable' });
    const dataDir = await tempDir();
    await agentFor(master, dataDir);
    const first = await master.connection();
    const run = assignment('noop', {});
    await first.emitWithAck('run:assign', run);
    await vi.waitFor(async () => expect(await outboxFiles(dataDir)).toHaveLength(1));

    master.store = () => ({ stored: true });
    first.disconnect(true); // like a master restart
    await vi.waitFor(() => expect(master.results.map((r) => r.runId)).toEqual([run.runId]), { timeout: 10_000 });
    // The reconnect told the master about the run whose result was still on its way.
    expect(master.hellos[1]?.running).toEqual([run.runId]);
    await vi.waitFor(async () => expect(await outboxFiles(dataDir)).toEqual([]));
  });

  it('delivers after an agent restart what the previous process could not', async () => {
    const master = await startMaster();
    master.store = () => ({ stored: false, code: 'db_down', message: 'database unavailable' });
    const dataDir = await tempDir();
    const before = await agentFor(master, dataDir);
    const run = assignment('sharding-demo', {}, { shard: { index: 1, total: 3 } });
    await (await master.connection()).emitWithAck('run:assign', run);
    await vi.waitFor(async () => expect(await outboxFiles(dataDir)).toHaveLength(1));
    await before.stop();

    master.store = () => ({ stored: true });
    await agentFor(master, dataDir);
    await vi.waitFor(() => expect(master.results).toMatchObject([{ runId: run.runId, state: 'succeeded', output: 'shard 2 of 3 (index 1)' }]));
  });

  it('on stop refuses new runs, then ends the ones still running and reports them', async () => {
    const master = await startMaster();
    const agent = await agentFor(master, await tempDir(), { stopGraceMs: '100' });
    const socket = await master.connection();
    const run = assignment('shell', { command: 'sleep 30' });
    await socket.emitWithAck('run:assign', run);

    const stopped = agent.stop();
    expect(await socket.emitWithAck('run:assign', assignment('noop', {}))).toMatchObject({ accepted: false, reason: 'draining' });
    await stopped;
    expect(master.results).toMatchObject([{ runId: run.runId, state: 'failed', error: 'the agent shut down before the run finished' }]);
    expect(await agent.closed).toEqual({ kind: 'stopped' });
  });

  it('gives up on a refused token', async () => {
    const refusal: Refusal = { code: 'bad_token', message: 'unknown or revoked token' };
    const master = await startMaster(refusal);
    const agent = await agentFor(master, await tempDir());
    expect(await agent.closed).toEqual({ kind: 'refused', refusal });
  });

  // Refusals an operator must fix end the agent at the first answer instead of retrying forever (seen: an agent
  // whose credential file was for another name retried `name_mismatch` every 2 s for good).
  it.each(['bad_token', 'bad_hello', 'name_mismatch', 'group_mismatch', 'name_taken', 'enrolment_expired', 'enrolment_used', 'unknown_group', 'wrong_namespace'] as const)(
    'gives up at once on %s', async (code) => {
      const refusal: Refusal = { code, message: `refused: ${code}` };
      const master = await startMaster(refusal);
      const agent = await agentFor(master, await tempDir());
      expect(await agent.closed).toEqual({ kind: 'refused', refusal });
      expect(master.handshakes).toBe(1);
    },
  );

  it.each(['not_leader', 'duplicate_name', 'rate_limited'] as const)('keeps trying on %s, which can pass', async (code) => {
    const master = await startMaster({ code, message: `refused: ${code}` });
    const agent = await agentFor(master, await tempDir());
    let closed = false;
    void agent.closed.then(() => (closed = true));
    await vi.waitFor(() => expect(master.handshakes).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    expect(closed).toBe(false);
  }, 15_000);

  it('decides every refusal code: fatal unless retrying can change it', () => {
    const retried = RefusalCode.options.filter((code) => !refusalIsFatal(code));
    expect(retried.sort()).toEqual(['duplicate_name', 'not_leader', 'rate_limited']);
  });

  it('the CLI exits with code 3 and the refusal when its credential is refused', async () => {
    const master = await startMaster({ code: 'bad_token', message: 'unknown or revoked token' });
    const cli = new URL('../../../worker-agent/src/cli.ts', import.meta.url).pathname;
    const dataDir = await tempDir();
    await writeCredential(dataDir, { credential: TOKEN, name: 'n', group: 'g' });
    const args = ['--import', 'tsx', cli, '--master', master.url, '--group', 'g', '--name', 'n', '--data-dir', dataDir];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    cleanups.push(async () => child.kill('SIGKILL'));
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(3);
    expect(stderr).toContain('the master refused this agent (bad_token): unknown or revoked token');
    expect(stderr).not.toContain(TOKEN);
  }, 20_000); // a child process started through tsx: seconds on a loaded machine, past vitest's 5 s default
});
