// The Settings page's methods on a real master and a real PostgreSQL (issue 8): a database URL is tried before it
// is saved, a bad one is refused naming the field with nothing written, and a headless master says it has no file.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clientOver } from '../../src-main/master/api/contract/client';
import { BatonError } from '../../src-main/master/api/contract/errors';
import { resolveConfig } from '../../src-main/master/config';
import { freePort } from '../../src-main/master/db/embedded';
import { probeDatabase } from '../../src-main/master/db/probe';
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
    const settings = desktopSettings({ file, env: {}, running: settingsOfEnv(env), probe: probeDatabase });
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

  it('a headless master has no settings file and says how it is set up', async () => {
    const master: TestMaster = await startTestMaster(await freshDatabase());
    masters.push(master);
    const error = await master.api.call('settings.get', {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'not_found', message: expect.stringContaining('BATON_*') });
  });
});
