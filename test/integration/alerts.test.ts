// Alerts end to end: real runs on a real agent end, and their alerts reach a real SMTP server and a real HTTP
// webhook on this machine, through Agenda (retried with a short backoff set by the master's alertRetry option).
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../src-main/master/alerts/rules';
import { clientOver } from '../../src-main/master/api/contract/client';
import type { TaskInput } from '../../src-main/master/api/contract/domain';
import { BatonError } from '../../src-main/master/api/contract/errors';
import { resolveConfig } from '../../src-main/master/config';
import { startMaster } from '../../src-main/master/index';
import { createLogger } from '../../src-main/master/log';
import { freshDatabase, prepare, startAgent, tempDir, waitFor, type TestAgent, type TestMaster } from './harness';

const RETRY_MS = 400;

interface Mail { from: string; to: string[]; subject: string; text: string }
interface HookCall { path: string; body: AlertEvent; at: number }

/** A local SMTP server that keeps every message (plain SMTP: nodemailer would refuse its self-signed STARTTLS). */
async function startSmtp(): Promise<{ port: number; mails: Mail[]; stop(): Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const { subject, text } = parseMail(Buffer.concat(chunks).toString('utf8'));
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        mails.push({ from, to: session.envelope.rcptTo.map((r) => r.address), subject, text });
        done();
      });
    },
  });
  const listening = server.listen(0, '127.0.0.1');
  await new Promise((resolve) => listening.once('listening', resolve));
  return {
    port: (listening.address() as AddressInfo).port, mails,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Subject and text of a plain-text message, undoing quoted-printable where the sender used it. */
function parseMail(raw: string): { subject: string; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(split + 4);
  const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'im').exec(head)?.[1] ?? '';
  const text = /quoted-printable/i.test(header('Content-Transfer-Encoding'))
    ? body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    : body;
  return { subject: header('Subject'), text: text.replace(/\r\n/g, '\n') };
}

/** A local webhook receiver: answers each path with the statuses queued for it, then 200. */
async function startHooks(): Promise<{ url: string; calls: HookCall[]; answer(path: string, ...statuses: number[]): void; stop(): Promise<void> }> {
  const calls: HookCall[] = [];
  const queued = new Map<string, number[]>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
    req.on('end', () => {
      const url = req.url ?? '/';
      calls.push({ path: url, body: JSON.parse(body) as AlertEvent, at: Date.now() });
      res.writeHead(queued.get(url)?.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls,
    answer: (p, ...statuses) => queued.set(p, statuses),
    stop: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

/** The harness's test master, with alerts retrying after RETRY_MS instead of 30 s. */
async function startAlertingMaster(databaseUrl: string, env: Record<string, string>): Promise<TestMaster> {
  const dataDir = await tempDir('baton-master-');
  const config = resolveConfig({ BATON_DATABASE_URL: databaseUrl, BATON_PORT: '0', BATON_DATA_DIR: dataDir, ...env });
  const logFile = path.join(dataDir, 'master.log');
  const master = await startMaster(config, { logger: createLogger('debug', logFile), alertRetry: { delayMs: RETRY_MS, maxRetries: 3 } });
  return Object.assign(master, { api: clientOver((m, i) => master.handle(m, i)), logFile });
}

async function logLines(master: TestMaster, msg: string): Promise<Array<Record<string, unknown>>> {
  const text = await fs.readFile(master.logFile, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === msg);
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 3 * RETRY_MS));

describe('alerts', () => {
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let hooks: Awaited<ReturnType<typeof startHooks>>;
  let master: TestMaster;
  let agent: TestAgent;
  let groupId: string;

  beforeAll(async () => {
    [smtp, hooks] = await Promise.all([startSmtp(), startHooks()]);
    master = await startAlertingMaster(await freshDatabase(), {
      BATON_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, BATON_ALERT_FROM: 'baton@alerts.example.com',
    });
    let token: string;
    ({ groupId, token } = await prepare(master));
    agent = await startAgent(master, token, { name: 'edge-1' });
    await waitFor('agent online', async () => (await master.api.call('workers.list', {})).find((w) => w.status === 'online'));
  });
  afterAll(async () => {
    await agent?.stop();
    await master?.stop();
    await smtp?.stop();
    await hooks?.stop();
  });

  const shellTask = (name: string, command: string, over: Partial<TaskInput>) => master.api.call('tasks.create', {
    name, groupId, handler: 'shell', params: { command }, trigger: { type: 'api' }, ...over,
  });
  const endedRuns = (taskId: string, count: number) => waitFor(`${count} ended runs`, async () => {
    const runs = await master.api.call('runs.list', { taskId });
    const ended = runs.filter((r) => r.finishedAt !== null);
    return ended.length >= count ? ended.sort((a, b) => a.attempt - b.attempt) : null;
  });

  it('alerts once, by email and webhook, after the last attempt of a failing run', async () => {
    const task = await shellTask('nightly-report', 'echo working; echo broken >&2; exit 2', {
      retry: { count: 1, delayMs: 200 },
      alerts: { on: ['failed', 'timed_out'], email: ['ops@example.com', 'oncall@example.com'], webhook: `${hooks.url}/failed` },
    });
    expect(task.alerts).toEqual({ on: ['failed', 'timed_out'], email: ['ops@example.com', 'oncall@example.com'], webhook: `${hooks.url}/failed` });
    await master.api.call('tasks.trigger', { id: task.id });
    const [first, last] = await endedRuns(task.id, 2);
    expect([first!.state, last!.state, last!.attempt]).toEqual(['failed', 'failed', 2]);

    await waitFor('the email and the webhook', async () => smtp.mails.length >= 1 && hooks.calls.length >= 1);
    await settle();
    expect(smtp.mails).toHaveLength(1);
    expect(hooks.calls).toHaveLength(1);

    const mail = smtp.mails[0]!;
    expect(mail.from).toBe('baton@alerts.example.com');
    expect(mail.to).toEqual(['ops@example.com', 'oncall@example.com']);
    expect(mail.subject).toBe('[Baton] nightly-report failed');
    const summary = 'Task nightly-report failed on worker edge-1 after 2 attempts: exit code 2';
    expect(mail.text.split('\n')[0]).toBe(summary);
    expect(mail.text).toContain(`Run:       ${last!.id} (attempt 2, first attempt ${first!.id})`);
    expect(mail.text).toContain('Exit code: 2');
    expect(mail.text).toMatch(/Output \(last lines\):\n[\s\S]*working/);

    const hook = hooks.calls[0]!;
    expect(hook.path).toBe('/failed');
    expect(hook.body).toMatchObject({
      summary, taskId: task.id, taskName: 'nightly-report', runId: last!.id, rootRunId: first!.id, attempt: 2,
      state: 'failed', exitCode: 2, workerName: 'edge-1', plannedAt: last!.plannedAt, finishedAt: last!.finishedAt,
    });
    expect(hook.body.outputTail).toContain('working');
  });

  it('sends nothing for a run whose end the rules do not name', async () => {
    const before = { mails: smtp.mails.length, calls: hooks.calls.length };
    const task = await shellTask('quiet', 'echo fine', {
      alerts: { on: ['timed_out', 'lost'], email: ['ops@example.com'], webhook: `${hooks.url}/quiet` },
    });
    const named = await shellTask('only-failures', 'echo fine', {
      alerts: { on: ['failed'], email: ['ops@example.com'], webhook: `${hooks.url}/quiet` },
    });
    await master.api.call('tasks.trigger', { id: task.id });
    await master.api.call('tasks.trigger', { id: named.id });
    const [[run], [other]] = await Promise.all([endedRuns(task.id, 1), endedRuns(named.id, 1)]);
    expect([run!.state, other!.state]).toEqual(['succeeded', 'succeeded']);
    await settle();
    expect({ mails: smtp.mails.length, calls: hooks.calls.length }).toEqual(before);
  });

  it('retries a webhook that answers 500, with backoff, until it takes the alert', async () => {
    hooks.answer('/flaky', 500);
    const task = await shellTask('flaky-hook', 'exit 3', { alerts: { on: ['failed'], webhook: `${hooks.url}/flaky` } });
    await master.api.call('tasks.trigger', { id: task.id });
    const calls = await waitFor('two webhook calls', async () => {
      const flaky = hooks.calls.filter((c) => c.path === '/flaky');
      return flaky.length >= 2 ? flaky : null;
    });
    await settle();
    expect(hooks.calls.filter((c) => c.path === '/flaky')).toHaveLength(2);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(RETRY_MS - 50);
    expect(calls[1]!.body).toEqual(calls[0]!.body);
    expect(calls[1]!.body.summary).toBe('Task flaky-hook failed on worker edge-1: exit code 3');
    const sent = await waitFor('delivery logged', async () => (await logLines(master, 'alert sent')).find((l) => l.task === 'flaky-hook'));
    expect(sent).toMatchObject({ channel: 'webhook', state: 'failed' });
    expect((await logLines(master, 'alert not delivered')).filter((l) => l.task === 'flaky-hook')).toHaveLength(1);
  });

  it('does not follow a webhook redirected to the metadata service, and does not retry it (issue 7)', async () => {
    let hits = 0;
    const redirector = http.createServer((_req, res) => {
      hits += 1;
      res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' }).end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/hook`;
      const task = await shellTask('redirected-hook', 'exit 4', { alerts: { on: ['failed'], webhook: url } });
      await master.api.call('tasks.trigger', { id: task.id });
      const refused = await waitFor('refusal logged', async () =>
        (await logLines(master, 'alert webhook refused by the outbound guard')).find((l) => l.task === 'redirected-hook'));
      expect(refused.error).toMatch(/169\.254\.169\.254 is a link-local address.*BATON_OUTBOUND_ALLOW/);
      await settle();
      expect(hits).toBe(1);
      expect((await logLines(master, 'alert sent')).filter((l) => l.task === 'redirected-hook')).toEqual([]);
    } finally {
      redirector.closeAllConnections();
      await new Promise((resolve) => redirector.close(resolve));
    }
  });

  it('refuses bad alert rules naming the field, and stores nothing', async () => {
    const task = await shellTask('guarded', 'true', {});
    expect(task.alerts).toEqual({ on: [], email: [], webhook: null });
    const before = await master.api.call('tasks.list', {});
    const refused = async (call: () => Promise<unknown>, field: string) => {
      const error = await call().then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(BatonError);
      expect(error).toMatchObject({ code: 'invalid_input', field });
      expect((error as BatonError).message).toContain(field);
    };
    const create = (alerts: unknown) => () => master.api.call('tasks.create', {
      name: 'bad-alerts', groupId, handler: 'noop', trigger: { type: 'api' }, alerts,
    } as TaskInput);
    await refused(create({ on: ['failed'], email: ['ops@example.com', 'not an address'] }), 'alerts.email.1');
    await refused(create({ on: ['failed'], webhook: 'ftp://files.example.com/hook' }), 'alerts.webhook');
    await refused(create({ on: ['failed'], webhook: 'http://169.254.169.254/latest/meta-data/' }), 'alerts.webhook');
    await refused(create({ on: ['failed'], webhook: 'http://[::ffff:a9fe:a9fe]/' }), 'alerts.webhook');
    await refused(create({ on: ['exploded'] }), 'alerts.on.0');
    await refused(create({ on: ['failed'] }), 'alerts.on');
    await refused(create({ webhook: 'https://hooks.example.com/x' }), 'alerts.on');
    await refused(create({ on: ['failed'], email: Array.from({ length: 21 }, (_, i) => `u${i}@example.com`) }), 'alerts.email');
    await refused(() => master.api.call('tasks.update', { id: task.id, patch: { alerts: { on: ['failed'], email: ['nope'] } } } as never), 'patch.alerts.email.0');
    expect(await master.api.call('tasks.list', {})).toEqual(before);
  });
});

describe('alerts without SMTP', () => {
  let hooks: Awaited<ReturnType<typeof startHooks>>;
  let master: TestMaster;

  beforeAll(async () => {
    hooks = await startHooks();
    master = await startAlertingMaster(await freshDatabase(), {});
  });
  afterAll(async () => {
    await master?.stop();
    await hooks?.stop();
  });

  it('warns once per alert that SMTP is not configured, does not retry the email, and still calls the webhook', async () => {
    const { groupId } = await prepare(master);
    // No agent: the run fails with no_worker as soon as its queue time-out passes.
    const task = await master.api.call('tasks.create', {
      name: 'orphan', groupId, handler: 'noop', trigger: { type: 'api' }, queueTimeoutMs: 0, retry: { count: 2 },
      alerts: { on: ['failed'], email: ['ops@example.com'], webhook: `${hooks.url}/orphan` },
    });
    await master.api.call('tasks.trigger', { id: task.id });
    await waitFor('the webhook', async () => hooks.calls.length >= 1);
    expect(hooks.calls[0]!.body).toMatchObject({ state: 'failed', reason: 'no_worker', attempt: 1, workerName: null });
    expect(hooks.calls[0]!.body.summary).toMatch(/^Task orphan failed: No eligible worker/);
    const warned = await waitFor('the warning', async () => {
      const lines = await logLines(master, 'alert email not sent: SMTP is not configured');
      return lines.length > 0 ? lines : null;
    });
    expect(warned[0]).toMatchObject({ task: 'orphan', channel: 'email', level: 40 });
    expect(String(warned[0]!.error)).toMatch(/set BATON_SMTP_URL/);
    await settle();
    expect(await logLines(master, 'alert email not sent: SMTP is not configured')).toHaveLength(1);
    expect(hooks.calls).toHaveLength(1);
  });
});
