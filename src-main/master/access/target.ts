// The request target of an HTTP request, taken apart without throwing: a malformed percent-encoding or an
// absolute-form target with a bad host used to throw from the request handler and take the master down
// (issue 7, finding 1). Pure: the string in, a path or a reason out.

export type Target =
  | { ok: true; path: string; authority: string | null; rawPath: string; query: string }
  | { ok: false; message: string };

const MAX_TARGET = 8_192;

/** Origin-form (`/api/x?y`) or absolute-form (`http://host/api/x`, which names its own authority). */
export function parseTarget(raw: string | undefined): Target {
  if (!raw) return { ok: false, message: 'The request has no target.' };
  if (raw.length > MAX_TARGET) return { ok: false, message: `The request target is longer than ${MAX_TARGET} characters.` };
  let rawPath = raw;
  let authority: string | null = null;
  if (!raw.startsWith('/')) {
    if (!/^https?:\/\//i.test(raw) || !URL.canParse(raw)) return { ok: false, message: 'The request target is neither a path nor an http(s) URL.' };
    const url = new URL(raw);
    authority = url.host;
    rawPath = url.pathname + url.search;
  }
  const pathOnly = rawPath.split(/[?#]/, 1)[0]!;
  let path: string;
  try {
    path = decodeURIComponent(pathOnly);
  } catch {
    return { ok: false, message: 'The request path has a malformed percent-encoding (each % must start a valid UTF-8 byte such as %2F).' };
  }
  if (path.includes('\0')) return { ok: false, message: 'The request path contains a NUL character.' };
  // The REST routes read the path still encoded (a name may hold an encoded `/`) and the query string.
  const query = /\?([^#]*)/.exec(rawPath)?.[1] ?? '';
  return { ok: true, path, authority, rawPath: pathOnly, query };
}
