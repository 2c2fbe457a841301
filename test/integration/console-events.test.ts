// Console events (issue 8): pushed over Socket.IO /console to browser-style clients, only to clients with an API
// key and this master's Origin, only for the topics they subscribed to, and from every master sharing the
// database (a console on a follower sees what the leader dispatched).
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONSOLE_NAMESPACE, type ConsoleClientEvents, type ConsoleEvent, type ConsoleServerEvents, type TopicRequest,
} from '../../src-main/master/api/contract/events';
import { credentialFor, freshDatabase, prepare, rawAgent, startTestMaster, waitFor, type RawAgent, type TestMaster } from './harness';

type ConsoleClient = Socket<ConsoleServerEvents, ConsoleClientEvents>;

function connect(url: string, opts: { apiKey?: string; origin?: string } = {}): { socket: ConsoleClient; events: ConsoleEvent[]; ready: Promise<void> } {
  const socket: ConsoleClient = io(`${url}${CONSOLE_NAMESPACE}`, {
    auth: opts.apiKey ? { apiKey: opts.apiKey } : {}, reconnection: false, transports: ['websocket'],
    extraHeaders: opts.origin ? { origin: opts.origin } : {},
  });
  const events: ConsoleEvent[] = [];
  socket.on('event', (e) => events.push(e));
  const ready = new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return { socket, events, ready };
}

function subscribe(socket: ConsoleClient, topics: TopicRequest['topics']): Promise<unknown> {
  return new Promise((resolve) => socket.emit('subscribe', { topics }, resolve));
}

describe('console events over Socket.IO', () => {
  let leader: TestMaster;
  let follower: TestMaster;
  let readKey: string;
  let token: string;
  let groupId: string;
  const sockets: Array<{ disconnect(): unknown }> = [];

  beforeAll(async () => {
    const url = await freshDatabase();
    leader = await startTestMaster(url);
    follower = await startTestMaster(url);
    ({ token, groupId } = await prepare(leader));
    readKey = (await leader.api.call('tokens.create', { label: 'console', scope: 'read' })).secret;
    expect([leader.leading, follower.leading]).toEqual([true, false]);
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await follower?.stop();
    await leader?.stop();
  });

  it('refuses a client without a key, with an agent credential, or from a foreign Origin', async () => {
    const refusal = async (opts: { apiKey?: string; origin?: string }) => {
      const c = connect(leader.agentUrl, opts);
      sockets.push(c.socket);
      return c.ready.then(() => 'connected', (e: Error & { data?: { code: string } }) => `${e.data?.code ?? ''} ${e.message}`);
    };
    expect(await refusal({})).toMatch(/^unauthorized This master needs an API key/);
    const credential = await credentialFor(leader.agentUrl, token, 'refused-agent');
    expect(await refusal({ apiKey: credential })).toMatch(/^unauthorized That is an agent credential, not an API key/);
    expect(await refusal({ apiKey: 'bt_tok_nothing.forged' })).toMatch(/^unauthorized The API key is unknown or revoked/);
    expect(await refusal({ apiKey: readKey, origin: 'http://evil.example' })).not.toBe('connected');
    expect(await refusal({ apiKey: readKey })).toBe('connected');
  });

  it('refuses a bad subscription, naming the field, and sends only subscribed topics', async () => {
    const c = connect(leader.agentUrl, { apiKey: readKey });
    sockets.push(c.socket);
    await c.ready;
    expect(await subscribe(c.socket, ['log:not-a-run' as 'runs'])).toMatchObject({ ok: false, error: { code: 'invalid_input', field: 'topics.0' } });
    expect(await subscribe(c.socket, ['tasks'])).toEqual({ ok: true });
    const task = await leader.api.call('tasks.create', {
      name: 'quiet', groupId, handler: 'shell', params: { command: 'true' }, trigger: { type: 'api' },
    });
    await leader.api.call('tasks.trigger', { id: task.id });
    await waitFor('task.changed', async () => c.events.some((e) => e.kind === 'task.changed' && e.id === task.id));
    // The run was created too, but this client did not subscribe to runs.
    await new Promise((r) => setTimeout(r, 500));
    expect(c.events.filter((e) => e.kind === 'run.changed')).toEqual([]);
  });

  it('a console on the follower sees the run the leader dispatched, its states and its log lines', async () => {
    let agent: RawAgent | undefined;
    const assigned: string[] = [];
    agent = await rawAgent(leader.agentUrl, token, { name: 'events-agent', onAssign: (a) => assigned.push(a.runId) });
    try {
      const c = connect(follower.agentUrl, { apiKey: readKey });
      sockets.push(c.socket);
      await c.ready;
      expect(await subscribe(c.socket, ['runs', 'workers'])).toEqual({ ok: true });
      const task = await leader.api.call('tasks.create', {
        name: 'watched', groupId, handler: 'shell', params: { command: 'echo hi' }, trigger: { type: 'api' },
      });
      const [run] = await leader.api.call('tasks.trigger', { id: task.id });
      expect(await subscribe(c.socket, [`log:${run!.id}`])).toEqual({ ok: true });
      await waitFor('assigned to the raw agent', async () => assigned.includes(run!.id));
      agent.emit('run:log', { runId: run!.id, attempt: 1, seq: 0, stream: 'stdout', lines: ['alpha', 'beta'] }, () => undefined);
      agent.emit('run:result', {
        runId: run!.id, attempt: 1, state: 'succeeded', exitCode: 0, output: 'alpha\nbeta\n', error: null,
        startedAt: Date.now() - 10, finishedAt: Date.now(),
      }, () => undefined);
      await waitFor('succeeded event on the follower', async () =>
        c.events.some((e) => e.kind === 'run.changed' && e.run.id === run!.id && e.run.state === 'succeeded'));
      const states = c.events.flatMap((e) => (e.kind === 'run.changed' && e.run.id === run!.id ? [e.run.state] : []));
      expect(states[0]).toBe('assigned');
      expect(states.at(-1)).toBe('succeeded');
      const change = c.events.find((e) => e.kind === 'run.changed' && e.run.id === run!.id);
      expect(change).toMatchObject({ run: { taskId: task.id, groupId, taskName: 'watched', workerName: 'events-agent' } });
      await waitFor('log lines on the follower', async () => c.events.some((e) => e.kind === 'run.log'));
      const log = c.events.find((e) => e.kind === 'run.log');
      expect(log).toMatchObject({ runId: run!.id, lines: [{ seq: 0, stream: 'stdout', line: 'alpha' }, { seq: 0, line: 'beta' }] });
      await waitFor('worker figures', async () => c.events.some((e) => e.kind === 'worker.changed' && e.worker.name === 'events-agent'));
    } finally {
      agent?.disconnect();
    }
  });
});
