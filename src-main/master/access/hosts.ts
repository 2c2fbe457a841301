// Which Host and Origin headers this master answers: pure decisions over plain data. A foreign Host is how a
// DNS-rebinding page reaches a master on loopback; a foreign Origin is a cross-site request from a browser
// (CSRF). Both are refused before anything else is read (issue 7, finding 3).
import { isLoopback } from './rules';

/** A host name or IP (IPv6 in brackets, lower case) and its port; null: any port (a configured name). */
export interface HostEntry { name: string; port: number | null }

/** What the served names derive from; `interfaces` are this machine's addresses (read at the edge). */
export interface ServedHostFacts {
  bind: string;
  port: number;
  /** The advertised URL (configured or derived), e.g. http://m1.example:7070. */
  advertiseUrl: string;
  /** BATON_ALLOWED_HOSTS entries: `name` (any port) or `name:port`. */
  allowed: readonly string[];
  interfaces: readonly string[];
}

const WILDCARDS = new Set(['0.0.0.0', '::']);
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** `name[:port]` as a Host header or BATON_ALLOWED_HOSTS entry carries it; null when it is not one. */
export function parseHost(value: string): HostEntry | null {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?)(?::(\d{1,5}))?$/i.exec(value.trim());
  if (!match) return null;
  const port = match[2] === undefined ? null : Number(match[2]);
  if (port !== null && port > 65_535) return null;
  return { name: match[1]!.toLowerCase().replace(/\.$/, ''), port };
}

/** An address as it appears in a Host header: IPv6 bracketed, without a zone. */
function hostForm(address: string): string {
  const bare = address.replace(/%.*$/, '').toLowerCase();
  return bare.includes(':') && !bare.startsWith('[') ? `[${bare}]` : bare;
}

function defaultPort(scheme: string): number {
  return scheme === 'https:' ? 443 : 80;
}

/** Every Host this master answers: its bind address, loopback names or every interface, the advertised host, the configured list. */
export function servedHosts(facts: ServedHostFacts): HostEntry[] {
  const at = (name: string): HostEntry => ({ name: hostForm(name), port: facts.port });
  const entries: HostEntry[] = [];
  if (WILDCARDS.has(facts.bind)) entries.push(...facts.interfaces.map(at), ...LOOPBACK_NAMES.map(at));
  else entries.push(at(facts.bind));
  if (facts.bind === 'localhost' || isLoopback(facts.bind)) entries.push(...LOOPBACK_NAMES.map(at));
  const advertised = new URL(facts.advertiseUrl);
  entries.push({ name: advertised.hostname.toLowerCase(), port: advertised.port ? Number(advertised.port) : defaultPort(advertised.protocol) });
  for (const value of facts.allowed) {
    const entry = parseHost(value);
    if (entry) entries.push(entry);
  }
  return entries;
}

function matches(entry: HostEntry, served: readonly HostEntry[], impliedPort: number): boolean {
  const port = entry.port ?? impliedPort;
  return served.some((s) => s.name === entry.name && (s.port === null || s.port === port));
}

/** A Host header (or the authority of an absolute-form target) names this master. */
export function hostServed(host: string | undefined, served: readonly HostEntry[], scheme: 'http:' | 'https:'): boolean {
  const entry = host === undefined ? null : parseHost(host);
  return entry !== null && matches(entry, served, defaultPort(scheme));
}

/**
 * No Origin: not a browser's cross-site request (curl, agents, other masters), allowed. Otherwise the Origin must be
 * this master itself, with its scheme; `null` (sandboxed frames, file: pages) is foreign.
 */
export function originServed(origin: string | undefined, served: readonly HostEntry[], scheme: 'http:' | 'https:'): boolean {
  if (origin === undefined) return true;
  if (!URL.canParse(origin)) return false;
  const url = new URL(origin);
  if (url.protocol !== scheme || url.pathname !== '/' || url.username || url.password) return false;
  return hostServed(url.host, served, scheme);
}
