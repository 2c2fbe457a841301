// The HTTP door of a real `baton-master` process (issue 7, findings 1, 3 and 7): requests that used to crash
// it, a foreign Host (DNS rebinding), a foreign Origin (CSRF), a loopback client without a key, refused bodies
// that must not be buffered, oversized and slow requests. Each refusal is JSON with a code; the master stays up.
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, startMasterProcess, type MasterProcess } from './harness';
import { rawHttp, rawRequest } from './raw-http';

let master: MasterProcess;
let port: number;
let key: string;
let host: string;

beforeAll(async () => {
  master = await startMasterProcess(await freshDatabase(), ['--log-level', 'warn']);
  host = new URL(master.url).host;
  port = Number(new URL(master.url).port);
  key = (await fs.readFile(`${master.dataDir}/api-key`, 'utf8')).trim();
});
afterAll(async () => {
  if (master && master.child.exitCode === null) master.child.kill('SIGTERM');
  await master?.exited;
});

const auth = () => ({ host, authorization: `Bearer ${key}` });

function refusal(code: string, message?: RegExp) {
  return { ok: false, error: { code, message: message ? expect.stringMatching(message) : expect.any(String) } };
}

async function stillUp(): Promise<void> {
  expect(master.child.exitCode).toBeNull();
  expect(await master.api.call('master.info', {})).toMatchObject({ leader: true });
}

async function groupNames(): Promise<string[]> {
  return (await master.api.call('groups.list', {})).map((g) => g.name);
}

describe('requests that crashed the master', () => {
  it.each([
    ['POST', '/api/%E0%A4%A', /malformed percent-encoding/],
    ['GET', '/%ZZ', /malformed percent-encoding/],
    ['GET', 'http://[bad/', /neither a path nor an http\(s\) URL/],
    ['POST', 'http://[bad/api/groups.list', /neither a path nor an http\(s\) URL/],
  ])('%s %s answers 400 JSON and the master stays up', async (method, target, message) => {
    const reply = await rawHttp(port, rawRequest(method, target, { ...auth(), 'content-length': '2' }, '{}'));
    expect(reply.status).toBe(400);
    expect(reply.headers['content-type']).toMatch(/application\/json/);
    expect(reply.json).toEqual(refusal('invalid_input', message));
    await stillUp();
  });

  it.each([
    ['an odd method', 400, 'BREW /api/groups.list HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a broken request line', 400, 'GET\r\n\r\n'],
    ['a header without a colon', 400, `GET / HTTP/1.1\r\nHost: ${'x'}\r\nbroken header\r\n\r\n`],
    ['a header with a control character', 400, 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u0001b\r\n\r\n'],
    ['two different Content-Lengths', 400, 'POST /api/groups.list HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}'],
    ['a Content-Length that is no number', 400, 'POST /api/groups.list HTTP/1.1\r\nHost: x\r\nContent-Length: lots\r\n\r\n'],
    ['32 KB of headers', 431, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(32_000)}\r\n\r\n`],
    ['a TLS hello on the plain port', 400, Buffer.from('160301020001', 'hex')],
  ] as const)('%s answers %s JSON', async (_what, status, request) => {
    const reply = await rawHttp(port, request);
    expect(reply.status).toBe(status);
    expect(reply.json).toEqual(refusal('invalid_input'));
    await stillUp();
  });

  it('a request without a Host header is refused in JSON', async () => {
    const reply = await rawHttp(port, 'POST /api/groups.list HTTP/1.1\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}');
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual(refusal('invalid_input', /no Host header/));
  });

  it('a second Host or Authorization header is refused, not read two ways (found by a tester)', async () => {
    for (const extra of ['Host: attacker.example', `Authorization: Bearer ${key}`]) {
      const reply = await rawHttp(port, `POST /api/groups.list HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${key}\r\n${extra}\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}`);
      expect(reply.status).toBe(400);
      expect(reply.json).toEqual(refusal('invalid_input', /more than one (host|authorization) header/));
    }
    await stillUp();
  });

  it('the console files and the Socket.IO paths take malformed paths too', async () => {
    for (const target of ['/%E0%A4%A.js', '/assets/%ZZ', '/../../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd']) {
      const reply = await rawHttp(port, rawRequest('GET', target, { host }));
      expect([400, 404]).toContain(reply.status);
      expect(reply.json).toMatchObject({ ok: false });
    }
    const page = await rawHttp(port, rawRequest('GET', '/', { host }));
    expect(page.status).toBe(200);
    expect(page.headers['x-frame-options']).toBe('DENY');
    for (const target of ['/socket.io/?EIO=%E0%A4%A&transport=polling', '/socket.io/%ZZ', '/socket.io/?EIO=4&transport=polling&sid=%ZZ']) {
      const reply = await rawHttp(port, rawRequest('GET', target, { host }));
      expect(reply.status).toBe(400);
    }
    await stillUp();
  });
});

describe('no implicit trust', () => {
  it('a client on this machine without a key is refused by default', async () => {
    const reply = await rawHttp(port, rawRequest('POST', '/api/groups.create', { host, 'content-length': '18' }, '{"name":"no-key"}'));
    expect(reply.status).toBe(401);
    expect(reply.json).toEqual(refusal('unauthorized', /needs an API key from 127\.0\.0\.1/));
    expect(await groupNames()).not.toContain('no-key');
  });

  it('a foreign Host (DNS rebinding) is refused even with a key, on the API and the console', async () => {
    const body = '{"name":"rebound"}';
    const api = await rawHttp(port, rawRequest('POST', '/api/groups.create', { ...auth(), host: `rebind.attacker.example:${port}`, 'content-length': String(body.length) }, body));
    expect(api.status).toBe(403);
    expect(api.json).toEqual(refusal('forbidden', /Host "rebind\.attacker\.example:\d+" is not a name this master serves.*BATON_ALLOWED_HOSTS/));
    const absolute = await rawHttp(port, rawRequest('POST', `http://rebind.attacker.example:${port}/api/groups.create`, { ...auth(), 'content-length': String(body.length) }, body));
    expect(absolute.status).toBe(403);
    const page = await rawHttp(port, rawRequest('GET', '/', { host: `rebind.attacker.example:${port}` }));
    expect(page.status).toBe(403);
    expect(await groupNames()).not.toContain('rebound');
  });

  it('a cross-origin browser request (CSRF) is refused even with a key; the master\'s own origin is served; no CORS', async () => {
    const body = '{"name":"forged"}';
    const headers = { ...auth(), 'content-type': 'text/plain', 'content-length': String(body.length) };
    const forged = await rawHttp(port, rawRequest('POST', '/api/groups.create', { ...headers, origin: 'http://attacker.example' }, body));
    expect(forged.status).toBe(403);
    expect(forged.json).toEqual(refusal('forbidden', /Origin "http:\/\/attacker\.example" is not this master/));
    expect(Object.keys(forged.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    const sandboxed = await rawHttp(port, rawRequest('POST', '/api/groups.create', { ...headers, origin: 'null' }, body));
    expect(sandboxed.status).toBe(403);
    const preflight = await rawHttp(port, rawRequest('OPTIONS', '/api/groups.create', {
      host, origin: 'http://attacker.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization',
    }));
    expect(preflight.status).toBe(403);
    expect(Object.keys(preflight.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    expect(await groupNames()).not.toContain('forged');

    const ownBody = '{"name":"own-origin"}';
    const own = await rawHttp(port, rawRequest('POST', '/api/groups.create', { ...headers, 'content-length': String(ownBody.length), origin: master.url }, ownBody));
    expect(own.status).toBe(200);
    expect(await groupNames()).toContain('own-origin');
  });

  it('the Socket.IO handshake refuses a foreign Origin', async () => {
    const reply = await rawHttp(port, rawRequest('GET', '/socket.io/?EIO=4&transport=polling', { host, origin: 'http://attacker.example' }));
    expect(reply.status).toBe(403);
    expect(reply.body).toContain('Cross-origin connections are refused: Origin \\"http://attacker.example\\" is not this master.');
    const own = await rawHttp(port, rawRequest('GET', '/socket.io/?EIO=4&transport=polling', { host, origin: master.url }));
    expect(own.status).toBe(200);
  });
});

describe('bodies, sizes and time', () => {
  it('100 unauthenticated 2 MB posts are refused without their bodies being taken in', async () => {
    const rss = async () => Number(/VmRSS:\s+(\d+) kB/.exec(await fs.readFile(`/proc/${master.child.pid}/status`, 'utf8'))?.[1]) * 1024;
    const before = await rss();
    const body = Buffer.alloc(2 * 1024 * 1024 - 1, 0x7b);
    const replies = await Promise.all(Array.from({ length: 100 }, () => rawHttp(port, [
      rawRequest('POST', '/api/groups.create', { host, 'content-length': String(body.length) }), body,
    ], 30_000)));
    expect(replies.every((r) => r.status === 401)).toBe(true);
    const grown = (await rss()) - before;
    // Buffered, the bodies alone are 200 MB: +158 MB measured before this door (issue 7 saw +240 MB). Read and
    // dropped, +35 MB (chunks awaiting garbage collection, 100 sockets' buffers); the bound leaves room for a busy machine.
    expect(grown).toBeLessThan(100 * 1024 * 1024);
    await stillUp();
  });

  it('a client asking to continue is refused before it sends its body; an admitted one is told to go on', async () => {
    const refused = await rawHttp(port, rawRequest('POST', '/api/groups.create', { host, expect: '100-continue', 'content-length': '2000000' }));
    expect(refused).toMatchObject({ status: 401, interim: [] });
    const body = '{"name":"continued"}';
    const admitted = await rawHttp(port, [rawRequest('POST', '/api/groups.create', { ...auth(), expect: '100-continue', 'content-length': String(body.length) }), body]);
    expect(admitted).toMatchObject({ status: 200, interim: [100] });
    const odd = await rawHttp(port, rawRequest('POST', '/api/groups.list', { ...auth(), expect: 'magic' }));
    expect(odd.status).toBe(417);
    expect(odd.json).toEqual(refusal('invalid_input', /only 100-continue/));
  });

  it('a body declared larger than 2 MB is refused with 413 before it is read', async () => {
    const reply = await rawHttp(port, rawRequest('POST', '/api/groups.create', { ...auth(), 'content-length': String(50 * 1024 * 1024) }, '{"name":'));
    expect(reply.status).toBe(413);
    expect(reply.json).toEqual(refusal('invalid_input', /larger than 2097152 bytes/));
  });

  it('a chunked body growing past 2 MB is cut off with 413', async () => {
    const chunk = 'a'.repeat(1024 * 1024);
    const chunks = Array.from({ length: 3 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    const reply = await rawHttp(port, [rawRequest('POST', '/api/groups.create', { ...auth(), 'transfer-encoding': 'chunked' }), ...chunks, '0\r\n\r\n']);
    expect(reply.status).toBe(413);
  });

  it('a client that half-closes after its request (shutdown of its sending side) still gets every answer', async () => {
    // Node's server ends a connection at the client's FIN unless told otherwise, dropping an answer still being made:
    // the fuzz suite saw about 1 in 5,000 such requests unanswered on a loaded machine (CI failed on it).
    const small = '{"name":"half-closed"}';
    const large = JSON.stringify({ name: 'a'.repeat(300_000) });
    const replies = await Promise.all([
      ...Array.from({ length: 20 }, () => rawHttp(port, rawRequest('POST', '/api/groups.list', { ...auth(), 'content-length': '2' }, '{}'), 15_000, { end: true })),
      rawHttp(port, rawRequest('POST', '/api/groups.create', { ...auth(), 'content-length': String(small.length) }, small), 15_000, { end: true }),
      rawHttp(port, rawRequest('POST', '/api/master.info', { ...auth(), 'content-length': String(large.length) }, large), 15_000, { end: true }),
    ]);
    expect(replies.map((r) => r.status)).toEqual([...Array(21).fill(200), 400]);
    expect(replies.at(-1)?.json).toMatchObject(refusal('invalid_input', /unknown field name/));
    expect(await groupNames()).toContain('half-closed');
  });

  it('a client that never finishes its headers is answered 408 and dropped within the headers timeout', async () => {
    const started = Date.now();
    const reply = await rawHttp(port, `POST /api/groups.list HTTP/1.1\r\nHost: ${host}\r\nX-Slow: `, 30_000);
    expect(reply.status).toBe(408);
    expect(reply.json).toEqual(refusal('invalid_input', /took too long to arrive/));
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('a client that never finishes its body is dropped too', async () => {
    const started = Date.now();
    const reply = await rawHttp(port, rawRequest('POST', '/api/groups.list', { ...auth(), 'content-length': '100' }, '{'), 60_000);
    expect(reply.status).toBe(408);
    expect(reply.json).toEqual(refusal('invalid_input', /took too long to arrive/));
    expect(Date.now() - started).toBeLessThan(45_000);
    await stillUp();
  });
});
