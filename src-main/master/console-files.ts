// Serves the built console to browsers, so an operator can use Baton without the desktop app.
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.ico': 'image/x-icon',
};

/** Answers GET requests for files under `dir` (index.html for /); true when it answered. */
export function serveConsole(req: http.IncomingMessage, res: http.ServerResponse, dir: string): boolean {
  if (req.method !== 'GET') return false;
  const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://local').pathname);
  const file = path.resolve(dir, `.${pathname === '/' ? '/index.html' : pathname}`);
  if (!file.startsWith(path.resolve(dir) + path.sep)) return false;
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) return false;
  res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
  fs.createReadStream(file).pipe(res);
  return true;
}
