// Which route a request names: its path below /api/v1 taken apart segment by segment, so an id or a name holding
// an encoded `/` (`%2F`) or `%` (`%25`) stays one segment. Pure: verb and raw path in, a route or a refusal out.
import { OPENAPI_PATH, ROUTES, type Route, type Verb } from './routes';

export type Match =
  | { ok: true; route: Route; params: Record<string, string> }
  | { ok: true; route: 'openapi'; params: Record<string, never> }
  | { ok: false; status: 404; message: string }
  | { ok: false; status: 405; message: string; allow: string[] };

/** Raw (still percent-encoded) segments, or null when one does not decode or is empty. */
function segmentsOf(rawPath: string): string[] | null {
  if (!rawPath.startsWith('/')) return null;
  const raw = rawPath.slice(1).split('/');
  const decoded: string[] = [];
  for (const piece of raw) {
    if (piece === '') return null;
    try {
      decoded.push(decodeURIComponent(piece));
    } catch {
      return null;
    }
  }
  return decoded;
}

/** The params of `pattern` (`/tasks/{id}`) read from `segments`, or null when they do not fit it. */
function fit(pattern: string, segments: readonly string[]): Record<string, string> | null {
  const parts = pattern.slice(1).split('/');
  if (parts.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (const [i, part] of parts.entries()) {
    const param = /^\{(\w+)\}$/.exec(part)?.[1];
    if (param) params[param] = segments[i]!;
    else if (part !== segments[i]) return null;
  }
  return params;
}

const NOTHING = `Nothing at this path; the routes are listed in the OpenAPI document, GET /api/v1${OPENAPI_PATH}.`;

/** `rawPath` is below /api/v1 (`/tasks/x%2Fy`); the verb as sent. A literal segment wins over a `{param}`. */
export function matchRoute(verb: string, rawPath: string): Match {
  const segments = segmentsOf(rawPath);
  if (segments === null) return { ok: false, status: 404, message: NOTHING };
  if (rawPath === OPENAPI_PATH) {
    return verb === 'GET' ? { ok: true, route: 'openapi', params: {} } : notAllowed(verb, rawPath, ['GET']);
  }
  const fitting = ROUTES.map((route) => ({ route, params: fit(route.path, segments) }))
    .filter((f): f is { route: Route; params: Record<string, string> } => f.params !== null);
  if (fitting.length === 0) return { ok: false, status: 404, message: NOTHING };
  const literal = (f: { params: Record<string, string> }) => Object.keys(f.params).length;
  const fewest = Math.min(...fitting.map(literal));
  const best = fitting.filter((f) => literal(f) === fewest);
  const hit = best.find((f) => f.route.verb === verb);
  if (hit) return { ok: true, route: hit.route, params: hit.params };
  return notAllowed(verb, best[0]!.route.path, best.map((f) => f.route.verb));
}

function notAllowed(verb: string, path: string, allow: Verb[]): Match {
  const shown = JSON.stringify(verb.length > 20 ? `${verb.slice(0, 20)}…` : verb);
  return { ok: false, status: 405, message: `${shown} is not served at /api/v1${path}; it answers ${allow.join(', ')}.`, allow };
}
