// Agent identity (issue 7, findings 4, 5 and 8): enrolment tokens traded once for a credential bound to one worker,
// revocation that disconnects within a heartbeat, no group made by an agent, no default namespace.
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src-main/master/db/secrets';
import { enrolAt } from '../../worker-agent/src/credential';
import { AGENT_NAMESPACE, PROTOCOL_VERSION, type Refusal } from '../../worker-agent/src/protocol';
import {
  credentialFor, freshDatabase, prepare, rawAgent, startAgent, startTestMaster, tempDir, waitFor, type RawAgent, type TestMaster,
} from './harness';

const HEARTBEAT_MS = 1_000;

/** A handshake on /agent with the given auth; resolves with the refusal, or null when admitted. */
function handshake(url: string, auth: Record<string, unknown>, namespace = AGENT_NAMESPACE): Promise<Refusal | null> {
  const socket = io(`${url}${namespace}`, { auth, reconnection: false, transports: ['websocket'] });
  return new Promise<Refusal | null>((resolve) => {
    socket.once('connect', () => resolve(null));
    socket.once('connect_error', (err) => resolve((err as Error & { data?: Refusal }).data ?? { code: 'bad_hello', message: err.message }));
  }).finally(() => socket.disconnect());
}

const hello = (token: string, name: string, group = 'it') => ({
  protocol: PROTOCOL_VERSION, token, name, group, host: 'test', version: 'test', handlers: ['shell'], capacity: 1,
});

describe('agent identity', () => {
  let master: TestMaster;
  let db: pg.Client;
  let groupId: string;
  let token: string;
  const sockets: RawAgent[] = [];
  const connect = async (name: string, opts: { onAssign?: (runId: string) => void; group?: string; token?: string } = {}) => {
    const socket = await rawAgent(master.agentUrl, opts.token ?? token, { name, group: opts.group, onAssign: (a) => opts.onAssign?.(a.runId) });
    sockets.push(socket);
    return socket;
  };
  const workerNames = async () => (await master.api.call('workers.list', {})).map((w) => w.name).sort();
  const groupNames = async () => (await master.api.call('groups.list', {})).map((g) => g.name).sort();

  beforeAll(async () => {
    const url = await freshDatabase();
    master = await startTestMaster(url, { BATON_HEARTBEAT_MS: String(HEARTBEAT_MS) });
    ({ groupId, token } = await prepare(master));
    db = new pg.Client({ connectionString: url });
    await db.connect();
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await db?.end();
    await master?.stop();
  });

  it('revoking a credential disconnects its agent within one heartbeat, and its run in flight ends lost', async () => {
    let assigned: string | null = null;
    const socket = await connect('revoked-1', { onAssign: (id) => (assigned = id) });
    const beat = setInterval(() => socket.emit('heartbeat', { at: Date.now(), cpu: 0, memory: 0, load1: 0, running: assigned ? [assigned] : [] }), 200);
    try {
      const task = await master.api.call('tasks.create', {
        name: 'held', groupId, handler: 'shell', params: { command: 'sleep 60' }, trigger: { type: 'api' },
        routing: { strategy: 'first' },
      });
      await master.api.call('tasks.trigger', { id: task.id });
      const runId = await waitFor('the run assigned', async () => assigned);
      const disconnected = new Promise<number>((resolve, reject) => {
        socket.once('disconnect', () => resolve(Date.now()));
        setTimeout(() => reject(new Error('still connected 10 s after the revocation')), 10_000);
      });
      const credential = (await master.api.call('credentials.list', {})).find((c) => c.workerName === 'revoked-1')!;
      const revokedAt = Date.now();
      await master.api.call('credentials.revoke', { id: credential.id });
      const tookMs = (await disconnected) - revokedAt;
      console.log(`revoked credential: agent disconnected after ${tookMs} ms (heartbeat ${HEARTBEAT_MS} ms)`);
      expect(tookMs).toBeLessThanOrEqual(HEARTBEAT_MS);
      clearInterval(beat);
      await waitFor('the run lost', async () => (await master.api.call('runs.get', { id: runId })).state === 'lost', 30_000);
      const again = await handshake(master.agentUrl, hello(await credentialFor(master.agentUrl, token, 'revoked-1'), 'revoked-1'));
      expect(again?.code).toBe('bad_token');
    } finally {
      clearInterval(beat);
    }
  });

  it('revoking an enrolment token revokes and disconnects what it made, unless its credentials are kept', async () => {
    const doomed = await master.api.call('enrolments.create', { label: 'doomed', groupId });
    const kept = await master.api.call('enrolments.create', { label: 'kept', groupId });
    const a = await connect('from-doomed', { token: doomed.secret });
    const b = await connect('from-kept', { token: kept.secret });
    const gone = new Promise<void>((resolve) => a.once('disconnect', () => resolve()));
    await master.api.call('enrolments.revoke', { id: kept.enrolment.id, keepCredentials: true });
    await master.api.call('enrolments.revoke', { id: doomed.enrolment.id });
    await gone;
    await new Promise((r) => setTimeout(r, HEARTBEAT_MS));
    expect(b.connected).toBe(true);
    const refusal = await enrolAt(master.agentUrl, { token: kept.secret, name: 'another', group: 'it' });
    expect(refusal).toMatchObject({ ok: false, code: 'bad_token' });
  });

  it('a credential cannot join under another worker\'s name, and no one can enrol a name that has a credential', async () => {
    const owner = await connect('owner');
    const mine = await credentialFor(master.agentUrl, token, 'owner');
    owner.disconnect();
    await waitFor('owner offline', async () => (await master.api.call('workers.list', {})).find((w) => w.name === 'owner')?.status === 'offline');
    const before = await workerNames();
    const other = await credentialFor(master.agentUrl, token, 'thief');
    expect(await handshake(master.agentUrl, hello(other, 'owner'))).toMatchObject({ code: 'name_mismatch' });
    expect(await handshake(master.agentUrl, hello(mine, 'owner', 'other-group'))).toMatchObject({ code: 'group_mismatch' });
    expect(await enrolAt(master.agentUrl, { token, name: 'owner', group: 'it' })).toMatchObject({ ok: false, code: 'name_taken' });
    expect(await workerNames()).toEqual(before);
    expect(await handshake(master.agentUrl, hello(mine, 'owner'))).toBeNull();
  });

  it('an enrolment token for one group joins no other and creates none', async () => {
    await master.api.call('groups.create', { name: 'b' });
    const groups = await groupNames();
    expect(await enrolAt(master.agentUrl, { token, name: 'x1', group: 'b' })).toMatchObject({ ok: false, code: 'group_mismatch' });
    expect(await enrolAt(master.agentUrl, { token, name: 'x1', group: 'brand-new' })).toMatchObject({ ok: false, code: 'group_mismatch' });
    // A former agent token (migration 8) is good for any group that exists, but makes none.
    await db.query(`insert into enrolments (id, label, group_id, hash) values ('tok_legacy1', 'legacy', null, $1)`, [hashSecret('legacysecret0123456789')]);
    const legacy = 'bt_tok_legacy1.legacysecret0123456789';
    expect(await enrolAt(master.agentUrl, { token: legacy, name: 'x2', group: 'brand-new' })).toMatchObject({ ok: false, code: 'unknown_group' });
    expect(await enrolAt(master.agentUrl, { token: legacy, name: 'x2', group: 'b' })).toMatchObject({ ok: true });
    expect(await groupNames()).toEqual(groups);
    expect((await master.api.call('credentials.list', {})).filter((c) => c.workerName.startsWith('x')).map((c) => c.workerName)).toEqual(['x2']);
  });

  it('refuses an expired enrolment token and a used single-use one, changing nothing', async () => {
    const once = await master.api.call('enrolments.create', { label: 'once', groupId, singleUse: true });
    expect(await enrolAt(master.agentUrl, { token: once.secret, name: 's1', group: 'it' })).toMatchObject({ ok: true });
    expect(await enrolAt(master.agentUrl, { token: once.secret, name: 's2', group: 'it' })).toMatchObject({ ok: false, code: 'enrolment_used' });
    const soon = await master.api.call('enrolments.create', { label: 'soon', groupId, expiresInMs: 60_000 });
    expect(soon.enrolment.expiresAt).not.toBeNull();
    await db.query(`update enrolments set expires_at = now() - interval '1 second' where id = $1`, [soon.enrolment.id]);
    const credentials = (await master.api.call('credentials.list', {})).length;
    expect(await enrolAt(master.agentUrl, { token: soon.secret, name: 's3', group: 'it' })).toMatchObject({ ok: false, code: 'enrolment_expired' });
    expect(await master.api.call('credentials.list', {})).toHaveLength(credentials);
    expect((await master.api.call('enrolments.list', {})).find((e) => e.id === once.enrolment.id)?.uses).toBe(1);
  });

  it('refuses bad enrolment requests with the field named', async () => {
    await expect(master.api.call('enrolments.create', { label: 'x', groupId: 'grp_nope' })).rejects.toMatchObject({ code: 'not_found', field: 'groupId' });
    await expect(master.api.call('enrolments.create', { label: 'x', groupId, expiresInMs: 5 })).rejects.toMatchObject({ code: 'invalid_input', field: 'expiresInMs' });
    await expect(master.api.call('enrolments.create', { label: 'x', groupId, group: 'it' } as never)).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('the default namespace accepts no connection; unknown hello fields are refused by name', async () => {
    expect(await handshake(master.agentUrl, {}, '/')).toMatchObject({ code: 'wrong_namespace' });
    const credential = await credentialFor(master.agentUrl, token, 'strict');
    const refusal = await handshake(master.agentUrl, { ...hello(credential, 'strict'), tokn: 'x' });
    expect(refusal).toMatchObject({ code: 'bad_hello' });
    expect(refusal?.message).toContain('tokn');
  });

  it('baton-agent trades its enrolment token once, keeps the credential (mode 600) and restarts without the token', async () => {
    const once = await master.api.call('enrolments.create', { label: 'cli', groupId, singleUse: true });
    const dataDir = await tempDir('baton-agent-');
    const first = await startAgent(master, once.secret, { name: 'cli-agent', dataDir });
    await waitFor('cli-agent online', async () => (await master.api.call('workers.list', {})).find((w) => w.name === 'cli-agent')?.status === 'online');
    await first.stop();
    const stat = await fs.stat(path.join(dataDir, 'credential'));
    expect(stat.mode & 0o777).toBe(0o600);
    expect(await fs.readFile(path.join(dataDir, 'credential'), 'utf8')).not.toContain(once.secret);
    // The single-use token is spent; the kept credential is all the agent needs.
    const second = await startAgent(master, once.secret, { name: 'cli-agent', dataDir });
    await waitFor('cli-agent back online', async () => second.output().includes('welcomed by master'));
    await second.stop();
    const refused = await startAgent(master, once.secret, { name: 'cli-other', dataDir: await tempDir('baton-agent-') });
    expect(await refused.exited).toBe(3);
    expect(refused.output()).toMatch(/refused to enrol this agent \(enrolment_used\)/);
  });
});
