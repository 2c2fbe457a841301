// Failover: an agent killed mid-run loses its run, which is retried on another agent; results are idempotent.
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_NAMESPACE, PROTOCOL_VERSION, type RunAssign, type RunResult } from '../../worker-agent/src/protocol';
import { freshDatabase, prepare, rawAgent, startAgent, startTestMaster, waitFor, type TestAgent, type TestMaster } from './harness';

describe('failover and idempotent results', () => {
  let master: TestMaster;
  let groupId: string;
  let token: string;
  const agents: TestAgent[] = [];

  beforeAll(async () => {
    master = await startTestMaster(await freshDatabase());
    ({ groupId, token } = await prepare(master));
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop('SIGKILL')));
    await master?.stop();
  });

  it('SIGKILL of an agent mid-run: the run is lost once and its retry runs on another agent', async () => {
    agents.push(await startAgent(master, token, { name: 'f1' }), await startAgent(master, token, { name: 'f2' }));
    await waitFor('2 online', async () => (await master.api.call('workers.list', {})).filter((w) => w.status === 'online').length === 2);
    const t = await master.api.call('tasks.create', {
      name: 'long', groupId, handler: 'shell', params: { command: 'sleep 30' }, trigger: { type: 'api' },
      retry: { count: 1, backoff: 'fixed', delayMs: 100, maxDelayMs: 100 },
    });
    const [run] = await master.api.call('tasks.trigger', { id: t.id });
    await waitFor('running', async () => (await master.api.call('runs.get', { id: run!.id })).state === 'running');
    const victim = agents.find((a) => a.name === run!.workerName)!;
    victim.process.kill('SIGKILL');
    const retry = await waitFor('retry running elsewhere', async () => {
      const runs = await master.api.call('runs.list', { taskId: t.id });
      return runs.find((r) => r.attempt === 2 && r.state === 'running');
    }, 15_000);
    expect(retry.workerName).not.toBe(victim.name);
    expect(retry.rootRunId).toBe(run!.id);
    const lost = await master.api.call('runs.get', { id: run!.id });
    expect([lost.state, lost.reason]).toEqual(['lost', 'worker_lost']);
    const workers = await master.api.call('workers.list', {});
    expect(workers.find((w) => w.name === victim.name)!.status).toBe('offline');
    await master.api.call('runs.stop', { id: retry.id });
  });

  it('a result sent twice is stored once; a malformed one is refused and changes nothing', async () => {
    const assigned: RunAssign[] = [];
    const socket = await rawAgent(master.agentUrl, token, { name: 'raw', onAssign: (a) => assigned.push(a) });
    try {
      const t = await master.api.call('tasks.create', {
        name: 'raw-task', groupId, handler: 'shell', params: { command: 'x' }, trigger: { type: 'api' },
        routing: { strategy: 'specific', workerId: (await master.api.call('workers.list', {})).find((w) => w.name === 'raw')!.id, labels: {} },
      });
      const [run] = await master.api.call('tasks.trigger', { id: t.id });
      await waitFor('assignment', async () => assigned.length === 1);
      const result: RunResult = {
        runId: run!.id, attempt: 1, state: 'succeeded', exitCode: 0, output: 'first', error: null,
        startedAt: Date.now() - 10, finishedAt: Date.now(),
      };
      const before = await master.api.call('runs.get', { id: run!.id });
      expect(before.finishedAt).toBeNull();
      const malformed = await socket.emitWithAck('run:result', { ...result, state: 'exploded' } as never);
      expect(malformed).toMatchObject({ stored: false, code: 'invalid_input' });
      expect(await master.api.call('runs.get', { id: run!.id })).toEqual(before);

      expect(await socket.emitWithAck('run:result', result)).toEqual({ stored: true });
      const once = await master.api.call('runs.get', { id: run!.id });
      expect(await socket.emitWithAck('run:result', { ...result, state: 'failed', output: 'second', finishedAt: Date.now() + 5 })).toEqual({ stored: true });
      const twice = await master.api.call('runs.get', { id: run!.id });
      expect(twice).toEqual(once);
      expect([twice.state, twice.output]).toEqual(['succeeded', 'first']);
    } finally {
      socket.disconnect();
    }
  });

  it('refuses a handshake that does not parse, naming the field', async () => {
    const socket = io(`${master.agentUrl}${AGENT_NAMESPACE}`, {
      auth: { protocol: PROTOCOL_VERSION, token, name: '', group: 'it' }, reconnection: false, transports: ['websocket'],
    });
    const error = await new Promise<Error & { data?: { code: string; message: string } }>((resolve) => socket.once('connect_error', resolve));
    socket.disconnect();
    expect(error.data?.code).toBe('bad_hello');
    expect(error.data?.message).toMatch(/auth\.name/);
  });
});
