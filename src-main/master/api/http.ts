// The HTTP door of a master: every request is taken apart without throwing, its Host and Origin checked, its
// API key and the key's scope checked before its body is read; only then is the body read (bounded) and the
// API called. Whatever fails answers JSON `{ ok: false, error: { code, message } }` (issue 7, findings 1, 3, 7).
// A call is RPC (`POST /api/<method>`) or a REST route under /api/v1 (rest/plan.ts, issue 9): the same checks for both.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Reply } from './contract/client';
import type { ErrorCode, WireError } from './contract/errors';
import { isMethodName } from './contract/methods';
import { METHOD_SCOPES, scopeAllows } from './contract/scopes';
import { planRest, type Planned } from './rest/plan';
import { REST_PREFIX } from './rest/routes';
import type { Authorize } from '../access/guard';
import { repeatedHeader } from '../access/headers';
import { hostServed, originServed, type HostEntry } from '../access/hosts';
import { parseTarget, type Target } from '../access/target';
import { serveConsole } from '../console-files';

const STATUS: Record<ErrorCode, number> = {
  invalid_input: 400, unknown_method: 404, not_found: 404, conflict: 409, unauthorized: 401, forbidden: 403,
  no_worker: 409, not_leader: 503, unavailable: 503, internal: 500,
};
const MAX_BODY = 2 * 1024 * 1024;
const MAX_HEADER_BYTES = 16 * 1024;
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
const LINGER_MS = 10_000;
/** Where Prometheus scrapes, its default. */
const METRICS_PATH = '/metrics';
/** Where Socket.IO (engine.io) serves, its default. */
export const SOCKET_IO_PATH = '/socket.io/';
/** Set by a follower handing a call to the leader: a call is handed on once at most, never around a loop. */
export const FORWARDED_HEADER = 'x-baton-forwarded';

/**
 * A slow client cannot hold a request open: headers must arrive within 10 s and the whole request within 30 s
 * (2 MB at 70 KB/s), checked every second. A missing Host is answered by the door (JSON), not by Node.
 */
export const HTTP_SERVER_OPTIONS: http.ServerOptions = {
  headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1_000,
  maxHeaderSize: MAX_HEADER_BYTES, requireHostHeader: false,
};

/** Where an API call came from: handed on by another master, and the caller's W3C trace context if it sent one. */
export interface CallOrigin {
  forwarded: boolean;
  traceparent?: string;
}

export interface HttpDoorOptions {
  api: (method: string, input: unknown, from: CallOrigin) => Promise<Reply>;
  authorize: Authorize;
  /** The Host names this master serves; known once it listens. */
  hosts: () => readonly HostEntry[];
  scheme: 'http:' | 'https:';
  /** Folder of the built console, served at / for browsers. */
  consoleDir?: string;
  /** The Prometheus exposition served at GET /metrics to a key of scope `read` or more. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

/** The response under way on a socket: a parse error of what the client sent after it is answered once it is out. */
const answering = new WeakMap<Duplex, http.ServerResponse>();

/** Writes the status and headers of a JSON answer; returns its body, or null when an answer already went out. */
function jsonHead(res: http.ServerResponse, status: number, payload: unknown, headers: Record<string, string>): string | null {
  if (res.headersSent || res.destroyed) return null;
  const body = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), ...headers });
  return body;
}

function send(res: http.ServerResponse, status: number, reply: Reply, headers: Record<string, string> = {}): void {
  const body = jsonHead(res, status, reply, headers);
  if (body !== null) res.end(body);
}

/**
 * A refusal before the body is read. The answer is written at once, but the body is then read and dropped, never
 * kept, before the answer ends: closing with a body still coming would reset a client still sending, and it would
 * lose the answer. Past 2 MB more, or 10 s, the connection is cut.
 */
function refuse(req: http.IncomingMessage, res: http.ServerResponse, status: number, error: WireError, headers: Record<string, string> = {}): void {
  const body = jsonHead(res, status, { ok: false, error }, headers);
  if (body === null) return;
  if (req.complete) return void res.end(body);
  res.write(body);
  discardBody(req, () => res.end());
}

function discardBody(req: http.IncomingMessage, done: () => void): void {
  let dropped = 0;
  const cut = () => req.socket.destroy();
  const timer = setTimeout(cut, LINGER_MS).unref();
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > MAX_BODY) cut();
  });
  req.once('end', () => { clearTimeout(timer); done(); });
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function unreachableGuard(): Awaited<ReturnType<Authorize>> {
  return { ok: false, error: { code: 'unavailable', message: 'The database is unreachable, so the master cannot check the API key; it keeps retrying, try again shortly.' } };
}

function quoted(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
}

/**
 * Puts the door on a server: requests, what Node cannot parse, and `Expect` headers. A client that sends
 * `Expect: 100-continue` (curl does for bodies over 1 MB) is told to go on only once its key and scope are good.
 */
export function serveHttp(server: http.Server, opts: HttpDoorOptions): void {
  // Node ends a connection at the client's FIN by default, and an answer still being made (a key check, a query) is
  // lost: a client that shuts down its sending side after the request (`nc -N`, raw sockets, some proxies) got
  // nothing. Half-open, the last answer goes out first and the connection then ends; the request timeouts still apply.
  // The switch is Node's own (lib/_http_server.js) but missing from its typings.
  (server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => door(req, res, opts, false));
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => door(req, res, opts, true));
  server.on('checkExpectation', (req: http.IncomingMessage, res: http.ServerResponse) => {
    refuse(req, res, 417, { code: 'invalid_input', message: `Expect: ${quoted(String(req.headers.expect))} is not supported; only 100-continue is.` });
  });
  server.on('clientError', answerClientError);
  server.on('connect', (_req: http.IncomingMessage, socket: Duplex) => answerRaw(socket, 405, 'This master is not a proxy: CONNECT is not served.'));
  // Upgrades to Socket.IO's path are Socket.IO's (created with destroyUpgrade off); any other is refused here.
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex) => {
    if (!req.url?.startsWith(SOCKET_IO_PATH)) answerRaw(socket, 400, 'Only Socket.IO (/socket.io/) upgrades connections here.');
  });
}

/** Target, Host, Origin, then the API or the console files. */
function door(req: http.IncomingMessage, res: http.ServerResponse, opts: HttpDoorOptions, expectsContinue: boolean): void {
  answering.set(req.socket, res);
  res.once('close', () => answering.delete(req.socket));
  const target = parseTarget(req.url);
  if (!target.ok) return refuse(req, res, 400, { code: 'invalid_input', message: target.message });
  const repeated = repeatedHeader(req.rawHeaders);
  if (repeated) return refuse(req, res, 400, { code: 'invalid_input', message: `The request carries more than one ${repeated} header.` });
  const served = opts.hosts();
  const host = target.authority ?? req.headers.host;
  if (host === undefined) return refuse(req, res, 400, { code: 'invalid_input', message: 'The request has no Host header.' });
  if (!hostServed(host, served, opts.scheme)) {
    return refuse(req, res, 403, {
      code: 'forbidden',
      message: `Host ${quoted(host)} is not a name this master serves. If clients reach it by that name (a DNS name, a reverse proxy), add it to BATON_ALLOWED_HOSTS.`,
    });
  }
  const origin = req.headers.origin;
  if (!originServed(origin, served, opts.scheme)) {
    return refuse(req, res, 403, { code: 'forbidden', message: `Cross-origin requests are refused: Origin ${quoted(origin ?? '')} is not this master.` });
  }
  if (req.method === 'OPTIONS') {
    return refuse(req, res, 403, { code: 'forbidden', message: 'This master answers no cross-origin requests (CORS is closed), so there is nothing to preflight.' });
  }
  if (target.path.startsWith('/api/')) {
    serveApi(req, res, target, opts, expectsContinue).catch(() => res.destroy());
    return;
  }
  if (target.path === METRICS_PATH && opts.metrics) {
    serveMetrics(req, res, opts, opts.metrics).catch(() => res.destroy());
    return;
  }
  if (opts.consoleDir && serveConsole(req, res, opts.consoleDir, target.path)) return;
  refuse(req, res, 404, { code: 'not_found', message: `Nothing at ${quoted(target.path)}: the API is POST /api/<method>, and REST resources under /api/v1.` });
}

/** An RPC call, `POST /api/<method>`: the console's transport and the CLI's. */
function planRpc(verb: string, method: string): Planned {
  if (!isMethodName(method)) {
    const rest = planRest(verb, `/${method}`, '');
    const hint = rest.ok ? `; for the REST resource use ${verb} /api/v1/${method}` : '; the REST resources are under /api/v1 (GET /api/v1/openapi.json lists them)';
    return { ok: false, status: 404, error: { code: 'unknown_method', message: `There is no API method ${quoted(method)} (RPC calls are POST /api/<method>)${hint}.` } };
  }
  if (verb !== 'POST') {
    return { ok: false, status: 405, error: { code: 'invalid_input', message: `Use POST /api/${method} with a JSON body.` }, headers: { allow: 'POST' } };
  }
  return {
    ok: true,
    call: { label: method, scope: METHOD_SCOPES[method], body: 'any', okStatus: 200, bare: false, run: (body, api) => api(method, body ?? {}) },
  };
}

/** `application/json` or a `+json` type, in UTF-8 if a charset is named. */
function isJson(contentType: string | undefined): boolean {
  const [type, ...params] = (contentType ?? '').toLowerCase().split(';').map((p) => p.trim());
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  return /^application\/([\w.-]+\+)?json$/.test(type ?? '') && (charset === undefined || charset === 'utf-8');
}

/** The key, then the call (RPC or REST) and its scope, then the body, then the API: one door for both. */
async function serveApi(
  req: http.IncomingMessage, res: http.ServerResponse, target: Extract<Target, { ok: true }>, opts: HttpDoorOptions, expectsContinue: boolean,
): Promise<void> {
  const admitted = await opts.authorize(req).catch(unreachableGuard);
  if (!admitted.ok) return refuse(req, res, STATUS[admitted.error.code], admitted.error);
  const verb = req.method ?? '';
  const rest = target.rawPath === REST_PREFIX || target.rawPath.startsWith(`${REST_PREFIX}/`);
  const planned = rest ? planRest(verb, target.rawPath.slice(REST_PREFIX.length), target.query) : planRpc(verb, target.path.slice('/api/'.length));
  if (!planned.ok) return refuse(req, res, planned.status, planned.error, planned.headers);
  const { call } = planned;
  if (!scopeAllows(admitted.scope, call.scope)) {
    return refuse(req, res, 403, {
      code: 'forbidden', message: `${call.label} needs an API key of scope "${call.scope}"; this key has scope "${admitted.scope}".`, data: { needed: call.scope },
    });
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY) return refuse(req, res, 413, { code: 'invalid_input', message: `The request body is larger than ${MAX_BODY} bytes.` });
  const hasBody = declared > 0 || req.headers['transfer-encoding'] !== undefined;
  if (call.body === 'json' && hasBody && !isJson(req.headers['content-type'])) {
    return refuse(req, res, 415, {
      code: 'invalid_input', message: `${call.label} takes a JSON body: send it with Content-Type: application/json (curl --json), not ${quoted(req.headers['content-type'] ?? 'none')}.`,
    });
  }
  if (expectsContinue) res.writeContinue();
  const text = await readBody(req);
  if (text === null) return refuse(req, res, 413, { code: 'invalid_input', message: `The request body is larger than ${MAX_BODY} bytes.` });
  let body: unknown;
  try {
    body = text.trim() === '' ? undefined : JSON.parse(text);
  } catch {
    return send(res, 400, { ok: false, error: { code: 'invalid_input', message: 'The request body is not valid JSON.' } });
  }
  if (call.body === 'none' && body !== undefined) {
    return send(res, 400, { ok: false, error: { code: 'invalid_input', message: `${call.label} takes no body: its input is the query string.` } });
  }
  const from: CallOrigin = { forwarded: req.headers[FORWARDED_HEADER] === '1', traceparent: singleHeader(req.headers.traceparent) };
  const reply = await call.run(body, (method, input) => opts.api(method, input, from));
  if (reply.ok && call.bare) return sendBare(res, reply.value);
  send(res, reply.ok ? call.okStatus : STATUS[(reply.error as { code: ErrorCode }).code] ?? 500, reply);
}

/** A value as it is, outside `{ ok, value }`: the OpenAPI document, for the tools that read it. */
function sendBare(res: http.ServerResponse, value: unknown): void {
  const body = jsonHead(res, 200, value, {});
  if (body !== null) res.end(body);
}

/** Prometheus scrapes with a bearer key like any API client (`authorization` in its scrape config). */
async function serveMetrics(
  req: http.IncomingMessage, res: http.ServerResponse, opts: HttpDoorOptions, scrape: NonNullable<HttpDoorOptions['metrics']>,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return refuse(req, res, 405, { code: 'invalid_input', message: `Use GET ${METRICS_PATH}.` }, { allow: 'GET, HEAD' });
  }
  const admitted = await opts.authorize(req).catch(unreachableGuard);
  if (!admitted.ok) return refuse(req, res, STATUS[admitted.error.code], admitted.error);
  if (!scopeAllows(admitted.scope, 'read')) {
    return refuse(req, res, 403, { code: 'forbidden', message: `${METRICS_PATH} needs an API key of scope "read"; this key has scope "${admitted.scope}".` });
  }
  const { contentType, body } = await scrape();
  res.writeHead(200, { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** The body as text, or null once it passes MAX_BODY (the rest is not read). Rejects when the client goes away. */
function readBody(req: http.IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) return void chunks.push(chunk);
      req.off('data', onData);
      req.pause();
      resolve(null);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
    req.once('close', () => { if (!req.complete) reject(new Error('the client went away before its body was complete')); });
  });
}

const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, `The request's headers are larger than ${MAX_HEADER_BYTES} bytes.`],
  ERR_HTTP_REQUEST_TIMEOUT: [408, `The request took too long to arrive (headers within ${HEADERS_TIMEOUT_MS / 1000} s, all of it within ${REQUEST_TIMEOUT_MS / 1000} s).`],
};

const REASONS: Record<number, string> = { 400: 'Bad Request', 405: 'Method Not Allowed', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/** A JSON refusal written straight to a connection Node hands over raw (parse errors, CONNECT, upgrades), which then closes. */
function answerRaw(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ ok: false, error: { code: 'invalid_input', message } });
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\ncontent-type: application/json; charset=utf-8\r\n`
    + `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  // Node hands such sockets over paused: read on (dropping it) so the client's end is seen and the socket closes;
  // one that never ends is cut. Without this, every refused upgrade left a socket open for good.
  const cut = setTimeout(() => socket.destroy(), LINGER_MS).unref();
  socket.once('close', () => clearTimeout(cut));
  socket.resume();
}

/** What Node could not parse as HTTP is answered in JSON, then the connection closes. */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable || error.code === 'ECONNRESET') return void socket.destroy();
  const [status, message] = CLIENT_ERRORS[error.code ?? ''] ?? [400, `The request is not valid HTTP (${error.code ?? 'parse error'}).`];
  const inFlight = answering.get(socket);
  if (!inFlight) return answerRaw(socket, status, message);
  // A request that timed out is still the one in flight: it gets the 408, and the connection ends.
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' && !inFlight.headersSent) {
    inFlight.once('finish', () => socket.destroy());
    return send(inFlight, status, { ok: false, error: { code: 'invalid_input', message } }, { connection: 'close' });
  }
  inFlight.once('finish', () => (socket.writable ? answerRaw(socket, status, message) : socket.destroy()));
  inFlight.once('close', () => { if (!inFlight.writableFinished) socket.destroy(); });
}

/**
 * Socket.IO's handshake: agents prove themselves with their credentials and may reach the master by any name (NAT, a
 * load balancer), so the Host is not checked there; a browser's cross-site Origin is refused as on the API.
 */
export function socketDoor(hosts: () => readonly HostEntry[], scheme: 'http:' | 'https:') {
  return (req: http.IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void): void => {
    const origin = req.headers.origin;
    if (originServed(origin, hosts(), scheme)) callback(null, true);
    else callback(`Cross-origin connections are refused: Origin ${quoted(origin ?? '')} is not this master.`, false);
  };
}
