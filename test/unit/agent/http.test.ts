import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HANDLERS, prepare } from '../../../worker-agent/src/executors/index';
import { assignment, start, TRACE_ID } from './helpers';

interface Seen {
  method: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(null));
  server = null;
});

/** A local server; `reply` answers every request, `seen` collects what arrived. */
async function serve(reply: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: Seen[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', headers: req.headers, body });
      reply(req, res);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, seen };
}

describe('http executor', () => {
  it('succeeds on 2xx, sends the traceparent and puts status and body in the output', async () => {
    const { url, seen } = await serve((_req, res) => res.end('all good'));
    const outcome = await start(assignment('http', { url, headers: { 'x-task': 'yes' } })).done;
    expect(outcome).toMatchObject({ state: 'succeeded', output: 'HTTP 200 OK\nall good' });
    expect(seen[0]?.method).toBe('GET');
    expect(seen[0]?.headers['x-task']).toBe('yes');
    expect(seen[0]?.headers.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
  });

  it('sends a JSON body and fails on an unexpected status', async () => {
    const { url, seen } = await serve((_req, res) => res.writeHead(500).end('boom'));
    const outcome = await start(assignment('http', { url, method: 'POST', body: { a: 1 } })).done;
    expect(outcome).toMatchObject({ state: 'failed', error: 'unexpected status 500' });
    expect(outcome.output).toContain('boom');
    expect(seen[0]).toMatchObject({ method: 'POST', body: '{"a":1}' });
    expect(seen[0]?.headers['content-type']).toBe('application/json');
  });

  it('accepts the statuses named in expectStatus', async () => {
    const { url } = await serve((_req, res) => res.writeHead(404).end());
    expect((await start(assignment('http', { url, expectStatus: [404, 410] })).done).state).toBe('succeeded');
  });

  it('times out a request that never gets an answer', async () => {
    const { url } = await serve(() => {}); // never responds
    const outcome = await start(assignment('http', { url }, { timeoutMs: 300 })).done;
    expect(outcome).toMatchObject({ state: 'timed_out', error: 'timed out after 300 ms' });
  });

  it('rejects a non-http URL naming the param', () => {
    expect(prepare(assignment('http', { url: 'ftp://example.com' }), HANDLERS)).toMatchObject({
      reason: 'bad_params',
      message: 'params.url: must be an http(s) URL',
    });
  });
});
