// The desktop console attached to a master elsewhere (any master of a cluster: followers hand actions to the
// leader) instead of starting its own master, database and agent. Its calls go over HTTP with an API key.
import { z } from 'zod';
import { BatonError } from './master/api/contract/errors';
import { httpTransport } from './master/api/contract/http-client';
import type { Reply } from './master/api/contract/client';
import { parseCertificate, readPem } from './master/config';
import { fetchTrusting } from './master/tls-client';

const RemoteEnv = z.object({
  BATON_REMOTE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL of a Baton master, such as http://master-1:7070' }).optional(),
  BATON_API_KEY: z.string().trim().regex(/^bt_tok_[0-9a-z]+\.[A-Za-z0-9_-]+$/, 'must be an API key such as bt_tok_….…').optional(),
  /** The CA that signed an https:// master's certificate, when it is not one Node already trusts. */
  BATON_TLS_CA: z.string().trim().optional(),
});

export interface RemoteMaster {
  url: string;
  call(method: string, input: unknown): Promise<Reply>;
}

/** The remote master to attach to, or null to start the embedded one; a bad value throws, naming the variable. */
export function remoteMasterFrom(env: Record<string, string | undefined>): { url: string; apiKey?: string; ca?: string } | null {
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => k in RemoteEnv.shape && v));
  const parsed = RemoteEnv.safeParse(present);
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]!.path[0]);
    // A key, even a malformed one, is a secret: it is named, not printed.
    const shown = field === 'BATON_API_KEY' ? field : `${field}=${JSON.stringify(env[field])}`;
    throw new BatonError('invalid_input', `${shown}: ${parsed.error.issues[0]!.message}`, field);
  }
  const url = parsed.data.BATON_REMOTE_URL;
  if (!url) return null;
  const caFile = parsed.data.BATON_TLS_CA;
  const ca = caFile ? readPem('BATON_TLS_CA', caFile, (pem) => void parseCertificate(pem)) : undefined;
  return { url: url.replace(/\/+$/, ''), apiKey: parsed.data.BATON_API_KEY, ca };
}

/** Checks the master answers (and takes the key) before the window opens, so a wrong address fails start-up clearly. */
export async function attachRemote(target: { url: string; apiKey?: string; ca?: string }): Promise<RemoteMaster> {
  const call = httpTransport(target.url, { apiKey: target.apiKey, fetch: fetchTrusting(target.ca ?? null), hint: 'check BATON_REMOTE_URL' });
  const reply = await call('master.info', {});
  if (!reply.ok) throw new Error((reply.error as { message?: string }).message ?? 'the master refused');
  return { url: target.url, call };
}
