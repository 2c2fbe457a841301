// One HTTP(S) request under the outbound guard: the address checked is the one connected to (the DNS lookup
// itself is guarded, so a name cannot resolve to a metadata address between check and connect), and every
// redirect is checked the same way before it is followed.
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { allowedByName, checkAddress, checkHost, type OutboundRules } from './outbound.js';

// The master imports the guard as `baton-agent/outbound`: this module and the decisions it applies.
export { checkUrl, defaultRules, parseAllowList, type OutboundRules, type Verdict } from './outbound.js';

/** A request the guard refused: final, retrying cannot help until configuration changes. */
export class OutboundRefused extends Error {
  override readonly name = 'OutboundRefused';
  readonly code = 'outbound_refused';
}

export interface OutboundRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** The most characters of the answer kept; the rest is not read. */
  maxBodyChars: number;
  rules: OutboundRules;
  /** Redirects followed, each checked like the first request. */
  maxRedirects?: number;
  /** How names are resolved (node's dns.lookup unless given). */
  resolve?: typeof dns.lookup;
}

export interface OutboundResponse {
  status: number;
  statusText: string;
  body: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
// Credentials meant for one site do not follow a redirect to another.
const PER_ORIGIN_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

export async function outboundRequest(url: string, request: OutboundRequest): Promise<OutboundResponse> {
  let target = new URL(url);
  let { method, body } = request;
  let headers = { ...request.headers };
  for (let hop = 0; ; hop++) {
    const answer = await once(target, { ...request, method, headers, body });
    const location = answer.location;
    if (!REDIRECTS.has(answer.status) || location === undefined) return answer;
    if (hop >= (request.maxRedirects ?? 5)) throw new Error(`more than ${request.maxRedirects ?? 5} redirects`);
    const next = new URL(location, target);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new OutboundRefused(`redirect to ${next.protocol} refused`);
    if (next.origin !== target.origin) headers = withoutKeys(headers, PER_ORIGIN_HEADERS);
    // As browsers do: 303 (and 301/302 after a POST) continue as a GET without the body.
    if (answer.status === 303 || ((answer.status === 301 || answer.status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
      headers = withoutKeys(headers, ['content-type', 'content-length']);
    }
    target = next;
  }
}

function once(target: URL, request: OutboundRequest): Promise<OutboundResponse & { location?: string }> {
  const verdict = checkHost(target.hostname, request.rules);
  if (!verdict.ok) return Promise.reject(new OutboundRefused(verdict.message));
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(target, {
      method: request.method,
      headers: request.body === undefined ? request.headers : { ...request.headers, 'content-length': Buffer.byteLength(request.body) },
      signal: request.signal,
      lookup: guardedLookup(target.hostname, request.rules, request.resolve ?? dns.lookup),
    }, (res) => {
      const location = res.headers.location;
      readBounded(res, REDIRECTS.has(res.statusCode ?? 0) ? 0 : request.maxBodyChars).then(
        (text) => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', body: text, location }),
        reject,
      );
    });
    req.on('error', reject);
    req.end(request.body);
  });
}

/** dns.lookup, refusing when any address the name resolves to is forbidden (unless the name itself is allowed). */
export function guardedLookup(host: string, rules: OutboundRules, resolve: typeof dns.lookup = dns.lookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as unknown as dns.LookupAddress[];
      const bad = allowedByName(host, rules) ? undefined : list.map((a) => checkAddress(a.address, rules)).find((v) => !v.ok);
      if (bad && !bad.ok) return callback(new OutboundRefused(`${hostname} resolves to ${bad.message}`), '', 0);
      if (options.all) return callback(null, list);
      const first = list[0];
      return first ? callback(null, first.address, first.family) : callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
    });
  };
}

/** Reads at most `max` characters and drops the rest unread. */
function readBounded(res: http.IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = () => resolve(text.slice(0, max));
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      text += chunk;
      if (text.length >= max) {
        res.destroy();
        done();
      }
    });
    res.on('end', done);
    res.on('error', reject);
  });
}

function withoutKeys(headers: Record<string, string>, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([key]) => !keys.includes(key.toLowerCase())));
}
