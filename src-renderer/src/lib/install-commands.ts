// Copy-ready commands that install a worker agent as a service (issue 8, "Add worker"), from the agent's own CLI:
// `baton-agent service install --platform … --token-file …`. The enrolment token goes into a file readable by the
// service account alone, written by the shell itself (a here-document, a PowerShell here-string), so it never
// appears in a process's arguments that `ps` or Task Manager show (README, Security).

export const INSTALL_PLATFORMS = ['systemd', 'launchd', 'windows'] as const;
export type InstallPlatform = (typeof INSTALL_PLATFORMS)[number];

export interface InstallRequest {
  /** The address agents use to reach the master (its advertised URL). */
  masterUrl: string;
  group: string;
  name: string;
  /** The enrolment token, shown once. */
  secret: string;
}

export type InstallCommands =
  | { ok: true; commands: Record<InstallPlatform, string> }
  | { ok: false; field: keyof InstallRequest; message: string };

/** The agent's own rule for worker names (worker-agent/src/config.ts). */
const WORKER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** `bt_enr_<id>.<base64url>` (db/secrets.ts): nothing in it can end a here-document or a here-string. */
const SECRET = /^bt_[a-z]{3}_[0-9a-z]{1,40}\.[A-Za-z0-9_-]{1,100}$/;

export function installCommands(req: InstallRequest): InstallCommands {
  if (!WORKER_NAME.test(req.name)) {
    return { ok: false, field: 'name', message: "must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit" };
  }
  let url: URL;
  try {
    url = new URL(req.masterUrl);
  } catch {
    return { ok: false, field: 'masterUrl', message: 'must be an http(s) URL such as http://master:7070' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, field: 'masterUrl', message: 'must be an http(s) URL' };
  if (!req.group.trim() || req.group.length > 200) return { ok: false, field: 'group', message: 'must be 1-200 characters' };
  // Windows PowerShell 5 passes embedded double quotes to native programs unescaped: refuse rather than mangle.
  if (/["\r\n\0]/.test(req.group)) return { ok: false, field: 'group', message: 'must not contain double quotes or line breaks' };
  if (!SECRET.test(req.secret)) return { ok: false, field: 'secret', message: 'is not an enrolment token' };
  const master = url.href.replace(/\/$/, '');
  return {
    ok: true,
    commands: {
      systemd: posixInstall('systemd', `/etc/baton-agent/${req.name}.token`, master, req),
      launchd: posixInstall('launchd', `/usr/local/etc/baton-agent/${req.name}.token`, master, req),
      windows: windowsInstall(master, req),
    },
  };
}

function posixInstall(platform: 'systemd' | 'launchd', tokenFile: string, master: string, req: InstallRequest): string {
  const dir = tokenFile.slice(0, tokenFile.lastIndexOf('/'));
  return [
    `sudo install -d -m 755 ${dir}`,
    `sudo sh -c ${sh(`umask 077 && cat > ${tokenFile}`)} <<'BATON_TOKEN'`,
    req.secret,
    'BATON_TOKEN',
    ['sudo baton-agent service install --platform', platform, '--master', sh(master), '--group', sh(req.group), '--name', sh(req.name),
      '--token-file', sh(tokenFile)].join(' '),
  ].join('\n');
}

function windowsInstall(master: string, req: InstallRequest): string {
  return [
    `$token = ${ps(`C:\\ProgramData\\Baton\\agent\\${req.name}.token`)}`,
    'New-Item -ItemType Directory -Force -Path (Split-Path $token) | Out-Null',
    // Created empty and locked to SYSTEM and Administrators before the secret is written into it.
    'New-Item -ItemType File -Force -Path $token | Out-Null',
    "icacls $token /inheritance:r /grant:r 'SYSTEM:F' 'Administrators:F' | Out-Null",
    "Set-Content -NoNewline -Path $token -Value @'",
    req.secret,
    "'@",
    ['baton-agent service install --platform windows --master', ps(master), '--group', ps(req.group), '--name', ps(req.name),
      '--token-file $token'].join(' '),
  ].join('\n');
}

/** A POSIX shell word: left bare when it holds only safe characters, else single-quoted ('\'' for a quote). */
export function sh(value: string): string {
  if (/^[A-Za-z0-9._\/:@%+=,-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** A PowerShell single-quoted string: every kind of single quote PowerShell knows is doubled. */
export function ps(value: string): string {
  return `'${value.replace(/['\u2018\u2019\u201A\u201B]/g, (q) => q + q)}'`;
}
