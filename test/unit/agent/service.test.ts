import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, type RawOptions } from '../../../worker-agent/src/config';
import { applyPlan, installPlan, uninstallPlan } from '../../../worker-agent/src/service/install';
import { launchdPlist } from '../../../worker-agent/src/service/launchd';
import { resolveServiceOptions } from '../../../worker-agent/src/service/options';
import { systemdUnit } from '../../../worker-agent/src/service/systemd';
import { windowsArg, windowsService } from '../../../worker-agent/src/service/windows';
import { tempDir } from './helpers';

const TOKEN = 'agent-token-0123456789';
const flags = (over: RawOptions = {}): RawOptions => ({
  master: 'http://master:8080',
  group: 'etl',
  name: 'edge-1',
  labels: 'zone=a,odd=50%$HOME "quoted"',
  ...over,
});

describe('service definitions', () => {
  it('systemd unit passes `systemd-analyze verify` and carries the token file, not the token', async () => {
    const dir = await tempDir();
    // verify checks that ExecStart's binary exists, so point it at real files.
    const agent = join(dir, 'baton-agent.js');
    writeFileSync(agent, '');
    const options = resolveServiceOptions(
      flags({ platform: 'systemd', node: process.execPath, agent, dataDir: dir, user: 'daemon', token: TOKEN, handlersDir: '/opt/baton/handlers' }), {},
    );
    const unit = systemdUnit(options);
    const file = join(dir, `${options.serviceName}.service`);
    writeFileSync(file, unit);

    const verify = spawnSync('/usr/bin/systemd-analyze', ['verify', file], { encoding: 'utf8' });
    expect(verify.stderr).toBe(''); // verify only warns (exit 0) about unknown keys and bad quoting
    expect(verify.status).toBe(0);
    expect(unit).not.toContain(TOKEN);
    expect(unit).toContain('"--token-file" "/etc/baton-agent/edge-1.token"');
    expect(unit).toContain('"--labels" "zone=a,odd=50%%$$HOME \\"quoted\\""');
    expect(unit).toContain('"--handlers-dir" "/opt/baton/handlers"');
    expect(unit).toMatch(/^User=daemon$/m);
    expect(unit).toMatch(/^KillMode=mixed$/m);
    expect(unit).toMatch(/^Delegate=yes$/m);
  });

  it('launchd plist is a valid plist with the agent command line', () => {
    const options = resolveServiceOptions(flags({ platform: 'launchd', node: '/usr/local/bin/node', agent: '/opt/baton/bin/baton-agent.js' }), {});
    // python's plistlib is a real plist parser (plutil is macOS only).
    const json = execFileSync('python3', ['-c', 'import plistlib,sys,json; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))'], {
      input: launchdPlist(options),
      encoding: 'utf8',
    });
    const plist = JSON.parse(json) as Record<string, unknown>;
    expect(plist).toMatchObject({
      Label: 'dev.baton.agent.edge-1',
      RunAtLoad: true,
      KeepAlive: { SuccessfulExit: false },
      WorkingDirectory: '/usr/local/var/baton-agent/edge-1',
      StandardErrorPath: '/usr/local/var/baton-agent/edge-1/agent.log',
    });
    const args = plist.ProgramArguments as string[];
    expect(args.slice(0, 2)).toEqual(['/usr/local/bin/node', '/opt/baton/bin/baton-agent.js']);
    expect(args[args.indexOf('--token-file') + 1]).toBe('/usr/local/etc/baton-agent/edge-1.token');
    expect(args[args.indexOf('--labels') + 1]).toBe('zone=a,odd=50%$HOME "quoted"');
    expect(args).not.toContain('--token');
  });

  it('windows: a WinSW service definition, well-formed, with paths with spaces quoted, no secret, a graceful stop', () => {
    const options = resolveServiceOptions(
      flags({
        platform: 'windows', node: 'C:\\Program Files\\nodejs\\node.exe', agent: 'C:\\Program Files\\baton agent\\bin\\baton-agent.js',
        dataDir: 'C:\\Data Dir\\', labels: 'zone=a,note=<&> "quoted"', stopGraceMs: '30000', token: TOKEN,
      }),
      {},
    );
    const definition = windowsService(options);
    // A real XML parser (python's ElementTree) reads it back: structure and escaping both hold.
    const json = execFileSync('python3', ['-c', [
      'import sys, json, xml.etree.ElementTree as ET',
      'root = ET.fromstring(sys.stdin.buffer.read())',
      'print(json.dumps({"tag": root.tag, "children": {c.tag: (c.text or "") for c in root}, "onfailure": root.find("onfailure").attrib, "log": root.find("log").attrib}))',
    ].join('\n')], { input: definition, encoding: 'utf8' });
    const parsed = JSON.parse(json) as { tag: string; children: Record<string, string>; onfailure: Record<string, string>; log: Record<string, string> };
    expect(parsed.tag).toBe('service');
    expect(parsed.children).toMatchObject({
      id: 'baton-agent-edge-1',
      executable: 'C:\\Program Files\\nodejs\\node.exe',
      workingdirectory: 'C:\\Data Dir\\',
      startmode: 'Automatic',
      // The agent drains for --stop-grace-ms after WinSW's Ctrl+C; WinSW waits that long plus 15 s before killing.
      stoptimeout: '45 sec',
      logpath: 'C:\\Data Dir\\logs',
    });
    expect(parsed.onfailure).toEqual({ action: 'restart', delay: '10 sec' });
    expect(parsed.log).toEqual({ mode: 'roll-by-size' });
    // Quoted as CommandLineToArgvW splits it: the script path with spaces is one argument, so is every value.
    const args = parsed.children.arguments!;
    expect(args.startsWith('"C:\\Program Files\\baton agent\\bin\\baton-agent.js" --master http://master:8080')).toBe(true);
    expect(args).toContain('--data-dir "C:\\Data Dir\\\\"');
    expect(args).toContain('--labels "zone=a,note=<&> \\"quoted\\""');
    expect(args).toContain('--token-file C:\\ProgramData\\Baton\\agent\\edge-1.token');
    expect(definition).not.toContain(TOKEN);
    expect(args).not.toMatch(/--token\s/);
    expect(windowsArg('plain')).toBe('plain');
    expect(windowsArg('')).toBe('""');
    expect(windowsArg('a\\"b')).toBe('"a\\\\\\"b"');
  });

  it('windows install copies WinSW beside the definition, locks the token file, installs and starts; uninstall stops first', () => {
    const options = resolveServiceOptions(flags({ platform: 'windows', winsw: 'D:\\tools\\WinSW-x64.exe', labels: '' }), {});
    const steps = installPlan(options, TOKEN);
    const dir = 'C:\\ProgramData\\Baton\\agent\\edge-1';
    expect(steps).toContainEqual({ kind: 'write', path: `${dir}\\baton-agent-edge-1.xml`, content: windowsService(options), mode: 0o644, secret: false });
    expect(steps.filter((s) => s.kind === 'copy' || s.kind === 'run')).toEqual([
      { kind: 'copy', from: 'D:\\tools\\WinSW-x64.exe', to: `${dir}\\baton-agent-edge-1.exe` },
      { kind: 'run', argv: ['icacls', `${dir}.token`, '/inheritance:r', '/grant:r', 'SYSTEM:R', 'Administrators:F'], mayFail: false },
      { kind: 'run', argv: [`${dir}\\baton-agent-edge-1.exe`, 'install'], mayFail: false },
      { kind: 'run', argv: [`${dir}\\baton-agent-edge-1.exe`, 'start'], mayFail: false },
    ]);
    expect(uninstallPlan(options).map((s) => (s.kind === 'run' ? s.argv.at(-1) : s.kind))).toEqual(['stop', 'uninstall', 'remove', 'remove']);
  });

  it('refuses relative paths and a user on windows, naming the flag', () => {
    const error = (over: RawOptions) => {
      try {
        resolveServiceOptions(flags(over), {});
      } catch (err) {
        return err instanceof ConfigError ? err.message : String(err);
      }
      return 'no error';
    };
    expect(error({ platform: 'systemd', tokenFile: 'token' })).toMatch(/^--token-file: must be an absolute systemd path/);
    expect(error({ platform: 'systemd', handlersDir: 'handlers' })).toMatch(/^--handlers-dir: must be an absolute systemd path/);
    expect(error({ platform: 'windows', user: 'bob' })).toMatch(/^--user: /);
    // WinSW would expand %NAME% in the arguments: refused, naming the flag the value came from.
    expect(error({ platform: 'windows', labels: 'path=%PATH%' })).toMatch(/^--labels: must not contain % on windows/);
    expect(error({ platform: 'windows', node: 'C:\\%USERPROFILE%\\node.exe' })).toMatch(/^--node: must not contain %/);
    expect(error({ platform: 'systemd', winsw: '/opt/winsw.exe' })).toMatch(/^--winsw: is for windows only/);
    const noWinsw = resolveServiceOptions(flags({ platform: 'windows', labels: '' }), {});
    expect(() => installPlan(noWinsw, TOKEN)).toThrow(/^--winsw: is required to install on windows/);
    expect(error({ platform: 'solaris' })).toMatch(/^--platform: must be one of systemd, launchd, windows/);
  });
});

describe('service install plan', () => {
  it('writes the token file with mode 600 and the unit, then enables the service', async () => {
    const dir = await tempDir();
    const options = resolveServiceOptions(
      flags({ platform: 'systemd', tokenFile: join(dir, 'etc', 'edge-1.token'), dataDir: join(dir, 'data'), unitDir: join(dir, 'units') }),
      {},
    );
    const steps = installPlan(options, TOKEN);
    expect(steps.filter((s) => s.kind === 'run').map((s) => s.argv.join(' '))).toEqual([
      'systemctl daemon-reload',
      'systemctl enable --now baton-agent-edge-1.service',
    ]);
    // Carry out everything but the systemctl calls, which would touch this machine's services.
    applyPlan(steps.filter((s) => s.kind !== 'run'), () => {});
    expect(readFileSync(options.tokenFile, 'utf8')).toBe(`${TOKEN}\n`);
    expect(statSync(options.tokenFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(options.unitPath, 'utf8')).toBe(systemdUnit(options));
    expect(statSync(options.dataDir).isDirectory()).toBe(true);

    applyPlan(uninstallPlan(options).filter((s) => s.kind !== 'run'), () => {});
    expect(() => statSync(options.unitPath)).toThrow();
    expect(statSync(options.tokenFile).isFile()).toBe(true); // kept: reinstalling needs it
  });
});
