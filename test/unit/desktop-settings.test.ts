// The desktop settings file: read beneath the environment, passwords never shown, bad values refused naming the
// field with nothing written (issue 8, Settings page).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatonError } from '../../src-main/master/api/contract/errors';
import { DesktopSettings, HIDDEN_PASSWORD } from '../../src-main/master/api/contract/settings';
import {
  checkSettings, desktopSettings, overriddenBy, readSettingsFile, restorePassword, settingsEnv, settingsOfEnv,
} from '../../src-main/master/settings/desktop-settings';

const embedded: DesktopSettings = { database: { kind: 'embedded' }, port: 7070, bind: '127.0.0.1', tls: null, smtp: null };
/** Probes that must not be reached: these settings name no database URL and no mail server. */
const noProbe = {
  database: async (): Promise<string> => { throw new Error('no database URL was expected here'); },
  smtp: async (): Promise<string> => { throw new Error('no mail server was expected here'); },
};

describe('desktop settings', () => {
  let dir = '';
  beforeEach(async () => { dir = await mkdtemp(path.join(tmpdir(), 'baton-settings-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('turns into the environment a master reads, and back', () => {
    const s: DesktopSettings = {
      database: { kind: 'url', url: 'postgresql://baton:pw@db.example:5432/baton' }, port: 8080, bind: '0.0.0.0',
      tls: { cert: '/etc/baton/cert.pem', key: '/etc/baton/key.pem' }, smtp: { url: 'smtp://mail.example:587', from: 'baton@example.com' },
    };
    expect(settingsEnv(s)).toEqual({
      BATON_DATABASE_URL: 'postgresql://baton:pw@db.example:5432/baton', BATON_PORT: '8080', BATON_BIND: '0.0.0.0',
      BATON_TLS_CERT: '/etc/baton/cert.pem', BATON_TLS_KEY: '/etc/baton/key.pem', BATON_SMTP_URL: 'smtp://mail.example:587', BATON_ALERT_FROM: 'baton@example.com',
    });
    expect(settingsOfEnv(settingsEnv(s))).toEqual(s);
    expect(settingsOfEnv({})).toEqual(embedded);
    expect(overriddenBy({ BATON_PORT: '9000', BATON_LOG_LEVEL: 'debug', BATON_BIND: ' ' })).toEqual(['port']);
  });

  it('refuses a bad file naming the file and the field', async () => {
    const file = path.join(dir, 'settings.json');
    expect(await readSettingsFile(file)).toBeNull();
    await writeFile(file, JSON.stringify({ ...embedded, port: 70_000 }));
    await expect(readSettingsFile(file)).rejects.toMatchObject({ code: 'invalid_input', field: 'port', message: expect.stringContaining(file) });
    await writeFile(file, '{ not json');
    await expect(readSettingsFile(file)).rejects.toThrow(/not JSON/);
  });

  it('checks TLS files and the bind address, naming the field at fault', async () => {
    const missing = await checkSettings({ ...embedded, tls: { cert: path.join(dir, 'none.pem'), key: path.join(dir, 'none.key') } }, noProbe);
    expect(missing.find((c) => !c.ok)).toMatchObject({ field: 'tls.cert', message: expect.stringMatching(/cannot read it \(ENOENT\)/) });
    const badBind = await checkSettings({ ...embedded, bind: '999.1.1.1' }, noProbe);
    expect(badBind.find((c) => !c.ok)?.field).toBe('bind');
    expect((await checkSettings(embedded, noProbe)).every((c) => c.ok)).toBe(true);
  });

  it('never shows a password, and keeps the stored one when the hidden one comes back', async () => {
    const file = path.join(dir, 'settings.json');
    const running: DesktopSettings = { ...embedded, smtp: { url: 'smtp://alerts:s3cret@mail.example:587' } };
    const tried: string[] = [];
    const smtp = async (url: string) => { tried.push(url); return 'the mail server accepted the login'; };
    const store = desktopSettings({ file, env: {}, running, probes: { ...noProbe, smtp } });
    const view = await store.view();
    expect(view.settings.smtp?.url).toBe(`smtp://alerts:${HIDDEN_PASSWORD}@mail.example:587`);
    expect(JSON.stringify(view)).not.toContain('s3cret');
    expect(view.restartNeeded).toBe(false);

    const saved = await store.save({ ...view.settings, port: 7171 });
    expect(saved.restartNeeded).toBe(true);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ ...running, port: 7171 });
    // The mail server was tried with the stored password, not the hidden one the page sent back.
    expect(tried).toEqual(['smtp://alerts:s3cret@mail.example:587']);
    expect(() => restorePassword(`smtp://alerts:${HIDDEN_PASSWORD}@other.example:587`, running.smtp!.url, 'smtp.url')).toThrow(BatonError);
  });

  it('saves nothing when a check fails', async () => {
    const file = path.join(dir, 'settings.json');
    const store = desktopSettings({ file, env: {}, running: embedded, probes: noProbe });
    await expect(store.save({ ...embedded, tls: { cert: '/nonexistent/cert.pem', key: '/nonexistent/key.pem' } }))
      .rejects.toMatchObject({ code: 'invalid_input', field: 'tls.cert', message: expect.stringContaining('nothing was saved') });
    expect(await readSettingsFile(file)).toBeNull();
  });
});
