// The HTTP API's door over real HTTP: by default every client shows an API key, on loopback too; with
// BATON_API_AUTH=remote loopback clients are trusted. A key of the other door, a revoked key, a key without the
// scope a method needs, or none is refused and changes nothing.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src-main/master/db/migrations';
import { closePool, openPool } from '../../src-main/master/db/store';
import { verifyToken } from '../../src-main/master/db/tokens';
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
    open = await startTestMaster(await freshDatabase(), { BATON_API_AUTH: 'remote' });
    guarded = await startTestMaster(await freshDatabase());
    firstKey = (await readFile(path.join(guarded.config.dataDir, 'api-key'), 'utf8')).trim();
  });
  afterAll(async () => {
    await open?.stop();
    await guarded?.stop();
  });

  it('with BATON_API_AUTH=remote a client on this machine needs no key, but a key it sends must be good', async () => {
    const reply = await post(open, 'groups.list', {});
    expect(reply.status).toBe(200);
    expect(reply.body.ok).toBe(true);
    const { token, secret } = await open.api.call('tokens.create', { label: 'soon revoked', scope: 'read' });
    expect((await post(open, 'groups.list', {}, secret)).status).toBe(200);
    await open.api.call('tokens.revoke', { id: token.id });
    expect((await post(open, 'groups.list', {}, secret)).status).toBe(401);
  });

  it('by default a call without a key is refused, from loopback too, and changes nothing', async () => {
    const reply = await post(guarded, 'groups.create', { name: 'sneaky' });
    expect(reply.status).toBe(401);
    expect(reply.body.error).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/needs an API key.*Authorization: Bearer <key>/) });
    expect((await guarded.api.call('groups.list', {})).map((g) => g.name)).not.toContain('sneaky');
  });

  it('the first API key, kept in the data folder, opens the API and is marked used', async () => {
    expect(firstKey).toMatch(/^bt_tok_[0-9a-z]+\.[A-Za-z0-9_-]+$/);
    const reply = await post(guarded, 'groups.create', { name: 'with-key' }, firstKey);
    expect(reply.status).toBe(200);
    const key = (await guarded.api.call('tokens.list', {})).find((t) => t.scope === 'admin');
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
    const { token, secret } = await guarded.api.call('tokens.create', { label: 'script', scope: 'admin' });
    expect(token.scope).toBe('admin');
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
    expect(reply.body.error).toMatchObject({ code: 'invalid_input', field: 'scope', message: expect.stringMatching(/"read", "operate" or "admin"/) });
    expect(await guarded.api.call('tokens.list', {})).toHaveLength(before);
  });

  it('a key may call what its scope opens and is refused the rest with 403 naming the scope needed, before its body is read', async () => {
    const group = await guarded.api.call('groups.create', { name: 'scoped-calls' });
    const task = await guarded.api.call('tasks.create', {
      name: 'noop', groupId: group.id, handler: 'noop', trigger: { type: 'api' },
    });
    const read = (await guarded.api.call('tokens.create', { label: 'dashboard', scope: 'read' })).secret;
    const operate = (await guarded.api.call('tokens.create', { label: 'on-call', scope: 'operate' })).secret;
    const before = await guarded.api.call('tasks.list', {});

    expect((await post(guarded, 'tasks.list', {}, read)).status).toBe(200);
    const trigger = await post(guarded, 'tasks.trigger', { id: task.id }, read);
    expect(trigger.status).toBe(403);
    expect(trigger.body.error).toMatchObject({ code: 'forbidden', message: 'tasks.trigger needs an API key of scope "operate"; this key has scope "read".' });
    const create = await post(guarded, 'tasks.create', { name: 'sneaky', groupId: group.id, handler: 'shell', params: { command: 'id' }, trigger: { type: 'api' } }, operate);
    expect(create.status).toBe(403);
    expect(create.body.error?.message).toMatch(/tasks\.create needs an API key of scope "admin"; this key has scope "operate"/);
    expect((await post(guarded, 'tokens.create', { label: 'escalate', scope: 'admin' }, operate)).status).toBe(403);
    expect((await post(guarded, 'tokens.list', {}, read)).status).toBe(403);
    // An operate key runs what exists: the disable goes through.
    expect((await post(guarded, 'tasks.setEnabled', { id: task.id, enabled: false }, operate)).status).toBe(200);
    // The scope is decided from the path alone: a refused call's body, even unparseable, is never read.
    const unread = await fetch(`${guarded.agentUrl}/api/groups.delete`, { method: 'POST', body: '{not json', headers: { authorization: `Bearer ${read}` } });
    expect(unread.status).toBe(403);

    expect((await guarded.api.call('tasks.list', {})).map((t) => [t.name, t.enabled])).toEqual(before.map((t) => [t.name, false]));
    expect((await guarded.api.call('tokens.list', {})).map((t) => t.label)).not.toContain('escalate');
  });

  it('migration 6 turns keys made before scopes (scope api) into admin keys that still open the API', async () => {
    const db = openPool(await freshDatabase());
    try {
      await migrate(db);
      // The database as it was before migration 6: the old scopes, an old key.
      await db.query(`alter table tokens drop constraint tokens_scope_check;
        alter table tokens add constraint tokens_scope_check check (scope in ('agent', 'api'));
        delete from baton_migrations where id = 6`);
      const { rows } = await db.query<{ id: string }>(`insert into tokens (id, label, scope, hash) values ('tok_old', 'old script', 'api', $1) returning id`,
        [createHash('sha256').update('s3cret').digest('hex')]);
      expect(await migrate(db)).toEqual([6]);
      expect((await db.query('select scope from tokens where id = $1', [rows[0]!.id])).rows[0]).toEqual({ scope: 'admin' });
      expect(await verifyToken(db, 'bt_tok_old.s3cret')).toEqual({ ok: true, id: 'tok_old', scope: 'admin' });
      await expect(db.query(`insert into tokens (id, label, scope, hash) values ('tok_bad', 'x', 'api', 'h')`)).rejects.toThrow(/tokens_scope_check/);
    } finally {
      await closePool(db);
    }
  });
});
