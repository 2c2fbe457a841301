// Service install options, resolved once per platform: where the unit, token and data live, and the
// exact agent command line the service runs (with --token-file, never the token itself).
import { posix, win32 } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError, field, flagOf, parseOptions, runFields, type RawOptions } from '../config.js';

export const PLATFORMS = ['systemd', 'launchd', 'windows'] as const;
export type Platform = (typeof PLATFORMS)[number];

export interface ServiceOptions {
  platform: Platform;
  /** systemd unit / Windows service id; launchd uses `label`. */
  serviceName: string;
  label: string;
  nodePath: string;
  agentPath: string;
  /** Agent flags after the script path. */
  args: string[];
  name: string;
  tokenFile: string;
  dataDir: string;
  /** Account the service runs as; null = the platform's system account (root / SYSTEM). */
  user: string | null;
  /** Where the unit / plist / WinSW XML is written. */
  unitPath: string;
  /** Windows: the WinSW executable to install the service with (copied beside the XML); null elsewhere or not given. */
  winsw: string | null;
  stopGraceMs: number;
}

const defaultPlatform = (): Platform =>
  process.platform === 'win32' ? 'windows' : process.platform === 'darwin' ? 'launchd' : 'systemd';

/** Conventional locations: FHS on Linux, Homebrew-style /usr/local on macOS, ProgramData on Windows. */
function defaults(platform: Platform, name: string) {
  switch (platform) {
    case 'systemd':
      return { unitDir: '/etc/systemd/system', tokenFile: `/etc/baton-agent/${name}.token`, dataDir: `/var/lib/baton-agent/${name}` };
    case 'launchd':
      return {
        unitDir: '/Library/LaunchDaemons',
        tokenFile: `/usr/local/etc/baton-agent/${name}.token`,
        dataDir: `/usr/local/var/baton-agent/${name}`,
      };
    case 'windows':
      return {
        unitDir: `C:\\ProgramData\\Baton\\agent\\${name}`,
        tokenFile: `C:\\ProgramData\\Baton\\agent\\${name}.token`,
        dataDir: `C:\\ProgramData\\Baton\\agent\\${name}\\data`,
      };
  }
}

const text = z.string().min(1, 'must not be empty');

/** `removal`: only what uninstall needs (name, platform, paths), so master and group may be left out. */
export function resolveServiceOptions(flags: RawOptions, env: NodeJS.ProcessEnv = process.env, removal = false): ServiceOptions {
  const o = parseOptions(
    {
      platform: z.enum(PLATFORMS, { error: `must be one of ${PLATFORMS.join(', ')}` }).default(defaultPlatform()),
      master: removal ? field.master.optional() : field.master,
      group: removal ? field.group.optional() : field.group,
      ...runFields,
      // Paths are kept as given: they are paths on the target platform, which may not be this one.
      dataDir: text.optional(),
      tokenFile: text.optional(),
      handlersDir: text.optional(),
      unitDir: text.optional(),
      node: text.optional(),
      agent: text.optional(),
      winsw: text.optional(),
      user: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/, 'must be a plain account name').optional(),
    },
    flags,
    env,
  );
  const path = o.platform === 'windows' ? win32 : posix;
  const d = defaults(o.platform, o.name);
  const absolute = (key: string, value: string) => {
    if (!path.isAbsolute(value)) throw new ConfigError(flagOf(key), `must be an absolute ${o.platform} path, got "${value}"`);
    return value;
  };
  if (o.platform === 'windows' && o.user) throw new ConfigError('--user', 'is not supported on windows; the service runs as LocalSystem');
  if (o.platform !== 'windows' && o.winsw) throw new ConfigError('--winsw', `is for windows only, not ${o.platform}`);
  const tokenFile = absolute('tokenFile', o.tokenFile ?? d.tokenFile);
  const dataDir = absolute('dataDir', o.dataDir ?? d.dataDir);
  const serviceName = `baton-agent-${o.name}`;
  const label = `dev.baton.agent.${o.name}`;
  const unitFile = { systemd: `${serviceName}.service`, launchd: `${label}.plist`, windows: `${serviceName}.xml` }[o.platform];
  const args = ['--master', o.master ?? '', '--group', o.group ?? '', '--name', o.name, '--token-file', tokenFile, '--data-dir', dataDir];
  args.push('--capacity', String(o.capacity), '--heartbeat-ms', String(o.heartbeatMs));
  if (o.handlers) args.push('--handlers', o.handlers.join(','));
  if (o.handlersDir) args.push('--handlers-dir', absolute('handlersDir', o.handlersDir));
  args.push('--stop-grace-ms', String(o.stopGraceMs), '--log-level', o.logLevel);
  const labels = Object.entries(o.labels).map(([k, v]) => `${k}=${v}`);
  if (labels.length) args.push('--labels', labels.join(','));
  const allow = [...o.allowOutbound.hosts, ...o.allowOutbound.ranges.map(([address, bits]) => `${address.toString()}/${bits}`)];
  if (allow.length) args.push('--allow-outbound', allow.join(','));
  const nodePath = absolute('node', o.node ?? process.execPath);
  const agentPath = absolute('agent', o.agent ?? fileURLToPath(new URL('../../bin/baton-agent.js', import.meta.url)));
  if (o.platform === 'windows') refuseExpansion({ '--node': nodePath, '--agent': agentPath }, args);
  return {
    platform: o.platform,
    serviceName,
    label,
    nodePath,
    agentPath,
    args,
    name: o.name,
    tokenFile,
    dataDir,
    user: o.user ?? null,
    unitPath: path.join(absolute('unitDir', o.unitDir ?? d.unitDir), unitFile),
    stopGraceMs: o.stopGraceMs,
    winsw: o.winsw === undefined ? null : absolute('winsw', o.winsw),
  };
}

/** WinSW expands %NAME% in the service's executable and arguments, with no escape: a `%` there is refused, named. */
function refuseExpansion(paths: Record<string, string>, args: readonly string[]): void {
  const given: Array<[string, string]> = [...Object.entries(paths)];
  for (let i = 0; i + 1 < args.length; i += 2) given.push([args[i]!, args[i + 1]!]);
  const bad = given.find(([, value]) => value.includes('%'));
  if (bad) throw new ConfigError(bad[0], `must not contain % on windows (the service wrapper would expand %NAME% in it), got "${bad[1]}"`);
}
