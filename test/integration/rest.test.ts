// The REST resources under /api/v1 (issue 9) over real HTTP against a real master and PostgreSQL: the OpenAPI
// document is valid OpenAPI 3.1 (checked by @readme/openapi-parser) and covers every route; every route answers
// valid input, by id and by name (names holding `/` and `%` too), and refuses hostile input (unknown fields, wrong
// types, forged ids, oversize, wrong media type, wrong verb, missing scope) with a status the document lists and a
// body that fits the document's schema (ajv), changing nothing.
import fs from 'node:fs/promises';
import path from 'node:path';
import { validate } from '@readme/openapi-parser';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { methods } from '../../src-main/master/api/contract/methods';
import { ROUTES, RPC_ONLY, type Verb } from '../../src-main/master/api/rest/routes';
import pg from 'pg';
import { Agent, fetch } from 'undici';
import { freshDatabase, rawAgent, startMasterProcess, waitFor, type MasterProcess, type RawAgent } from './harness';

type Json = Record<string, any>;
interface Answer { status: number; headers: { get(name: string): string | null }; json: Json }

let master: MasterProcess;
let databaseUrl: string;
let db: pg.Client;
let base: string;
let doc: Json;
const keys = { admin: '', operate: '', read: '' };
let agent: RawAgent;
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);
const compiled = new Map<string, ValidateFunction>();
/**
 * Idle connections are dropped after 1 s, before the master's 5 s keep-alive ends them: a request sent on a
 * connection the master is closing at that moment fails with "other side closed" (seen once under load).
 */
const connections = new Agent({ keepAliveTimeout: 1_000, keepAliveMaxTimeout: 1_000 });
/** `VERB template` of every 2xx seen, to show each route answered valid input. */
const succeeded = new Set<string>();

beforeAll(async () => {
  // A master process of its own: checking the document takes the test's event loop for seconds, which an
  // in-process master would spend without renewing its leadership.
  databaseUrl = await freshDatabase();
  master = await startMasterProcess(databaseUrl, ['--log-level', 'warn']);
  db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  base = master.url;
  await waitFor('the master to lead', async () => (await master.api.call('master.info', {})).leader);
  keys.admin = (await fs.readFile(path.join(master.dataDir, 'api-key'), 'utf8')).trim();
  keys.operate = (await master.api.call('tokens.create', { label: 'rest operate', scope: 'operate' })).secret;
  keys.read = (await master.api.call('tokens.create', { label: 'rest read', scope: 'read' })).secret;
  const workers = await master.api.call('groups.create', { name: 'rest-workers' });
  const { secret } = await master.api.call('enrolments.create', { label: 'rest', groupId: workers.id });
  agent = await rawAgent(base, secret, { name: 'rest-w1', group: 'rest-workers' });
  const res = await fetch(`${base}/api/v1/openapi.json`, { headers: { authorization: `Bearer ${keys.read}` }, dispatcher: connections });
  expect(res.status).toBe(200);
  doc = await res.json() as Json;
});
afterAll(async () => {
  agent?.close();
  await connections.close();
  await db?.end();
  if (master && master.child.exitCode === null) master.child.kill('SIGTERM');
  await master?.exited;
});

/** The document's schema for an answer; an answer whose status the document does not list fails here. */
function schemaFor(verb: Verb, template: string, status: number): ValidateFunction {
  const id = `${verb} ${template} ${status}`;
  const known = compiled.get(id);
  if (known) return known;
  const operation = doc.paths[`/api/v1${template}`]?.[verb.toLowerCase()] as Json | undefined;
  expect(operation, `${verb} /api/v1${template} is in the document`).toBeDefined();
  let response = operation!.responses[String(status)] as Json | undefined;
  expect(response, `${id}: the document lists status ${status}`).toBeDefined();
  if (response!.$ref) response = doc.components.responses[String(response!.$ref).split('/').pop()!] as Json;
  let schema = response!.content['application/json'].schema as Json;
  if (schema.$ref) schema = doc.components.schemas[String(schema.$ref).split('/').pop()!] as Json;
  const check = ajv.compile(schema);
  compiled.set(id, check);
  return check;
}

interface CallOptions { at?: string; key?: keyof typeof keys | null; params?: Record<string, string>; query?: string; body?: unknown; raw?: string; contentType?: string }

/** One request to a route, its answer checked against the document. */
async function call(verb: Verb, template: string, opts: CallOptions = {}): Promise<Answer> {
  const url = `/api/v1${template.replace(/\{(\w+)\}/g, (_, p: string) => encodeURIComponent(opts.params?.[p] ?? ''))}${opts.query ? `?${opts.query}` : ''}`;
  const answer = await send(verb, url, opts);
  const check = schemaFor(verb, template, answer.status);
  expect(check(answer.json), `${verb} ${url} → ${answer.status}: ${JSON.stringify(check.errors)} ${JSON.stringify(answer.json).slice(0, 300)}`).toBe(true);
  if (answer.status < 300) succeeded.add(`${verb} ${template}`);
  return answer;
}

async function send(verb: string, url: string, opts: CallOptions = {}): Promise<Answer> {
  const key = opts.key === undefined ? 'admin' : opts.key;
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  const headers: Record<string, string> = key ? { authorization: `Bearer ${keys[key]}` } : {};
  if (body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
  const res = await fetch(`${opts.at ?? base}${url}`, { method: verb, headers, body, dispatcher: connections });
  return { status: res.status, headers: res.headers, json: await res.json() as Json };
}

/** What a refused request must leave alone (`last_used_at`: a key's use is recorded by design). */
async function snapshot(): Promise<string> {
  const tables = ['groups', 'tasks', 'workers', 'runs', 'tokens', 'enrolments', 'agent_credentials'];
  const rows = await Promise.all(tables.map(async (t) => (await db.query(`select * from ${t} order by id`)).rows));
  return JSON.stringify(rows, (k, v: unknown) => (k === 'last_used_at' || k === 'last_heartbeat_at' || k === 'metrics' || k === 'updated_at' || k === 'online' ? undefined : v));
}

const GROUP = 'ops/eu 100%';
const TASK = 'nightly/backup %2F';

describe('REST resources', () => {
  it('the OpenAPI document is valid OpenAPI 3.1, lists every route, and every contract method has a route or says why not', async () => {
    const result = await validate(structuredClone(doc) as never);
    expect(result, JSON.stringify(result)).toMatchObject({ valid: true });
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const route of ROUTES) {
      const operation = doc.paths[`/api/v1${route.path}`]?.[route.verb.toLowerCase()] as Json | undefined;
      expect(operation, `${route.verb} ${route.path}`).toMatchObject({ operationId: route.method, responses: { [route.status]: expect.anything(), 401: expect.anything() } });
    }
    const routed = new Set<string>(ROUTES.map((r) => r.method));
    const missing = Object.keys(methods).filter((m) => !routed.has(m) && !Object.hasOwn(RPC_ONLY, m));
    expect(missing, 'methods with neither a route in rest/routes.ts nor an entry in RPC_ONLY').toEqual([]);
    // The document is the same door's: no key, no document.
    expect((await send('GET', '/api/v1/openapi.json', { key: null })).status).toBe(401);
  });

  it('every route answers valid input with its documented output; groups and tasks by name, names with / and %', async () => {
    expect((await call('GET', '/master')).json.value).toMatchObject({ leader: true });
    expect((await call('GET', '/masters')).json.value).toHaveLength(1);

    const group = await call('POST', '/groups', { body: { name: GROUP } });
    expect(group.status).toBe(201);
    expect((await call('GET', '/groups')).json.value.map((g: Json) => g.name)).toContain(GROUP);
    expect((await call('PATCH', '/groups/{id}', { params: { id: GROUP }, body: { description: 'by name' } })).json.value)
      .toMatchObject({ id: group.json.value.id, description: 'by name' });

    const workers = await call('GET', '/workers', { query: 'groupId=rest-workers' });
    expect(workers.json.value.map((w: Json) => w.name)).toEqual(['rest-w1']);
    const workerId = workers.json.value[0].id as string;
    expect((await call('PUT', '/workers/{id}/status', { params: { id: workerId }, body: { status: 'disabled' } })).json.value).toMatchObject({ id: workerId, status: 'disabled' });
    await call('PUT', '/workers/{id}/status', { params: { id: workerId }, body: { status: 'enabled' } });

    const task = await call('POST', '/tasks', { body: { name: TASK, groupId: GROUP, handler: 'noop', trigger: { type: 'api' } } });
    expect(task.status).toBe(201);
    expect(task.json.value).toMatchObject({ name: TASK, groupId: group.json.value.id });
    const taskId = task.json.value.id as string;
    const child = await call('POST', '/tasks', {
      body: { name: 'after-backup', groupId: group.json.value.id, handler: 'noop', trigger: { type: 'parent', parents: [TASK], on: 'success' } },
    });
    expect(child.json.value.trigger).toEqual({ type: 'parent', parents: [taskId], on: 'success', join: 'all_succeeded' });
    const listed = await call('GET', '/tasks', { query: `groupId=${encodeURIComponent(GROUP)}` });
    expect(listed.json.value.map((t: Json) => t.name).sort()).toEqual(['after-backup', TASK]);
    expect((await call('GET', '/tasks/{id}', { params: { id: TASK } })).json.value.id).toBe(taskId);
    expect((await call('GET', '/tasks/{id}', { params: { id: taskId } })).json.value.name).toBe(TASK);
    expect((await call('PATCH', '/tasks/{id}', { params: { id: TASK }, body: { description: 'patched', timeoutMs: 5_000 } })).json.value)
      .toMatchObject({ description: 'patched', timeoutMs: 5_000, handler: 'noop' });
    expect((await call('PUT', '/tasks/{id}/enabled', { params: { id: TASK }, body: { enabled: true } })).json.value.enabled).toBe(true);

    const fired = await call('POST', '/tasks/{id}/runs', { params: { id: TASK }, body: {}, key: 'operate' });
    expect(fired.status).toBe(201);
    const runId = fired.json.value[0].id as string;
    expect(runId).toMatch(/^run_/);
    const runs = await call('GET', '/runs', { query: `taskId=${encodeURIComponent(TASK)}&limit=5` });
    expect(runs.json.value.runs.map((r: Json) => r.id)).toEqual([runId]);
    expect((await call('GET', '/runs/{id}', { params: { id: runId } })).json.value.taskId).toBe(taskId);
    expect((await call('GET', '/runs/{id}/logs', { params: { id: runId }, query: 'afterSeq=-1&limit=10' })).json.value).toEqual(expect.any(Array));
    expect((await call('POST', '/runs/{id}/stop', { params: { id: runId }, key: 'operate' })).json.value.state).toBe('cancelled');

    const token = await call('POST', '/tokens', { body: { label: 'ci', scope: 'operate' } });
    expect(token.status).toBe(201);
    expect(token.json.value.secret).toMatch(/^bt_tok_/);
    expect((await call('GET', '/tokens')).json.value.map((t: Json) => t.label)).toContain('ci');
    expect((await call('POST', '/tokens/{id}/revoke', { params: { id: token.json.value.token.id } })).json.value.revokedAt).not.toBeNull();

    const enrolment = await call('POST', '/enrolments', { body: { label: 'eu hosts', groupId: GROUP, singleUse: true } });
    expect(enrolment.json.value.enrolment.groupId).toBe(group.json.value.id);
    expect((await call('GET', '/enrolments')).json.value.length).toBeGreaterThanOrEqual(2);
    expect((await call('POST', '/enrolments/{id}/revoke', { params: { id: enrolment.json.value.enrolment.id }, body: { keepCredentials: true } })).json.value.revokedAt).not.toBeNull();

    const credentials = await call('GET', '/credentials');
    expect(credentials.json.value.map((c: Json) => c.workerName)).toEqual(['rest-w1']);
    expect((await call('POST', '/credentials/{id}/revoke', { params: { id: credentials.json.value[0].id } })).json.value.revokedAt).not.toBeNull();

    expect((await call('GET', '/runs/{id}/detail', { params: { id: runId } })).json.value.run.id).toBe(runId);
    expect((await call('POST', '/runs/{id}/retry', { params: { id: runId }, key: 'operate' })).json.value.attempt).toBe(2);
    expect((await call('POST', '/triggers/preview', { body: { taskId: 'after-backup', count: 2 } })).json.value.fires).toEqual([]);
    expect((await call('POST', '/triggers/preview', { body: { trigger: { type: 'cron', expression: '0 0 * * * *' }, count: 3 } })).json.value.fires).toHaveLength(3);
    expect((await call('GET', '/dashboard')).json.value).toEqual(expect.any(Object));

    const exported = await call('GET', '/definitions', { query: `groups=${encodeURIComponent(GROUP)}` });
    const text = exported.json.value.text as string;
    expect((await call('POST', '/definitions/plan', { body: { text } })).json.value.items.every((i: Json) => i.action === 'unchanged')).toBe(true);
    expect((await call('POST', '/definitions/apply', { body: { text } })).status).toBe(200);

    const channel = await call('POST', '/alerts/channels', { body: { kind: 'email', name: 'ops-mail', to: ['ops@example.com'] } });
    const channelId = channel.json.value.id as string;
    expect((await call('PATCH', '/alerts/channels/{id}', { params: { id: channelId }, body: { enabled: false } })).json.value.enabled).toBe(false);
    expect((await call('POST', '/alerts/channels/{id}/test', { params: { id: channelId }, key: 'operate' })).json.value.delivered).toBe(false);
    expect((await call('GET', '/alerts/channels')).json.value.map((c: Json) => c.name)).toContain('ops-mail');
    const rule = await call('POST', '/alerts/rules', { body: { scope: { type: 'all' }, on: ['run_failed'], channels: ['ops-mail'] } });
    expect((await call('PATCH', '/alerts/rules/{id}', { params: { id: rule.json.value.id }, body: { attempts: 'every' } })).json.value.attempts).toBe('every');
    expect((await call('GET', '/alerts/rules')).json.value).toHaveLength(1);
    expect((await call('DELETE', '/alerts/rules/{id}', { params: { id: rule.json.value.id } })).json.value).toEqual({ ok: true });
    expect((await call('DELETE', '/alerts/channels/{id}', { params: { id: channelId } })).json.value).toEqual({ ok: true });
    expect((await call('PATCH', '/alerts/settings', { body: { windowMs: 60_000 } })).json.value.windowMs).toBe(60_000);
    expect((await call('GET', '/alerts/settings')).json.value.windowMs).toBe(60_000);

    const worker = (await call('GET', '/workers')).json.value.find((w: Json) => w.name === 'rest-w1') as Json;
    expect((await call('GET', '/workers/{id}', { params: { id: worker.id as string } })).json.value.worker.name).toBe('rest-w1');
    await waitFor('the revoked agent offline', async () => (await master.api.call('workers.list', {})).find((w) => w.name === 'rest-w1')?.status === 'offline', 30_000);
    expect((await call('DELETE', '/workers/{id}', { params: { id: worker.id as string } })).json.value).toEqual({ ok: true });

    expect((await call('DELETE', '/tasks/{id}', { params: { id: 'after-backup' } })).json.value).toEqual({ ok: true });
    await call('DELETE', '/tasks/{id}', { params: { id: TASK } });
    expect((await call('GET', '/tasks/{id}', { params: { id: TASK } })).status).toBe(404);
    await call('POST', '/groups', { body: { name: 'short-lived' } });
    expect((await call('DELETE', '/groups/{id}', { params: { id: 'short-lived' } })).json.value).toEqual({ ok: true });

    const untested = ROUTES.map((r) => `${r.verb} ${r.path}`).filter((r) => !succeeded.has(r));
    expect(untested, 'routes never answered 2xx').toEqual([]);
  }, 60_000);
});

/** An id of the right shape that names nothing, for the resource a path is under. */
function forged(template: string): string {
  const prefix: Record<string, string> = { groups: 'grp', tasks: 'tsk', runs: 'run', workers: 'wrk', tokens: 'tok', enrolments: 'enr', credentials: 'crd' };
  return `${prefix[template.split('/')[1]!]}_000000000000000000000`;
}

/** A body each body route accepts, so that only the id is wrong. */
const VALID_BODY: Record<string, unknown> = {
  'PATCH /groups/{id}': { description: 'x' }, 'PUT /workers/{id}/status': { status: 'disabled' }, 'PATCH /tasks/{id}': { description: 'x' },
  'PUT /tasks/{id}/enabled': { enabled: false }, 'POST /tasks/{id}/runs': {}, 'POST /enrolments/{id}/revoke': {},
};

/** Routes whose contract method answers an empty list for an id it does not know, rather than not_found. */
const EMPTY_WHEN_UNKNOWN: Record<string, string> = {
  'GET /runs/{id}/logs': 'runs.logs reads the log table alone: a run it does not know has no lines',
};

/** A refusal off the document's routes (a verb a path does not have): the one error shape all the same. */
function expectRefusal(answer: Answer, status: number, code: string, message?: RegExp): void {
  expect(answer.status).toBe(status);
  const check = ajv.compile(doc.components.schemas.ErrorReply as Json);
  expect(check(answer.json), JSON.stringify(check.errors)).toBe(true);
  expect(answer.json.error.code).toBe(code);
  if (message) expect(answer.json.error.message).toMatch(message);
}

describe('triggering with params', () => {
  it('POST /tasks/{id}/runs passes declared params and refuses undeclared or mistyped ones, naming them', async () => {
    await call('POST', '/groups', { body: { name: 'deployers' } });
    const task = await call('POST', '/tasks', {
      body: {
        name: 'deploy', groupId: 'deployers', handler: 'shell', trigger: { type: 'api' },
        params: { command: './deploy.sh "$BATON_PARAM_REGION"' }, triggerParams: { region: { type: 'string', maxLength: 16 } },
      },
    });
    expect(task.status).toBe(201);
    const fired = await call('POST', '/tasks/{id}/runs', { params: { id: 'deploy' }, body: { params: { region: 'us-east' } }, key: 'operate' });
    expect(fired.status).toBe(201);
    expect(fired.json.value).toHaveLength(1);
    const runs = () => call('GET', '/runs', { query: 'taskId=deploy' }).then((a) => a.json.value.runs.length as number);
    expect(await runs()).toBe(1);
    for (const [params, field] of [[{ region: 5 }, 'params.region'], [{ command: 'id' }, 'params.command'], [{ region: 'x'.repeat(17) }, 'params.region']] as const) {
      const refused = await call('POST', '/tasks/{id}/runs', { params: { id: 'deploy' }, body: { params }, key: 'operate' });
      expect(refused.status, JSON.stringify(params)).toBe(400);
      expect(refused.json.error.field).toBe(field);
    }
    expect(await runs()).toBe(1);
    await call('POST', '/runs/{id}/stop', { params: { id: fired.json.value[0].id }, key: 'operate' });
  });
});

describe('on a follower', () => {
  let follower: MasterProcess | undefined;
  afterAll(async () => {
    if (follower && follower.child.exitCode === null) follower.child.kill('SIGTERM');
    await follower?.exited;
  });

  it('a follower resolves names and hands the call to the leader, as for RPC calls', async () => {
    follower = await startMasterProcess(databaseUrl, ['--log-level', 'warn']);
    const started = follower;
    await waitFor('the follower to know the leader', async () => (await started.api.call('master.info', {})).leaderUrl);
    const info = await call('GET', '/master', { at: follower.url });
    expect(info.json.value).toMatchObject({ leader: false });
    expect((await call('GET', '/tasks/{id}', { at: follower.url, params: { id: 'deploy' } })).json.value.name).toBe('deploy');
    const fired = await call('POST', '/tasks/{id}/runs', { at: follower.url, params: { id: 'deploy' }, body: {}, key: 'operate' });
    expect(fired.status).toBe(201);
    expect((await call('GET', '/runs/{id}', { params: { id: fired.json.value[0].id } })).json.value.taskName).toBe('deploy');
    await call('POST', '/runs/{id}/stop', { at: follower.url, params: { id: fired.json.value[0].id }, key: 'operate' });
  }, 60_000);
});

describe('hostile input', () => {
  let before: string;
  beforeAll(async () => {
    const a = await master.api.call('groups.create', { name: 'hostile-a' });
    const b = await master.api.call('groups.create', { name: 'hostile-b' });
    await master.api.call('tasks.create', { name: 'twin', groupId: a.id, handler: 'noop', trigger: { type: 'api' } });
    await master.api.call('tasks.create', { name: 'twin', groupId: b.id, handler: 'noop', trigger: { type: 'api' } });
    // Runs the raw agent accepted earlier get their running mark a second after the start (db/held-starts.ts): wait
    // for it, so the snapshots compare a settled database.
    await waitFor('no run waiting for its running mark', async () =>
      (await db.query("select 1 from runs where state = 'assigned' limit 1")).rowCount === 0, 10_000);
    before = await snapshot();
  });

  it('every route refuses an unknown field and a forged id, naming the field, with a documented status', async () => {
    for (const route of ROUTES) {
      const key = `${route.verb} ${route.path}`;
      const params = Object.fromEntries([...route.path.matchAll(/\{(\w+)\}/g)].map((m) => [m[1]!, forged(route.path)]));
      const unknown = ['GET', 'DELETE'].includes(route.verb)
        ? await call(route.verb, route.path, { params, query: 'bogus=1' })
        : await call(route.verb, route.path, { params, body: { ...(VALID_BODY[key] as object ?? {}), bogus: 1 } });
      expect(unknown.status, key).toBe(400);
      expect(unknown.json.error, key).toMatchObject({ code: 'invalid_input', field: expect.stringMatching(/(^|\.)bogus$/), message: expect.stringMatching(/unknown field bogus/) });
      if (Object.keys(params).length === 0) continue;
      const missing = await call(route.verb, route.path, { params, body: takesJson(route.verb) ? VALID_BODY[key] ?? {} : undefined });
      if (Object.hasOwn(EMPTY_WHEN_UNKNOWN, key)) {
        expect(missing.json, key).toEqual({ ok: true, value: [] });
        continue;
      }
      expect(missing.status, `${key} with a forged id: ${JSON.stringify(missing.json)}`).toBe(404);
      expect(missing.json.error.code, key).toBe('not_found');
      if (takesJson(route.verb)) {
        const notAnObject = await call(route.verb, route.path, { params, raw: '[1,2]' });
        expect(notAnObject.status, key).toBe(400);
        expect(notAnObject.json.error.message).toMatch(/must be a JSON object/);
      }
    }
    expect(await snapshot()).toBe(before);
  }, 60_000);

  it('names that match nothing, or more than one task, are refused naming the field', async () => {
    const nobody = await call('GET', '/tasks/{id}', { params: { id: 'no/such %task' } });
    expect(nobody.status).toBe(404);
    expect(nobody.json.error).toMatchObject({ code: 'not_found', field: 'id', message: 'No task has the id or name "no/such %task".' });
    const twins = await call('POST', '/tasks/{id}/runs', { params: { id: 'twin' }, body: {} });
    expect(twins.status).toBe(409);
    expect(twins.json.error).toMatchObject({ code: 'conflict', field: 'id', message: expect.stringMatching(/2 tasks are named "twin".*by id/) });
    const parent = await call('POST', '/tasks', { body: { name: 'orphan', groupId: 'hostile-a', handler: 'noop', trigger: { type: 'parent', parents: ['ghost'], on: 'success' } } });
    expect(parent.status).toBe(404);
    expect(parent.json.error).toMatchObject({ code: 'not_found', field: 'trigger.parents.0' });
    const group = await call('GET', '/tasks', { query: 'groupId=ghost%2Fgroup' });
    expect(group.json.error).toMatchObject({ code: 'not_found', field: 'groupId', message: 'No group has the id or name "ghost/group".' });
    expect(await snapshot()).toBe(before);
  });

  it('wrong types, repeated or misplaced input, oversize and non-JSON bodies are refused', async () => {
    const limit = await call('GET', '/runs', { query: 'limit=lots' });
    expect(limit.json.error).toMatchObject({ code: 'invalid_input', field: 'limit' });
    expect((await call('GET', '/runs', { query: 'limit=5000' })).json.error).toMatchObject({ field: 'limit' });
    expect((await call('GET', '/runs/{id}/logs', { params: { id: forged('/runs') }, query: 'afterSeq=-5' })).json.error).toMatchObject({ field: 'afterSeq' });
    expect((await call('GET', '/runs', { query: 'limit=5&limit=6' })).json.error).toMatchObject({ field: 'limit', message: expect.stringMatching(/given 2 times/) });
    expect((await call('GET', '/runs', { query: 'state=failed&state=bogus' })).json.error).toMatchObject({ field: 'state.1' });
    expect((await call('GET', '/runs', { query: 'before=run_%27%20or%201%3D1' })).json.error).toMatchObject({ field: 'before' });
    expect((await call('POST', '/groups', { body: { name: 'x'.repeat(201) } })).json.error).toMatchObject({ field: 'name' });
    expect((await call('POST', '/groups', { body: { name: 7 } })).json.error).toMatchObject({ field: 'name' });
    expect((await call('PUT', '/tasks/{id}/enabled', { params: { id: forged('/tasks') }, body: { enabled: 'yes' } })).json.error).toMatchObject({ field: 'enabled' });
    expect((await call('PUT', '/workers/{id}/status', { params: { id: forged('/workers') }, body: { status: 'gone' } })).json.error).toMatchObject({ field: 'status' });
    expect((await call('POST', '/tasks/{id}/runs', { params: { id: forged('/tasks') }, body: { id: 'other' } })).json.error)
      .toMatchObject({ code: 'invalid_input', field: 'id', message: expect.stringMatching(/given by the path/) });
    expect((await call('POST', '/groups', { query: 'name=x', body: { name: 'x' } })).json.error.message).toMatch(/takes no query string/);
    expect((await call('DELETE', '/groups/{id}', { params: { id: 'hostile-a' }, raw: '{"id":"x"}' })).json.error.message).toMatch(/takes no body/);
    expect((await call('POST', '/groups', { raw: '{"name":' })).json.error.message).toMatch(/not valid JSON/);
    const big = await call('POST', '/groups', { body: { name: 'big', description: 'x'.repeat(2.5 * 1024 * 1024) } });
    expect(big.status).toBe(413);
    const form = await call('POST', '/groups', { raw: 'name=x', contentType: 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    expect(form.json.error.message).toMatch(/Content-Type: application\/json/);
    expect((await call('POST', '/groups', { raw: '{"name":"x"}', contentType: 'application/json; charset=utf-16' })).status).toBe(415);
    expect(await snapshot()).toBe(before);
  });

  it('the door: no key 401, a key without the scope 403, a verb a path lacks 405 with Allow, an unknown path 404', async () => {
    expect((await call('GET', '/tasks', { key: null })).status).toBe(401);
    const reader = await call('POST', '/tasks', { key: 'read', body: { name: 'r', groupId: 'hostile-a', handler: 'noop', trigger: { type: 'api' } } });
    expect(reader.status).toBe(403);
    expect(reader.json.error.message).toMatch(/POST \/api\/v1\/tasks needs an API key of scope "admin"; this key has scope "read"/);
    expect((await call('DELETE', '/tasks/{id}', { key: 'operate', params: { id: 'twin' } })).status).toBe(403);
    expect((await call('GET', '/openapi.json', { key: null })).status).toBe(401);

    const put = await send('PUT', '/api/v1/tasks', { body: {} });
    expectRefusal(put, 405, 'invalid_input', /"PUT" is not served at \/api\/v1\/tasks; it answers GET, POST/);
    expect(put.headers.get('allow')).toBe('GET, POST');
    expect((await send('DELETE', `/api/v1/runs/${forged('/runs')}`)).headers.get('allow')).toBe('GET');
    expect((await send('POST', '/api/v1/openapi.json')).headers.get('allow')).toBe('GET');
    expectRefusal(await send('GET', '/api/v1/nothing'), 404, 'not_found', /openapi\.json/);
    expectRefusal(await send('GET', '/api/v1/tasks/'), 404, 'not_found');
    expectRefusal(await send('GET', '/api/v1/tasks/twin/runs/extra'), 404, 'not_found');
    // Before issue 9, GET /api/tasks answered 405 "Use POST /api/tasks", a method that does not exist.
    expectRefusal(await send('GET', '/api/tasks'), 404, 'unknown_method', /no API method "tasks".*GET \/api\/v1\/tasks/);
    const rpcVerb = await send('GET', '/api/tasks.list');
    expectRefusal(rpcVerb, 405, 'invalid_input', /Use POST \/api\/tasks\.list/);
    expect(rpcVerb.headers.get('allow')).toBe('POST');
    // The RPC transport stays as it was, form-encoded curl -d bodies included.
    expect((await send('POST', '/api/groups.list', { raw: '{}', contentType: 'application/x-www-form-urlencoded' })).status).toBe(200);
    expect(await snapshot()).toBe(before);
  });
});

function takesJson(verb: Verb): boolean {
  return verb === 'POST' || verb === 'PUT' || verb === 'PATCH';
}
