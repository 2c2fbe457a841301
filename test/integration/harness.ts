// Real parts for integration tests: a fresh database per file, a real master, real agent processes.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import { inject } from 'vitest';
import { clientOver, type ApiClient } from '../../src-main/master/api/contract/client';
import { httpTransport } from '../../src-main/master/api/contract/http-client';
import { resolveConfig } from '../../src-main/master/config';
import { startMaster, type Master } from '../../src-main/master/index';
import { createLogger } from '../../src-main/master/log';
import { enrolAt } from '../../worker-agent/src/credential';
import {
  AGENT_NAMESPACE, PROTOCOL_VERSION, type AgentToMasterEvents, type MasterToAgentEvents, type RunAssign,
} from '../../worker-agent/src/protocol';

const AGENT_CLI = path.resolve('worker-agent/bin/baton-agent.js');
export const MASTER_BIN = path.resolve('bin/baton-master.js');

export async function freshDatabase(): Promise<string> {
  const base = inject('databaseUrl');
  const name = `baton_${crypto.randomBytes(5).toString('hex')}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A fresh folder under the run's temp root (global-setup removes the root at the end). */
export async function tempDir(prefix = 'baton-test-'): Promise<string> {
  return fs.mkdtemp(path.join(inject('tempRoot'), prefix));
}

export interface TestMaster extends Master { api: ApiClient; logFile: string }

export async function startTestMaster(databaseUrl: string, env: Record<string, string> = {}): Promise<TestMaster> {
  const dataDir = await tempDir('baton-master-');
  const config = resolveConfig({ BATON_DATABASE_URL: databaseUrl, BATON_PORT: '0', BATON_DATA_DIR: dataDir, ...env });
  const logFile = path.join(dataDir, 'master.log');
  const master = await startMaster(config, { logger: createLogger('debug', logFile) });
  return Object.assign(master, { api: clientOver((m, i) => master.handle(m, i)), logFile });
}

export interface TestAgent {
  name: string;
  process: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startAgent(
  master: { agentUrl: string }, token: string, opts: { name: string; group?: string; args?: string[]; dataDir?: string },
): Promise<TestAgent> {
  const dataDir = opts.dataDir ?? await tempDir('baton-agent-');
  const child = spawn(process.execPath, [
    AGENT_CLI, '--master', master.agentUrl, '--token', token, '--group', opts.group ?? 'it', '--name', opts.name,
    '--data-dir', dataDir, '--log-level', 'debug', ...(opts.args ?? []),
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name: opts.name, process: child, output: () => out, exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A file a run's command appends a line to first (`command` goes at its start), so a test knows the run started on its
 * agent, and how many times. Waiting for the stored `running` state instead races a short run: the master holds that
 * mark back for a second (db/held-starts.ts) and never writes it for a run that ends sooner, so a `sleep 1` run may
 * go from assigned to succeeded unseen (CI saw `run-control.test.ts` time out that way).
 */
export async function startMark(): Promise<{ command: string; started: () => Promise<void>; count: () => Promise<number> }> {
  const file = path.join(await tempDir('baton-started-'), 'started');
  const count = () => fs.readFile(file, 'utf8').then((text) => text.trim().split('\n').length, () => 0);
  return {
    command: `echo started >> '${file}'`,
    started: async () => {
      await waitFor(`the run's command to start (${file})`, async () => (await count()) > 0);
    },
    count,
  };
}

/** A group and an enrolment token for it, the minimum an agent needs to join. */
export async function prepare(master: TestMaster, group = 'it'): Promise<{ groupId: string; token: string }> {
  const g = await master.api.call('groups.create', { name: group });
  const { secret } = await master.api.call('enrolments.create', { label: `test ${group}`, groupId: g.id });
  return { groupId: g.id, token: secret };
}

/** A master on a fresh database with one agent of group 'it' online: the set-up many integration files share. */
export async function masterWithAgent(name: string, args: string[] = []): Promise<{ master: TestMaster; agent: TestAgent; groupId: string }> {
  const master = await startTestMaster(await freshDatabase());
  const { groupId, token } = await prepare(master);
  const agent = await startAgent(master, token, { name, args });
  await waitFor('agent online', async () => (await master.api.call('workers.list', {})).some((w) => w.status === 'online'));
  return { master, agent, groupId };
}

/** Credentials already traded for (enrolment token, group, name): a raw agent that reconnects keeps its identity. */
const credentials = new Map<string, string>();

/** The credential for a raw agent: traded once for the enrolment token, as baton-agent does on its first start. */
export async function credentialFor(url: string, token: string, name: string, group = 'it'): Promise<string> {
  const key = `${token}|${group}|${name}`;
  const known = credentials.get(key);
  if (known) return known;
  const reply = await enrolAt(url, { token, name, group });
  if (!reply?.ok) throw new Error(`enrolment refused: ${JSON.stringify(reply)}`);
  credentials.set(key, reply.credential);
  return reply.credential;
}

export type RawAgent = Socket<MasterToAgentEvents, AgentToMasterEvents>;

/** A hand-driven agent speaking the wire protocol, to send exactly the messages (and metrics) a test needs. */
export async function rawAgent(
  url: string, token: string,
  opts: { name: string; group?: string; capacity?: number; onAssign?: (a: RunAssign) => void },
): Promise<RawAgent> {
  const credential = await credentialFor(url, token, opts.name, opts.group ?? 'it');
  const socket: RawAgent = io(`${url}${AGENT_NAMESPACE}`, {
    auth: {
      protocol: PROTOCOL_VERSION, token: credential, name: opts.name, group: opts.group ?? 'it', host: 'test', version: 'test',
      handlers: ['shell'], capacity: opts.capacity ?? 4,
    },
    reconnection: false, transports: ['websocket'],
  });
  socket.on('run:assign', (assign, ack) => { opts.onAssign?.(assign); ack({ accepted: true, startedAt: Date.now() }); });
  return new Promise((resolve, reject) => {
    socket.once('welcome', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

export interface MasterProcess {
  child: ChildProcess;
  url: string;
  dataDir: string;
  /** The API over HTTP, with the master's own key from its data folder. */
  api: ApiClient;
  output(): string;
  exited: Promise<number | null>;
}

/** `baton-master` as a process (the built CLI, as users run it) with its own data folder; `args` come last, so they win. */
export async function startMasterProcess(databaseUrl: string, args: string[] = []): Promise<MasterProcess> {
  const dataDir = await tempDir('baton-master-process-');
  const child = spawn(process.execPath, [MASTER_BIN, '--database-url', databaseUrl, '--port', '0', '--data-dir', dataDir, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await waitFor('master listening', async () => /listening on (http:\/\/[\d.:]+)/.exec(out)?.[1], 30_000);
  const apiKey = (await fs.readFile(path.join(dataDir, 'api-key'), 'utf8')).trim();
  return { child, url, dataDir, api: clientOver(httpTransport(url, { apiKey })), output: () => out, exited };
}
