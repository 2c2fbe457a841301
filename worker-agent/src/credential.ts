// The agent's own credential: traded once for the enrolment token, kept in the data folder (mode 600), presented
// on every connection from then on. README "Security → Agent identity".
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { io, type ManagerOptions, type SocketOptions } from 'socket.io-client';
import { ConfigError } from './config.js';
import type { Logger } from './logger.js';
import { retryDelay } from './masters.js';
import { CredentialFile, ENROL_NAMESPACE, EnrolReply, PROTOCOL_VERSION, Refusal } from './protocol.js';

export const CREDENTIAL_FILE = 'credential';
const ENROL_TIMEOUT_MS = 15_000;

export function credentialPath(dataDir: string): string {
  return join(dataDir, CREDENTIAL_FILE);
}

/** The kept credential, or null when there is none yet; a damaged file is a ConfigError naming it. */
export async function readCredential(dataDir: string): Promise<CredentialFile | null> {
  const file = credentialPath(dataDir);
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw new ConfigError('--data-dir', `cannot read ${file}: ${err.message}`);
  });
  if (text === null) return null;
  let parsed;
  try {
    parsed = CredentialFile.safeParse(JSON.parse(text));
  } catch {
    parsed = null;
  }
  if (!parsed?.success) throw new ConfigError('--data-dir', `${file} is not a Baton agent credential; delete it and start the agent with an enrolment token`);
  return parsed.data;
}

/** Written whole or not at all (temp file, then rename), readable by this user only. */
export async function writeCredential(dataDir: string, credential: CredentialFile): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const temp = `${credentialPath(dataDir)}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, `${JSON.stringify(credential)}\n`, { mode: 0o600 });
  await rename(temp, credentialPath(dataDir));
}

export class EnrolmentRefused extends Error {
  override readonly name = 'EnrolmentRefused';
  constructor(readonly refusal: Refusal) {
    super(refusal.message);
  }
}

/** Connection options the agent's own connection uses too (e.g. a CA for TLS), so enrolment goes the same way. */
export type EnrolConnection = Partial<ManagerOptions & SocketOptions>;

/** Asks one master for a credential; null when that master cannot be reached (the caller tries the next one). */
export function enrolAt(url: string, ask: { token: string; name: string; group: string }, connection: EnrolConnection = {}): Promise<EnrolReply | null> {
  const socket = io(`${url}${ENROL_NAMESPACE}`, {
    ...connection, auth: { protocol: PROTOCOL_VERSION, ...ask }, reconnection: false, timeout: ENROL_TIMEOUT_MS,
  });
  return new Promise<EnrolReply | null>((resolve) => {
    socket.once('connect', () => {
      socket.timeout(ENROL_TIMEOUT_MS).emit('enrol', (err: Error | null, raw: unknown) => {
        const reply = err ? null : EnrolReply.safeParse(raw);
        resolve(reply?.success ? reply.data : { ok: false, code: 'bad_hello', message: 'The master gave no usable answer to the enrolment.' });
      });
    });
    socket.once('connect_error', (err) => {
      const refusal = Refusal.safeParse((err as Error & { data?: unknown }).data);
      resolve(refusal.success ? { ok: false, code: refusal.data.code, message: refusal.data.message } : null);
    });
  }).finally(() => socket.disconnect());
}

/**
 * The credential to present: the kept one (for this name and group only), else one traded for the enrolment token
 * at the first master that answers, then kept. Throws ConfigError or EnrolmentRefused.
 */
export async function obtainCredential(
  options: { dataDir: string; name: string; group: string; token: string | null; masterUrls: string[] }, log: Logger,
  connection: EnrolConnection = {},
): Promise<string> {
  const kept = await readCredential(options.dataDir);
  if (kept) {
    if (kept.name !== options.name || kept.group !== options.group) {
      throw new ConfigError('--name', `the credential in ${credentialPath(options.dataDir)} is for worker "${kept.name}" in group "${kept.group}"; use those, or another --data-dir`);
    }
    return kept.credential;
  }
  if (options.token === null) throw new ConfigError('--token', 'is required (or give --token-file) until the agent has its credential');
  // Masters may not be up yet (a service starting at boot): keep trying, as the connection itself does.
  for (let round = 1; ; round += 1) {
    for (const url of options.masterUrls) {
      const reply = await enrolAt(url, { token: options.token, name: options.name, group: options.group }, connection);
      if (reply === null) continue;
      if (!reply.ok) throw new EnrolmentRefused({ code: reply.code, message: reply.message });
      await writeCredential(options.dataDir, { credential: reply.credential, name: options.name, group: options.group });
      log.info({ file: credentialPath(options.dataDir) }, 'enrolled: credential kept; the enrolment token is no longer needed');
      return reply.credential;
    }
    log.warn({ masters: options.masterUrls }, 'cannot reach a master to enrol; trying again');
    await new Promise((resolve) => setTimeout(resolve, retryDelay(round, Math.random())));
  }
}
