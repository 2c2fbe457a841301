// The desktop app's own settings (issue 8), edited on the console's Settings page and kept in a file in its data
// folder: which database, where the master listens, TLS files and the mail server for alerts.
import { z } from 'zod';

const IP = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]+|localhost)$/i;

export const DatabaseSetting = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('embedded') }),
  z.strictObject({
    kind: z.literal('url'),
    url: z.string().trim().regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// URL such as postgresql://baton:secret@db.example:5432/baton'),
  }),
], { error: 'must be {"kind":"embedded"} or {"kind":"url","url":"postgresql://…"}' });

export const DesktopSettings = z.strictObject({
  database: DatabaseSetting,
  port: z.number({ error: 'must be a port number' }).int('must be a whole number').min(0, 'must be from 0 to 65535').max(65535, 'must be from 0 to 65535'),
  bind: z.string().trim().regex(IP, 'must be an IP address such as 127.0.0.1 or 0.0.0.0'),
  /** PEM files; both or neither. */
  tls: z.strictObject({
    cert: z.string().trim().min(1, 'must be the path of a PEM certificate file'),
    key: z.string().trim().min(1, 'must be the path of a PEM private key file'),
  }).nullable(),
  smtp: z.strictObject({
    url: z.string().trim().regex(/^smtps?:\/\/[^\s/]+/, 'must be an smtp:// or smtps:// URL such as smtp://user:pass@mail.example.com:587'),
    from: z.email({ error: 'must be an email address such as baton@example.com' }).optional(),
  }).nullable(),
});
export type DesktopSettings = z.infer<typeof DesktopSettings>;

/** Passwords in URLs are never sent back: they read as this, and saving it unchanged keeps the stored password. */
export const HIDDEN_PASSWORD = '********';

export const SettingsCheck = z.object({ field: z.string(), ok: z.boolean(), message: z.string() });
export type SettingsCheck = z.infer<typeof SettingsCheck>;

export const SettingsView = z.object({
  /** What is saved (what the next start uses), or what runs now when nothing was saved. */
  settings: DesktopSettings,
  /** What this master runs with now. */
  running: DesktopSettings,
  file: z.string(),
  /** The saved settings differ from what runs: they apply at the next start. */
  restartNeeded: z.boolean(),
  /** Settings the environment sets (BATON_*); they win over the file. */
  fromEnvironment: z.array(z.string()),
});
export type SettingsView = z.infer<typeof SettingsView>;
