// The outbound guard (issue 7): link-local and cloud metadata addresses refused in every spelling, unless allowed;
// checked as resolved by DNS and after each redirect when a request goes out.
import type dns from 'node:dns';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkAddress, checkHost, checkUrl, defaultRules, parseAllowList, type OutboundRules } from '../../worker-agent/src/outbound';
import { guardedLookup, OutboundRefused, outboundRequest } from '../../worker-agent/src/outbound-request';
import { assignment, start } from './agent/helpers';

const none = defaultRules('BATON_OUTBOUND_ALLOW');

function allow(text: string): OutboundRules {
  const parsed = parseAllowList(text, 'BATON_OUTBOUND_ALLOW');
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.rules;
}

describe('checkAddress', () => {
  it.each([
    '169.254.169.254', '169.254.0.1', '169.254.255.255',
    // the same metadata address as decimal, hex and octal IPv4, and as IPv4-mapped and NAT64 IPv6
    '2852039166', '0xa9fea9fe', '0xA9.0xFE.0xA9.0xFE', '0251.0376.0251.0376',
    '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '64:ff9b::a9fe:a9fe',
    'fe80::1', 'fe80::1%eth0', 'febf:ffff::1', 'fd00:ec2::254', '100.100.100.200', '168.63.129.16',
  ])('refuses %s', (address) => {
    const verdict = checkAddress(address, none);
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.message).toMatch(/unless BATON_OUTBOUND_ALLOW allows it/);
  });

  it.each([
    '127.0.0.1', '::1', '10.0.0.1', '192.168.1.10', '8.8.8.8', '169.253.255.255', '169.255.0.0',
    'fec0::1', 'fd00:ec2::253', '100.100.100.201', '::ffff:127.0.0.1', 'example.com',
  ])('lets %s through', (address) => {
    expect(checkAddress(address, none)).toEqual({ ok: true });
  });

  it('lets through exactly what the allow list names', () => {
    const rules = allow('169.254.169.254, fe80::/10');
    expect(checkAddress('169.254.169.254', rules).ok).toBe(true);
    expect(checkAddress('0xa9fea9fe', rules).ok).toBe(true);
    expect(checkAddress('::ffff:169.254.169.254', rules).ok).toBe(true);
    expect(checkAddress('fe80::abcd', rules).ok).toBe(true);
    expect(checkAddress('169.254.0.1', rules).ok).toBe(false);
    expect(checkAddress('fd00:ec2::254', rules).ok).toBe(false);
  });

  it('reads an IPv4-mapped range in the allow list as the IPv4 range', () => {
    expect(checkAddress('169.254.1.1', allow('::ffff:169.254.0.0/112')).ok).toBe(true);
  });
});

describe('checkHost and checkUrl', () => {
  it.each([
    'metadata.google.internal', 'METADATA.Google.Internal.', 'metadata', 'instance-data', '[fe80::1]', '169.254.169.254.',
  ])('refuses the host %s', (host) => {
    expect(checkHost(host, none).ok).toBe(false);
  });

  it.each([
    'http://169.254.169.254/latest/meta-data/', 'http://2852039166/', 'http://0xa9fea9fe/', 'https://[::ffff:a9fe:a9fe]:8443/x',
    'http://metadata.google.internal/computeMetadata/v1/', 'http://[fe80::1]:8080/',
  ])('refuses the URL %s', (url) => {
    expect(checkUrl(url, none).ok).toBe(false);
  });

  it('lets ordinary names and addresses through, to be checked again once resolved', () => {
    expect(checkUrl('https://hooks.example.com/baton', none).ok).toBe(true);
    expect(checkUrl('http://127.0.0.1:7070/hook', none).ok).toBe(true);
  });

  it('allows a metadata name by name', () => {
    expect(checkHost('metadata.google.internal', allow('metadata.google.internal')).ok).toBe(true);
  });
});

describe('parseAllowList', () => {
  it('reads names, addresses and ranges separated by commas or spaces', () => {
    const rules = allow(' metadata.google.internal,169.254.169.254  fd00:ec2::254 10.0.0.0/8 ');
    expect(rules.hosts).toEqual(['metadata.google.internal']);
    expect(rules.ranges.map(([a, bits]) => `${a.toString()}/${bits}`)).toEqual(['169.254.169.254/32', 'fd00:ec2::254/128', '10.0.0.0/8']);
    expect(allow('')).toEqual(none);
  });

  it.each(['169.254.0.0/33', 'http://169.254.169.254/', 'a_b!', 'fe80::/200'])('refuses %s, quoting it', (entry) => {
    const parsed = parseAllowList(`10.0.0.1,${entry}`, 'BATON_OUTBOUND_ALLOW');
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toContain(`"${entry}"`);
  });
});

/** A DNS answer as dns.lookup gives it with `all: true`, for names no resolver on this machine knows. */
function answering(addresses: string[]): typeof dns.lookup {
  return ((_host: string, _options: object, callback: (e: Error | null, a: dns.LookupAddress[]) => void) => {
    callback(null, addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  }) as unknown as typeof dns.lookup;
}

function lookup(host: string, rules: OutboundRules, addresses: string[], all = false): Promise<unknown> {
  return new Promise((resolve, reject) => {
    guardedLookup(host, rules, answering(addresses))(host, { all }, (error, address) => (error ? reject(error) : resolve(address)));
  });
}

describe('guardedLookup', () => {
  it('refuses a name that resolves to a metadata address, naming both', async () => {
    const error = await lookup('rebind.example', none, ['169.254.169.254']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundRefused);
    expect((error as Error).message).toMatch(/rebind\.example resolves to 169\.254\.169\.254 is a link-local address/);
  });

  it('refuses when any one of the answers is forbidden', async () => {
    await expect(lookup('mixed.example', none, ['93.184.216.34', 'fe80::1'], true)).rejects.toBeInstanceOf(OutboundRefused);
  });

  it('passes ordinary answers on, one or all as asked', async () => {
    expect(await lookup('ok.example', none, ['93.184.216.34', '2606:2800::1'])).toBe('93.184.216.34');
    expect(await lookup('ok.example', none, ['93.184.216.34'], true)).toEqual([{ address: '93.184.216.34', family: 4 }]);
  });

  it('passes a name the allow list names, whatever it resolves to', async () => {
    expect(await lookup('metadata.google.internal', allow('metadata.google.internal'), ['169.254.169.254'])).toBe('169.254.169.254');
  });
});

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(reply: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => reply(req, res, body));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const send = (url: string, over: Partial<Parameters<typeof outboundRequest>[1]> = {}) => outboundRequest(url, {
  method: 'GET', headers: {}, signal: AbortSignal.timeout(10_000), maxBodyChars: 1_000, rules: none, ...over,
});

describe('outboundRequest', () => {
  it('sends the request and reads a bounded answer', async () => {
    const url = await serve((req, res, body) => res.end(`${req.method} ${body} ${'x'.repeat(5_000)}`));
    const answer = await send(url, { method: 'POST', body: 'hi', maxBodyChars: 10 });
    expect(answer).toMatchObject({ status: 200, statusText: 'OK', body: 'POST hi xx' });
  });

  it.each(['http://169.254.169.254/latest/meta-data/', 'http://[::ffff:a9fe:a9fe]/', 'http://metadata.google.internal/'])(
    'does not follow a redirect to %s', async (target) => {
      const url = await serve((_req, res) => res.writeHead(302, { location: target }).end());
      const error = await send(url).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OutboundRefused);
      expect((error as Error).message).toMatch(/refused unless BATON_OUTBOUND_ALLOW allows it/);
    },
  );

  it('follows ordinary redirects: 303 turns a POST into a GET, and credentials stay with their origin', async () => {
    const final = await serve((req, res, body) => res.end(`${req.method} body=${body} auth=${req.headers.authorization ?? 'none'}`));
    // localhost is another origin than 127.0.0.1, though the same server: the guard resolves it like any name.
    const other = final.replace('127.0.0.1', 'localhost');
    const first = await serve((_req, res) => res.writeHead(303, { location: `${other}/done` }).end());
    const answer = await send(first, { method: 'POST', body: 'secret', headers: { authorization: 'Bearer t' } });
    expect(answer.body).toBe('GET body= auth=none');
  });

  it('gives up after too many redirects', async () => {
    const url = await serve((req, res) => res.writeHead(307, { location: `${req.url}x` }).end());
    await expect(send(url, { maxRedirects: 3 })).rejects.toThrow(/more than 3 redirects/);
  });
});

describe('the agent http handler', () => {
  it('fails a run whose URL is a metadata address, saying the guard refused it', async () => {
    const outcome = await start(assignment('http', { url: 'http://169.254.169.254/latest/meta-data/' })).done;
    expect(outcome.state).toBe('failed');
    expect(outcome.error).toMatch(/^request refused by the outbound guard: 169\.254\.169\.254 is a link-local address.*--allow-outbound/);
  });

  it('fails a run redirected to a metadata address', async () => {
    const url = await serve((_req, res) => res.writeHead(301, { location: 'http://0xa9fea9fe/' }).end());
    const outcome = await start(assignment('http', { url })).done;
    expect(outcome.error).toMatch(/^request refused by the outbound guard: 169\.254\.169\.254/);
  });
});
