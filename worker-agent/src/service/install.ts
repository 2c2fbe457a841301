// Install and uninstall as plans: a list of plain steps, shown as is by --dry-run and carried out by
// `apply`, so what an operator previews is exactly what runs.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { posix, win32 } from 'node:path';
import { assertNever } from '../issues.js';
import { launchdPlist } from './launchd.js';
import type { ServiceOptions } from './options.js';
import { systemdUnit } from './systemd.js';
import { ConfigError } from '../config.js';
import { windowsService } from './windows.js';

export type Step =
  | { kind: 'mkdir'; path: string; mode: number }
  | { kind: 'write'; path: string; content: string; mode: number; secret: boolean }
  | { kind: 'copy'; from: string; to: string }
  | { kind: 'run'; argv: string[]; mayFail: boolean }
  | { kind: 'remove'; path: string };

/** The unit / plist / WinSW XML text for the chosen platform. */
export function serviceFile(o: ServiceOptions): string {
  switch (o.platform) {
    case 'systemd':
      return systemdUnit(o);
    case 'launchd':
      return launchdPlist(o);
    case 'windows':
      return windowsService(o);
    default:
      return assertNever(o.platform);
  }
}

const run = (argv: string[], mayFail = false): Step => ({ kind: 'run', argv, mayFail });
/** WinSW runs as `<id>.exe` beside `<id>.xml`, the layout every WinSW version reads its definition from. */
const winswExe = (o: ServiceOptions) => o.unitPath.replace(/\.xml$/, '.exe');

/** `token` is written to the token file when given; otherwise the existing file is used. */
export function installPlan(o: ServiceOptions, token: string | null): Step[] {
  const dirname = (o.platform === 'windows' ? win32 : posix).dirname;
  const chown = (path: string, recursive = false): Step[] =>
    o.user && o.platform !== 'windows' ? [run(['chown', ...(recursive ? ['-R'] : []), o.user, path])] : [];
  const steps: Step[] = [];
  if (token !== null) {
    steps.push({ kind: 'mkdir', path: dirname(o.tokenFile), mode: 0o755 });
    steps.push({ kind: 'write', path: o.tokenFile, content: `${token}\n`, mode: 0o600, secret: true }, ...chown(o.tokenFile));
  }
  steps.push({ kind: 'mkdir', path: o.dataDir, mode: 0o750 }, ...chown(o.dataDir, true));
  steps.push({ kind: 'mkdir', path: dirname(o.unitPath), mode: 0o755 });
  steps.push({ kind: 'write', path: o.unitPath, content: serviceFile(o), mode: 0o644, secret: false });
  switch (o.platform) {
    case 'systemd':
      return [...steps, run(['systemctl', 'daemon-reload']), run(['systemctl', 'enable', '--now', `${o.serviceName}.service`])];
    case 'launchd':
      return [...steps, run(['launchctl', 'load', '-w', o.unitPath])];
    case 'windows': {
      if (!o.winsw) throw new ConfigError('--winsw', 'is required to install on windows: the path of WinSW-x64.exe (WinSW releases), which runs the agent as a service');
      const exe = winswExe(o);
      // The token file: readable by the service account (LocalSystem) and administrators only.
      const lockToken = run(['icacls', o.tokenFile, '/inheritance:r', '/grant:r', 'SYSTEM:R', 'Administrators:F']);
      return [...steps, { kind: 'copy', from: o.winsw, to: exe }, lockToken, run([exe, 'install']), run([exe, 'start'])];
    }
    default:
      return assertNever(o.platform);
  }
}

/** Leaves the token file and data dir: the outbox there may still hold undelivered results. */
export function uninstallPlan(o: ServiceOptions): Step[] {
  const remove: Step = { kind: 'remove', path: o.unitPath };
  switch (o.platform) {
    case 'systemd':
      return [run(['systemctl', 'disable', '--now', `${o.serviceName}.service`], true), remove, run(['systemctl', 'daemon-reload'])];
    case 'launchd':
      return [run(['launchctl', 'unload', '-w', o.unitPath], true), remove];
    case 'windows': {
      const exe = winswExe(o);
      // `stop` lets runs finish (Ctrl+C, then up to stoptimeout) before the service is removed.
      return [run([exe, 'stop'], true), run([exe, 'uninstall'], true), remove, { kind: 'remove', path: exe }];
    }
    default:
      return assertNever(o.platform);
  }
}

export function describePlan(steps: readonly Step[]): string {
  return steps
    .map((step) => {
      switch (step.kind) {
        case 'mkdir':
          return `mkdir -p ${step.path}`;
        case 'copy':
          return `copy ${step.from} to ${step.to}`;
        case 'write':
          return step.secret
            ? `write ${step.path} (mode ${step.mode.toString(8)}): the token`
            : `write ${step.path} (mode ${step.mode.toString(8)}):\n${step.content}`;
        case 'run':
          return `run: ${step.argv.join(' ')}${step.mayFail ? '   (a failure here is ignored)' : ''}`;
        case 'remove':
          return `remove ${step.path}`;
        default:
          return assertNever(step);
      }
    })
    .join('\n');
}

export class StepFailedError extends Error {
  override readonly name = 'StepFailedError';
  readonly code = 'service_step_failed';
}

export function applyPlan(steps: readonly Step[], say: (line: string) => void): void {
  for (const step of steps) {
    switch (step.kind) {
      case 'mkdir':
        mkdirSync(step.path, { recursive: true, mode: step.mode });
        break;
      case 'copy':
        copyFileSync(step.from, step.to);
        break;
      case 'write':
        writeFileSync(step.path, step.content, { mode: step.mode });
        chmodSync(step.path, step.mode); // `mode` above applies only when the file is new
        break;
      case 'run': {
        say(`$ ${step.argv.join(' ')}`);
        const [cmd = '', ...args] = step.argv;
        const result = spawnSync(cmd, args, { stdio: 'inherit' });
        const failure = result.error?.message ?? (result.status === 0 ? null : `exit code ${result.status}`);
        if (failure && !step.mayFail) throw new StepFailedError(`${step.argv.join(' ')} failed: ${failure}`);
        break;
      }
      case 'remove':
        rmSync(step.path, { force: true });
        break;
      default:
        assertNever(step);
    }
  }
}
