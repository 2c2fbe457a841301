// The same console in a plain browser (Debian Chromium), served by the headless master over HTTP: the renderer
// does not know whether it runs in Electron or a browser. This master asks every HTTP client for an API key.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, expect, test, type Browser } from '@playwright/test';
import { repoRoot, startHeadlessMaster } from './baton-app';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
// Apart from test-results/screenshots, which the desktop suite clears when it starts.
const shots = path.join(repoRoot, 'test-results', 'screenshots-browser');

test('the console works in a browser against the headless master', async () => {
  mkdirSync(shots, { recursive: true });
  const master = await startHeadlessMaster(['--api-auth', 'all']);
  let browser: Browser | null = null;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1320, height: 860 } });
    await page.goto(`${master.url}/`);
    await expect(page.getByTestId('api-key-prompt')).toBeVisible();
    await expect(page.getByTestId('api-key-refusal')).toContainText('needs an API key');
    await page.getByTestId('api-key-input').fill('not a key');
    await page.getByTestId('api-key-use').click();
    await expect(page.getByTestId('api-key-input-error')).toBeVisible();
    await page.screenshot({ path: path.join(shots, '00-browser-api-key.png') });
    await page.getByTestId('api-key-input').fill(master.apiKey());
    await page.getByTestId('api-key-use').click();
    await expect(page.getByTestId('api-key-prompt')).toBeHidden();
    await expect(page.getByTestId('master-status')).toContainText('leader');
    await page.screenshot({ path: path.join(shots, '01-browser-dashboard.png') });

    await page.getByTestId('nav-groups').click();
    await page.getByTestId('group-name').fill('from-browser');
    await page.getByTestId('group-create').click();
    await expect(page.locator('[data-testid="group-row"][data-name="from-browser"]')).toBeVisible();
    await page.screenshot({ path: path.join(shots, '02-browser-groups.png') });
  } finally {
    await browser?.close();
    const code = await master.stop();
    expect(code, `baton-master printed:\n${master.output()}`).toBe(0);
  }
});
