// Master configuration: read once from the environment (plus caller defaults) into a config where every field is set.
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { BatonError } from './api/contract/errors';
import { parseHost } from './access/hosts';
import { API_AUTH_MODES, type ApiAuth } from './access/rules';

const port = z.coerce.number({ error: 'must be a port number' }).int('must be a whole number').min(0, 'must be from 0 to 65535').max(65535, 'must be from 0 to 65535');
const positiveMs = (min: number) => z.coerce.number({ error: 'must be a number of milliseconds' }).int('must be a whole number').min(min, `must be at least ${min}`);

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
  BATON_ALERT_FROM: z.email({ error: 'must be an email address such as baton@example.com' }).optional(),
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
}

export function defaultDataDir(): string {
  return path.join(os.homedir(), '.baton');
}

/** The address this master gives out; a wildcard bind is not an address, so the host name stands in for it. */
export function advertisedUrl(config: Pick<MasterConfig, 'advertiseUrl' | 'bind'>, port: number): string {
  if (config.advertiseUrl) return config.advertiseUrl;
  const host = config.bind === '0.0.0.0' || config.bind === '::' ? os.hostname() : config.bind;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
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
  };
}
