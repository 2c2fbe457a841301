// HTTP over a raw TCP socket, to send what Node's own client refuses to: malformed targets, odd methods,
// broken or oversized headers, lying Content-Lengths. Reads the first response and closes.
import net from 'node:net';

export interface RawReply {
  /** 0 when the server closed without answering. */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The body parsed as JSON, or null when it is not JSON. */
  json: unknown;
  /** Interim answers before it (100 Continue). */
  interim: number[];
}

function parse(whole: Buffer, head = false): RawReply | null {
  // Interim answers (100 Continue) come before the one that counts.
  let raw = whole;
  const interim: number[] = [];
  while (/^HTTP\/1\.[01] 1\d\d /.test(raw.toString('latin1', 0, 13)) && raw.includes('\r\n\r\n')) {
    interim.push(Number(raw.toString('latin1', 9, 12)));
    raw = raw.subarray(raw.indexOf('\r\n\r\n') + 4);
  }
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0);
  const headers = Object.fromEntries(lines.map((l) => {
    const i = l.indexOf(':');
    return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()];
  }));
  // The answer to HEAD has headers only, whatever length they announce.
  const length = head ? 0 : headers['content-length'] === undefined ? null : Number(headers['content-length']);
  const body = raw.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
  if (length !== null && body.length < length) return null;
  const bodyText = body.subarray(0, length ?? body.length).toString('utf8');
  let json: unknown = null;
  try { json = JSON.parse(bodyText); } catch { json = null; }
  return { status, headers, body: bodyText, json, interim };
}

/** Sends `request` (written piece by piece) and resolves with the first response, or status 0 if the connection closed without one. */
export function rawHttp(
  port: number, request: string | Buffer | Array<string | Buffer>, timeoutMs = 15_000, opts: { end?: boolean; head?: boolean } = {},
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (reply: RawReply | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(reply ?? { status: 0, headers: {}, body: '', json: null, interim: [] });
    };
    const timer = setTimeout(() => {
      done = true;
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const reply = parse(Buffer.concat(chunks), opts.head);
      if (reply) finish(reply);
    });
    // A server that answers early and closes may reset a socket still writing: the answer read so far counts.
    socket.on('error', () => finish(parse(Buffer.concat(chunks), opts.head)));
    socket.on('close', () => finish(parse(Buffer.concat(chunks), opts.head)));
    for (const piece of Array.isArray(request) ? request : [request]) socket.write(piece);
    // Everything is sent: a server waiting for more (a Content-Length that lies) sees the end instead.
    if (opts.end) socket.end();
  });
}

/** A request line and headers (Connection: close added) with an optional body. */
export function rawRequest(method: string, target: string, headers: Record<string, string>, body = ''): string {
  const lines = Object.entries({ connection: 'close', ...headers }).map(([k, v]) => `${k}: ${v}`);
  return `${method} ${target} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n${body}`;
}
