// HTTPS calls from Node to a master whose certificate a given CA signed (a private CA is the usual case for
// masters on a LAN). Node's global fetch takes no CA; undici's own fetch, with an Agent that trusts it, does.
import { Agent, fetch as undiciFetch } from 'undici';

/** A fetch that trusts only `ca` for HTTPS; without one, the global fetch (Node's built-in CA list). */
export function fetchTrusting(ca: string | null): typeof fetch {
  if (!ca) return fetch;
  const dispatcher = new Agent({ connect: { ca } });
  // undici's Request/Response types are its own, the same at run time as the global ones Node builds on it.
  return ((input: string, init?: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher })) as unknown as typeof fetch;
}
