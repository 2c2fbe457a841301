// Workers, a worker's page, Add worker and the Dashboard in the browser console (issue 8), with realistic data: two
// real agents (one then stopped: an offline worker), a retried failure, a failing task, a run in flight, a long task
// name and upcoming cron fires. Screenshots at 1320×860 and 960×600 in test-results/screenshots-workers.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, expect, test, type Browser, type Page } from '@playwright/test';
import { repoRoot, startHeadlessMaster, type HeadlessMaster } from './baton-app';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const shots = path.join(repoRoot, 'test-results', 'screenshots-workers');
const SIZES = [{ width: 1320, height: 860 }, { width: 960, height: 600 }] as const;
const LONG_NAME = `nightly-warehouse-reconciliation-${'with-a-very-long-name-'.repeat(8)}end`.slice(0, 200);

async function call<T>(master: HeadlessMaster, method: string, input: unknown): Promise<T> {
  const res = await fetch(`${master.url}/api/${method}`, {
    method: 'POST', body: JSON.stringify(input), headers: { authorization: `Bearer ${master.apiKey()}`, 'content-type': 'application/json' },
  });
  const reply = (await res.json()) as { ok: boolean; value: T; error?: unknown };
  if (!reply.ok) throw new Error(`${method}: ${JSON.stringify(reply.error)}`);
  return reply.value;
}

function agent(master: HeadlessMaster, token: string, name: string, dataDir: string): ChildProcess {
  return spawn(process.execPath, [
    path.join(repoRoot, 'worker-agent/bin/baton-agent.js'), '--master', master.url, '--token', token, '--group', 'fleet', '--name', name,
    '--data-dir', dataDir, '--labels', 'zone=eu-west-1a,disk=ssd', '--capacity', '4', '--log-level', 'warn',
  ], { stdio: 'ignore' });
}

async function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function shotBoth(page: Page, name: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    await page.waitForTimeout(300); // charts follow their container's width
    await page.screenshot({ path: path.join(shots, `${name}-${size.width}x${size.height}.png`), fullPage: true });
  }
  await page.setViewportSize(SIZES[0]);
}

test('workers, a worker page, add worker and the dashboard in the browser console', async () => {
  test.setTimeout(240_000);
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
  const master = await startHeadlessMaster(['--heartbeat-ms', '1000']);
  const agentDirs = mkdtempSync(path.join(tmpdir(), 'baton-e2e-agents-'));
  const agents: ChildProcess[] = [];
  let browser: Browser | null = null;
  try {
    const group = await call<{ id: string }>(master, 'groups.create', { name: 'fleet' });
    const { secret } = await call<{ secret: string }>(master, 'enrolments.create', { label: 'e2e fleet', groupId: group.id });
    agents.push(agent(master, secret, 'build-01', path.join(agentDirs, 'a')), agent(master, secret, 'old-host', path.join(agentDirs, 'b')));
    await expect.poll(async () => (await call<Array<{ status: string }>>(master, 'workers.list', {})).filter((w) => w.status === 'online').length, { timeout: 30_000 }).toBe(2);
    await stopped(agents[1]!);

    const task = (name: string, command: string, extra: Record<string, unknown> = {}) => call<{ id: string }>(master, 'tasks.create', {
      name, groupId: group.id, handler: 'shell', params: { command }, trigger: { type: 'api' }, ...extra,
    });
    const ok = await task(LONG_NAME, 'echo fine');
    const broken = await task('broken-export', 'echo "disk full" >&2; exit 2', { retry: { count: 1, delayMs: 0 } });
    const slow = await task('slow-backup', 'sleep 120');
    await task('every-10-min', 'true', { trigger: { type: 'cron', expression: '0 */10 * * * *', timezone: 'America/New_York' } });
    for (let i = 0; i < 6; i++) await call(master, 'tasks.trigger', { id: ok.id });
    await call(master, 'tasks.trigger', { id: broken.id });
    await call(master, 'tasks.trigger', { id: slow.id });

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: SIZES[0] });
    await page.goto(`${master.url}/`);
    await expect(page.getByTestId('api-key-prompt')).toBeVisible();
    await page.getByTestId('api-key-input').fill(master.apiKey());
    await page.getByTestId('api-key-use').click();
    await expect(page.getByTestId('api-key-prompt')).toBeHidden();

    // Dashboard: figures from the master; the failed run and its retry count once.
    await expect(page.getByTestId('stat-workers-online')).toContainText('1');
    await expect(page.getByTestId('chart-hour')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('runs-by-state-succeeded').first()).toContainText('6');
    await expect(page.getByTestId('runs-by-state-failed').first()).toContainText('1', { timeout: 30_000 });
    await expect(page.getByTestId('failing-task')).toContainText('broken-export');
    await expect(page.getByTestId('running-run')).toContainText('slow-backup');
    await expect(page.getByTestId('upcoming-fire').first()).toContainText('every-10-min');
    await shotBoth(page, '01-dashboard');

    // Workers: the offline one shows when it was last heard of, not stale figures; drain the busy one.
    await page.getByTestId('nav-workers').click();
    const row = (name: string) => page.locator(`[data-testid="worker-row"][data-name="${name}"]`);
    await expect(row('old-host')).toHaveAttribute('data-status', 'offline');
    await expect(row('old-host').getByTestId('worker-offline-since')).toContainText('offline since');
    await page.getByTestId('worker-drain-build-01').click();
    await expect(row('build-01')).toHaveAttribute('data-status', 'draining');
    await shotBoth(page, '02-workers');

    // Add worker: a token and install commands per platform, the token in a file, never an argument.
    await page.getByTestId('add-worker-open').click();
    await page.getByTestId('add-worker-issue').click();
    await expect(page.getByTestId('add-worker-name-error')).toBeVisible();
    await page.getByTestId('add-worker-name').fill('gpu-07');
    await page.getByTestId('add-worker-issue').click();
    await expect(page.getByTestId('add-worker-script')).toContainText('--token-file /etc/baton-agent/gpu-07.token');
    await shotBoth(page, '03-add-worker-linux');
    await page.getByTestId('add-worker-tab-windows').click();
    await expect(page.getByTestId('add-worker-script')).toContainText("Set-Content -NoNewline -Path $token -Value @'");
    await shotBoth(page, '04-add-worker-windows');
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('add-worker')).toBeHidden();

    // The worker page: draining until its run ends, then drained; sparklines once two samples (10 s apart) exist.
    await row('build-01').click();
    await expect(page.getByTestId('worker-detail-status')).toHaveText('draining');
    await expect(page.getByTestId('worker-labels')).toContainText('zone=eu-west-1a');
    await expect(page.getByTestId('worker-run').first()).toBeVisible();
    await expect(page.getByTestId('worker-cpu-chart')).toBeVisible({ timeout: 30_000 });
    const [running] = await call<Array<{ id: string }>>(master, 'runs.list', { taskId: slow.id });
    await call(master, 'runs.stop', { id: running!.id });
    await expect(page.getByTestId('worker-detail-status')).toHaveText('drained');
    await shotBoth(page, '05-worker-page');

    // Delete the offline worker (asks once more); its runs stay.
    await page.getByTestId('worker-back').click();
    await page.getByTestId('worker-delete-old-host').click();
    await page.getByTestId('worker-delete-old-host').click();
    await expect(row('old-host')).toHaveCount(0);
    await expect(row('build-01')).toHaveAttribute('data-status', 'drained');
    await shotBoth(page, '06-workers-after-delete');
  } finally {
    await browser?.close();
    await Promise.all(agents.map(stopped));
    await master.stop();
    rmSync(agentDirs, { recursive: true, force: true });
  }
});
