// Who must show an API key: pure decisions over the client's address, the configured mode and the header sent.
// The desktop console talks over IPC and is never asked; the HTTP API is the door these rules guard.

/**
 * `all` (the default): every HTTP client needs a key. `remote`: clients on this machine (loopback) are trusted, others
 * need a key; only for a master no one else on the host can reach, never behind a same-host reverse proxy.
 */
export const API_AUTH_MODES = ['all', 'remote'] as const;
export type ApiAuth = (typeof API_AUTH_MODES)[number];

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (how Node reports IPv4 clients of a dual-stack socket). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4) || address === '::1';
}

export function keyRequired(mode: ApiAuth, address: string | undefined): boolean {
  return mode === 'all' || !isLoopback(address);
}

/** The credential of an `Authorization: Bearer <key>` header, or null when there is none of that form. */
export function bearerKey(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1]! : null;
}
