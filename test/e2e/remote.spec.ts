// The desktop console attached to a master elsewhere (BATON_REMOTE_URL + BATON_API_KEY) instead of its own:
// it starts no master, database or agent, acts on the remote one, and leaves it running when it quits.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { clientOver } from '../../src-main/master/api/contract/client';
import { httpTransport } from '../../src-main/master/api/contract/http-client';
import { appEnv, freePort, launchApp, repoRoot, runAppToExit, startHeadlessMaster } from './baton-app';

const shots = path.join(repoRoot, 'test-results', 'screenshots-remote');

test('the desktop console attaches to a remote master with an API key', async () => {
  mkdirSync(shots, { recursive: true });
  const master = await startHeadlessMaster(['--api-auth', 'all']);
  const userData = mkdtempSync(path.join(tmpdir(), 'baton-e2e-remote-'));
  try {
    const baton = await launchApp(userData, 0, { BATON_REMOTE_URL: master.url, BATON_API_KEY: master.apiKey() });
    const { page } = baton;
    await expect(page.getByTestId('master-status')).toContainText('leader');
    await expect(page.getByTestId('master-agent-url')).toContainText(master.url);
    await expect(page.getByTestId('stat-workers-online')).toContainText('0');
    await page.screenshot({ path: path.join(shots, '01-remote-dashboard.png') });
    await page.getByTestId('nav-groups').click();
    await page.getByTestId('group-name').fill('from-desktop');
    await page.getByTestId('group-create').click();
    await expect(page.locator('[data-testid="group-row"][data-name="from-desktop"]')).toBeVisible();
    await page.screenshot({ path: path.join(shots, '02-remote-groups.png') });
    expect(await baton.quit(), baton.output()).toBe(0);

    const api = clientOver(httpTransport(master.url, { apiKey: master.apiKey() }));
    expect((await api.call('groups.list', {})).map((g) => g.name)).toContain('from-desktop');
    expect(master.alive()).toBe(true);
  } finally {
    rmSync(userData, { recursive: true, force: true });
    expect(await master.stop(), master.output()).toBe(0);
  }
});

test('an unreachable or malformed BATON_REMOTE_URL stops start-up with a message naming it', async () => {
  const userData = mkdtempSync(path.join(tmpdir(), 'baton-e2e-remote-bad-'));
  try {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const gone = await runAppToExit(appEnv(userData, 0, { BATON_REMOTE_URL: nowhere }), 60_000);
    expect(gone.code, gone.output).not.toBe(0);
    expect(gone.output).toContain(`the master could not be reached: cannot reach the master at ${nowhere} (ECONNREFUSED)`);
    const bad = await runAppToExit(appEnv(userData, 0, { BATON_REMOTE_URL: 'master-1:7070' }), 60_000);
    expect(bad.code, bad.output).not.toBe(0);
    expect(bad.output).toMatch(/bad configuration: BATON_REMOTE_URL="master-1:7070": must be an http\(s\) URL/);
  } finally {
    rmSync(userData, { recursive: true, force: true });
  }
});
