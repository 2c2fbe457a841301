// Headers a request may carry once. Node keeps the first of several and drops the rest, while a proxy in front may
// read another one, so a request that repeats one is refused rather than read two ways (RFC 7230 §5.4 for Host).
const ONCE = new Set(['host', 'authorization']);

/** The first of those headers that `rawHeaders` (Node's name, value, name, value… list) repeats; null when none. */
export function repeatedHeader(rawHeaders: readonly string[]): string | null {
  const seen = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (!ONCE.has(name)) continue;
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return null;
}
