// Alerts end to end (issue 10): real runs on a real agent end, and their alerts reach a local SMTP server and a
// local HTTP receiver that checks each vendor's required fields and signature, as Slack, Teams, DingTalk and
// Feishu would. Storms become one message; a channel that is down is retried while dispatch goes on.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertChannelInput } from '../../src-main/master/api/contract/alerts';
import { clientOver } from '../../src-main/master/api/contract/client';
import { BatonError } from '../../src-main/master/api/contract/errors';
import { resolveConfig } from '../../src-main/master/config';
import { startMaster } from '../../src-main/master/index';
import { createLogger } from '../../src-main/master/log';
import { migrate } from '../../src-main/master/db/migrations';
import { closePool, openPool } from '../../src-main/master/db/store';
import { freshDatabase, prepare, startAgent, startTestMaster, tempDir, waitFor, type TestAgent, type TestMaster } from './harness';

const RETRY_MS = 300;
const CONSOLE = 'https://baton.example.com';

interface Mail { to: string[]; subject: string; text: string }
interface Call { path: string; query: URLSearchParams; headers: http.IncomingHttpHeaders; raw: string; body: any; problems: string[]; at: number }

/** A local SMTP server that keeps every message (plain SMTP: nodemailer would refuse its self-signed STARTTLS). */
async function startSmtp(): Promise<{ port: number; mails: Mail[]; stop(): Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const split = raw.indexOf('\r\n\r\n');
        const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
        const body = raw.slice(split + 4).replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), subject: /^Subject: (.*)$/im.exec(head)?.[1] ?? '', text: body.replace(/\r\n/g, '\n') });
        done();
      });
    },
  });
  const listening = server.listen(0, '127.0.0.1');
  await new Promise((resolve) => listening.once('listening', resolve));
  return { port: (listening.address() as AddressInfo).port, mails, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

const SECRETS = { webhook: 'whsec-1', dingtalk: 'SECding', feishu: 'feishu-key' };
const hmac = (key: string, text: string, encoding: 'hex' | 'base64') => crypto.createHmac('sha256', key).update(text).digest(encoding);
const recent = (seconds: number) => Math.abs(Date.now() / 1000 - seconds) < 3_600;

/** What each vendor requires of a message (its documented required fields and signature); the problems found. */
function check(kind: string, call: Omit<Call, 'problems'>): string[] {
  const b = call.body;
  const problems: string[] = [];
  const need = (ok: unknown, what: string) => { if (!ok) problems.push(what); };
  switch (kind) {
    case 'webhook': {
      const ts = String(call.headers['x-baton-timestamp']);
      need(recent(Number(ts)), 'x-baton-timestamp');
      need(call.headers['x-baton-signature'] === `sha256=${hmac(SECRETS.webhook, `${ts}.${call.raw}`, 'hex')}`, 'x-baton-signature');
      need(b.source === 'baton' && typeof b.reason === 'string' && Number.isInteger(b.count) && typeof b.event === 'object', 'baton body');
      break;
    }
    case 'slack':
      need(typeof b.text === 'string' && b.text.length > 0, 'text');
      need(Array.isArray(b.blocks) && b.blocks.length > 0 && b.blocks.every((x: any) => typeof x.type === 'string'), 'blocks');
      need(b.blocks?.filter((x: any) => x.type === 'section').every((x: any) => x.text?.type === 'mrkdwn' && x.text.text.length <= 3_000), 'section text');
      break;
    case 'teams': {
      const a = b.attachments?.[0];
      need(b.type === 'message' && Array.isArray(b.attachments), 'message with attachments');
      need(a?.contentType === 'application/vnd.microsoft.card.adaptive', 'adaptive card content type');
      need(a?.content?.type === 'AdaptiveCard' && typeof a.content.version === 'string' && Array.isArray(a.content.body), 'AdaptiveCard');
      break;
    }
    case 'dingtalk': {
      const ts = call.query.get('timestamp') ?? '';
      need(recent(Number(ts) / 1000), 'timestamp (ms)');
      need(call.query.get('sign') === hmac(SECRETS.dingtalk, `${ts}\n${SECRETS.dingtalk}`, 'base64'), 'sign');
      need(call.query.get('access_token') === 'tok', 'access_token kept');
      need(b.msgtype === 'markdown' && typeof b.markdown?.title === 'string' && typeof b.markdown?.text === 'string', 'markdown');
      break;
    }
    case 'feishu':
      need(recent(Number(b.timestamp)), 'timestamp (s)');
      need(b.sign === hmac(`${b.timestamp}\n${SECRETS.feishu}`, '', 'base64'), 'sign');
      need(b.msg_type === 'interactive' && typeof b.card?.header?.title?.content === 'string' && Array.isArray(b.card?.elements), 'interactive card');
      break;
  }
  return problems;
}

/** A local receiver: /<kind>/<name> is checked as that vendor would; a path set down answers 503. */
async function startReceiver() {
  const calls: Call[] = [];
  const down = new Set<string>();
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => { raw += chunk.toString(); });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://receiver');
      const kind = url.pathname.split('/')[1] ?? '';
      let body: any = null;
      try { body = JSON.parse(raw); } catch { /* kept null: a problem below */ }
      const call = { path: url.pathname, query: url.searchParams, headers: req.headers, raw, body, at: Date.now() };
      const problems = body === null ? ['body is not JSON'] : check(kind, call);
      calls.push({ ...call, problems });
      if (down.has(url.pathname)) return void res.writeHead(503).end();
      // DingTalk and Feishu answer 200 and say in the body whether they took the message.
      if (kind === 'dingtalk') return void res.writeHead(200).end(JSON.stringify(problems.length ? { errcode: 310000, errmsg: problems.join(', ') } : { errcode: 0, errmsg: 'ok' }));
      if (kind === 'feishu') return void res.writeHead(200).end(JSON.stringify(problems.length ? { code: 19021, msg: problems.join(', ') } : { code: 0, msg: 'success' }));
      res.writeHead(problems.length ? 400 : 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, down,
    at: (p: string) => calls.filter((c) => c.path === p),
    stop: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

async function startAlertingMaster(databaseUrl: string, env: Record<string, string>): Promise<TestMaster> {
  const dataDir = await tempDir('baton-master-');
  const config = resolveConfig({ BATON_DATABASE_URL: databaseUrl, BATON_PORT: '0', BATON_DATA_DIR: dataDir, ...env });
  const logFile = path.join(dataDir, 'master.log');
  const master = await startMaster(config, {
    logger: createLogger('debug', logFile), alertRetry: { firstDelayMs: RETRY_MS, maxDelayMs: 4 * RETRY_MS }, alertTickMs: 100,
  });
  return Object.assign(master, { api: clientOver((m, i) => master.handle(m, i)), logFile });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('alerts', () => {
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let hooks: Awaited<ReturnType<typeof startReceiver>>;
  let master: TestMaster;
  let agent: TestAgent;
  let groupId: string;
  let idleGroupId: string;
  let token: string;
  let agentDir: string;

  beforeAll(async () => {
    [smtp, hooks] = await Promise.all([startSmtp(), startReceiver()]);
    master = await startAlertingMaster(await freshDatabase(), {
      BATON_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, BATON_ALERT_FROM: 'baton@alerts.example.com', BATON_OUTBOUND_ALLOW: '127.0.0.1',
    });
    ({ groupId, token } = await prepare(master));
    agentDir = await tempDir('baton-agent-');
    // No agent serves this group: its runs fail with no_worker at once, the quickest way to make many failures.
    idleGroupId = (await master.api.call('groups.create', { name: 'idle' })).id;
    agent = await startAgent(master, token, { name: 'edge-1', dataDir: agentDir });
    await waitFor('agent online', async () => (await master.api.call('workers.list', {})).find((w) => w.status === 'online'));
    await master.api.call('alerts.settings.update', { consoleUrl: CONSOLE, windowMs: 0 });
  });
  afterAll(async () => {
    await agent?.stop();
    await master?.stop();
    await smtp?.stop();
    await hooks?.stop();
  });

  const channel = (input: AlertChannelInput) => master.api.call('alerts.channels.create', input);
  const shellTask = (name: string, command: string, over: Record<string, unknown> = {}) => master.api.call('tasks.create', {
    name, groupId, handler: 'shell', params: { command }, trigger: { type: 'api' }, ...over,
  });
  const idleTask = (name: string) => master.api.call('tasks.create', {
    name, groupId: idleGroupId, handler: 'noop', trigger: { type: 'api' }, queueTimeoutMs: 0,
  });
  const stateOf = async (name: string) => (await master.api.call('alerts.channels.list', {})).find((c) => c.name === name)!.state;

  it('sends each channel kind the body its vendor documents, signed where a secret is set', async () => {
    const kinds = [
      { kind: 'webhook', name: 'generic', url: `${hooks.url}/webhook/all`, secret: SECRETS.webhook },
      { kind: 'slack', name: 'slack', url: `${hooks.url}/slack/all` },
      { kind: 'teams', name: 'teams', url: `${hooks.url}/teams/all` },
      { kind: 'dingtalk', name: 'dingtalk', url: `${hooks.url}/dingtalk/all?access_token=tok`, secret: SECRETS.dingtalk },
      { kind: 'feishu', name: 'feishu', url: `${hooks.url}/feishu/all`, secret: SECRETS.feishu },
      { kind: 'email', name: 'mail', to: ['ops@example.com', 'oncall@example.com'] },
    ] satisfies AlertChannelInput[];
    for (const input of kinds) await channel(input);
    const task = await shellTask('nightly-report', 'echo working; echo broken >&2; exit 2', { retry: { count: 1, delayMs: 200 } });
    await master.api.call('alerts.rules.create', { scope: { type: 'task', taskId: task.id }, on: ['run_failed'], channels: kinds.map((k) => k.name) });
    await master.api.call('tasks.trigger', { id: task.id });

    await waitFor('every channel', async () => smtp.mails.length >= 1 && ['webhook', 'slack', 'teams', 'dingtalk', 'feishu'].every((k) => hooks.at(`/${k}/all`).length >= 1));
    await pause(4 * RETRY_MS);
    for (const kind of ['webhook', 'slack', 'teams', 'dingtalk', 'feishu']) {
      const calls = hooks.at(`/${kind}/all`);
      expect(calls, kind).toHaveLength(1); // the first attempt failed too, but only the final one alerts
      expect(calls[0]!.problems, kind).toEqual([]);
    }
    const runs = await master.api.call('runs.list', { taskId: task.id });
    const last = runs.find((r) => r.attempt === 2)!;
    const generic = hooks.at('/webhook/all')[0]!.body;
    expect(generic).toMatchObject({
      reason: 'run_failed', count: 1, link: `${CONSOLE}/#/runs/${last.id}`,
      event: { taskName: 'nightly-report', runId: last.id, attempt: 2, workerName: 'edge-1', exitCode: 2, summary: 'Task nightly-report failed on worker edge-1 after 2 attempts: exit code 2' },
    });
    expect(generic.event.outputTail).toContain('working');
    expect(JSON.stringify(hooks.at('/slack/all')[0]!.body)).toContain(`${CONSOLE}/#/runs/${last.id}`);
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]).toMatchObject({ to: ['ops@example.com', 'oncall@example.com'], subject: '[Baton] Task nightly-report failed on worker edge-1 after 2 attempts: exit code 2' });
    expect(smtp.mails[0]!.text).toContain('Worker:    edge-1');
    for (const name of kinds.map((k) => k.name)) expect(await stateOf(name), name).toMatchObject({ status: 'ok', failures: 0, pending: 0 });
  });

  it('"send test" reaches the channel; a vendor refusing the signature shows the channel failing', async () => {
    const good = await channel({ kind: 'feishu', name: 'feishu-test', url: `${hooks.url}/feishu/test`, secret: SECRETS.feishu });
    const sent = await master.api.call('alerts.channels.test', { id: good.id });
    expect(sent).toMatchObject({ delivered: true, error: null, channel: { state: { status: 'ok' } } });
    expect(hooks.at('/feishu/test')[0]!.problems).toEqual([]);

    const wrong = await channel({ kind: 'dingtalk', name: 'dingtalk-wrong', url: `${hooks.url}/dingtalk/test?access_token=tok`, secret: 'SECnot-the-one' });
    const refused = await master.api.call('alerts.channels.test', { id: wrong.id });
    expect(refused.delivered).toBe(false);
    expect(refused.error).toMatch(/refused the message: 310000 sign/);
    expect(refused.channel.state).toMatchObject({ status: 'failing', failures: 1, lastError: refused.error });
    expect(refused.error).not.toContain('access_token'); // messages name the host only
  });

  it('turns 20 failures within the window into one message with count 20 and the first and last time', async () => {
    await master.api.call('alerts.settings.update', { windowMs: 5_000 });
    try {
      await channel({ kind: 'webhook', name: 'storm', url: `${hooks.url}/webhook/storm`, secret: SECRETS.webhook });
      const task = await idleTask('stormy');
      await master.api.call('alerts.rules.create', { scope: { type: 'task', taskId: task.id }, on: ['run_failed'], channels: ['storm'] });
      for (let i = 0; i < 20; i++) await master.api.call('tasks.trigger', { id: task.id });
      const ended = await waitFor('20 failed runs', async () => {
        const runs = (await master.api.call('runs.list', { taskId: task.id })).filter((r) => r.state === 'failed');
        return runs.length === 20 ? runs : null;
      });
      const [message] = await waitFor('the message', async () => hooks.at('/webhook/storm').length > 0 && hooks.at('/webhook/storm'));
      await pause(1_000);
      expect(hooks.at('/webhook/storm')).toHaveLength(1);
      expect(message!.problems).toEqual([]);
      const times = ended.map((r) => r.finishedAt!).sort();
      expect(message!.body).toMatchObject({ reason: 'run_failed', count: 20, firstAt: times[0], lastAt: times[19] });
      expect(message!.body.event.summary).toMatch(/^Task stormy failed: No eligible worker/);
    } finally {
      await master.api.call('alerts.settings.update', { windowMs: 0 });
    }
  });

  it('retries a channel that is down with backoff, shows its state, tells another channel, and never holds up dispatch', async () => {
    hooks.down.add('/webhook/flaky');
    await channel({ kind: 'webhook', name: 'flaky', url: `${hooks.url}/webhook/flaky`, secret: SECRETS.webhook });
    await channel({ kind: 'slack', name: 'watchdog', url: `${hooks.url}/slack/watchdog` });
    const failing = await idleTask('feeds-flaky');
    await master.api.call('alerts.rules.create', { scope: { type: 'task', taskId: failing.id }, on: ['run_failed'], channels: ['flaky'] });
    await master.api.call('alerts.rules.create', { scope: { type: 'all' }, on: ['channel_failing'], channels: ['watchdog', 'flaky'] });
    await master.api.call('tasks.trigger', { id: failing.id });

    const failingState = await waitFor('flaky shown failing after retries', async () => {
      const state = await stateOf('flaky');
      return state.failures >= 3 ? state : null;
    });
    expect(failingState).toMatchObject({ status: 'failing', lastError: expect.stringMatching(/^Webhook at 127\.0\.0\.1:\d+ answered 503$/), pending: 1 });
    expect(Date.parse(failingState.nextRetryAt!)).toBeGreaterThan(Date.parse(failingState.lastErrorAt!));
    const tries = hooks.at('/webhook/flaky').map((c) => c.at);
    expect(tries[1]! - tries[0]!).toBeGreaterThanOrEqual(RETRY_MS - 50);
    expect(tries[2]! - tries[1]!).toBeGreaterThanOrEqual(2 * RETRY_MS - 50);

    // Told once, on the channel that works, never on the failing one itself.
    const told = await waitFor('the watchdog told', async () => hooks.at('/slack/watchdog')[0]);
    expect(told.body.text).toMatch(/^Alert channel flaky fails: Webhook at 127\.0\.0\.1:\d+ answered 503$/);

    // Dispatch goes on while the channel fails: runs are taken, run and end as usual.
    const busy = await shellTask('keeps-running', 'echo fine');
    for (let i = 0; i < 5; i++) await master.api.call('tasks.trigger', { id: busy.id });
    const runs = await waitFor('5 runs done', async () => {
      const list = await master.api.call('runs.list', { taskId: busy.id });
      return list.filter((r) => r.state === 'succeeded').length === 5 ? list : null;
    });
    expect(runs.every((r) => r.workerName === 'edge-1')).toBe(true);
    expect((await stateOf('flaky')).status).toBe('failing');

    hooks.down.delete('/webhook/flaky');
    const recovered = await waitFor('flaky recovered', async () => {
      const state = await stateOf('flaky');
      return state.status === 'ok' && state.pending === 0 ? state : null;
    });
    expect(recovered).toMatchObject({ failures: 0, nextRetryAt: null, lastSuccessAt: expect.any(String) });
    const delivered = hooks.at('/webhook/flaky').at(-1)!;
    expect(delivered.problems).toEqual([]);
    expect(delivered.body).toMatchObject({ reason: 'run_failed', count: 1, event: { taskName: 'feeds-flaky' } });
    expect(hooks.at('/slack/watchdog')).toHaveLength(1);
  });

  it('a disabled channel gathers nothing, and sends nothing when enabled again', async () => {
    const muted = await channel({ kind: 'webhook', name: 'muted', url: `${hooks.url}/webhook/muted`, enabled: false });
    const task = await idleTask('feeds-muted');
    await master.api.call('alerts.rules.create', { scope: { type: 'task', taskId: task.id }, on: ['run_failed'], channels: ['muted'] });
    await master.api.call('tasks.trigger', { id: task.id });
    await waitFor('the run failed', async () => (await master.api.call('runs.list', { taskId: task.id })).find((r) => r.state === 'failed'));
    await pause(1_000);
    expect(await stateOf('muted')).toMatchObject({ status: 'idle', pending: 0 });
    await master.api.call('alerts.channels.update', { id: muted.id, patch: { enabled: true } });
    await pause(1_000);
    expect(hooks.at('/webhook/muted')).toEqual([]);
  });

  it('refuses hostile channel and rule input naming the field, changes nothing, and never shows a secret', async () => {
    const secretive = await channel({ kind: 'slack', name: 'secretive', url: `${hooks.url}/slack/T000/B000/XXXXsecretpath`, secret: 'topsecret-123' });
    expect(secretive).toMatchObject({ secret: 'set', target: `${hooks.url}/…` });
    const before = { channels: await master.api.call('alerts.channels.list', {}), rules: await master.api.call('alerts.rules.list', {}) };
    expect(JSON.stringify(before.channels)).not.toMatch(/topsecret-123|XXXXsecretpath|SECding/);

    const refused = async (call: () => Promise<unknown>, field: string, message: RegExp, code = 'invalid_input') => {
      const error = await call().then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(BatonError);
      expect(error).toMatchObject({ code, field });
      expect((error as BatonError).message).toMatch(message);
    };
    const create = (input: unknown) => () => master.api.call('alerts.channels.create', input as AlertChannelInput);
    await refused(create({ kind: 'slack', name: 'x', url: 'ftp://files.example.com/hook' }), 'url', /must be an http or https URL, not ftp:/);
    await refused(create({ kind: 'teams', name: 'x', url: 'file:///etc/passwd' }), 'url', /http or https/);
    await refused(create({ kind: 'webhook', name: 'x', url: 'http://10.0.0.7/hook' }), 'url', /10\.0\.0\.7 is a private address; .*BATON_OUTBOUND_ALLOW/);
    await refused(create({ kind: 'webhook', name: 'x', url: 'http://169.254.169.254/latest/meta-data/' }), 'url', /link-local/);
    await refused(create({ kind: 'webhook', name: 'x', url: 'http://localhost:9/' }), 'url', /this machine/);
    await refused(create({ kind: 'webhook', name: 'x', url: `${hooks.url}/x`, template: 'x'.repeat(2_001) }), 'template', /at most 2000 characters/);
    await refused(create({ kind: 'webhook', name: 'x', url: `${hooks.url}/x`, headers: { authorization: 'y' } }), 'headers', /unknown field headers/);
    await refused(create({ kind: 'slack', name: 'secretive', url: `${hooks.url}/slack/y` }), 'name', /already exists/, 'conflict');
    const mail = before.channels.find((c) => c.name === 'mail')!;
    await refused(() => master.api.call('alerts.channels.update', { id: mail.id, patch: { url: `${hooks.url}/x` } }), 'patch.url', /email channel has no url/);
    await refused(() => master.api.call('alerts.channels.update', { id: secretive.id, patch: { url: 'gopher://x.example.com/' } }), 'patch.url', /http or https/);
    await refused(() => master.api.call('alerts.rules.create', { scope: { type: 'all' }, on: ['run_failed'], channels: ['mail', 'nowhere'] }), 'channels.1', /no alert channel named "nowhere"/);
    await refused(() => master.api.call('alerts.rules.create', { scope: { type: 'task', taskId: 'tsk_missing' }, on: ['run_failed'], channels: ['mail'] }), 'scope.taskId', /no task with id tsk_missing/);
    await refused(() => master.api.call('alerts.rules.create', { scope: { type: 'all' }, on: ['exploded'], channels: ['mail'] } as never), 'on.0', /./);
    await refused(() => master.api.call('alerts.channels.delete', { id: mail.id }), 'id', /send to this channel/, 'conflict');
    await refused(() => master.api.call('alerts.settings.update', { windowMs: -5 }), 'windowMs', /./);

    expect(await master.api.call('alerts.channels.list', {})).toEqual(before.channels);
    expect(await master.api.call('alerts.rules.list', {})).toEqual(before.rules);

    // Renaming a channel carries its rules along; removing a secret shows it unset.
    const renamed = await master.api.call('alerts.channels.update', { id: secretive.id, patch: { name: 'secretive-2', secret: null } });
    expect(renamed).toMatchObject({ name: 'secretive-2', secret: 'not set' });
  });

  it('still alerts on a task\'s own email and webhook settings', async () => {
    const mails = smtp.mails.length;
    const task = await shellTask('own-settings', 'exit 3', { alerts: { on: ['failed'], email: ['owner@example.com'], webhook: `${hooks.url}/webhook/own` } });
    await master.api.call('tasks.trigger', { id: task.id });
    const [call] = await waitFor('the task\'s webhook', async () => hooks.at('/webhook/own').length > 0 && hooks.at('/webhook/own'));
    expect(call!.body).toMatchObject({ reason: 'run_failed', event: { taskName: 'own-settings', exitCode: 3 } });
    await waitFor('the task\'s email', async () => smtp.mails.length > mails);
    expect(smtp.mails.at(-1)).toMatchObject({ to: ['owner@example.com'], subject: '[Baton] Task own-settings failed on worker edge-1: exit code 3' });
    expect((await master.api.call('alerts.channels.list', {})).map((c) => c.name)).toEqual(expect.arrayContaining([`task-${task.id}-email`, `task-${task.id}-webhook`]));
  });

  it('alerts when a worker goes offline and when it is back', async () => {
    await channel({ kind: 'webhook', name: 'presence', url: `${hooks.url}/webhook/presence`, secret: SECRETS.webhook });
    await master.api.call('alerts.rules.create', { scope: { type: 'group', groupId }, on: ['worker_offline', 'worker_online'], channels: ['presence'] });
    await pause(500); // the loop's first look sets the baseline
    await agent.stop();
    const offline = await waitFor('offline alert', async () => hooks.at('/webhook/presence').find((c) => c.body.reason === 'worker_offline'), 30_000);
    expect(offline.body.event).toMatchObject({ workerName: 'edge-1', summary: expect.stringMatching(/^Worker edge-1 \(.+\) went offline$/) });
    agent = await startAgent(master, token, { name: 'edge-1', dataDir: agentDir }); // its credential is in its data folder
    const online = await waitFor('online alert', async () => hooks.at('/webhook/presence').find((c) => c.body.reason === 'worker_online'), 30_000);
    expect(online.problems).toEqual([]);
  });
});

describe('upgrading to alert channels (migration 12)', () => {
  it('turns each task\'s own email and webhook settings into channels and a task rule, and leaves other tasks alone', async () => {
    const url = await freshDatabase();
    let master = await startTestMaster(url);
    const { groupId } = await prepare(master);
    const task = (name: string, alerts: Record<string, unknown>) => master.api.call('tasks.create', { name, groupId, handler: 'noop', trigger: { type: 'api' }, alerts });
    const both = await task('both', { on: ['failed', 'lost'], email: ['ops@example.com'], webhook: 'https://hooks.example.com/x' });
    const hookOnly = await task('hook-only', { on: ['succeeded'], webhook: 'https://hooks.example.com/y' });
    const none = await task('none', {});
    await master.stop();

    // Back to the schema before migration 12, with the tasks' settings as they were stored then.
    const db = openPool(url);
    try {
      await db.query('drop table alert_outbox, alert_settings, alert_rules, alert_channels');
      await db.query('delete from baton_migrations where id = 12');
      expect(await migrate(db)).toEqual([12]);
    } finally {
      await closePool(db);
    }

    master = await startTestMaster(url);
    try {
      const channels = await master.api.call('alerts.channels.list', {});
      expect(channels.map((c) => [c.name, c.kind, c.target])).toEqual([
        [`task-${both.id}-email`, 'email', 'ops@example.com'],
        [`task-${both.id}-webhook`, 'webhook', 'https://hooks.example.com/…'],
        [`task-${hookOnly.id}-webhook`, 'webhook', 'https://hooks.example.com/…'],
      ].sort((a, b) => a[0]!.localeCompare(b[0]!)));
      const rules = await master.api.call('alerts.rules.list', {});
      expect(rules.map((r) => ({ scope: r.scope, on: r.on, attempts: r.attempts, channels: r.channels })).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
        { scope: { type: 'task', taskId: both.id }, on: ['run_failed', 'run_lost'], attempts: 'final', channels: [`task-${both.id}-email`, `task-${both.id}-webhook`] },
        { scope: { type: 'task', taskId: hookOnly.id }, on: ['run_succeeded'], attempts: 'final', channels: [`task-${hookOnly.id}-webhook`] },
      ].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))));
      for (const id of [both.id, hookOnly.id, none.id]) expect((await master.api.call('tasks.get', { id })).alerts).toEqual({ on: [], email: [], webhook: null });
    } finally {
      await master.stop();
    }
  });
});
