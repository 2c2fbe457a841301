// Agent options: flags, then environment, then defaults, resolved once into a config where every field
// is set. A bad value is a ConfigError that names the flag (or env variable) it came from.
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { parseAllowList, type OutboundRules } from './outbound.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface AgentConfig {
  /** Every master the agent may join; it follows whichever leads. */
  masterUrls: string[];
  /** What the agent presents on connecting: its own credential (credential.ts), never the enrolment token. */
  token: string;
  group: string;
  name: string;
  capacity: number;
  labels: Record<string, string>;
  /** The handlers offered, by name; null: every built-in and every one from `handlersDir`. */
  handlers: string[] | null;
  /** A folder of handler modules (handler-modules.ts) offered besides the built-ins; null: none. */
  handlersDir: string | null;
  dataDir: string;
  /** Until the master's `welcome` says otherwise. */
  heartbeatMs: number;
  logLevel: LogLevel;
  /** How long running runs may go on after a stop signal before they are killed. */
  stopGraceMs: number;
  /** Where `http` tasks may go beyond the default (which refuses link-local and cloud metadata addresses). */
  outbound: OutboundRules;
  /** CA certificates (PEM) that an https:// master's certificate must chain to; null: Node's built-in CAs. */
  ca: string | null;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'bad_config';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** Raw option values as commander gives them (all strings), keyed by camel-cased flag name. */
export type RawOptions = Partial<Record<string, string>>;

type ErrorFn = (issue: { input?: unknown }) => string;
const orRequired = (message: string): ErrorFn => (issue) => (issue.input === undefined ? 'is required' : message);

export const wholeNumber = (min: number, max: number) => {
  const message = `must be a whole number from ${min} to ${max}`;
  return z
    .string({ error: orRequired(message) })
    .regex(/^\s*\d+\s*$/, message)
    .transform(Number)
    .refine((n) => n >= min && n <= max, message);
};

export const field = {
  /** One master URL, or several (comma-separated) of masters sharing a database; normalised to that form. */
  master: z.string({ error: orRequired('must be an http(s) URL like http://master:8080') }).transform((text, ctx) => {
    const urls = text.split(',').map((u) => u.trim()).filter(Boolean);
    const bad = urls.find((u) => !z.url({ protocol: /^https?$/ }).safeParse(u).success);
    if (urls.length === 0 || bad !== undefined) {
      ctx.issues.push({ code: 'custom', input: text, message: `${bad === undefined ? 'must be' : `"${bad}" is not`} an http(s) URL like http://master:8080 (several: comma-separated)` });
      return z.NEVER;
    }
    return urls.map((url) => url.replace(/\/+$/, '')).join(',');
  }),
  group: z.string({ error: orRequired('must be text') }).min(1, 'is required').max(200, 'must be at most 200 characters'),
  name: z
    .string({ error: orRequired('must be text') })
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit"),
  capacity: wholeNumber(1, 10_000),
  labels: z.string().transform((text, ctx) => {
    const labels: Record<string, string> = {};
    for (const pair of text.split(',').map((p) => p.trim()).filter(Boolean)) {
      const [key = '', ...rest] = pair.split('=');
      const value = rest.join('=');
      if (!key.trim() || !rest.length || key.length > 128 || value.length > 256) {
        ctx.issues.push({ code: 'custom', input: text, message: `"${pair}" is not key=value (key up to 128, value up to 256 chars)` });
        return z.NEVER;
      }
      labels[key.trim()] = value.trim();
    }
    return labels;
  }),
  // Whether each name exists is known only once --handlers-dir is loaded (handler-modules.ts).
  handlers: z.string().transform((text, ctx) => {
    const names = text.split(',').map((h) => h.trim()).filter(Boolean);
    if (!names.length) {
      ctx.issues.push({ code: 'custom', input: text, message: 'needs at least one handler (leave it out for all)' });
      return z.NEVER;
    }
    return [...new Set(names)];
  }),
  handlersDir: z.string().min(1, 'must be a directory path').transform((dir) => resolve(dir)),
  dataDir: z.string().min(1, 'must be a directory path').transform((dir) => resolve(dir)),
  heartbeatMs: wholeNumber(100, 3_600_000),
  logLevel: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }),
  stopGraceMs: wholeNumber(0, 3_600_000),
  token: z
    .string({ error: (issue) => (issue.input === undefined ? 'is required (or give --token-file)' : 'must be text') })
    .trim()
    .min(16, 'must be 16 to 256 characters')
    .max(256, 'must be 16 to 256 characters'),
  tokenFile: z.string().min(1, 'must be a file path').transform((file) => resolve(file)),
  /** Hosts, addresses and CIDR ranges `http` tasks may reach although the outbound guard refuses them by default. */
  allowOutbound: z.string().transform((text, ctx) => {
    const parsed = parseAllowList(text, '--allow-outbound');
    if (parsed.ok) return parsed.rules;
    ctx.issues.push({ code: 'custom', input: text, message: parsed.message });
    return z.NEVER;
  }),
  ca: z.string().min(1, 'must be a file path').transform((file) => resolve(file)),
};

/** Where each option can come from, besides its flag. */
export const ENV: Partial<Record<string, string>> = {
  master: 'BATON_MASTER_URL',
  token: 'BATON_AGENT_TOKEN',
  tokenFile: 'BATON_AGENT_TOKEN_FILE',
  group: 'BATON_AGENT_GROUP',
  name: 'BATON_AGENT_NAME',
  dataDir: 'BATON_AGENT_DATA_DIR',
  allowOutbound: 'BATON_AGENT_ALLOW_OUTBOUND',
  ca: 'BATON_AGENT_CA',
  handlersDir: 'BATON_AGENT_HANDLERS_DIR',
};

export const DEFAULTS = {
  capacity: '4',
  labels: '',
  heartbeatMs: '5000',
  logLevel: 'info',
  stopGraceMs: '10000',
  allowOutbound: '',
} as const;

export const flagOf = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * Parses `flags` (falling back to env, then DEFAULTS) with the given field schemas; errors name the
 * flag or env variable the bad value came from.
 */
export function parseOptions<S extends z.ZodRawShape>(
  shape: S,
  flags: RawOptions,
  env: NodeJS.ProcessEnv,
): z.output<z.ZodObject<S>> {
  const raw: Record<string, string | undefined> = {};
  const source: Record<string, string> = {};
  for (const key of Object.keys(shape)) {
    const envName = ENV[key];
    const fromEnv = envName ? env[envName] : undefined;
    raw[key] = flags[key] ?? fromEnv ?? (DEFAULTS as Record<string, string>)[key];
    source[key] = flags[key] === undefined && fromEnv !== undefined && envName ? envName : flagOf(key);
  }
  const parsed = z.object(shape).safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const key = String(issue.path[0] ?? '');
  throw new ConfigError(source[key] ?? key, issue.message);
}

/** How the agent runs, the same whether started by hand or installed as a service. */
export const runFields = {
  name: field.name,
  capacity: field.capacity,
  labels: field.labels,
  handlers: field.handlers.optional(),
  heartbeatMs: field.heartbeatMs,
  logLevel: field.logLevel,
  stopGraceMs: field.stopGraceMs,
  allowOutbound: field.allowOutbound,
};

/** Resolved options: `token` is the enrolment token given, null when none is (the kept credential serves). */
export type AgentOptions = Omit<AgentConfig, 'token'> & { token: string | null };

export function resolveAgentConfig(flags: RawOptions, env: NodeJS.ProcessEnv = process.env): AgentOptions {
  const { master, dataDir, tokenFile, allowOutbound, ca, handlers, handlersDir, ...settings } = parseOptions(
    {
      master: field.master,
      group: field.group,
      ...runFields,
      handlersDir: field.handlersDir.optional(),
      dataDir: field.dataDir.optional(),
      tokenFile: field.tokenFile.optional(),
      ca: field.ca.optional(),
    },
    flags,
    env,
  );
  const folder = dataDir ?? join(homedir(), '.baton-agent', settings.name);
  // Once enrolled the agent needs no enrolment token; one given anyway is ignored (credential.ts).
  const given = flags.token ?? flags.tokenFile ?? env.BATON_AGENT_TOKEN ?? env.BATON_AGENT_TOKEN_FILE;
  const enrolled = given === undefined && existsSync(join(folder, 'credential'));
  return {
    ...settings,
    handlers: handlers ?? null,
    handlersDir: handlersDir ?? null,
    ca: ca === undefined ? null : readCa(ca, flags.ca !== undefined ? '--ca' : 'BATON_AGENT_CA'),
    masterUrls: master.split(','),
    outbound: allowOutbound,
    token: enrolled ? null : resolveToken(flags, env, tokenFile),
    dataDir: folder,
  };
}

/** The enrolment token: `--token` or `--token-file`, never both; the file keeps the secret out of `ps` and unit files. */
function resolveToken(flags: RawOptions, env: NodeJS.ProcessEnv, tokenFile: string | undefined): string {
  if (flags.token !== undefined && flags.tokenFile !== undefined) {
    throw new ConfigError('--token', 'give either --token or --token-file, not both');
  }
  const fileWins = flags.tokenFile !== undefined || (flags.token === undefined && env.BATON_AGENT_TOKEN === undefined);
  if (!fileWins || tokenFile === undefined) return parseOptions({ token: field.token }, flags, env).token;
  const source = flags.tokenFile !== undefined ? '--token-file' : 'BATON_AGENT_TOKEN_FILE';
  let text: string;
  try {
    text = readFileSync(tokenFile, 'utf8');
  } catch (err) {
    throw new ConfigError(source, `cannot read ${tokenFile}: ${(err as Error).message}`);
  }
  const parsed = field.token.safeParse(text);
  if (!parsed.success) throw new ConfigError(source, `the token in ${tokenFile} ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

/** The CA file's certificates, checked now: a wrong file is a clear start-up error, not a handshake failing later. */
function readCa(file: string, source: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(source, `cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    new X509Certificate(pem);
  } catch (err) {
    throw new ConfigError(source, `${file} is not a PEM certificate (${(err as Error).message})`);
  }
  return pem;
}
