// What PostgreSQL text can store: everything but U+0000. An API input holding one anywhere (a value or a key) is
// refused up front, naming where, instead of failing deep in the store as an internal error.

/** The dotted path of the first string or key holding U+0000 ('' for the input itself); null when there is none. */
export function nulPath(value: unknown, path: readonly string[] = []): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path.join('.') : null;
  if (value === null || typeof value !== 'object') return null;
  for (const [key, inner] of Object.entries(value)) {
    const at = [...path, key];
    if (key.includes('\u0000')) return at.join('.');
    const found = nulPath(inner, at);
    if (found !== null) return found;
  }
  return null;
}
