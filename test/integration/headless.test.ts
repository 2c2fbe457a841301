// The slice without Electron: `baton-master` and `baton-agent` as command-line processes, driven over HTTP.
// This master asks every HTTP client for an API key (the default); the CLI finds it in the data folder.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../../src-main/master/api/contract/client';
import { freePort } from '../../src-main/master/db/embedded';
import { freshDatabase, MASTER_BIN, startAgent, startMasterProcess, waitFor, type MasterProcess, type TestAgent } from './harness';

const run = promisify(execFile);

describe('headless master and agent', () => {
  let master: MasterProcess;
  let agent: TestAgent;
  let url: string;
  let api: ApiClient;
  let dataDir: string;

  beforeAll(async () => {
    master = await startMasterProcess(await freshDatabase(), ['--log-level', 'warn']);
    ({ url, api, dataDir } = master);
  });
  afterAll(async () => {
    await agent?.stop();
    if (master && master.child.exitCode === null) {
      master.child.kill('SIGTERM');
      expect(await master.exited).toBe(0);
    }
  });

  it('issues an enrolment token from the CLI, runs a cron task on a CLI agent, and stops cleanly', async () => {
    const group = await api.call('groups.create', { name: 'batch' });
    const { stdout } = await run(process.execPath, [MASTER_BIN, 'enrol', 'create', '--group', 'batch', '--expires-in', '1h', '--url', url, '--data-dir', dataDir]);
    const token = stdout.trim();
    expect(token).toMatch(/^bt_enr_/);
    agent = await startAgent({ agentUrl: url }, token, { name: 'cli-agent', group: 'batch' });
    const task = await api.call('tasks.create', {
      name: 'hello', groupId: group.id, handler: 'shell', params: { command: 'echo hello' },
      trigger: { type: 'cron', expression: '* * * * * *', timezone: 'UTC' },
    });
    const done = await waitFor('two runs', async () => {
      const runs = (await api.call('runs.list', { taskId: task.id })).filter((r) => r.state === 'succeeded');
      return runs.length >= 2 ? runs : null;
    });
    expect(done.every((r) => r.output.trim() === 'hello' && r.workerName === 'cli-agent')).toBe(true);
  });

  it('refuses HTTP calls without a valid API key, from the CLI too', async () => {
    const bare = await fetch(`${url}/api/groups.list`, { method: 'POST', body: '{}' });
    expect(bare.status).toBe(401);
    expect(((await bare.json()) as { error: unknown }).error).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/Authorization: Bearer/) });
    const failed = await run(process.execPath, [MASTER_BIN, 'token', 'list', '--url', url, '--api-key', 'bt_tok_nope.nope'], { timeout: 20_000 })
      .then(() => null, (e: { code: number; stderr: string }) => e);
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toMatch(/API key is unknown or revoked.*\(the key sent: --api-key\)/);
    const bySecret = await run(process.execPath, [MASTER_BIN, 'token', 'revoke', 'bt_tok_abc.s3cr3t', '--url', url, '--data-dir', dataDir], { timeout: 20_000 })
      .then(() => null, (e: { code: number; stderr: string }) => e);
    expect(bySecret?.code).toBe(2);
    expect(bySecret?.stderr).toMatch(/pass the token's id, not its secret/);
    expect(bySecret?.stderr).not.toContain('s3cr3t');
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const unreachable = await run(process.execPath, [MASTER_BIN, 'token', 'list', '--url', nowhere], { timeout: 20_000 })
      .then(() => null, (e: { code: number; stderr: string }) => e);
    expect(unreachable?.code).toBe(2);
    expect(unreachable?.stderr).toContain(`cannot reach the master at ${nowhere} (ECONNREFUSED)`);
  });

  it('makes API keys of a scope from the CLI; a read key, given in the environment, may not manage tokens', async () => {
    const { stdout } = await run(process.execPath, [MASTER_BIN, 'token', 'create', 'dashboard', '--scope', 'read', '--url', url, '--data-dir', dataDir]);
    const readKey = stdout.trim();
    expect((await api.call('tokens.list', {})).find((t) => t.label === 'dashboard')?.scope).toBe('read');
    const refused = await run(process.execPath, [MASTER_BIN, 'token', 'list', '--url', url], { env: { ...process.env, BATON_API_KEY: readKey }, timeout: 20_000 })
      .then(() => null, (e: { code: number; stderr: string }) => e);
    expect(refused?.code).toBe(2);
    expect(refused?.stderr).toMatch(/tokens\.list needs an API key of scope "admin"; this key has scope "read"/);
    const oldScope = await run(process.execPath, [MASTER_BIN, 'token', 'create', 'ci', '--scope', 'api', '--url', url, '--data-dir', dataDir], { timeout: 20_000 })
      .then(() => null, (e: { code: number; stderr: string }) => e);
    expect(oldScope?.stderr).toMatch(/Allowed choices are read, operate, admin/);
    expect((await api.call('tokens.list', {})).map((t) => t.label)).not.toContain('ci');
  });

  it('refuses a bad flag with a message naming it, and starts nothing', async () => {
    const failed = await run(process.execPath, [MASTER_BIN, '--port', 'seventy'], { timeout: 20_000 }).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toMatch(/BATON_PORT \(--port\)="seventy": must be a port number/);
  });
});
