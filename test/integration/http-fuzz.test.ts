// Property-based fuzzing of the HTTP door (issue 7): generated requests over raw TCP (paths with malformed
// percent-encodings, the REST routes of issue 9 with forged ids and odd query strings, odd methods,
// Host/Origin/Authorization/Content-Length/Content-Type oddities, random JSON, wrong types, unknown fields, huge
// strings, non-JSON bodies). None carries a key that may change anything, so:
// the master stays up, every answer outside Socket.IO's own paths is JSON (a refusal with a code), and groups,
// tasks, workers, runs and tokens read with SQL are the same afterwards.
import fs from 'node:fs/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { methods } from '../../src-main/master/api/contract/methods';
import { ROUTES } from '../../src-main/master/api/rest/routes';
import { freshDatabase, prepare, startTestMaster, type TestMaster } from './harness';
import { rawHttp } from './raw-http';

let master: TestMaster;
let port: number;
let host: string;
const keys: Record<'read' | 'agent' | 'revoked', string> = { read: '', agent: '', revoked: '' };

beforeAll(async () => {
  master = await startTestMaster(await freshDatabase());
  const url = new URL(master.agentUrl);
  port = Number(url.port);
  host = url.host;
  const { groupId, token } = await prepare(master, 'fuzz');
  keys.agent = token;
  keys.read = (await master.api.call('tokens.create', { label: 'fuzz read', scope: 'read' })).secret;
  const revoked = await master.api.call('tokens.create', { label: 'fuzz revoked', scope: 'admin' });
  await master.api.call('tokens.revoke', { id: revoked.token.id });
  keys.revoked = revoked.secret;
  await master.api.call('tasks.create', { name: 'fuzz-target', groupId, handler: 'noop', trigger: { type: 'api' } });
});
afterAll(async () => { await master?.stop(); });

/** What a refused request must leave alone. `last_used_at` is left out: a read key's use is recorded by design. */
async function snapshot(): Promise<string> {
  const tables = ['groups', 'tasks', 'workers', 'runs', 'tokens'];
  const rows = await Promise.all(tables.map(async (t) => (await master.db.query(`select * from ${t} order by id`)).rows));
  return JSON.stringify(rows, (k, v: unknown) => (k === 'last_used_at' ? undefined : v));
}

const METHOD_NAMES = Object.keys(methods);
const hex = fc.integer({ min: 0, max: 255 }).map((n) => `%${n.toString(16).toUpperCase().padStart(2, '0')}`);
const percentJunk = fc.constantFrom('%', '%Z', '%ZZ', '%E0%A4%A', '%C0%AF', '%FF', '%00', '%u2215', '%%', '%2F..%2F..');
const pathPiece = fc.oneof(fc.string({ unit: 'grapheme-ascii', maxLength: 20 }).map((s) => s.replace(/[\s]/g, '')), hex, percentJunk, fc.constantFrom(...METHOD_NAMES));
/** The REST routes (issue 9) with their `{id}` a name, a forged id or junk, and a query string of known and odd keys. */
const queryKey = fc.oneof(fc.constantFrom('limit', 'state', 'taskId', 'groupId', 'before', 'afterSeq', 'id', 'bogus', 'limit[]'), pathPiece);
const restPath = fc.tuple(
  fc.constantFrom(...ROUTES.map((r) => r.path), '/openapi.json'),
  fc.oneof(fc.constantFrom('fuzz-target', 'fuzz', 'tsk_000000000000000000000', 'run_000000000000000000000', '%2F', '..'), pathPiece),
  fc.array(fc.tuple(queryKey, pathPiece), { maxLength: 3 }),
).map(([template, id, query]) => `/api/v1${template.replace(/\{\w+\}/g, id)}${query.length > 0 ? `?${query.map(([k, v]) => `${k}=${v}`).join('&')}` : ''}`);
const path = () => fc.oneof(
  fc.tuple(fc.constantFrom('/api/', '/', '/api', '/assets/', '//', '/api/v1/'), fc.array(pathPiece, { maxLength: 4 }))
    .map(([prefix, pieces]) => prefix + pieces.join('')),
  restPath,
  fc.constantFrom(...METHOD_NAMES).map((m) => `/api/${m}`),
  fc.tuple(fc.constantFrom('http://', 'https://', 'HTTP://', 'http://[', 'ftp://'), fc.constantFrom('[bad', '127.0.0.1:1', 'evil.example', '[::1', '', host), fc.constantFrom('/', '/api/groups.list', '/%ZZ', ''))
    .map(([scheme, authority, rest]) => scheme + authority + rest),
  fc.constantFrom('*', '/socket.io/?EIO=%E0%A4%A&transport=polling', '/socket.io/%ZZ', '/socket.io/?EIO=4&transport=websocket', '/%2e%2e/%2e%2e/etc/passwd'),
);
const verb = fc.oneof(
  fc.constantFrom('POST', 'POST', 'POST', 'GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'post', 'BREW', 'M-SEARCH', 'PRI', 'GET POST'),
  fc.stringMatching(/^[A-Z]{1,12}$/),
);
const headerValue = fc.string({ unit: 'grapheme-ascii', maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, ''));
const hostHeader = () => fc.option(fc.oneof(
  fc.constant(host), fc.constant(host), fc.constant(`localhost:${host.split(':')[1]}`), fc.constantFrom('evil.example', `rebind.attacker.example:${host.split(':')[1]}`, '[::1', '127.0.0.1:99999', '', 'a b'), headerValue,
), { nil: undefined });
const origin = () => fc.option(fc.oneof(fc.constantFrom('http://attacker.example', 'null', `http://${host}`, `https://${host}`, 'file://'), headerValue), { nil: undefined });
const authorization = () => fc.option(fc.oneof(
  fc.constantFrom('read', 'read', 'agent', 'revoked').map((k) => `Bearer ${keys[k as keyof typeof keys]}`),
  fc.constantFrom('Bearer', 'Bearer bt_tok_x.y', 'Basic YWRtaW46YWRtaW4=', 'bearer  ', `Bearer ${'x'.repeat(5_000)}`), headerValue,
), { nil: undefined });
const contentType = fc.option(fc.oneof(fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=', 'application/json; charset=utf-16'), headerValue), { nil: undefined });
const body = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.record({ id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)), name: fc.oneof(fc.string(), fc.array(fc.integer())), extra: fc.anything() }).map((v) => JSON.stringify(v)),
  fc.constantFrom('{"name":"x","unknown":1}', '{"id":"tsk_missing","params":{"command":"id"}}', '[]', 'null', '{', '\u0000\u00ff', '{"name":' + '"'.repeat(3)),
  fc.string({ maxLength: 200 }),
  fc.integer({ min: 10_000, max: 300_000 }).map((n) => JSON.stringify({ name: 'a'.repeat(n) })),
  fc.constant(''),
);
/** The declared length: true to the body, missing, or a lie (shorter, longer, nonsense, beyond the limit). */
const lengthLie = fc.constantFrom('true', 'true', 'true', 'missing', 'short', 'long', 'nonsense', 'negative', 'huge', 'chunked');

/** Built once the master listens: the generators use its Host and keys. */
const request = () => fc.record({ verb, path: path(), hostHeader: hostHeader(), origin: origin(), authorization: authorization(), contentType, body, lengthLie, upgrade: fc.boolean(), extra: fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z-]{1,20}$/), headerValue), { maxLength: 3 }) });
type Generated = ReturnType<typeof request> extends fc.Arbitrary<infer T> ? T : never;

function encode(r: Generated): { bytes: Buffer; lies: boolean } {
  const payload = Buffer.from(r.body, 'utf8');
  const headers: Array<[string, string]> = r.upgrade ? [['Connection', 'Upgrade'], ['Upgrade', 'websocket']] : [['Connection', 'close']];
  if (r.hostHeader !== undefined) headers.push(['Host', r.hostHeader]);
  if (r.origin !== undefined) headers.push(['Origin', r.origin]);
  if (r.authorization !== undefined) headers.push(['Authorization', r.authorization]);
  if (r.contentType !== undefined) headers.push(['Content-Type', r.contentType]);
  const declared: Record<string, string | null> = {
    true: String(payload.length), missing: null, short: String(Math.max(0, payload.length - 3)), long: String(payload.length + 10),
    nonsense: 'ten', negative: '-5', huge: String(3 * 1024 * 1024 * 1024), chunked: null,
  };
  const length = declared[r.lengthLie];
  if (length !== null && length !== undefined) headers.push(['Content-Length', length]);
  if (r.lengthLie === 'chunked') headers.push(['Transfer-Encoding', 'chunked']);
  headers.push(...r.extra.filter(([name]) => !/^(host|content-length|transfer-encoding|connection|expect|upgrade)$/i.test(name)));
  const head = `${r.verb} ${r.path} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
  const framed = r.lengthLie === 'chunked' ? Buffer.concat([Buffer.from(`${payload.length.toString(16)}\r\n`), payload, Buffer.from('\r\n0\r\n\r\n')]) : payload;
  // A body that never fully comes leaves the master waiting; bytes beyond the request are a second, broken one, and
  // Node closes a `Connection: close` socket right after the first answer, so the unread rest may reset it.
  const unframed = ['long', 'huge', 'short'].includes(r.lengthLie) || (r.lengthLie === 'missing' && payload.length > 0);
  return { bytes: Buffer.concat([Buffer.from(head, 'latin1'), framed]), lies: unframed };
}

it('1,000 generated requests: the master stays up, every answer is JSON, a refused request changes nothing', async () => {
  const before = await snapshot();
  let answered = 0;
  await fc.assert(fc.asyncProperty(request(), async (r) => {
    const { bytes, lies } = encode(r);
    const head = r.verb === 'HEAD';
    const socketIo = r.path.includes('/socket.io/');
    const reply = await rawHttp(port, bytes, 45_000, { end: true, head });
    if (reply.status === 0) {
      // Only a request not framed as it says may go unanswered (see encode).
      expect(lies || socketIo, `unanswered: ${JSON.stringify(r).slice(0, 600)}`).toBe(true);
      return;
    }
    answered++;
    if (socketIo) return;
    if (head) return void expect(reply.headers['content-type']).toMatch(/^(application\/json|text\/html)/);
    // The OpenAPI document is served as it is, for tools to read; every other answer is a reply or a refusal.
    const success = r.path.split('?')[0] === '/api/v1/openapi.json' ? { openapi: '3.1.0' } : { ok: true };
    expect(reply.json, `${reply.status} ${reply.body.slice(0, 200)}`).toMatchObject(
      reply.status === 200 ? success : { ok: false, error: { code: expect.any(String), message: expect.any(String) } },
    );
  }), { numRuns: Number(process.env.FUZZ_RUNS ?? 1_000), seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) });
  expect(answered).toBeGreaterThan(Number(process.env.FUZZ_RUNS ?? 1_000) * 0.9);
  expect(await snapshot()).toBe(before);
  expect(await master.api.call('master.info', {})).toMatchObject({ leader: true });
  // The one key that may act still does: nothing in the door got stuck.
  const admin = (await fs.readFile(`${master.config.dataDir}/api-key`, 'utf8')).trim();
  const ok = await fetch(`${master.agentUrl}/api/groups.list`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${admin}` } });
  expect(ok.status).toBe(200);
}, 120_000);
