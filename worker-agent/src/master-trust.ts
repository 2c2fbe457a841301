// Before joining, the agent checks that each https:// master's certificate verifies with its CA (--ca, else
// Node's built-in CAs). Socket.IO reports a failed handshake only as "xhr poll error" and retries forever; this
// says what is wrong, once, and stops. A master that cannot be reached yet is left to the reconnect loop.
import tls from 'node:tls';
import { isIP } from 'node:net';
import { ConfigError } from './config.js';

/** Node's codes for a certificate that does not verify (as opposed to a master that is down). */
const UNTRUSTED = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

function handshake(url: URL, ca: string | null, timeoutMs: number): Promise<NodeJS.ErrnoException | null> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = tls.connect({
      host, port: Number(url.port || 443), ...(ca ? { ca } : {}),
      // SNI takes host names only; for an IP address the certificate's IP SAN is checked without it.
      ...(isIP(host) ? {} : { servername: host }),
      timeout: timeoutMs,
    });
    socket.once('secureConnect', () => { socket.destroy(); resolve(null); });
    socket.once('error', (err: NodeJS.ErrnoException) => { socket.destroy(); resolve(err); });
    socket.once('timeout', () => { socket.destroy(); resolve(null); });
  });
}

/** Throws a ConfigError naming the master and the reason when an https:// master's certificate is not trusted. */
export async function checkMasterCertificates(urls: string[], ca: string | null, timeoutMs = 5_000): Promise<void> {
  for (const url of urls.map((u) => new URL(u)).filter((u) => u.protocol === 'https:')) {
    const err = await handshake(url, ca, timeoutMs);
    if (!err || !UNTRUSTED.test(err.code ?? '')) continue;
    const trusted = ca ? 'the CA certificate(s) given' : "Node's built-in CAs";
    throw new ConfigError(ca ? '--ca' : '--master', `the master at ${url.origin} presented a certificate that ${trusted} do not verify `
      + `(${err.code}: ${err.message}); not connecting. Give the CA that signed it with --ca FILE (BATON_AGENT_CA).`);
  }
}
