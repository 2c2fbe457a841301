// The walking skeleton through the desktop console: a group, a shell task on cron, its runs on the local agent,
// import/export, tokens, a clean quit, the data found again on the next start, and a refused bad configuration.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { removeCluster } from '../../src-main/master/db/embedded';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { appEnv, freePort, launchApp, portIsFree, runAppToExit, screenshotDir } from './baton-app';

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`) });
}

const row = (page: Page, testid: string, attribute: string, value: string) =>
  page.locator(`[data-testid="${testid}"][data-${attribute}="${value}"]`);

test.describe.serial('desktop console', () => {
  // Made in beforeAll, not while the file is collected: Playwright collects it in more than one process.
  let userData = '';
  let port = 0;

  test.beforeAll(async () => {
    userData = mkdtempSync(path.join(tmpdir(), 'baton-e2e-'));
    rmSync(screenshotDir, { recursive: true, force: true });
    mkdirSync(screenshotDir, { recursive: true });
    port = await freePort();
  });

  test.afterAll(() => removeData(userData));

  test('an operator schedules a shell task and sees it run on the local agent', async () => {
    const baton = await launchApp(userData, port);
    const { page } = baton;
    let exitCode: number | null = null;
    try {
      await expect(page.getByTestId('page-dashboard')).toBeVisible();
      await expect(page.getByTestId('stat-workers-online')).toContainText('1');
      await expect(page.getByTestId('master-row')).toHaveCount(1);
      await expect(page.getByTestId('masters-panel')).toContainText('leader');
      await expect(page.getByTestId('master-status')).toContainText('leader');
      await shot(page, '01-dashboard');

      await page.getByTestId('nav-groups').click();
      await page.getByTestId('group-create').click();
      await expect(page.getByTestId('group-name-error')).toBeVisible();
      await shot(page, '02-groups-invalid');
      await page.getByTestId('group-name').fill('e2e');
      await page.getByTestId('group-description').fill('made by the end-to-end test');
      await page.getByTestId('group-create').click();
      await expect(row(page, 'group-row', 'name', 'e2e')).toBeVisible();
      await expect(row(page, 'group-row', 'name', 'local')).toBeVisible();
      await shot(page, '03-groups');

      // The local agent serves the group `local`, so the task goes there for its runs to find a worker.
      await page.getByTestId('nav-tasks').click();
      await page.getByTestId('task-new').click();
      await page.getByTestId('task-save').click();
      await expect(page.getByTestId('task-name-error')).toBeVisible();
      await expect(page.getByTestId('task-command-error')).toBeVisible();
      await page.getByTestId('task-name').fill('hello-e2e');
      await page.getByTestId('task-group').selectOption({ label: 'local' });
      await page.getByTestId('task-handler').selectOption('shell');
      await page.getByTestId('task-command').fill("printf 'hello\\nalpha\\nbeta\\n'");
      await page.getByTestId('task-trigger-type').selectOption('cron');
      await page.getByTestId('task-cron').fill('*/5 * * * * *');
      await shot(page, '04-task-form');
      await page.getByTestId('task-save').click();
      await expect(row(page, 'task-row', 'name', 'hello-e2e')).toContainText('local');
      await shot(page, '05-tasks');

      await page.getByTestId('nav-runs').click();
      const succeeded = row(page, 'run-row', 'state', 'succeeded').filter({ hasText: 'hello-e2e' }).first();
      await expect(succeeded).toBeVisible({ timeout: 30_000 });
      await expect(succeeded.getByTestId('run-output')).toHaveText('hello alpha beta');
      const workerName = (await succeeded.getByTestId('run-worker').textContent())?.trim() ?? '';
      expect(workerName).toMatch(/\w/);
      await shot(page, '06-runs');

      await succeeded.click();
      await expect(page.getByTestId('run-detail-state')).toHaveText('succeeded');
      await expect(page.getByTestId('run-detail-worker')).toHaveText(workerName);
      await expect(page.getByTestId('run-detail-exit')).toHaveText('0');
      await expect(page.getByTestId('run-detail-output')).toContainText('hello');
      // One write of several lines is one log batch: its lines share a seq, and the page still shows them all, in order.
      await expect(page.getByTestId('run-detail-logs')).toContainText(/hello\s[\s\S]*alpha\s[\s\S]*beta/);
      await shot(page, '07-run-detail');

      await page.getByTestId('nav-workers').click();
      const worker = row(page, 'worker-row', 'name', workerName);
      await expect(worker).toHaveAttribute('data-status', 'online');
      await expect(worker).toContainText('local');
      await shot(page, '08-workers');

      await page.getByTestId('nav-tokens').click();
      await expect(page.getByTestId('token-row').first()).toBeVisible();
      await page.getByTestId('token-label').fill('e2e-key');
      await page.getByTestId('token-create').click();
      await expect(page.getByTestId('token-secret')).toHaveText(/\S{16,}/);
      await expect(row(page, 'token-row', 'label', 'e2e-key')).toBeVisible();
      // The local agent's own credential, made by its master (no enrolment token), with a revoke button.
      await expect(row(page, 'credential-row', 'worker', workerName)).toBeVisible();
      await shot(page, '09-tokens');

      await page.getByTestId('nav-tasks').click();
      await expect(page.getByTestId('task-row')).toHaveCount(1);
      await page.getByTestId('tasks-import').click();
      // The master checks the whole baton/v1 file and names every problem at its JSON path; nothing is imported.
      await page.getByTestId('import-json').fill(JSON.stringify({
        format: 'baton/v1', exportedAt: '2030-01-01T00:00:00Z', groups: [],
        tasks: [
          { name: 'fine-but-no-group', group: 'missing', handler: 'noop', trigger: { type: 'api' }, timeout: 5 },
          { name: '', group: 'missing', handler: 'shell', trigger: { type: 'cron' } },
        ],
      }));
      await page.getByTestId('import-check').click();
      const problems = page.getByTestId('import-errors');
      await expect(problems).toContainText('tasks[0].timeout');
      await expect(problems).toContainText('tasks[1].name');
      await expect(problems).toContainText('tasks[1].trigger.expression');
      await expect(page.getByTestId('import-submit')).toBeDisabled();
      await shot(page, '10-import-bad');
      await expect(page.getByTestId('task-row')).toHaveCount(1);
      await page.getByTestId('import-close').click();

      await page.getByTestId('tasks-export-all').click();
      await expect(page.getByTestId('export-json')).not.toHaveValue('');
      const exported: { tasks: Record<string, unknown>[] } = JSON.parse(await page.getByTestId('export-json').inputValue());
      expect(exported.tasks.map((t) => t.name)).toEqual(['hello-e2e']);
      await page.getByTestId('export-close').click();
      await page.getByTestId('tasks-import').click();
      await page.getByTestId('import-json').fill(JSON.stringify({ ...exported, tasks: [{ ...exported.tasks[0], name: 'hello-copy', enabled: false }] }));
      await page.getByTestId('import-check').click();
      // The plan is shown before anything is written.
      await expect(page.getByTestId('import-plan-item').and(page.locator('[data-action="create"]'))).toContainText('hello-copy');
      await expect(page.getByTestId('task-row')).toHaveCount(1);
      await page.getByTestId('import-submit').click();
      await expect(page.getByTestId('tasks-notice')).toContainText('Imported: 1 to create');
      await expect(row(page, 'task-row', 'name', 'hello-copy')).toContainText('disabled');
      await shot(page, '11-import-good');

      await page.getByTestId('nav-dashboard').click();
      await expect(page.getByTestId('runs-by-state-succeeded').first()).toBeVisible();
      await shot(page, '12-dashboard-after');
    } finally {
      exitCode = await baton.quit();
    }
    expect(exitCode, baton.output()).toBe(0);
    expect(await portIsFree(port)).toBe(true);
  });

  test('a second start on the same data folder finds the group, the tasks and their runs', async () => {
    const baton = await launchApp(userData, port);
    const { page } = baton;
    let exitCode: number | null = null;
    try {
      await page.getByTestId('nav-groups').click();
      await expect(row(page, 'group-row', 'name', 'e2e')).toBeVisible();
      await page.getByTestId('nav-tasks').click();
      await expect(row(page, 'task-row', 'name', 'hello-e2e')).toBeVisible();
      await expect(row(page, 'task-row', 'name', 'hello-copy')).toBeVisible();
      await shot(page, '13-restart-tasks');
      await page.getByTestId('nav-runs').click();
      await expect(row(page, 'run-row', 'state', 'succeeded').first()).toBeVisible();
      await shot(page, '14-restart-runs');
    } finally {
      exitCode = await baton.quit();
    }
    expect(exitCode, baton.output()).toBe(0);
  });
});

/** The data folder and, as root, the cluster kept outside it (see clusterDir). */
function removeData(userData: string): void {
  removeCluster(path.join(userData, 'data'));
  rmSync(userData, { recursive: true, force: true });
}

test('a bad BATON_PORT stops start-up with a message naming it', async () => {
  const userData = mkdtempSync(path.join(tmpdir(), 'baton-e2e-bad-'));
  try {
    const { code, output } = await runAppToExit(appEnv(userData, 0, { BATON_PORT: 'abc' }), 60_000);
    expect(code, output).not.toBe(0);
    expect(output).toMatch(/error dialog: Baton: bad configuration: BATON_PORT="abc"/);
  } finally {
    rmSync(userData, { recursive: true, force: true });
  }
});
