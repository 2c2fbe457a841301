// The same console in a plain browser (Debian Chromium), served by the headless master over HTTP: the renderer
// does not know whether it runs in Electron or a browser. This master asks every HTTP client for an API key.
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { chromium, expect, test, type Browser } from '@playwright/test';
import { repoRoot, startHeadlessMaster } from './baton-app';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
// Apart from test-results/screenshots, which the desktop suite clears when it starts.
const shots = path.join(repoRoot, 'test-results', 'screenshots-browser');

test('the console works in a browser against the headless master', async () => {
  mkdirSync(shots, { recursive: true });
  const master = await startHeadlessMaster();
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

    // Another site in the same browser (another origin on loopback) posts to the API, key and all: refused (CSRF).
    const site = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<title>elsewhere</title>'));
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    try {
      const other = await browser.newPage();
      await other.goto(`http://127.0.0.1:${(site.address() as { port: number }).port}/`);
      const statuses = await other.evaluate(async ({ url, key }) => {
        const plain = await fetch(`${url}/api/groups.create`, { method: 'POST', body: '{"name":"csrf"}', mode: 'no-cors' });
        const keyed = await fetch(`${url}/api/groups.create`, { method: 'POST', body: '{"name":"csrf"}', headers: { authorization: `Bearer ${key}` } })
          .then((r) => r.status, () => 'blocked');
        return [plain.type, keyed];
      }, { url: master.url, key: master.apiKey() });
      expect(statuses).toEqual(['opaque', 'blocked']);
      const groups = await fetch(`${master.url}/api/groups.list`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${master.apiKey()}` } });
      expect(((await groups.json()) as { value: Array<{ name: string }> }).value.map((g) => g.name)).not.toContain('csrf');
    } finally {
      site.close();
    }
  } finally {
    await browser?.close();
    const code = await master.stop();
    expect(code, `baton-master printed:\n${master.output()}`).toBe(0);
  }
});
