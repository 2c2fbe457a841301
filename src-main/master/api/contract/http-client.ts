// The API over HTTP from outside a master: the CLI's token commands, a follower handing a call to the leader,
// the desktop console attached to a remote master, the console in a browser. Plain fetch, so it runs in Node
// and in the browser alike; failures to reach the master come back as `unavailable` replies.
import { unavailableReply, type Reply } from './client';

export interface HttpTransportOptions {
  apiKey?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Appended to the message when the master cannot be reached: what the caller should try. */
  hint?: string;
  /** In Node, a fetch that trusts a given CA (see tls-client.ts); default: the global fetch. */
  fetch?: typeof fetch;
}

/** Node's codes for a certificate that does not verify: a trust problem to name as such, not an outage. */
const UNTRUSTED = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

export function httpTransport(url: string, opts: HttpTransportOptions = {}): (method: string, input: unknown) => Promise<Reply> {
  const base = url.replace(/\/+$/, '');
  const hint = opts.hint ? `; ${opts.hint}` : '';
  return async (method, input) => {
    let res: Response;
    try {
      res = await (opts.fetch ?? fetch)(`${base}/api/${encodeURIComponent(method)}`, {
        method: 'POST',
        body: JSON.stringify(input ?? {}),
        headers: { 'content-type': 'application/json', ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}), ...opts.headers },
        signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
      });
    } catch (error) {
      const e = error as Error & { cause?: { code?: string; message?: string } };
      if (UNTRUSTED.test(e.cause?.code ?? '')) {
        return unavailableReply(`refused the master at ${base}: its TLS certificate is not trusted (${e.cause!.code}: ${e.cause!.message}); `
          + 'give the CA that signed it (--ca FILE or BATON_TLS_CA)');
      }
      return unavailableReply(`cannot reach the master at ${base} (${e.cause?.code ?? e.cause?.message ?? e.message})${hint}`);
    }
    try {
      return (await res.json()) as Reply;
    } catch {
      return unavailableReply(`${base} answered ${res.status} without a Baton reply; is it a Baton master's address?`);
    }
  };
}
