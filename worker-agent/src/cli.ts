// `baton-agent`: runs the agent, or installs it as a system service.
// Exit codes: 0 stopped, 1 unexpected error, 2 bad flags or environment, 3 refused by the master.
import { existsSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { startAgent } from './agent.js';
import { ConfigError, DEFAULTS, field, parseOptions, resolveAgentConfig, type RawOptions } from './config.js';
import { EnrolmentRefused, obtainCredential } from './credential.js';
import { HANDLERS } from './executors/index.js';
import { offeredHandlers } from './handler-modules.js';
import { checkMasterCertificates } from './master-trust.js';
import { AGENT_VERSION } from './host.js';
import { createLogger } from './logger.js';
import { firstRun } from './v8-footprint.js';
import { guardRuns } from './processes/watchdog.js';
import { applyPlan, describePlan, installPlan, serviceFile, uninstallPlan } from './service/install.js';
import { PLATFORMS, resolveServiceOptions } from './service/options.js';

const EXIT = { ok: 0, error: 1, usage: 2, refused: 3 } as const;

function agentOptions(cmd: Command): Command {
  return cmd
    .option('--master <url>', 'master URL, e.g. http://master:8080, or several comma-separated (env BATON_MASTER_URL)')
    .option('--token <token>', 'enrolment token, needed until the agent has its credential (env BATON_AGENT_TOKEN); visible in `ps`, prefer --token-file')
    .option('--token-file <path>', 'file holding the enrolment token (env BATON_AGENT_TOKEN_FILE)')
    .option('--group <group>', 'worker group (env BATON_AGENT_GROUP)')
    .option('--name <name>', 'worker name, unique in the group (env BATON_AGENT_NAME)')
    .option('--capacity <n>', `runs at once (default ${DEFAULTS.capacity})`)
    .option('--labels <k=v,...>', 'labels for routing, e.g. zone=a,gpu=yes')
    .option('--handlers <list>', `handlers offered (default: all, i.e. ${HANDLERS.join(',')} and every one from --handlers-dir)`)
    .option('--handlers-dir <dir>', 'folder of handler modules, each exporting { name, params, run(ctx) } (env BATON_AGENT_HANDLERS_DIR)')
    .option('--data-dir <dir>', 'credential, outbox and state (env BATON_AGENT_DATA_DIR; default ~/.baton-agent/<name>)')
    .option('--heartbeat-ms <ms>', `heartbeat until the master sets one (default ${DEFAULTS.heartbeatMs})`)
    .option('--stop-grace-ms <ms>', `how long runs may finish after SIGTERM (default ${DEFAULTS.stopGraceMs})`)
    .option('--allow-outbound <list>', 'hosts, IPs or CIDRs http tasks may reach despite the metadata guard, e.g. 169.254.169.254 (env BATON_AGENT_ALLOW_OUTBOUND)')
    .option('--log-level <level>', `fatal, error, warn, info, debug or trace (default ${DEFAULTS.logLevel})`)
    .option('--ca <file>', "PEM CA certificate(s) an https:// master's certificate must chain to (env BATON_AGENT_CA; default: Node's built-in CAs)");
}

async function runAgent(flags: RawOptions): Promise<number> {
  const options = resolveAgentConfig(flags);
  await checkMasterCertificates(options.masterUrls, options.ca);
  // Before enrolling: a malformed handler module is an operator's mistake to fix, not something to retry.
  const handlers = await offeredHandlers(options.handlersDir, options.handlers);
  const log = createLogger(options.logLevel, options.name);
  let credential: string;
  try {
    credential = await obtainCredential(options, log, options.ca ? { ca: options.ca } : {});
  } catch (err) {
    if (!(err instanceof EnrolmentRefused)) throw err;
    process.stderr.write(`baton-agent: the master refused to enrol this agent (${err.refusal.code}): ${err.refusal.message}\n`);
    return EXIT.refused;
  }
  // Before taking runs: kill what an earlier instance on this data folder left, start the reaper (issue 6).
  const watchdog = guardRuns(options.dataDir, log);
  // The reaper also enforces the run lease: the agent tells it each renewal (it cannot fence while paused).
  const agent = await startAgent({ ...options, token: credential }, log, watchdog, handlers, firstRun);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signals++ > 0) {
      log.warn({ signal }, 'second signal: exiting without waiting for runs');
      process.exit(EXIT.error);
    }
    log.info({ signal }, 'signal received; stopping');
    void agent.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const exit = await agent.closed;
  watchdog.stop();
  if (exit.kind === 'stopped') return EXIT.ok;
  process.stderr.write(`baton-agent: the master refused this agent (${exit.refusal.code}): ${exit.refusal.message}\n`);
  return EXIT.refused;
}

function serviceCommand(action: 'install' | 'uninstall' | 'print', description: string): Command {
  const cmd = agentOptions(new Command(action).description(description))
    .option('--platform <platform>', `${PLATFORMS.join(', ')} (default: this machine's)`)
    .option('--user <account>', 'account the service runs as (systemd/launchd; default root)')
    .option('--unit-dir <dir>', 'where the unit / plist / WinSW XML goes (default: the platform location)')
    .option('--winsw <path>', 'windows: the WinSW executable (WinSW-x64.exe) that runs the agent as a service; copied beside the XML')
    .option('--node <path>', 'node binary the service runs (default: this one)')
    .option('--agent <path>', 'baton-agent.js the service runs (default: this one)');
  if (action !== 'print') cmd.option('--dry-run', 'print the steps instead of carrying them out');
  return cmd.action((opts: RawOptions & { dryRun?: boolean }) => {
    const { dryRun, ...flags } = opts;
    const service = resolveServiceOptions(flags, process.env, action === 'uninstall');
    if (action === 'print') return void process.stdout.write(serviceFile(service));
    let steps;
    if (action === 'install') {
      const given = flags.token ?? process.env.BATON_AGENT_TOKEN;
      const token = given === undefined ? null : parseOptions({ token: field.token }, flags, process.env).token;
      if (token === null && !existsSync(service.tokenFile)) {
        throw new ConfigError('--token-file', `${service.tokenFile} does not exist; pass --token (or BATON_AGENT_TOKEN) to create it`);
      }
      steps = installPlan(service, token);
    } else steps = uninstallPlan(service);
    if (dryRun) return void process.stdout.write(`${describePlan(steps)}\n`);
    applyPlan(steps, (line) => process.stdout.write(`${line}\n`));
    process.stdout.write(`${action === 'install' ? 'installed' : 'uninstalled'} ${service.serviceName}\n`);
  });
}

function program(): Command {
  const root = agentOptions(new Command('baton-agent'))
    .description('Runs Baton tasks for a Baton master.')
    .version(AGENT_VERSION)
    // Without this the root's --master etc. would swallow the same flags given to `service install`.
    .enablePositionalOptions()
    .exitOverride()
    .action(async (opts: RawOptions) => {
      process.exitCode = await runAgent(opts);
    });
  const service = new Command('service').description('install the agent as a system service (systemd, launchd, Windows)');
  service.addCommand(serviceCommand('install', 'write the service definition and start it'));
  service.addCommand(serviceCommand('uninstall', 'stop the service and remove its definition (keeps token and data)'));
  service.addCommand(serviceCommand('print', 'print the service definition'));
  root.addCommand(service.exitOverride());
  return root;
}

async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return Number(process.exitCode ?? EXIT.ok);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage; // commander printed it
    if (err instanceof ConfigError) {
      process.stderr.write(`baton-agent: ${err.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`baton-agent: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.error;
  }
}

// Exit explicitly: a handler module may leave timers behind that would keep the process alive.
process.exit(await main(process.argv));
