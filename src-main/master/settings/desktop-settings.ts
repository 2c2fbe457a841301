// The desktop app's settings file (issue 8): read at start beneath the environment, shown and saved by the Settings
// page. Saving checks everything first (the same rules as the environment, a live connection to a database URL)
// and writes nothing when a check fails. Saved settings apply at the next start.
import fs from 'node:fs/promises';
import path from 'node:path';
import { BatonError, invalidInput } from '../api/contract/errors';
import { DesktopSettings, HIDDEN_PASSWORD, type SettingsCheck, type SettingsView } from '../api/contract/settings';
import { resolveConfig, withoutPassword } from '../config';

export const SETTINGS_FILE = 'settings.json';

/** Which setting each variable carries, so an error about a variable names the field on the page. */
const FIELD_OF: Record<string, string> = {
  BATON_DATABASE_URL: 'database.url', BATON_PORT: 'port', BATON_BIND: 'bind',
  BATON_TLS_CERT: 'tls.cert', BATON_TLS_KEY: 'tls.key', BATON_SMTP_URL: 'smtp.url', BATON_ALERT_FROM: 'smtp.from',
};

export function settingsEnv(s: DesktopSettings): Record<string, string> {
  const env: Record<string, string> = { BATON_PORT: String(s.port), BATON_BIND: s.bind };
  if (s.database.kind === 'url') env.BATON_DATABASE_URL = s.database.url;
  if (s.tls) Object.assign(env, { BATON_TLS_CERT: s.tls.cert, BATON_TLS_KEY: s.tls.key });
  if (s.smtp) env.BATON_SMTP_URL = s.smtp.url;
  if (s.smtp?.from) env.BATON_ALERT_FROM = s.smtp.from;
  return env;
}

/** The settings an environment describes (what a master started with it runs with). */
export function settingsOfEnv(env: Record<string, string | undefined>): DesktopSettings {
  const v = (name: string) => env[name]?.trim() || undefined;
  const url = v('BATON_DATABASE_URL');
  const cert = v('BATON_TLS_CERT');
  const key = v('BATON_TLS_KEY');
  const smtp = v('BATON_SMTP_URL');
  const from = v('BATON_ALERT_FROM');
  return {
    database: url ? { kind: 'url', url } : { kind: 'embedded' },
    port: Number(v('BATON_PORT') ?? 7070),
    bind: v('BATON_BIND') ?? '127.0.0.1',
    tls: cert && key ? { cert, key } : null,
    smtp: smtp ? { url: smtp, ...(from ? { from } : {}) } : null,
  };
}

/** Variables of the environment that override a setting of the file. */
export function overriddenBy(env: Record<string, string | undefined>): string[] {
  return Object.keys(FIELD_OF).filter((name) => env[name]?.trim()).map((name) => FIELD_OF[name]!);
}

function hidePasswords(s: DesktopSettings): DesktopSettings {
  const hide = (url: string) => withoutPassword(url).replace(':***@', `:${HIDDEN_PASSWORD}@`);
  return {
    ...s,
    database: s.database.kind === 'url' ? { kind: 'url', url: hide(s.database.url) } : s.database,
    smtp: s.smtp ? { ...s.smtp, url: hide(s.smtp.url) } : null,
  };
}

/** A URL sent back with the hidden password keeps the password of the known URL to the same place. */
export function restorePassword(sent: string, known: string | null, field: string): string {
  if (!sent.includes(`:${HIDDEN_PASSWORD}@`)) return sent;
  const same = known !== null && withoutPassword(known).replace(':***@', `:${HIDDEN_PASSWORD}@`) === sent;
  if (!same) throw new BatonError('invalid_input', `${field}: type the password again (it was hidden, and the address changed)`, field);
  return known;
}

/** The file's settings, or null when there is none; a bad file throws naming the file and the field. */
export async function readSettingsFile(file: string): Promise<DesktopSettings | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new BatonError('invalid_input', `${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new BatonError('invalid_input', `${file}: not JSON (${(error as Error).message}); fix it or delete it to use the defaults`);
  }
  const parsed = DesktopSettings.safeParse(json);
  if (!parsed.success) {
    const error = invalidInput(parsed.error);
    throw new BatonError('invalid_input', `${file}: ${error.message}`, error.field);
  }
  return parsed.data;
}

/** Live checks: each connects to a server and says what answered, or throws why it could not. */
export interface SettingsProbes {
  database(url: string): Promise<string>;
  smtp(url: string): Promise<string>;
}

/** Every check of a set of settings; nothing is changed. The probes connect to a database URL and a mail server. */
export async function checkSettings(s: DesktopSettings, probes: SettingsProbes): Promise<SettingsCheck[]> {
  const checks: SettingsCheck[] = [];
  try {
    resolveConfig(settingsEnv(s), { dataDir: '.' });
    checks.push({ field: 'settings', ok: true, message: 'port, bind, TLS files and mail server are valid' });
  } catch (error) {
    const e = error as BatonError;
    checks.push({ field: FIELD_OF[e.field ?? ''] ?? 'settings', ok: false, message: e.message.replace(/^BATON_[A-Z_]+=/, '') });
  }
  if (s.database.kind === 'url') {
    try {
      checks.push({ field: 'database.url', ok: true, message: `connected: PostgreSQL ${await probes.database(s.database.url)}` });
    } catch (error) {
      checks.push({ field: 'database.url', ok: false, message: `cannot connect: ${withoutPassword((error as Error).message)}` });
    }
  } else {
    checks.push({ field: 'database', ok: true, message: 'the embedded PostgreSQL in the data folder' });
  }
  // Only a URL that passed the checks above is tried: a malformed one already has its error.
  if (s.smtp && checks.every((c) => c.ok)) {
    try {
      checks.push({ field: 'smtp.url', ok: true, message: `connected: ${await probes.smtp(s.smtp.url)}` });
    } catch (error) {
      checks.push({ field: 'smtp.url', ok: false, message: `cannot connect: ${withoutPassword((error as Error).message)}` });
    }
  }
  return checks;
}

export interface SettingsDeps {
  /** The settings file (in the desktop app's data folder). */
  file: string;
  /** The environment the master started with, before the file was applied. */
  env: Record<string, string | undefined>;
  /** What the master runs with now. */
  running: DesktopSettings;
  probes: SettingsProbes;
}

export interface SettingsPort {
  view(): Promise<SettingsView>;
  test(s: DesktopSettings): Promise<{ ok: boolean; checks: SettingsCheck[] }>;
  save(s: DesktopSettings): Promise<SettingsView>;
}

export function desktopSettings(deps: SettingsDeps): SettingsPort {
  const view = async (): Promise<SettingsView> => {
    const saved = await readSettingsFile(deps.file);
    const settings = saved ?? deps.running;
    return {
      settings: hidePasswords(settings), running: hidePasswords(deps.running), file: deps.file,
      restartNeeded: JSON.stringify(settings) !== JSON.stringify(deps.running), fromEnvironment: overriddenBy(deps.env),
    };
  };
  /** The sent settings with hidden passwords put back from the saved (or running) ones. */
  const complete = async (s: DesktopSettings): Promise<DesktopSettings> => {
    const known = (await readSettingsFile(deps.file).catch(() => null)) ?? deps.running;
    return {
      ...s,
      database: s.database.kind === 'url'
        ? { kind: 'url', url: restorePassword(s.database.url, known.database.kind === 'url' ? known.database.url : null, 'database.url') }
        : s.database,
      smtp: s.smtp ? { ...s.smtp, url: restorePassword(s.smtp.url, known.smtp?.url ?? null, 'smtp.url') } : null,
    };
  };
  const test = async (s: DesktopSettings) => {
    const checks = await checkSettings(await complete(s), deps.probes);
    return { ok: checks.every((c) => c.ok), checks };
  };
  return {
    view,
    test,
    save: async (sent) => {
      const s = await complete(sent);
      const failed = (await checkSettings(s, deps.probes)).find((c) => !c.ok);
      if (failed) throw new BatonError('invalid_input', `${failed.field}: ${failed.message}; nothing was saved`, failed.field);
      await fs.mkdir(path.dirname(deps.file), { recursive: true });
      // Written whole then renamed, so a crash mid-write never leaves half a file; 600: it may hold passwords.
      const temp = `${deps.file}.tmp`;
      await fs.writeFile(temp, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
      await fs.rename(temp, deps.file);
      return view();
    },
  };
}
