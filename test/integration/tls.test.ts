// TLS everywhere (issue 7): given a certificate and key, a master serves the API, the console and the agent
// gateway over HTTPS only; agents, the CLI, followers and the desktop console verify it with a CA (made here,
// with the openssl CLI), and refuse a certificate their CA did not sign, saying why.
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientOver } from '../../src-main/master/api/contract/client';
import { httpTransport } from '../../src-main/master/api/contract/http-client';
import { fetchTrusting } from '../../src-main/master/tls-client';
import { attachRemote, remoteMasterFrom } from '../../src-main/remote-master';
import { freshDatabase, MASTER_BIN, prepare, startAgent, startTestMaster, tempDir, waitFor, type TestAgent, type TestMaster } from './harness';

const run = promisify(execFile);

interface Pki { ca: string; otherCa: string; cert: string; key: string }

/** A CA, a server certificate it signs for 127.0.0.1 and localhost, and an unrelated CA. */
async function makePki(): Promise<Pki> {
  const dir = await tempDir('baton-pki-');
  const f = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  for (const ca of ['ca', 'other-ca']) {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${ca}.key`), '-out', f(`${ca}.pem`), '-days', '2', '-subj', `/CN=Baton test ${ca}`);
  }
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost');
  execFileSync('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ${f('ext.cnf')}`]);
  openssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-out', f('server.pem'), '-days', '2', '-extfile', f('ext.cnf'));
  return { ca: f('ca.pem'), otherCa: f('other-ca.pem'), cert: f('server.pem'), key: f('server.key') };
}

describe('TLS', () => {
  let pki: Pki;
  let databaseUrl: string;
  let master: TestMaster;
  let token: string;
  let groupId: string;
  /** Every HTTP client shows a key (the default); the master's own is in its data folder. */
  let apiKey: string;
  const keyOf = (m: TestMaster) => readFileSync(path.join(m.config.dataDir, 'api-key'), 'utf8').trim();
  const masters: TestMaster[] = [];
  const agents: TestAgent[] = [];

  beforeAll(async () => {
    pki = await makePki();
    databaseUrl = await freshDatabase();
    master = await startTestMaster(databaseUrl, { BATON_TLS_CERT: pki.cert, BATON_TLS_KEY: pki.key });
    masters.push(master);
    ({ token, groupId } = await prepare(master));
    apiKey = keyOf(master);
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop('SIGKILL')));
    for (const m of masters.reverse()) await m.stop();
  });

  it('serves the API over HTTPS only: verified with the CA, refused with another, and plain HTTP gets nothing', async () => {
    expect(master.agentUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const trusted = clientOver(httpTransport(master.agentUrl, { apiKey, fetch: fetchTrusting(readFileSync(pki.ca, 'utf8')) }));
    expect((await trusted.call('master.info', {})).url).toMatch(/^https:\/\//);

    const untrusted = await httpTransport(master.agentUrl, { fetch: fetchTrusting(readFileSync(pki.otherCa, 'utf8')) })('master.info', {});
    expect(untrusted).toMatchObject({ ok: false, error: { code: 'unavailable', message: expect.stringMatching(/TLS certificate is not trusted.*--ca FILE or BATON_TLS_CA/) } });
    // Without a CA, Node's built-in list: a private CA is not in it.
    const system = await httpTransport(master.agentUrl)('master.info', {});
    expect(system).toMatchObject({ ok: false, error: { message: expect.stringContaining('not trusted') } });

    const plain = await fetch(master.agentUrl.replace('https://', 'http://') + '/api/master.info', { method: 'POST', body: '{}' }).then(
      (res) => `answered ${res.status}`, (error: Error & { cause?: { code?: string } }) => error.cause?.code ?? error.message);
    expect(plain).not.toMatch(/^answered/);
  });

  it('an agent with the right CA runs a task; one with a wrong CA is refused and says why', async () => {
    const good = await startAgent(master, token, { name: 'tls-good', args: ['--ca', pki.ca] });
    agents.push(good);
    await waitFor('the agent online', async () => (await master.api.call('workers.list', {})).some((w) => w.name === 'tls-good' && w.status === 'online'));
    const task = await master.api.call('tasks.create', {
      name: 'over-tls', groupId, handler: 'shell', params: { command: 'echo secured' }, trigger: { type: 'api' },
    });
    const [run1] = await master.api.call('tasks.trigger', { id: task.id });
    const done = await waitFor('the run succeeded', async () => {
      const r = await master.api.call('runs.get', { id: run1!.id });
      return r.state === 'succeeded' ? r : null;
    });
    expect(done.output.trim()).toBe('secured');

    const bad = await startAgent(master, token, { name: 'tls-bad', args: ['--ca', pki.otherCa] });
    agents.push(bad);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toMatch(/--ca: the master at https:\/\/127\.0\.0\.1:\d+ presented a certificate that the CA certificate\(s\) given do not verify/);
    expect((await master.api.call('workers.list', {})).map((w) => w.name)).not.toContain('tls-bad');
  });

  it('the CLI token commands talk HTTPS with --ca, and refuse a wrong CA', async () => {
    const args = ['token', 'create', 'cli-over-tls', '--url', master.agentUrl, '--data-dir', master.config.dataDir];
    const created = await run(process.execPath, [MASTER_BIN, ...args, '--ca', pki.ca], { timeout: 20_000 });
    expect(created.stdout).toMatch(/^bt_tok_/);
    const refused = await run(process.execPath, [MASTER_BIN, ...args, '--ca', pki.otherCa], { timeout: 20_000 }).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(refused?.code).toBe(2);
    expect(refused?.stderr).toMatch(/TLS certificate is not trusted/);
    expect((await master.api.call('tokens.list', {})).filter((t) => t.label === 'cli-over-tls')).toHaveLength(1);
  });

  it('refuses a certificate without its key at start, naming the variable, and starts nothing', async () => {
    const dataDir = await tempDir('baton-tls-flags-');
    const failed = await run(process.execPath, [MASTER_BIN, '--database-url', databaseUrl, '--port', '0', '--data-dir', dataDir, '--tls-cert', pki.cert],
      { timeout: 20_000 }).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain('BATON_TLS_KEY (--tls-key): is required with BATON_TLS_CERT');
  });

  it('a follower forwards to an HTTPS leader it verifies with BATON_TLS_CA; the desktop console attaches with it', async () => {
    const follower = await startTestMaster(databaseUrl, { BATON_TLS_CERT: pki.cert, BATON_TLS_KEY: pki.key, BATON_TLS_CA: pki.ca });
    masters.push(follower);
    expect(follower.leading).toBe(false);
    const group = await follower.handle('groups.create', { name: 'via-follower' });
    expect(group).toMatchObject({ ok: true, value: { name: 'via-follower' } });

    const target = remoteMasterFrom({ BATON_REMOTE_URL: follower.agentUrl, BATON_TLS_CA: pki.ca, BATON_API_KEY: keyOf(follower) })!;
    const remote = await attachRemote(target);
    expect(await remote.call('groups.list', {})).toMatchObject({ ok: true, value: expect.arrayContaining([expect.objectContaining({ name: 'via-follower' })]) });
    await expect(attachRemote({ url: follower.agentUrl })).rejects.toThrow(/not trusted/);

    // A follower without the CA does not forward to a leader it cannot verify, and says so.
    const blind = await startTestMaster(databaseUrl, { BATON_TLS_CERT: pki.cert, BATON_TLS_KEY: pki.key });
    masters.push(blind);
    expect(await blind.handle('groups.create', { name: 'unverified' })).toMatchObject({ ok: false, error: { message: expect.stringContaining('not trusted') } });
    expect((await master.api.call('groups.list', {})).map((g) => g.name)).not.toContain('unverified');
  });
});
