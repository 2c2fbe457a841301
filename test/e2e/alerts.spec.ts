// The Alerts page in a browser against the headless master: add a channel (refusing a bad URL in the form), send a
// test to a local receiver and see the channel's state follow it (ok, then failing while the receiver is down),
// and add a rule that names the channel.
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, expect, test, type Browser } from '@playwright/test';
import { repoRoot, startHeadlessMaster } from './baton-app';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const shots = path.join(repoRoot, 'test-results', 'screenshots-alerts');

test('the Alerts page adds a channel, sends a test, shows the channel failing, and adds a rule', async () => {
  mkdirSync(shots, { recursive: true });
  const bodies: Array<{ text?: string; blocks?: unknown[] }> = [];
  let down = false;
  const receiver = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => { raw += c.toString(); });
    req.on('end', () => {
      bodies.push(JSON.parse(raw) as { text?: string; blocks?: unknown[] });
      res.writeHead(down ? 503 : 200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/services/T1/B1/secret`;
  // The receiver is on loopback, which alert webhooks may reach only when the operator allows it.
  process.env.BATON_OUTBOUND_ALLOW = '127.0.0.1';
  const master = await startHeadlessMaster();
  let browser: Browser | null = null;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1320, height: 1000 } });
    await page.goto(`${master.url}/`);
    await page.getByTestId('api-key-input').fill(master.apiKey());
    await page.getByTestId('api-key-use').click();
    await page.getByTestId('nav-alerts').click();
    await expect(page.getByTestId('page-alerts')).toBeVisible();

    await page.getByTestId('alert-channel-kind').selectOption('slack');
    await page.getByTestId('alert-channel-name').fill('ops-slack');
    await page.getByTestId('alert-channel-url').fill('ftp://files.example.com/hook');
    await page.getByTestId('alert-channel-create').click();
    await expect(page.getByTestId('alert-channel-url-error')).toContainText('http or https');
    await expect(page.getByTestId('alert-channel-row')).toHaveCount(0);

    await page.getByTestId('alert-channel-url').fill(hook);
    await page.getByTestId('alert-channel-secret').fill('not-shown-again');
    await page.getByTestId('alert-channel-create').click();
    const row = page.locator('[data-testid="alert-channel-row"][data-name="ops-slack"]');
    await expect(row).toContainText('secret set');
    await expect(row).not.toContainText('/services/T1/B1/secret');
    await expect(page.getByTestId('alert-channel-state-ops-slack-badge')).toHaveText('idle');

    await page.getByTestId('alert-channel-test-ops-slack').click();
    await expect(page.getByTestId('alert-channel-tested-ops-slack')).toHaveText('Delivered.');
    await expect(page.getByTestId('alert-channel-state-ops-slack-badge')).toHaveText('ok');
    expect(bodies).toHaveLength(1);
    expect(bodies[0]!.text).toBe('Test message from Baton to alert channel ops-slack');
    expect(Array.isArray(bodies[0]!.blocks)).toBe(true);

    down = true;
    await page.getByTestId('alert-channel-test-ops-slack').click();
    await expect(page.getByTestId('alert-channel-state-ops-slack-badge')).toHaveText('failing');
    await expect(page.getByTestId('alert-channel-state-ops-slack-error')).toContainText('answered 503');
    await page.screenshot({ path: path.join(shots, '01-alerts-channel-failing.png'), fullPage: true });

    await page.getByTestId('alert-rule-on-run_timed_out').check();
    await page.getByTestId('alert-rule-create').click();
    await expect(page.getByTestId('alert-rule-channels-error')).toBeVisible(); // no channel chosen yet
    await page.getByTestId('alert-rule-channel-ops-slack').check();
    await page.getByTestId('alert-rule-create').click();
    await expect(page.getByTestId('alert-rule-row')).toContainText('run failed, run timed out');
    await expect(page.getByTestId('alert-rule-row')).toContainText('ops-slack');
    await page.screenshot({ path: path.join(shots, '02-alerts-rule.png'), fullPage: true });
  } finally {
    await browser?.close();
    const code = await master.stop();
    receiver.close();
    expect(code, `baton-master printed:\n${master.output()}`).toBe(0);
  }
});
