// The HTTP API's door over real HTTP: loopback clients are trusted by default; with BATON_API_AUTH=all every
// client shows an API key, and a key of the wrong scope, a revoked key or none is refused and changes nothing.
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, prepare, rawAgent, startTestMaster, type TestMaster } from './harness';

async function post(master: TestMaster, method: string, input: unknown, key?: string) {
  const res = await fetch(`${master.agentUrl}/api/${method}`, {
    method: 'POST', body: JSON.stringify(input), headers: key ? { authorization: `Bearer ${key}` } : {},
  });
  return { status: res.status, body: await res.json() as { ok: boolean; value?: unknown; error?: { code: string; message: string; field?: string } } };
}

describe('API keys', () => {
  let open: TestMaster;
  let guarded: TestMaster;
  let firstKey: string;
  beforeAll(async () => {
    open = await startTestMaster(await freshDatabase());
    guarded = await startTestMaster(await freshDatabase(), { BATON_API_AUTH: 'all' });
    firstKey = (await readFile(path.join(guarded.config.dataDir, 'api-key'), 'utf8')).trim();
  });
  afterAll(async () => {
    await open?.stop();
    await guarded?.stop();
  });

  it('by default a client on this machine needs no key, but a key it sends must be good', async () => {
    const reply = await post(open, 'groups.list', {});
    expect(reply.status).toBe(200);
    expect(reply.body.ok).toBe(true);
    const { token, secret } = await open.api.call('tokens.create', { label: 'soon revoked', scope: 'api' });
    expect((await post(open, 'groups.list', {}, secret)).status).toBe(200);
    await open.api.call('tokens.revoke', { id: token.id });
    expect((await post(open, 'groups.list', {}, secret)).status).toBe(401);
  });

  it('with BATON_API_AUTH=all a call without a key is refused and changes nothing', async () => {
    const reply = await post(guarded, 'groups.create', { name: 'sneaky' });
    expect(reply.status).toBe(401);
    expect(reply.body.error).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/needs an API key.*Authorization: Bearer <key>/) });
    expect((await guarded.api.call('groups.list', {})).map((g) => g.name)).not.toContain('sneaky');
  });

  it('the first API key, kept in the data folder, opens the API and is marked used', async () => {
    expect(firstKey).toMatch(/^bt_tok_[0-9a-z]+\.[A-Za-z0-9_-]+$/);
    const reply = await post(guarded, 'groups.create', { name: 'with-key' }, firstKey);
    expect(reply.status).toBe(200);
    const key = (await guarded.api.call('tokens.list', {})).find((t) => t.scope === 'api');
    expect(key?.label).toBe(`API key of the master on ${hostname()} (${guarded.config.dataDir})`);
    expect(key?.lastUsedAt).not.toBeNull();
  });

  it('an enrolment token is not an API key, and an API key is not an enrolment token', async () => {
    const { token: agentToken } = await prepare(guarded, 'scoped');
    const asKey = await post(guarded, 'groups.list', {}, agentToken);
    expect(asKey.status).toBe(401);
    const refused = await rawAgent(guarded.agentUrl, firstKey, { name: 'impostor', group: 'scoped' }).then(() => null, (e: Error) => e);
    expect(refused?.message).toMatch(/"code":"bad_token"/);
    expect(await guarded.api.call('workers.list', {})).toHaveLength(0);
  });

  it('a revoked API key is refused; a malformed header too', async () => {
    const { token, secret } = await guarded.api.call('tokens.create', { label: 'script', scope: 'api' });
    expect(token.scope).toBe('api');
    expect((await post(guarded, 'groups.list', {}, secret)).status).toBe(200);
    await guarded.api.call('tokens.revoke', { id: token.id });
    expect((await post(guarded, 'groups.list', {}, secret)).status).toBe(401);
    const res = await fetch(`${guarded.agentUrl}/api/groups.list`, { method: 'POST', body: '{}', headers: { authorization: 'Basic eDp5' } });
    expect(res.status).toBe(401);
  });

  it('a token of an unknown scope is refused with the field named, and nothing is stored', async () => {
    const before = (await guarded.api.call('tokens.list', {})).length;
    const reply = await post(guarded, 'tokens.create', { label: 'root', scope: 'root' }, firstKey);
    expect(reply.status).toBe(400);
    expect(reply.body.error).toMatchObject({ code: 'invalid_input', field: 'scope', message: expect.stringMatching(/"agent" or "api"/) });
    expect(await guarded.api.call('tokens.list', {})).toHaveLength(before);
  });
});
