// The outbound guard (issue 7): whether a webhook or an `http` task may reach an address. Link-local and cloud
// metadata addresses answer with the host's cloud credentials, so they are refused unless configuration allows
// them. Pure decisions over plain data; the master and the agent both use this one implementation.
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

/** Link-local ranges (where AWS, GCP, Azure, OpenStack, Oracle serve metadata) and the metadata addresses outside them. */
const FORBIDDEN_RANGES: ReadonlyArray<{ cidr: string; what: string }> = [
  { cidr: '169.254.0.0/16', what: 'a link-local address (cloud metadata services answer there)' },
  { cidr: 'fe80::/10', what: 'a link-local address' },
  { cidr: 'fd00:ec2::254/128', what: 'the AWS metadata service (IPv6)' },
  { cidr: '100.100.100.200/32', what: 'the Alibaba Cloud metadata service' },
  { cidr: '168.63.129.16/32', what: 'the Azure host endpoint (WireServer)' },
];
const FORBIDDEN: ReadonlyArray<{ range: Range; what: string }> = FORBIDDEN_RANGES.map(({ cidr, what }) => ({ range: ipaddr.parseCIDR(cidr), what }));

/** Names of metadata services, refused as written even before any DNS answer (they resolve only inside a cloud). */
const METADATA_HOSTS: readonly string[] = [
  'metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal', 'metadata.azure.internal',
];

/** NAT64 (RFC 6052) embeds an IPv4 address in its last 32 bits: 64:ff9b::169.254.169.254 reaches the metadata service. */
const NAT64: Range = ipaddr.parseCIDR('64:ff9b::/96');

export interface OutboundRules {
  /** Host names allowed as written (lower case, no trailing dot); their resolved addresses are allowed too. */
  hosts: readonly string[];
  /** Address ranges allowed; a single address is a /32 or /128. */
  ranges: readonly Range[];
  /** The setting that allows more, named in refusals: `BATON_OUTBOUND_ALLOW` or `--allow-outbound`. */
  setting: string;
}

export type Verdict = { ok: true } | { ok: false; message: string };

const OK: Verdict = { ok: true };

/** Parses an allow list: host names, IP addresses and CIDR ranges, separated by commas or spaces. */
export function parseAllowList(text: string, setting: string): { ok: true; rules: OutboundRules } | { ok: false; message: string } {
  const hosts: string[] = [];
  const ranges: Range[] = [];
  for (const entry of text.split(/[\s,]+/).filter(Boolean)) {
    if (entry.includes('/')) {
      if (!ipaddr.isValidCIDR(entry)) return { ok: false, message: `"${entry}" is not a CIDR range such as 169.254.169.254/32 or fe80::/10` };
      ranges.push(normalRange(ipaddr.parseCIDR(entry)));
    } else if (ipaddr.isValid(entry)) {
      const address = ipaddr.process(entry);
      ranges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    } else if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i.test(entry) && entry.length <= 253) {
      hosts.push(hostKey(entry));
    } else {
      return { ok: false, message: `"${entry}" is neither a host name, an IP address nor a CIDR range` };
    }
  }
  return { ok: true, rules: { hosts, ranges, setting } };
}

/** The rules with nothing allowed beyond the defaults. */
export function defaultRules(setting: string): OutboundRules {
  return { hosts: [], ranges: [], setting };
}

/** Whether a request may connect to this IP address (any form: decimal, hex, IPv4-mapped IPv6, ...). */
export function checkAddress(address: string, rules: OutboundRules): Verdict {
  const parsed = parseAddress(address);
  if (!parsed) return OK; // not an IP address: the caller resolves it and checks each answer
  const what = forbiddenAs(parsed);
  if (what === null || rules.ranges.some((range) => sameKind(parsed, range) && parsed.match(range))) return OK;
  return refused(`${parsed.toString()} is ${what}`, parsed.toString(), rules);
}

/**
 * Whether a request may go to this host as written in a URL (brackets and a trailing dot allowed): a metadata
 * name or a forbidden IP literal is refused; other names pass, to be checked again once resolved.
 */
export function checkHost(host: string, rules: OutboundRules): Verdict {
  const key = hostKey(host);
  if (rules.hosts.includes(key)) return OK;
  if (METADATA_HOSTS.includes(key)) return refused(`${key} is a cloud metadata service`, key, rules);
  return checkAddress(key, rules);
}

/** `checkHost` for a URL's host; a URL that does not parse is left to the caller's own URL check. */
export function checkUrl(url: string, rules: OutboundRules): Verdict {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return OK;
  }
  return checkHost(host, rules);
}

/** Whether `host` (as written) is allowed by name, which also allows whatever it resolves to. */
export function allowedByName(host: string, rules: OutboundRules): boolean {
  return rules.hosts.includes(hostKey(host));
}

function refused(what: string, entry: string, rules: OutboundRules): Verdict {
  return { ok: false, message: `${what}; outbound requests there are refused unless ${rules.setting} allows it (e.g. ${rules.setting}=${entry})` };
}

function hostKey(host: string): string {
  return host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
}

/** An IP address in any form ipaddr.js reads, IPv4-mapped IPv6 as its IPv4; null for a name. */
function parseAddress(text: string): Address | null {
  const bare = text.replace(/%.*$/, ''); // an IPv6 zone (fe80::1%eth0) does not change which address it is
  if (!ipaddr.isValid(bare)) return null;
  const address = ipaddr.process(bare);
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).match(NAT64)) {
    return ipaddr.fromByteArray((address as ipaddr.IPv6).toByteArray().slice(12));
  }
  return address;
}

function forbiddenAs(address: Address): string | null {
  return FORBIDDEN.find(({ range }) => sameKind(address, range) && address.match(range))?.what ?? null;
}

function sameKind(address: Address, range: Range): boolean {
  return address.kind() === range[0].kind();
}

/** An IPv4-mapped range (::ffff:169.254.0.0/112) is the IPv4 range it maps, since addresses are compared as IPv4. */
function normalRange([address, bits]: Range): Range {
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96];
  }
  return [address, bits];
}
