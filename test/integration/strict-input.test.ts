// Issue 7, findings 6 and 8, against a real master, PostgreSQL and agent process: a trigger cannot change what a
// task runs, unknown fields are refused, and webhooks and http tasks cannot reach link-local or metadata addresses.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run, Task } from '../../src-main/master/api/contract/domain';
import { BatonError } from '../../src-main/master/api/contract/errors';
import { freshDatabase, prepare, startAgent, startTestMaster, tempDir, waitFor, type TestAgent, type TestMaster } from './harness';

describe('strict input', () => {
  let master: TestMaster;
  let agent: TestAgent;
  let groupId: string;
  let redirector: Server;
  let redirectorUrl: string;

  beforeAll(async () => {
    // The master allows one metadata address, so an http task to it can be stored and the agent's own guard seen refusing it.
    master = await startTestMaster(await freshDatabase(), { BATON_OUTBOUND_ALLOW: 'fd00:ec2::254' });
    const prepared = await prepare(master);
    groupId = prepared.groupId;
    agent = await startAgent(master, prepared.token, { name: 'strict-agent' });
    await waitFor('agent online', async () => (await master.api.call('workers.list', {})).find((w) => w.status === 'online'));
    // A loopback server that sends every request on to the cloud metadata service.
    redirector = createServer((_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/iam/' }).end());
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    redirectorUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/start`;
  });
  afterAll(async () => {
    redirector?.closeAllConnections();
    await new Promise((resolve) => redirector?.close(resolve) ?? resolve(null));
    await agent?.stop();
    await master?.stop();
  });

  /** Expects `call` to fail with invalid_input on `field`, changing no task and creating no run. */
  async function refused(call: () => Promise<unknown>, field: string, mentions?: RegExp): Promise<void> {
    const [tasksBefore, runsBefore] = await Promise.all([master.api.call('tasks.list', {}), master.api.call('runs.list', {})]);
    const error = await call().then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(BatonError);
    expect(error).toMatchObject({ code: 'invalid_input', field });
    if (mentions) expect((error as BatonError).message).toMatch(mentions);
    expect(await master.api.call('tasks.list', {})).toEqual(tasksBefore);
    expect(await master.api.call('runs.list', {})).toEqual(runsBefore);
  }

  const ended = (id: string) => waitFor(`run ${id} ends`, async () => {
    const run = await master.api.call('runs.get', { id });
    return run.finishedAt ? run : null;
  }, 30_000);

  async function runOnce(task: Task, params?: Record<string, unknown>): Promise<Run> {
    const [run] = await master.api.call('tasks.trigger', { id: task.id, ...(params ? { params } : {}) });
    return ended(run!.id);
  }

  it('refuses a trigger that would change the command, the environment or the shell, and nothing runs', async () => {
    const marker = path.join(await tempDir('baton-strict-'), 'pwned');
    const task = await master.api.call('tasks.create', {
      name: 'report', groupId, handler: 'shell', trigger: { type: 'api' }, params: { command: 'echo report' },
    });
    await refused(() => master.api.call('tasks.trigger', { id: task.id, params: { command: `touch ${marker}` } }), 'params.command', /handler itself/);
    await refused(() => master.api.call('tasks.trigger', { id: task.id, params: { env: { BASH_ENV: marker } } }), 'params.env');
    await refused(() => master.api.call('tasks.trigger', { id: task.id, params: { shell: '/bin/bash' } }), 'params.shell');
    await refused(() => master.api.call('tasks.trigger', { id: task.id, params: { region: 'eu' } }), 'params.region', /declares none/);
    expect(await master.api.call('runs.list', { taskId: task.id })).toEqual([]);
    expect(existsSync(marker)).toBe(false);
    // The task itself still runs as defined.
    expect(await runOnce(task)).toMatchObject({ state: 'succeeded', output: 'report\n' });
  });

  it('passes a declared param to the command as BATON_PARAM_*, and refuses it mistyped or missing', async () => {
    const task = await master.api.call('tasks.create', {
      name: 'deploy', groupId, handler: 'shell', trigger: { type: 'api' },
      params: { command: 'echo "region=$BATON_PARAM_REGION batch=$BATON_PARAM_BATCH"', region: 'eu-west' },
      triggerParams: { region: { type: 'string', maxLength: 16 }, batch: { type: 'integer', required: true } },
    });
    expect((await master.api.call('tasks.get', { id: task.id })).triggerParams).toEqual({
      region: { type: 'string', required: false, maxLength: 16 }, batch: { type: 'integer', required: true },
    });
    expect((await runOnce(task, { region: 'us-east', batch: 7 })).output).toBe('region=us-east batch=7\n');
    expect((await runOnce(task, { batch: 1 })).output).toBe('region=eu-west batch=1\n');
    await refused(() => master.api.call('tasks.trigger', { id: task.id, params: { region: 'us-east' } }), 'params.batch', /required/);
    await refused(() => master.api.call('tasks.trigger', { id: task.id, params: { batch: 'seven' } }), 'params.batch', /whole number/);
    await refused(() => master.api.call('tasks.trigger', { id: task.id, params: { batch: 1, region: 'r'.repeat(17) } }), 'params.region', /16 characters/);
  });

  it('refuses declaring the handler\'s own params as trigger params', async () => {
    await refused(() => master.api.call('tasks.create', {
      name: 'sneaky', groupId, handler: 'shell', trigger: { type: 'api' }, params: { command: 'true' },
      triggerParams: { command: { type: 'string' } },
    }), 'triggerParams.command', /handler itself/);
  });

  it('refuses an unknown field, naming it and what it likely meant, and stores nothing', async () => {
    await refused(() => master.api.call('tasks.create', {
      name: 'typo', groupId, handler: 'noop', trigger: { type: 'api' }, timeout: 5_000,
    } as never), 'timeout', /did you mean timeoutMs\?/);
    await refused(() => master.api.call('tasks.create', {
      name: 'long-cron', groupId, handler: 'noop', trigger: { type: 'cron', expression: '* '.repeat(50_000), timezone: 'UTC' },
    }), 'trigger.expression', /at most 256/);
    await refused(() => master.api.call('runs.list', { before: 'yesterday' }), 'before');
  });

  it('refuses a webhook to the metadata service when the task is stored, naming the setting that would allow it', async () => {
    await refused(() => master.api.call('tasks.create', {
      name: 'hooked', groupId, handler: 'noop', trigger: { type: 'api' },
      alerts: { on: ['failed'], webhook: 'http://169.254.169.254/latest/meta-data/' },
    }), 'alerts.webhook', /BATON_OUTBOUND_ALLOW/);
    const task = await master.api.call('tasks.create', { name: 'plain', groupId, handler: 'noop', trigger: { type: 'api' } });
    await refused(() => master.api.call('tasks.update', {
      id: task.id, patch: { alerts: { on: ['failed'], webhook: 'http://metadata.google.internal/computeMetadata/v1/' } },
    }), 'patch.alerts.webhook', /metadata/);
  });

  it('fails an http task aimed at a metadata address, or redirected to one, with the agent guard\'s error', async () => {
    // Stored (the master allows this address) but the agent, without --allow-outbound, refuses to connect.
    const direct = await master.api.call('tasks.create', {
      name: 'imds-v6', groupId, handler: 'http', trigger: { type: 'api' }, params: { url: 'http://[fd00:ec2::254]/latest/meta-data/' },
    });
    const first = await runOnce(direct);
    expect(first.state).toBe('failed');
    expect(first.error).toMatch(/^request refused by the outbound guard: fd00:ec2::254 is the AWS metadata service.*--allow-outbound/);

    const redirected = await master.api.call('tasks.create', {
      name: 'redirected', groupId, handler: 'http', trigger: { type: 'api' }, params: { url: redirectorUrl },
    });
    const second = await runOnce(redirected);
    expect(second.state).toBe('failed');
    expect(second.error).toMatch(/^request refused by the outbound guard: 169\.254\.169\.254 is a link-local address/);
  });
});
