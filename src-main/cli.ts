// `baton-master`: the master without Electron. Flags are turned into BATON_* settings and checked by one resolver.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { clientOver } from './master/api/contract/client';
import { BatonError } from './master/api/contract/errors';
import { resolveConfig } from './master/config';
import { startMaster } from './master/index';

const FLAG_TO_ENV: Record<string, string> = {
  databaseUrl: 'BATON_DATABASE_URL', port: 'BATON_PORT', bind: 'BATON_BIND', dataDir: 'BATON_DATA_DIR',
  heartbeatMs: 'BATON_HEARTBEAT_MS', missedHeartbeats: 'BATON_MISSED_HEARTBEATS', logLevel: 'BATON_LOG_LEVEL',
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
  const master = await startMaster(config, { consoleDir: existsSync(consoleDir) ? consoleDir : undefined });
  process.stdout.write(`baton-master listening on ${master.agentUrl} (agents: ${master.agentUrl}/agent, API: ${master.agentUrl}/api)\n`);
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

function apiAt(url: string) {
  return clientOver(async (method, input) => {
    const res = await fetch(`${url.replace(/\/$/, '')}/api/${method}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input),
    });
    return res.json() as never;
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

const program = new Command('baton-master')
  .description('Baton master: schedules tasks and dispatches runs to worker agents')
  .option('--database-url <url>', 'external PostgreSQL (default: embedded PostgreSQL in the data folder)')
  .option('--port <port>', 'port for agents, the API and the browser console (default 7070)')
  .option('--bind <address>', 'address to listen on (default 127.0.0.1)')
  .option('--data-dir <dir>', 'data folder (default ~/.baton)')
  .option('--heartbeat-ms <ms>', 'agent heartbeat interval (default 1000)')
  .option('--missed-heartbeats <n>', 'missed heartbeats before a worker is dead (default 3)')
  .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
  .action((flags: Record<string, string | undefined>) => serve(flags));

const token = program.command('token').description('manage agent tokens on a running master');
const url = new Option('--url <url>', 'the master').default('http://127.0.0.1:7070');
token.command('create').argument('<label>').addOption(url).description('create a token and print its secret (shown once)')
  .action((label: string, o: { url: string }) => tokenCommand(async () => (await apiAt(o.url).call('tokens.create', { label })).secret));
token.command('list').addOption(url).action((o: { url: string }) => tokenCommand(() => apiAt(o.url).call('tokens.list', {})));
token.command('revoke').argument('<id>').addOption(url)
  .action((id: string, o: { url: string }) => tokenCommand(() => apiAt(o.url).call('tokens.revoke', { id })));

program.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
await program.parseAsync(process.argv);
