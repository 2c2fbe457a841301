// The HTTP transport of the API: `POST /api/<method>` with the input as JSON, answered with a Reply.
import type http from 'node:http';
import type { Reply } from './contract/client';
import type { ErrorCode } from './contract/errors';
import type { Authorize } from '../access/guard';

const STATUS: Record<ErrorCode, number> = {
  invalid_input: 400, unknown_method: 404, not_found: 404, conflict: 409, unauthorized: 401,
  no_worker: 409, not_leader: 503, unavailable: 503, internal: 500,
};
const MAX_BODY = 2 * 1024 * 1024;
/** Set by a follower handing a call to the leader: a call is handed on once at most, never around a loop. */
export const FORWARDED_HEADER = 'x-baton-forwarded';

function send(res: http.ServerResponse, status: number, reply: Reply): void {
  const body = JSON.stringify(reply);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) reject(new Error('too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function failure(code: ErrorCode, message: string): Reply {
  return { ok: false, error: { code, message } };
}

/** Returns true when it answered the request (it was for /api). */
export function serveApi(
  req: http.IncomingMessage, res: http.ServerResponse,
  handle: (method: string, input: unknown, from: { forwarded: boolean }) => Promise<Reply>,
  authorize: Authorize,
): boolean {
  const url = new URL(req.url ?? '/', 'http://local');
  if (!url.pathname.startsWith('/api/')) return false;
  const method = decodeURIComponent(url.pathname.slice('/api/'.length));
  if (req.method !== 'POST') {
    send(res, 405, failure('invalid_input', `Use POST /api/${method} with a JSON body.`));
    return true;
  }
  readBody(req).then(async (text) => {
    const refused = await authorize(req).catch(() => ({ code: 'unavailable' as const, message: 'The master could not check the API key (database unreachable); try again shortly.' }));
    if (refused) return send(res, STATUS[refused.code], { ok: false, error: refused });
    let input: unknown;
    try {
      input = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      return send(res, 400, failure('invalid_input', 'The request body is not valid JSON.'));
    }
    const reply = await handle(method, input, { forwarded: req.headers[FORWARDED_HEADER] === '1' });
    send(res, reply.ok ? 200 : STATUS[(reply.error as { code: ErrorCode }).code] ?? 500, reply);
  }, () => send(res, 413, failure('invalid_input', `The request body is larger than ${MAX_BODY} bytes.`)));
  return true;
}
