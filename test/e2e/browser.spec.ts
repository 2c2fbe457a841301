// The same console in a plain browser (Debian Chromium), served by the headless master over HTTP: the renderer
// does not know whether it runs in Electron or a browser. This master asks every HTTP client for an API key.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, expect, test, type Browser } from '@playwright/test';
import { removeCluster } from '../../src-main/master/db/embedded';
import { freePort, repoRoot } from './baton-app';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
// Apart from test-results/screenshots, which the desktop suite clears when it starts.
const shots = path.join(repoRoot, 'test-results', 'screenshots-browser');

test('the console works in a browser against the headless master', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'baton-browser-'));
  mkdirSync(shots, { recursive: true });
  const port = await freePort();
  const master: ChildProcess = spawn(process.execPath, [path.join(repoRoot, 'bin/baton-master.js'), '--port', String(port), '--data-dir', dataDir, '--api-auth', 'all', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  master.stdout!.on('data', (c: Buffer) => { output += c.toString(); });
  master.stderr!.on('data', (c: Buffer) => { output += c.toString(); });
  const exited = new Promise<number | null>((resolve) => master.once('exit', (code) => resolve(code)));
  let browser: Browser | null = null;
  try {
    await expect.poll(() => output, { timeout: 60_000 }).toContain('listening on');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1320, height: 860 } });
    await page.goto(`http://127.0.0.1:${port}/`);
    await expect(page.getByTestId('api-key-prompt')).toBeVisible();
    await expect(page.getByTestId('api-key-refusal')).toContainText('needs an API key');
    await page.getByTestId('api-key-input').fill('not a key');
    await page.getByTestId('api-key-use').click();
    await expect(page.getByTestId('api-key-input-error')).toBeVisible();
    await page.screenshot({ path: path.join(shots, '00-browser-api-key.png') });
    await page.getByTestId('api-key-input').fill(readFileSync(path.join(dataDir, 'api-key'), 'utf8'));
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
    master.kill('SIGTERM');
    const code = await exited;
    removeCluster(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
    expect(code, `baton-master printed:\n${output}`).toBe(0);
  }
});
