// GET /metrics scraped as Prometheus would, parsed by a Prometheus text-format parser, its values checked against
// known activity; who may scrape; and W3C trace context: a caller's traceparent honoured, retries and children
// in their root run's trace with spans of their own, master and agent logs carrying both ids.
import fs from 'node:fs/promises';
import parsePrometheusTextFormat, { type Family } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Run } from '../../src-main/master/api/contract/domain';
import { spanIdOf } from '../../src-main/master/tracing/traceparent';
import { freshDatabase, prepare, startAgent, startTestMaster, waitFor, type TestAgent, type TestMaster } from './harness';

let master: TestMaster;
let agent: TestAgent;
let groupId: string;
let readKey: string;
let enrolment: string;

beforeAll(async () => {
  master = await startTestMaster(await freshDatabase());
  const prepared = await prepare(master);
  groupId = prepared.groupId;
  enrolment = prepared.token;
  readKey = (await master.api.call('tokens.create', { label: 'prometheus', scope: 'read' })).secret;
  agent = await startAgent(master, prepared.token, { name: 'metrics-agent', args: ['--capacity', '4'] });
  await waitFor('agent online', async () => (await master.api.call('workers.list', {}))[0]?.status === 'online');
});
afterAll(async () => {
  await agent?.stop();
  await master?.stop();
});

const scrape = (headers: Record<string, string> = { authorization: `Bearer ${readKey}` }, method = 'GET') =>
  fetch(`${master.agentUrl}/metrics`, { method, headers });

function value(families: Family[], name: string, labels: Record<string, string> = {}): number | undefined {
  const sample = families.find((f) => f.name === name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return sample === undefined ? undefined : Number(sample.value ?? sample.count);
}

const ended = (id: string) => waitFor(`run ${id} ended`, async () => {
  const r = await master.api.call('runs.get', { id });
  return ['succeeded', 'failed', 'timed_out', 'lost', 'cancelled'].includes(r.state) ? r : null;
}, 30_000);

async function triggerOverHttp(taskId: string, traceparent?: string): Promise<Run> {
  const admin = (await fs.readFile(`${master.config.dataDir}/api-key`, 'utf8')).trim();
  const res = await fetch(`${master.agentUrl}/api/tasks.trigger`, {
    method: 'POST', body: JSON.stringify({ id: taskId }),
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json', ...(traceparent ? { traceparent } : {}) },
  });
  const reply = await res.json() as { ok: true; value: Run[] };
  return reply.value[0]!;
}

it('counts fires, ends by state and handler, lateness and dispatch round trips; reads queue, workers and pools', async () => {
  const ok = await master.api.call('tasks.create', { name: 'm-ok', groupId, handler: 'shell', params: { command: 'true' }, trigger: { type: 'api' } });
  const bad = await master.api.call('tasks.create', { name: 'm-bad', groupId, handler: 'shell', params: { command: 'exit 3' }, trigger: { type: 'api' } });
  for (let i = 0; i < 3; i++) await ended((await master.api.call('tasks.trigger', { id: ok.id }))[0]!.id);
  const cron = await master.api.call('tasks.create', {
    name: 'm-cron', groupId, handler: 'shell', params: { command: 'true' }, trigger: { type: 'cron', expression: '* * * * * *' },
  });
  const scheduled = await waitFor('3 scheduled runs', async () => {
    const runs = await master.api.call('runs.list', { taskId: cron.id });
    return runs.length >= 3 ? runs : null;
  });
  await master.api.call('tasks.setEnabled', { id: cron.id, enabled: false, inFlight: 'finish' });
  await Promise.all(scheduled.map((r) => ended(r.id)));
  const fired = (await master.api.call('runs.list', { taskId: cron.id })).length;
  await ended((await master.api.call('tasks.trigger', { id: bad.id }))[0]!.id);
  await waitFor('ends counted', async () => {
    const f = parsePrometheusTextFormat(await (await scrape()).text());
    return value(f, 'baton_runs_finished_total', { state: 'failed', handler: 'shell' }) === 1;
  });

  const res = await scrape();
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const families = parsePrometheusTextFormat(await res.text());
  expect(value(families, 'baton_fires_total', { trigger: 'api' })).toBe(4);
  expect(value(families, 'baton_fires_total', { trigger: 'schedule' })).toBe(fired);
  expect(value(families, 'baton_runs_finished_total', { state: 'succeeded', handler: 'shell' })).toBe(3 + fired);
  expect(value(families, 'baton_fire_lateness_seconds')).toBe(fired);
  expect(value(families, 'baton_dispatch_latency_seconds')).toBe(4 + fired);
  expect(value(families, 'baton_queue_depth')).toBe(0);
  expect(value(families, 'baton_runs_in_flight')).toBe(0);
  expect(value(families, 'baton_workers', { status: 'enabled' })).toBe(1);
  expect(value(families, 'baton_workers', { status: 'offline' })).toBe(0);
  expect(value(families, 'baton_leader')).toBe(1);
  expect(value(families, 'baton_agents_connected')).toBe(1);
  expect(value(families, 'baton_db_pool_connections', { pool: 'durable', state: 'total' })).toBeGreaterThan(0);
  expect(families.find((f) => f.name === 'baton_alert_deliveries_total')?.type).toBe('COUNTER');
  expect(value(families, 'baton_process_resident_memory_bytes')).toBeGreaterThan(0);
});

it('a queued run shows in the queue depth while no worker is online', async () => {
  const g = await master.api.call('groups.create', { name: 'm-empty' });
  const t = await master.api.call('tasks.create', { name: 'm-waits', groupId: g.id, handler: 'shell', params: { command: 'true' }, trigger: { type: 'api' } });
  const [run] = await master.api.call('tasks.trigger', { id: t.id });
  const families = parsePrometheusTextFormat(await (await scrape()).text());
  expect(value(families, 'baton_queue_depth')).toBe(1);
  await master.api.call('runs.stop', { id: run!.id });
});

it('refuses a scrape without a key, with an agent\'s enrolment token, with a revoked key, from a foreign Host, and by POST', async () => {
  const revoked = await master.api.call('tokens.create', { label: 'gone', scope: 'read' });
  await master.api.call('tokens.revoke', { id: revoked.token.id });
  for (const [headers, status] of [
    [{}, 401], [{ authorization: `Bearer ${enrolment}` }, 401], [{ authorization: `Bearer ${revoked.secret}` }, 401],
    [{ authorization: 'Bearer bt_tok_x.y' }, 401],
  ] as Array<[Record<string, string>, number]>) {
    const res = await scrape(headers);
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  }
  const post = await scrape({ authorization: `Bearer ${readKey}` }, 'POST');
  expect(post.status).toBe(405);
  expect(post.headers.get('allow')).toBe('GET, HEAD');
  const { rawHttp, rawRequest } = await import('./raw-http');
  const foreign = await rawHttp(Number(new URL(master.agentUrl).port), rawRequest('GET', '/metrics', { host: 'evil.example', authorization: `Bearer ${readKey}` }));
  expect(foreign.status).toBe(403);
});

it('honours a caller\'s traceparent; retries and children share the root run\'s trace with spans of their own', async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const parent = await master.api.call('tasks.create', {
    name: 'm-trace', groupId, handler: 'shell', params: { command: 'echo "$TRACEPARENT"; exit 1' }, trigger: { type: 'api' },
    retry: { count: 1, backoff: 'fixed', delayMs: 100, maxDelayMs: 100 },
  });
  await master.api.call('tasks.create', {
    name: 'm-trace-child', groupId, handler: 'shell', params: { command: 'echo "$TRACEPARENT"' },
    trigger: { type: 'parent', parents: [parent.id], on: 'always' },
  });
  const first = await triggerOverHttp(parent.id, `00-${traceId}-00f067aa0ba902b7-01`);
  expect(first.traceId).toBe(traceId);
  const runs = await waitFor('attempt 2 and the child ended', async () => {
    const all = [...await master.api.call('runs.list', { taskId: parent.id }), ...await master.api.call('runs.list', {})]
      .filter((r, i, list) => list.findIndex((x) => x.id === r.id) === i && r.traceId === traceId);
    return all.length >= 3 && all.every((r) => !['scheduled', 'queued', 'assigned', 'running'].includes(r.state)) ? all : null;
  }, 30_000);
  expect(runs.map((r) => r.taskName).sort()).toEqual(['m-trace', 'm-trace', 'm-trace-child']);
  for (const r of runs) expect(r.output.trim()).toBe(`00-${traceId}-${spanIdOf(r.id)}-01`);
  expect(new Set(runs.map((r) => spanIdOf(r.id))).size).toBe(3);
  // Both logs name the trace and the attempt's span.
  const masterLog = await fs.readFile(master.logFile, 'utf8');
  for (const r of runs) {
    expect(masterLog).toMatch(new RegExp(`"runId":"${r.id}","traceId":"${traceId}","spanId":"${spanIdOf(r.id)}"`));
    expect(agent.output()).toContain(`"traceId":"${traceId}","spanId":"${spanIdOf(r.id)}"`);
  }
});

it('ignores a malformed or all-zero traceparent and starts a new trace', async () => {
  const t = await master.api.call('tasks.create', { name: 'm-new-trace', groupId, handler: 'shell', params: { command: 'true' }, trigger: { type: 'api' } });
  for (const header of ['00-00000000000000000000000000000000-00f067aa0ba902b7-01', 'junk', `ff-${'a'.repeat(32)}-${'b'.repeat(16)}-01`]) {
    const run = await triggerOverHttp(t.id, header);
    expect(run.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(run.traceId).not.toBe('0'.repeat(32));
    expect(run.traceId).not.toBe('a'.repeat(32));
    await ended(run.id);
  }
});
