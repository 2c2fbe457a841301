// The Settings page's methods on a real master and a real PostgreSQL (issue 8): a database URL is tried before it
// is saved, a bad one is refused naming the field with nothing written, and a headless master says it has no file.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, describe, expect, it } from 'vitest';
import { clientOver } from '../../src-main/master/api/contract/client';
import { BatonError } from '../../src-main/master/api/contract/errors';
import { resolveConfig } from '../../src-main/master/config';
import { freePort } from '../../src-main/master/db/embedded';
import { probeDatabase } from '../../src-main/master/db/probe';
import { probeSmtp } from '../../src-main/master/settings/smtp-probe';
import { startMaster, type Master } from '../../src-main/master/index';
import { createLogger } from '../../src-main/master/log';
import { desktopSettings, SETTINGS_FILE, settingsOfEnv } from '../../src-main/master/settings/desktop-settings';
import { freshDatabase, startTestMaster, tempDir, type TestMaster } from './harness';

describe('settings methods', () => {
  const masters: Master[] = [];
  afterAll(async () => {
    for (const master of masters) await master.stop();
  });

  it('tests a database URL before saving it and refuses one that does not connect', async () => {
    const url = await freshDatabase();
    const dataDir = await tempDir('baton-settings-');
    const env = { BATON_DATABASE_URL: url, BATON_PORT: '0', BATON_DATA_DIR: dataDir };
    const file = path.join(dataDir, SETTINGS_FILE);
    const settings = desktopSettings({ file, env: {}, running: settingsOfEnv(env), probes: { database: probeDatabase, smtp: probeSmtp } });
    const master = await startMaster(resolveConfig(env), { logger: createLogger('warn', path.join(dataDir, 'master.log')), settings });
    masters.push(master);
    const api = clientOver((m, i) => master.handle(m, i));

    const view = await api.call('settings.get', {});
    expect(view.settings.database).toEqual({ kind: 'url', url: expect.stringContaining('********@') });
    expect(view.restartNeeded).toBe(false);

    const good = await api.call('settings.test', { ...view.settings, port: 7171 });
    expect(good.ok).toBe(true);
    expect(good.checks.find((c) => c.field === 'database.url')?.message).toMatch(/^connected: PostgreSQL \d+/);

    const closed = `postgresql://baton:pw@127.0.0.1:${await freePort()}/baton`;
    const bad = await api.call('settings.test', { ...view.settings, database: { kind: 'url', url: closed } });
    expect(bad.ok).toBe(false);
    expect(bad.checks.find((c) => !c.ok)).toMatchObject({ field: 'database.url', message: expect.stringMatching(/cannot connect: .*ECONNREFUSED/) });
    expect(JSON.stringify(bad)).not.toContain(':pw@');

    const refused = await api.call('settings.save', { ...view.settings, database: { kind: 'url', url: closed } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BatonError);
    expect(refused).toMatchObject({ code: 'invalid_input', field: 'database.url' });
    expect(existsSync(file)).toBe(false);

    const badPort = await api.call('settings.save', { ...view.settings, port: -1 }).catch((e: unknown) => e);
    expect(badPort).toMatchObject({ code: 'invalid_input', field: 'port' });
    expect(existsSync(file)).toBe(false);

    const saved = await api.call('settings.save', { ...view.settings, port: 7171 });
    expect(saved).toMatchObject({ restartNeeded: true, settings: { port: 7171 }, running: { port: 0 } });
    expect(existsSync(file)).toBe(true);
  });

  it('checks a mail server live before saving it: a wrong password or a closed port is refused with nothing written', async () => {
    const smtp = await startSmtp('baton', 'right-password');
    const dataDir = await tempDir('baton-settings-smtp-');
    const env = { BATON_DATABASE_URL: await freshDatabase(), BATON_PORT: '0', BATON_DATA_DIR: dataDir };
    const file = path.join(dataDir, SETTINGS_FILE);
    const settings = desktopSettings({ file, env: {}, running: settingsOfEnv(env), probes: { database: probeDatabase, smtp: probeSmtp } });
    const master = await startMaster(resolveConfig(env), { logger: createLogger('warn', path.join(dataDir, 'master.log')), settings });
    masters.push(master);
    const api = clientOver((m, i) => master.handle(m, i));
    const { settings: current } = await api.call('settings.get', {});
    const withSmtp = (url: string) => ({ ...current, smtp: { url, from: 'baton@example.com' } });
    try {
      const good = await api.call('settings.test', withSmtp(`smtp://baton:right-password@127.0.0.1:${smtp.port}`));
      expect(good.checks.find((c) => c.field === 'smtp.url')).toEqual({ field: 'smtp.url', ok: true, message: 'connected: the mail server accepted the login' });
      expect(smtp.logins).toEqual(['baton']);

      const wrong = withSmtp(`smtp://baton:wrong-password@127.0.0.1:${smtp.port}`);
      const refused = await api.call('settings.test', wrong);
      expect(refused.ok).toBe(false);
      expect(refused.checks.find((c) => !c.ok)).toMatchObject({ field: 'smtp.url', message: expect.stringMatching(/^cannot connect: .*535/) });
      expect(JSON.stringify(refused)).not.toContain('wrong-password');
      expect(await api.call('settings.save', wrong).catch((e: unknown) => e)).toMatchObject({ code: 'invalid_input', field: 'smtp.url' });
      expect(existsSync(file)).toBe(false);

      const closed = await api.call('settings.test', withSmtp(`smtp://127.0.0.1:${await freePort()}`));
      expect(closed.checks.find((c) => !c.ok)).toMatchObject({ field: 'smtp.url', message: expect.stringMatching(/cannot connect: .*ECONNREFUSED/) });

      await api.call('settings.save', withSmtp(`smtp://baton:right-password@127.0.0.1:${smtp.port}`));
      expect(existsSync(file)).toBe(true);
    } finally {
      await smtp.stop();
    }
  });

  it('a headless master has no settings file and says how it is set up', async () => {
    const master: TestMaster = await startTestMaster(await freshDatabase());
    masters.push(master);
    const error = await master.api.call('settings.get', {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'not_found', message: expect.stringContaining('BATON_*') });
  });
});

/** A local mail server that wants one user and password (plain SMTP on loopback: no STARTTLS to trust). */
async function startSmtp(user: string, password: string): Promise<{ port: number; logins: string[]; stop(): Promise<void> }> {
  const logins: string[] = [];
  const server = new SMTPServer({
    allowInsecureAuth: true, disabledCommands: ['STARTTLS'], logger: false,
    onAuth(auth, _session, done) {
      if (auth.username !== user || auth.password !== password) return done(new Error('Authentication failed'));
      logins.push(auth.username ?? '');
      done(null, { user: auth.username });
    },
  });
  const listening = server.listen(0, '127.0.0.1');
  await new Promise((resolve) => listening.once('listening', resolve));
  return { port: (listening.address() as AddressInfo).port, logins, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}
