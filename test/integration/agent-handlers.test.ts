// Handlers from the agent (issue 9): a real agent process with --handlers-dir announces its module handlers with
// their params schemas; the master accepts tasks for them (checking params with that schema, refusing unknown
// handlers naming what the group offers), runs them end to end, stops them through their abort signal, and still
// knows them once the agent is gone. A hello with a schema the master cannot use is refused, naming the handler.
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatonError } from '../../src-main/master/api/contract/errors';
import { AGENT_NAMESPACE, PROTOCOL_VERSION } from '../../worker-agent/src/protocol';
import { HOLD_MODULE, RESIZE_MODULE } from './handler-fixtures';
import { credentialFor, freshDatabase, prepare, startAgent, startTestMaster, tempDir, waitFor, type TestAgent, type TestMaster } from './harness';

describe('handlers from the agent', () => {
  let master: TestMaster;
  let agent: TestAgent | undefined;
  let groupId: string;
  let token: string;
  let handlersDir: string;

  beforeAll(async () => {
    master = await startTestMaster(await freshDatabase());
    ({ groupId, token } = await prepare(master, 'custom'));
    handlersDir = path.join(await tempDir('baton-handlers-'), 'handlers');
    await fs.mkdir(handlersDir);
    await fs.writeFile(path.join(handlersDir, 'resize.mjs'), RESIZE_MODULE);
    await fs.writeFile(path.join(handlersDir, 'hold.mjs'), HOLD_MODULE);
  });
  afterAll(async () => {
    await agent?.stop();
    await master?.stop();
  });

  const task = (name: string, handler: string, params: Record<string, unknown>) =>
    master.api.call('tasks.create', { name, groupId, handler, params, trigger: { type: 'api' } });
  async function refused(call: () => Promise<unknown>, field: string, mentions: RegExp): Promise<void> {
    const before = await master.api.call('tasks.list', {});
    const error = await call().then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(BatonError);
    expect(error).toMatchObject({ code: 'invalid_input', field, message: expect.stringMatching(mentions) });
    expect(await master.api.call('tasks.list', {})).toEqual(before);
  }
  const finished = (runId: string) => waitFor(`run ${runId} to end`, async () => {
    const run = await master.api.call('runs.get', { id: runId });
    return ['succeeded', 'failed', 'timed_out', 'cancelled', 'lost'].includes(run.state) ? run : null;
  }, 60_000);

  it('knows the built-ins on a fresh master, and refuses a handler no agent of the group offered', async () => {
    await refused(() => task('early', 'resize', { width: 1 }), 'handler', /"resize" is not a handler this group's agents offer \(shell, http, js, noop, sharding-demo\)/);
    expect(await task('builtin', 'shell', { command: 'true' })).toMatchObject({ handler: 'shell' });
  });

  it('runs a module handler from --handlers-dir end to end, its params checked with the schema the agent announced', async () => {
    agent = await startAgent(master, token, { name: 'custom-1', group: 'custom', args: ['--handlers-dir', handlersDir] });
    await waitFor('agent online', async () => (await master.api.call('workers.list', {})).find((w) => w.name === 'custom-1' && w.status === 'online'), 60_000);

    await refused(() => task('too-small', 'resize', { width: 0 }), 'params.width', /must be >= 1/);
    await refused(() => task('extra', 'resize', { width: 3, height: 2 }), 'params.height', /is not a param this handler takes/);
    await refused(() => task('nosuch', 'crop', {}), 'handler', /\(shell, http, js, noop, sharding-demo, hold, resize\)/);

    const resize = await task('resize-it', 'resize', { width: 640 });
    const [run] = await master.api.call('tasks.trigger', { id: resize.id });
    const done = await finished(run!.id);
    expect(done).toMatchObject({ state: 'succeeded', workerName: 'custom-1' });
    expect(JSON.parse(done.output)).toEqual({ width: 640, attempt: 1 });
    const logs = await master.api.call('runs.logs', { id: run!.id });
    expect(logs.map((l) => l.line)).toContain('resizing to 640');
  }, 120_000);

  it('stops a module handler through its abort signal', async () => {
    const marker = path.join(await tempDir('baton-marker-'), 'aborted');
    const hold = await task('hold-it', 'hold', { marker });
    const [run] = await master.api.call('tasks.trigger', { id: hold.id });
    await waitFor('run holding', async () => (await master.api.call('runs.logs', { id: run!.id })).some((l) => l.line === 'holding'), 60_000);
    await master.api.call('runs.stop', { id: run!.id });
    expect(await finished(run!.id)).toMatchObject({ state: 'cancelled' });
    await waitFor('the handler saw the abort', async () => existsSync(marker));
    expect(await fs.readFile(marker, 'utf8')).toBe('Error: cancelled');
  }, 120_000);

  it('still accepts tasks for a handler the group offered once its agent is gone', async () => {
    await agent?.stop();
    agent = undefined;
    await waitFor('agent offline', async () => (await master.api.call('workers.list', {})).find((w) => w.name === 'custom-1' && w.status === 'offline'), 30_000);
    expect(await task('later', 'resize', { width: 2 })).toMatchObject({ handler: 'resize' });
    await refused(() => task('later-bad', 'resize', { width: 'x' }), 'params.width', /must be integer/);
  });

  it('refuses a hello whose announced schema it cannot use, naming the handler, and records nothing', async () => {
    const credential = await credentialFor(master.agentUrl, token, 'schemer', 'custom');
    const refusal = await new Promise<unknown>((resolve) => {
      const socket = io(`${master.agentUrl}${AGENT_NAMESPACE}`, {
        auth: {
          protocol: PROTOCOL_VERSION, token: credential, name: 'schemer', group: 'custom', host: 'test', version: 'test',
          handlers: ['bad'], capacity: 1, handlerParams: { bad: { type: 'object', properties: { n: { type: 'integr' } } } },
        },
        reconnection: false, transports: ['websocket'],
      });
      socket.once('connect', () => { socket.disconnect(); resolve('admitted'); });
      socket.once('connect_error', (err) => { socket.disconnect(); resolve((err as Error & { data?: unknown }).data); });
    });
    expect(refusal).toMatchObject({ code: 'bad_hello', message: expect.stringMatching(/auth\.handlerParams\.bad: is not a valid JSON Schema/) });
    await refused(() => task('bad', 'bad', {}), 'handler', /"bad" is not a handler/);
    expect((await master.api.call('workers.list', {})).map((w) => w.name)).not.toContain('schemer');
  });
});
