// Where alert webhooks may go (issue 10). Stricter than the outbound guard tasks use: an alert URL is typed by an
// admin but sent by the master from inside the network, so loopback, private, link-local and other internal
// addresses are refused unless BATON_OUTBOUND_ALLOW names them (tests allow 127.0.0.1 for their receivers).
import dns from 'node:dns';
import ipaddr from 'ipaddr.js';
import type { OutboundRules, Verdict } from 'baton-agent/outbound';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** ipaddr.js ranges that are not the public internet. */
const INTERNAL: Record<string, string> = {
  loopback: 'a loopback address', private: 'a private address', linkLocal: 'a link-local address', uniqueLocal: 'a private (unique local) address',
  unspecified: 'the unspecified address', carrierGradeNat: 'a carrier-grade NAT address', reserved: 'a reserved address',
  broadcast: 'a broadcast address', multicast: 'a multicast address', ipv4Mapped: 'an IPv4-mapped address', rfc6145: 'a translated address',
  rfc6052: 'a NAT64 address', '6to4': 'a 6to4 address', teredo: 'a Teredo address', benchmarking: 'a benchmarking address',
  amt: 'an AMT address', as112: 'an AS112 address', deprecated: 'a deprecated address', orchid2: 'an ORCHID address', droneRemoteIdProtocolEntityTags: 'a reserved address',
};
const LOCAL_NAMES = ['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback'];

/** What internal kind of address this is, or null for a public one (IPv4-mapped IPv6 is judged as its IPv4). */
export function internalAs(text: string): string | null {
  const bare = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!ipaddr.isValid(bare)) return null;
  const address = ipaddr.process(bare);
  return INTERNAL[address.range()] ?? null;
}

function allowedRange(text: string, rules: OutboundRules): boolean {
  const bare = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!ipaddr.isValid(bare)) return false;
  const address: Address = ipaddr.process(bare);
  return rules.ranges.some(([base, bits]) => base.kind() === address.kind() && address.match([base, bits] as never));
}

export function refusal(host: string, what: string, rules: OutboundRules): Verdict {
  return { ok: false, message: `${host} is ${what}; alert webhooks may go there only if ${rules.setting} allows it (e.g. ${rules.setting}=${host})` };
}

/** The host as written in the URL: a local name or an internal address literal is refused unless allowed. */
export function checkDestination(url: string, rules: OutboundRules): Verdict {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  } catch {
    return { ok: false, message: 'not a URL' };
  }
  if (rules.hosts.includes(host) || allowedRange(host, rules)) return { ok: true };
  if (LOCAL_NAMES.includes(host) || host.endsWith('.localhost')) return refusal(host, 'this machine', rules);
  const what = internalAs(host);
  return what ? refusal(host, what, rules) : { ok: true };
}

export const INTERNAL_REFUSED = 'EREFUSED_INTERNAL';

/** dns.lookup that refuses a name resolving to an internal address, unless the name or the address is allowed. */
export function guardedResolve(rules: OutboundRules): typeof dns.lookup {
  const lookup = (hostname: string, options: dns.LookupAllOptions, callback: (error: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error || rules.hosts.includes(hostname.toLowerCase())) return callback(error, addresses);
      const bad = addresses.find((a) => internalAs(a.address) !== null && !allowedRange(a.address, rules));
      if (bad) {
        const message = `${hostname} resolves to ${bad.address}, ${internalAs(bad.address)}; alert webhooks may go there only if ${rules.setting} allows it`;
        return callback(Object.assign(new Error(message), { code: INTERNAL_REFUSED }), []);
      }
      return callback(null, addresses);
    });
  };
  return lookup as unknown as typeof dns.lookup;
}
