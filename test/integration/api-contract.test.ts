// One contract, several transports: the same suite runs against the in-process entry (what IPC calls) and HTTP.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientOver, type ApiClient } from '../../src-main/master/api/contract/client';
import { BatonError } from '../../src-main/master/api/contract/errors';
import { freshDatabase, startTestMaster, type TestMaster } from './harness';

let master: TestMaster;
/** The master's own admin key: every HTTP client shows one. */
let key: string;
beforeAll(async () => {
  master = await startTestMaster(await freshDatabase());
  key = (await readFile(path.join(master.config.dataDir, 'api-key'), 'utf8')).trim();
});
afterAll(async () => { await master?.stop(); });

const transports: Record<string, () => ApiClient> = {
  'in-process (IPC)': () => clientOver((method, input) => master.handle(method, input)),
  http: () => clientOver(async (method, input) => {
    const res = await fetch(`${master.agentUrl}/api/${method}`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(input),
    });
    return res.json() as never;
  }),
};

async function failure(p: Promise<unknown>): Promise<BatonError> {
  const error = await p.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(BatonError);
  return error as BatonError;
}

describe.each(Object.entries(transports))('API contract over %s', (transport, make) => {
  let api: ApiClient;
  beforeAll(() => { api = make(); });

  it('creates, lists, updates and deletes a group', async () => {
    const g = await api.call('groups.create', { name: `g-${transport}`, description: 'd' });
    expect((await api.call('groups.list', {})).map((x) => x.id)).toContain(g.id);
    const renamed = await api.call('groups.update', { id: g.id, name: `g2-${transport}` });
    expect(renamed.name).toBe(`g2-${transport}`);
    expect(await api.call('groups.delete', { id: g.id })).toEqual({ ok: true });
  });

  it('creates a task with defaults filled in and reads it back', async () => {
    const g = await api.call('groups.create', { name: `tasks-${transport}` });
    const t = await api.call('tasks.create', { name: 'x', groupId: g.id, handler: 'shell', params: { command: 'true' }, trigger: { type: 'api' } });
    expect(t.routing.strategy).toBe('round_robin');
    expect(t.blocking.strategy).toBe('serial');
    expect(t.misfire).toEqual({ policy: 'fire_once', thresholdMs: 5000, maxCatchUp: 10 });
    expect(await api.call('tasks.get', { id: t.id })).toEqual(t);
  });

  it('names the bad field and changes nothing on bad input', async () => {
    const before = await api.call('groups.list', {});
    const empty = await failure(api.call('groups.create', { name: '  ' }));
    expect([empty.code, empty.field]).toEqual(['invalid_input', 'name']);
    const wrongType = await failure(api.call('tasks.create', { name: 'y', groupId: 'nope', handler: 'shell', trigger: { type: 'cron' } } as never));
    expect(wrongType.code).toBe('invalid_input');
    expect(wrongType.message).toMatch(/trigger\.expression/);
    const noGroup = await failure(api.call('tasks.create', { name: 'y', groupId: 'grp_missing', handler: 'shell', trigger: { type: 'api' } }));
    expect([noGroup.code, noGroup.field]).toEqual(['invalid_input', 'groupId']);
    expect(await api.call('groups.list', {})).toEqual(before);
  });

  it('answers unknown methods and unknown ids with their own codes', async () => {
    expect((await failure(api.call('nope.nothing' as never, {} as never))).code).toBe('unknown_method');
    expect((await failure(api.call('runs.get', { id: 'run_missing' }))).code).toBe('not_found');
  });

  it('refuses a duplicate group name as a conflict', async () => {
    await api.call('groups.create', { name: `dup-${transport}` });
    const dup = await failure(api.call('groups.create', { name: `dup-${transport}` }));
    expect([dup.code, dup.field, dup.message]).toEqual(['conflict', 'name', `A group named "dup-${transport}" already exists; choose another name.`]);
  });

  it('imports tasks all or nothing', async () => {
    const g = await api.call('groups.create', { name: `import-${transport}` });
    const task = (name: string, expression = '0 * * * * *') => ({
      name, groupId: g.id, handler: 'shell', params: { command: 'true' }, trigger: { type: 'cron' as const, expression, timezone: 'UTC' },
    });
    const bad = await failure(api.call('tasks.import', { tasks: [task('a'), task('b', '* * * * *')] }));
    expect([bad.code, bad.field]).toEqual(['invalid_input', 'tasks.1.trigger.expression']);
    const twice = await failure(api.call('tasks.import', { tasks: [task('same'), task('same')] }));
    expect(twice.code).toBe('conflict');
    expect(await api.call('tasks.list', { groupId: g.id })).toEqual([]);
    const created = await api.call('tasks.import', { tasks: [task('a'), task('b')] });
    expect(created.map((t) => t.name)).toEqual(['a', 'b']);
    expect((await api.call('tasks.list', { groupId: g.id })).map((t) => t.name)).toEqual(['a', 'b']);
  });

  it('issues a token once and revokes it', async () => {
    const { token, secret } = await api.call('tokens.create', { label: 'ci' });
    expect(secret).toMatch(/^bt_tok_/);
    expect(JSON.stringify(await api.call('tokens.list', {}))).not.toContain(secret.split('.')[1]);
    expect((await api.call('tokens.revoke', { id: token.id })).revokedAt).not.toBeNull();
  });
});

describe('HTTP specifics', () => {
  it('answers malformed JSON with 400 and a readable error', async () => {
    const res = await fetch(`${master.agentUrl}/api/groups.create`, { method: 'POST', body: '{nope', headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ ok: false, error: { code: 'invalid_input', message: 'The request body is not valid JSON.' } });
  });
  it('maps error codes to HTTP statuses', async () => {
    const res = await fetch(`${master.agentUrl}/api/runs.get`, { method: 'POST', body: JSON.stringify({ id: 'run_missing' }), headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(404);
  });
});
