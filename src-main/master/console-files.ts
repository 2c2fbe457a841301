// Serves the built console to browsers, so an operator can use Baton without the desktop app. The path comes
// decoded from the HTTP door (which refuses malformed ones); nothing here throws or leaves an error unheard.
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.ico': 'image/x-icon',
};

/** The console may not be framed by another site (clickjacking) nor its files read as another type. */
const HEADERS = { 'x-frame-options': 'DENY', 'content-security-policy': "frame-ancestors 'none'", 'x-content-type-options': 'nosniff' };

function fileAt(dir: string, pathname: string): string | null {
  const root = path.resolve(dir);
  const file = path.resolve(root, `.${pathname === '/' ? '/index.html' : pathname}`);
  if (!file.startsWith(root + path.sep)) return null;
  try {
    return fs.statSync(file, { throwIfNoEntry: false })?.isFile() ? file : null;
  } catch {
    return null;
  }
}

/** Answers GET and HEAD requests for files under `dir` (index.html for /); true when it answered. */
export function serveConsole(req: http.IncomingMessage, res: http.ServerResponse, dir: string, pathname: string): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const file = fileAt(dir, pathname);
  if (!file) return false;
  res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', ...HEADERS });
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  const stream = fs.createReadStream(file);
  stream.once('error', () => res.destroy());
  stream.pipe(res);
  return true;
}
