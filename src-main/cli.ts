// `baton-master`: the master without Electron. Flags are turned into BATON_* settings and checked by one resolver.
import './master/v8-footprint';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { clientOver } from './master/api/contract/client';
import type { TokenScope } from './master/api/contract/domain';
import { httpTransport } from './master/api/contract/http-client';
import { BatonError } from './master/api/contract/errors';
import { apiKeyFile, defaultDataDir, parseCertificate, readPem, resolveConfig } from './master/config';
import { startMaster, VERSION } from './master/index';
import { describeStartupFailure } from './master/startup-failure';
import { fetchTrusting } from './master/tls-client';
import { diffCommand, exportCommand, importCommand } from './definitions-cli';

const FLAG_TO_ENV: Record<string, string> = {
  databaseUrl: 'BATON_DATABASE_URL', port: 'BATON_PORT', bind: 'BATON_BIND', dataDir: 'BATON_DATA_DIR',
  heartbeatMs: 'BATON_HEARTBEAT_MS', missedHeartbeats: 'BATON_MISSED_HEARTBEATS', logLevel: 'BATON_LOG_LEVEL',
  apiAuth: 'BATON_API_AUTH', advertiseUrl: 'BATON_ADVERTISE_URL', leaderLeaseMs: 'BATON_LEADER_LEASE_MS',
  smtpUrl: 'BATON_SMTP_URL', alertFrom: 'BATON_ALERT_FROM', allowedHosts: 'BATON_ALLOWED_HOSTS',
  tlsCert: 'BATON_TLS_CERT', tlsKey: 'BATON_TLS_KEY', tlsCa: 'BATON_TLS_CA',
};

function fail(message: string): never {
  process.stderr.write(`baton-master: ${message}\n`);
  process.exit(2);
}

async function serve(flags: Record<string, string | undefined>): Promise<void> {
  const env = { ...process.env };
  for (const [flag, name] of Object.entries(FLAG_TO_ENV)) if (flags[flag] !== undefined) env[name] = flags[flag];
  let config;
  try {
    config = resolveConfig(env);
  } catch (error) {
    fail(error instanceof BatonError ? error.message.replace(/^BATON_\w+/, (v) => `${v} (--${flagOf(v)})`) : String(error));
  }
  const consoleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../renderer');
  let master;
  try {
    master = await startMaster(config, { consoleDir: existsSync(consoleDir) ? consoleDir : undefined });
  } catch (error) {
    const failure = describeStartupFailure(error);
    process.stderr.write(`baton-master: cannot start: ${failure.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`baton-master listening on ${master.agentUrl} (agents: ${master.agentUrl}/agent, API: ${master.agentUrl}/api), ${master.leading ? 'leading' : 'following'}\n`
    + `API key (scope admin) for ${config.apiAuth === 'all' ? 'every HTTP client' : 'clients on other machines'}: in ${apiKeyFile(config)} (readable by this user only)\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    master.stop().then(() => process.exit(0), (e: unknown) => { process.stderr.write(`${String(e)}\n`); process.exit(1); });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function flagOf(envName: string): string {
  const flag = Object.entries(FLAG_TO_ENV).find(([, v]) => v === envName)?.[0] ?? '';
  return flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

interface Remote { url: string; apiKey?: string; dataDir?: string; ca?: string }

/** The CA to verify an https:// master with: --ca, else BATON_TLS_CA, else Node's built-in CAs. */
function trustFor(o: Remote): typeof fetch {
  const [source, file] = o.ca ? ['--ca', o.ca] : ['BATON_TLS_CA', process.env.BATON_TLS_CA];
  return fetchTrusting(file ? readPem(source, file, (pem) => void parseCertificate(pem)) : null);
}

/** The key from the flag, else BATON_API_KEY, else the master's own key file when it runs on this machine. */
function apiKeyFor(o: Remote): { key?: string; from: string } {
  const file = apiKeyFile({ dataDir: o.dataDir ?? process.env.BATON_DATA_DIR ?? defaultDataDir() });
  if (o.apiKey) return { key: o.apiKey, from: '--api-key' };
  if (process.env.BATON_API_KEY) return { key: process.env.BATON_API_KEY, from: 'BATON_API_KEY' };
  if (existsSync(file)) return { key: readFileSync(file, 'utf8').trim(), from: file };
  return { from: `no key: none in --api-key, BATON_API_KEY or ${file}` };
}

function apiAt(o: Remote) {
  const { key, from } = apiKeyFor(o);
  const send = httpTransport(o.url, { apiKey: key, fetch: trustFor(o), hint: 'is it running, and is --url right?' });
  return clientOver(async (method, input) => {
    const reply = await send(method, input);
    if (reply.ok || (reply.error as { code?: string }).code !== 'unauthorized') return reply;
    const error = reply.error as { code: string; message: string };
    return { ok: false, error: { ...error, message: `${error.message} (the key sent: ${from})` } };
  });
}

async function tokenCommand(action: () => Promise<unknown>): Promise<void> {
  try {
    const out = await action();
    process.stdout.write(typeof out === 'string' ? `${out}\n` : `${JSON.stringify(out, null, 2)}\n`);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
}

// Positional: `token … --data-dir D` is the token command's own flag, not the master's.
const program = new Command('baton-master').enablePositionalOptions()
  .description('Baton master: schedules tasks and dispatches runs to worker agents')
  .version(VERSION)
  .option('--database-url <url>', 'external PostgreSQL (default: embedded PostgreSQL in the data folder)')
  .option('--port <port>', 'port for agents, the API and the browser console (default 7070)')
  .option('--bind <address>', 'address to listen on (default 127.0.0.1)')
  .option('--data-dir <dir>', 'data folder (default ~/.baton)')
  .option('--heartbeat-ms <ms>', 'agent heartbeat interval (default 1000)')
  .option('--missed-heartbeats <n>', 'missed heartbeats before a worker is dead (default 3)')
  .option('--advertise-url <url>', 'how agents and other masters reach this one (default http://<bind or host name>:<port>)')
  .option('--leader-lease-ms <ms>', 'how long a silent leader keeps leadership before another master takes over (default 5000)')
  .option('--api-auth <mode>', 'which HTTP clients need an API key: all (default) or remote (not clients on this machine)')
  .option('--allowed-hosts <list>', 'host names clients use beyond the bind, loopback and advertised ones, comma-separated (name or name:port)')
  .option('--smtp-url <url>', 'mail server for alert emails: smtp:// or smtps://, user:pass optional (default: none, email alerts fail)')
  .option('--alert-from <address>', 'sender of alert emails (default baton@<host name>)')
  .option('--tls-cert <file>', 'PEM certificate: serve the API, console and agents over HTTPS only (with --tls-key)')
  .option('--tls-key <file>', 'PEM private key of --tls-cert')
  .option('--tls-ca <file>', 'PEM CA certificate(s) to verify other masters over HTTPS (default: Node\'s built-in CAs)')
  .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
  .action((flags: Record<string, string | undefined>) => serve(flags));

const token = program.command('token').description('manage API keys on a running master (agents: see `enrol`)');
const remote = (command: Command) => command
  // The same variables the master itself reads, so a shell set up for one master talks to it without flags.
  .addOption(new Option('--url <url>', 'the master (default http://127.0.0.1:<BATON_PORT or 7070>)').default(`http://127.0.0.1:${process.env.BATON_PORT || 7070}`))
  .option('--api-key <key>', 'API key; visible to ps, so prefer BATON_API_KEY or the api-key file in the data folder (the defaults, in that order)')
  .option('--data-dir <dir>', 'the master\'s data folder, to read its api-key file (default BATON_DATA_DIR, else ~/.baton)')
  .option('--ca <file>', 'PEM CA certificate(s) to verify an https:// master (default: BATON_TLS_CA, else Node\'s built-in CAs)');
remote(token.command('create').argument('<label>').description('create an API key and print its secret (shown once); its id is the tok_… part'))
  .addOption(new Option('--scope <scope>', 'read, operate or admin: an API key for HTTP clients that may read, also run and stop, or do everything')
    .choices(['read', 'operate', 'admin']).default('read'))
  .action((label: string, o: Remote & { scope: TokenScope }) => tokenCommand(async () => (await apiAt(o).call('tokens.create', { label, scope: o.scope })).secret));
remote(token.command('list').description('list tokens and API keys (secrets are never shown again)')).action((o: Remote) => tokenCommand(() => apiAt(o).call('tokens.list', {})));
remote(token.command('revoke').argument('<id>').description('revoke a token or API key by its id (tok_…, see `token list`)'))
  .action((id: string, o: Remote) => tokenCommand(async () => {
    // The secret starts with the id, but it is a secret: it is never echoed back in the error.
    if (id.startsWith('bt_')) throw new Error(`pass the token's id, not its secret: the id is the tok_… part after "bt_" and before the dot (see \`token list\`)`);
    return apiAt(o).call('tokens.revoke', { id });
  }));

const DURATION_UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30m`, `12h`, `7d` → milliseconds, for `enrol create --expires-in`. */
function durationMs(text: string): number {
  const match = /^(\d{1,6})([mhd])$/.exec(text.trim());
  if (!match) throw new Error(`--expires-in: "${text}" is not a duration like 30m, 12h or 7d`);
  return Number(match[1]) * DURATION_UNITS[match[2]!]!;
}

function refuseSecret(id: string): void {
  // The secret starts with the id, but it is a secret: it is never echoed back in the error.
  if (id.startsWith('bt_')) throw new Error(`pass the id, not the secret: the id is the part after "bt_" and before the dot (see \`enrol list\`)`);
}

const enrol = program.command('enrol').description('enrolment tokens for agents, and the credentials agents traded them for');
remote(enrol.command('create').description('create an enrolment token for a group and print it (shown once); agents pass it with --token-file'))
  .requiredOption('--group <name>', 'the group its agents join (it must exist)')
  .option('--label <label>', 'what it is for (default: "agents of <group>")')
  .option('--single-use', 'good for one agent only')
  .option('--expires-in <duration>', 'refused after this long, e.g. 30m, 12h, 7d (default: never)')
  .action((o: Remote & { group: string; label?: string; singleUse?: boolean; expiresIn?: string }) => tokenCommand(async () => {
    const api = apiAt(o);
    const group = (await api.call('groups.list', {})).find((g) => g.name === o.group);
    if (!group) throw new Error(`--group: there is no group "${o.group}"; create it first (console, or the groups.create API method)`);
    const expiresInMs = o.expiresIn === undefined ? undefined : durationMs(o.expiresIn);
    const made = await api.call('enrolments.create', { label: o.label ?? `agents of ${o.group}`, groupId: group.id, singleUse: o.singleUse === true, expiresInMs });
    return made.secret;
  }));
remote(enrol.command('list').description('list enrolment tokens (secrets are never shown again)')).action((o: Remote) => tokenCommand(() => apiAt(o).call('enrolments.list', {})));
remote(enrol.command('revoke').argument('<id>').description('revoke an enrolment token (enr_…) and the credentials made with it'))
  .option('--keep-credentials', 'leave the agents that enrolled with it connected; only new enrolments are refused')
  .action((id: string, o: Remote & { keepCredentials?: boolean }) => tokenCommand(async () => {
    refuseSecret(id);
    return apiAt(o).call('enrolments.revoke', { id, keepCredentials: o.keepCredentials === true });
  }));
remote(enrol.command('credentials').description('list agent credentials: one per worker, with the enrolment token it came from'))
  .action((o: Remote) => tokenCommand(() => apiAt(o).call('credentials.list', {})));
remote(enrol.command('revoke-credential').argument('<id>').description('revoke one agent\'s credential (crd_…): it is disconnected within a heartbeat'))
  .action((id: string, o: Remote) => tokenCommand(async () => {
    refuseSecret(id);
    return apiAt(o).call('credentials.revoke', { id });
  }));

// Definitions as files (issue 9); exit codes 0 done, 1 error, 2 bad input, 3 diff --exit-code found changes.
const many = (value: string, previous: string[]) => [...previous, value];
const onConflict = () => new Option('--on-conflict <policy>', 'when a group or task of the file differs from the master\'s: skip (keep the master\'s), overwrite, or rename (import a copy as name-2)')
  .choices(['skip', 'overwrite', 'rename']).default('skip');
/** Reaching the master (apiAt reads --ca) may fail before the command runs: that is bad input too, exit 2. */
const exitWith = (command: () => Promise<number>) => Promise.resolve().then(command)
  .then((code) => process.exit(code), (error: unknown) => fail(error instanceof Error ? error.message : String(error)));
remote(program.command('export').description('write the master\'s groups and tasks as a baton/v1 definitions file (stdout, or --out)'))
  .option('--group <name>', 'only this group and its tasks (repeat for more)', many, [])
  .option('--task <name>', 'only tasks of this name, with their groups (repeat for more)', many, [])
  .option('--out <file>', 'write to this file; left as it is when nothing but the export time would change')
  .action((o: Remote & { group: string[]; task: string[]; out?: string }) => exitWith(() => exportCommand(apiAt(o), o)));
remote(program.command('import').argument('<file>').description('import a baton/v1 file: check all of it, show the plan, then apply all or nothing'))
  .option('--dry-run', 'show the plan and change nothing')
  .addOption(onConflict())
  .action((file: string, o: Remote & { dryRun?: boolean; onConflict: 'skip' | 'overwrite' | 'rename' }) => exitWith(() => importCommand(apiAt(o), file, o)));
remote(program.command('diff').argument('<file>').description('show what importing a baton/v1 file would change, changing nothing'))
  .option('--exit-code', 'exit 3 when the master differs from the file (for CI)')
  .addOption(onConflict())
  .action((file: string, o: Remote & { exitCode?: boolean; onConflict: 'skip' | 'overwrite' | 'rename' }) => exitWith(() => diffCommand(apiAt(o), file, o)));

program.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
await program.parseAsync(process.argv);
