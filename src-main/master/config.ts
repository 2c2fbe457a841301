// Master configuration: read once from the environment (plus caller defaults) into a config where every field is set.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { BatonError } from './api/contract/errors';
import { parseHost } from './access/hosts';
import { API_AUTH_MODES, type ApiAuth } from './access/rules';
import { parseAllowList, type OutboundRules } from 'baton-agent/outbound';
import { DEFAULT_LOG_QUOTA, type LogQuota } from './agents/log-quota';

const port = z.coerce.number({ error: 'must be a port number' }).int('must be a whole number').min(0, 'must be from 0 to 65535').max(65535, 'must be from 0 to 65535');
const positiveMs = (min: number) => z.coerce.number({ error: 'must be a number of milliseconds' }).int('must be a whole number').min(min, `must be at least ${min}`);

const bytes = (min: number) => z.coerce.number({ error: 'must be a number of bytes' }).int('must be a whole number').min(min, `must be at least ${min}`);

const EnvSchema = z.object({
  BATON_DATABASE_URL: z.string().trim()
    .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// URL')
    .optional(),
  BATON_PORT: port.default(7070),
  BATON_BIND: z.string().trim()
    .refine((v) => z.ipv4().safeParse(v).success || z.ipv6().safeParse(v).success || v === 'localhost', 'must be an IP address such as 127.0.0.1 or 0.0.0.0')
    .default('127.0.0.1'),
  BATON_DATA_DIR: z.string().trim().min(1, 'must not be empty').optional(),
  BATON_HEARTBEAT_MS: positiveMs(100).default(1_000),
  BATON_MISSED_HEARTBEATS: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').default(3),
  BATON_ADVERTISE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://master-1.example:7070' })
    .transform((v) => v.replace(/\/+$/, '')).optional(),
  BATON_LEADER_LEASE_MS: positiveMs(1_000).default(5_000),
  BATON_API_AUTH: z.enum(API_AUTH_MODES, { error: 'must be "all" (an API key from every HTTP client) or "remote" (clients on this machine need none)' }).default('all'),
  BATON_ALLOWED_HOSTS: z.string()
    .transform((v) => v.split(',').map((h) => h.trim()).filter(Boolean))
    .refine((hosts) => hosts.every((h) => parseHost(h) !== null), 'must be host names or addresses, with an optional :port, separated by commas, e.g. baton.example.com,10.0.0.5:7070')
    .optional(),
  BATON_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BATON_RUN_RETENTION_DAYS: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').default(30),
  BATON_SMTP_URL: z.url({ protocol: /^smtps?$/, hostname: /./, error: 'must be an smtp:// or smtps:// URL such as smtp://user:pass@mail.example.com:587' }).optional(),
  BATON_RUN_LOG_MAX_BYTES: bytes(1_024).default(DEFAULT_LOG_QUOTA.runBytes),
  BATON_LOG_LINE_MAX_BYTES: bytes(256).default(DEFAULT_LOG_QUOTA.lineBytes),
  BATON_AGENT_EVENTS_PER_SEC: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').default(100),
  BATON_ALERT_FROM: z.email({ error: 'must be an email address such as baton@example.com' }).optional(),
  BATON_OUTBOUND_ALLOW: z.string().default('').transform((text, ctx) => {
    const parsed = parseAllowList(text, 'BATON_OUTBOUND_ALLOW');
    if (parsed.ok) return parsed.rules;
    ctx.issues.push({ code: 'custom', input: text, message: parsed.message });
    return z.NEVER;
  }),
  BATON_TLS_CERT: z.string().trim().optional(),
  BATON_TLS_KEY: z.string().trim().optional(),
  BATON_TLS_CA: z.string().trim().optional(),
});

export interface MasterConfig {
  /** null = run the embedded PostgreSQL in `dataDir`. */
  databaseUrl: string | null;
  dataDir: string;
  port: number;
  bind: string;
  /** How other masters and agents reach this one; null = derived from bind and port. */
  advertiseUrl: string | null;
  /** How long a leader's lease lasts unrenewed: a dead leader is replaced within about this long. */
  leaderLeaseMs: number;
  /** Which HTTP clients must show an API key; the desktop console's IPC never does. */
  apiAuth: ApiAuth;
  /** Host names served beyond the bind, loopback and advertised ones (`name` or `name:port`). */
  allowedHosts: string[];
  heartbeatMs: number;
  missedBeats: number;
  logLevel: z.infer<typeof EnvSchema>['BATON_LOG_LEVEL'];
  runRetentionDays: number;
  /** The mail server for alert emails (user:pass in the URL); null: email alerts fail, saying so. */
  smtpUrl: string | null;
  /** The sender of alert emails. */
  alertFrom: string;
  /** Where alert webhooks (and, checked when stored, `http` tasks) may go beyond the outbound guard's default. */
  outbound: OutboundRules;
  /** Certificate and key (PEM) to serve everything over HTTPS only; null: plain HTTP. */
  tls: MasterTls | null;
  /** CA certificates (PEM) this master trusts when it calls another master over HTTPS; null: Node's built-in CAs. */
  tlsCa: string | null;
  /** Log bytes per run and per line an agent may store. */
  logQuota: LogQuota;
  /** Log batches per second one agent may send (twice that at once); more are refused with `rate_limited`. */
  agentEventsPerSec: number;
}

export function defaultDataDir(): string {
  return path.join(os.homedir(), '.baton');
}

/** The address this master gives out; a wildcard bind is not an address, so the host name stands in for it. */
export function advertisedUrl(config: Pick<MasterConfig, 'advertiseUrl' | 'bind'> & { tls?: MasterTls | null }, port: number): string {
  if (config.advertiseUrl) return config.advertiseUrl;
  const host = config.bind === '0.0.0.0' || config.bind === '::' ? os.hostname() : config.bind;
  return `${config.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Where the master keeps the secret of its first API key (mode 600), for the operator and the CLI on this machine. */
export function apiKeyFile(config: { dataDir: string }): string {
  return path.join(config.dataDir, 'api-key');
}

/** Each master keeps its own key: the label says whose it is, so `token list` tells them apart. */
export function masterKeyLabel(config: { dataDir: string }): string {
  return `API key of the master on ${os.hostname()} (${config.dataDir})`.slice(0, 200);
}

/** A refused value is printed back to the operator: a password in it (database or SMTP URL) is not. */
export function withoutPassword(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):\S*@(?=[^@]*$)/i, '$1:***@');
}

/** Throws a BatonError naming the variable at fault; nothing is started before this succeeds. */
export function resolveConfig(
  env: Record<string, string | undefined>,
  defaults: { dataDir?: string } = {},
): MasterConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('BATON_') && v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0]);
    throw new BatonError('invalid_input', `${field}=${JSON.stringify(withoutPassword(env[field] ?? ''))}: ${issue.message}`, field);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.BATON_DATABASE_URL ?? null,
    dataDir: path.resolve(e.BATON_DATA_DIR ?? defaults.dataDir ?? defaultDataDir()),
    port: e.BATON_PORT,
    bind: e.BATON_BIND,
    advertiseUrl: e.BATON_ADVERTISE_URL ?? null,
    leaderLeaseMs: e.BATON_LEADER_LEASE_MS,
    apiAuth: e.BATON_API_AUTH,
    allowedHosts: e.BATON_ALLOWED_HOSTS ?? [],
    heartbeatMs: e.BATON_HEARTBEAT_MS,
    missedBeats: e.BATON_MISSED_HEARTBEATS,
    logLevel: e.BATON_LOG_LEVEL,
    runRetentionDays: e.BATON_RUN_RETENTION_DAYS,
    smtpUrl: e.BATON_SMTP_URL ?? null,
    alertFrom: e.BATON_ALERT_FROM ?? `baton@${os.hostname()}`,
    outbound: e.BATON_OUTBOUND_ALLOW,
    tls: readTls(e.BATON_TLS_CERT, e.BATON_TLS_KEY),
    tlsCa: e.BATON_TLS_CA ? readPem('BATON_TLS_CA', e.BATON_TLS_CA, (pem) => void parseCertificate(pem)) : null,
    logQuota: { runBytes: e.BATON_RUN_LOG_MAX_BYTES, lineBytes: e.BATON_LOG_LINE_MAX_BYTES },
    agentEventsPerSec: e.BATON_AGENT_EVENTS_PER_SEC,
  };
}

export interface MasterTls { cert: string; key: string; certFile: string }

/** Reads a PEM file and checks it, or throws naming the variable, the file and what is wrong with it. */
export function readPem(variable: string, file: string, check: (pem: string) => void): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new BatonError('invalid_input', `${variable}=${JSON.stringify(file)}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`, variable);
  }
  try {
    check(pem);
  } catch (error) {
    throw new BatonError('invalid_input', `${variable}=${JSON.stringify(file)}: ${(error as Error).message}`, variable);
  }
  return pem;
}

export function parseCertificate(pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw new Error(`not a PEM certificate (${(error as Error).message})`);
  }
}

/** Both or neither; the key must be the certificate's, or every TLS handshake would fail later, less clearly. */
function readTls(certFile: string | undefined, keyFile: string | undefined): MasterTls | null {
  if (!certFile && !keyFile) return null;
  if (!certFile || !keyFile) {
    const missing = certFile ? 'BATON_TLS_KEY' : 'BATON_TLS_CERT';
    throw new BatonError('invalid_input', `${missing}: is required with ${certFile ? 'BATON_TLS_CERT' : 'BATON_TLS_KEY'} (give both for HTTPS, or neither)`, missing);
  }
  let x509: X509Certificate | undefined;
  const cert = readPem('BATON_TLS_CERT', certFile, (pem) => { x509 = parseCertificate(pem); });
  const key = readPem('BATON_TLS_KEY', keyFile, (pem) => {
    let privateKey;
    try {
      privateKey = createPrivateKey(pem);
    } catch (error) {
      throw new Error(`not a PEM private key (${(error as Error).message})`);
    }
    if (!x509!.checkPrivateKey(privateKey)) throw new Error(`this key does not belong to the certificate in ${certFile}`);
  });
  return { cert, key, certFile };
}
