// The task screens in the desktop console (issue 8): the editor refuses a bad cron beside the field and moves focus
// to it, shows the cron as a sentence with its next 5 fires, the task page, Clone, and Delete that archives.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { removeCluster } from '../../src-main/master/db/embedded';
import { freePort, launchApp, screenshotDir } from './baton-app';

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(screenshotDir, `tasks-${name}.png`), fullPage: true });
}

const taskRow = (page: Page, name: string) => page.locator(`[data-testid="task-row"][data-name="${name}"]`);

test('an operator edits, previews, clones and archives a task', async () => {
  mkdirSync(screenshotDir, { recursive: true });
  const userData = mkdtempSync(path.join(tmpdir(), 'baton-e2e-tasks-'));
  const baton = await launchApp(userData, await freePort());
  const { page } = baton;
  let exitCode: number | null = null;
  try {
    await expect(page.getByTestId('stat-workers-online')).toContainText('1');
    await page.getByTestId('nav-tasks').click();
    await page.getByTestId('task-new').click();
    await page.getByTestId('task-name').fill('nightly');
    await page.getByTestId('task-group').selectOption({ label: 'local' });
    await page.getByTestId('task-command').fill('echo nightly');
    await page.getByTestId('task-cron').fill('0 30 2 * * *');
    await page.getByTestId('task-timezone').fill('America/New_York');
    await page.getByTestId('task-save').click();
    await expect(taskRow(page, 'nightly')).toBeVisible();

    // Edit: a bad cron is refused beside its field as it is typed, the bad zone on its own.
    await page.getByTestId('task-edit-nightly').click();
    await page.getByTestId('task-cron').fill('0 61 * * * *');
    await expect(page.getByTestId('task-cron-error')).toContainText('invalid cron expression');
    await page.getByTestId('task-timezone').fill('Mars/Olympus');
    await expect(page.getByTestId('task-timezone-error')).toContainText("unknown time zone 'Mars/Olympus'");
    await expect(page.getByTestId('task-cron-error')).toContainText('invalid cron expression');
    await page.getByTestId('task-description').click();
    await page.getByTestId('task-save').click();
    await expect(page.getByTestId('task-cron')).toBeFocused();
    await shot(page, '01-bad-cron');

    // Fixed: a sentence and the next 5 fires in New York time, as the master will fire them.
    await page.getByTestId('task-cron').fill('0 30 2 * * *');
    await page.getByTestId('task-timezone').fill('America/New_York');
    await expect(page.getByTestId('task-cron-error')).toBeHidden();
    await expect(page.getByTestId('task-timezone-error')).toBeHidden();
    await expect(page.getByTestId('task-preview-sentence')).toHaveText('At 02:30');
    const fires = page.getByTestId('task-preview-fires').locator('li');
    await expect(fires).toHaveCount(5);
    await expect(fires.first()).toContainText(/(02:30|03:00):00 \(UTC-0[45]:00\)/);
    await shot(page, '02-cron-preview');
    await page.getByTestId('task-save').click();
    await expect(page.getByTestId('tasks-notice')).toContainText('Saved nightly');
    await expect(page.getByTestId('task-form')).toBeHidden();

    // Its page: settings, the next 10 fires, runs and the chart once it ran.
    await page.getByTestId('task-run-nightly').click();
    await expect(page.getByTestId('tasks-notice')).toContainText('Started 1 run of nightly', { timeout: 30_000 });
    await expect(page.getByTestId('task-last-nightly')).toContainText('succeeded', { timeout: 30_000 });
    await page.getByTestId('task-open-nightly').click();
    await expect(page.getByTestId('page-title')).toHaveText('nightly');
    await expect(page.getByTestId('task-detail-fires-fires').locator('li')).toHaveCount(10);
    await expect(page.getByTestId('task-detail-run-row').first()).toContainText('succeeded');
    await expect(page.getByTestId('task-detail-chart').locator('canvas')).toBeVisible();
    await shot(page, '03-task-page');
    await page.getByTestId('task-detail-all-runs').click();
    await expect(page.getByTestId('runs-filter-task')).not.toHaveValue('');
    await expect(page.getByTestId('run-row').first()).toContainText('nightly');
    await page.getByTestId('nav-tasks').click();

    // Clone: every setting, a new name.
    await page.getByTestId('task-clone-nightly').click();
    await expect(page.getByTestId('task-name')).toHaveValue('nightly-copy');
    await expect(page.getByTestId('task-cron')).toHaveValue('0 30 2 * * *');
    await expect(page.getByTestId('task-timezone')).toHaveValue('America/New_York');
    await shot(page, '04-clone');
    await page.getByTestId('task-save').click();
    await expect(taskRow(page, 'nightly-copy')).toBeVisible();

    // Delete archives: the confirmation says the runs stay; the row leaves the list and comes back under "Show archived".
    await page.getByTestId('task-delete-nightly').click();
    await expect(page.getByTestId('task-delete-nightly')).toHaveText('Archive? Runs are kept');
    await shot(page, '05-delete-confirm');
    await page.getByTestId('task-delete-nightly').click();
    await expect(page.getByTestId('tasks-notice')).toContainText('archived, its runs are kept');
    await expect(taskRow(page, 'nightly')).toHaveCount(0);
    await page.getByTestId('tasks-show-archived').check();
    await expect(taskRow(page, 'nightly')).toHaveAttribute('data-archived', 'yes');
    await expect(taskRow(page, 'nightly')).toContainText('archived');
    await shot(page, '06-archived');
    await page.setViewportSize({ width: 960, height: 600 });
    // Every action stays within the window's width, without scrolling the table sideways.
    const clone = await page.getByTestId('task-clone-nightly').boundingBox();
    expect(clone!.x + clone!.width).toBeLessThanOrEqual(960);
    await shot(page, '06b-archived-960');
    await page.setViewportSize({ width: 1320, height: 860 });

    // Its runs stay listed.
    await page.getByTestId('task-open-nightly').click();
    await expect(page.getByTestId('task-detail-state')).toHaveText('archived');
    await expect(page.getByTestId('task-detail-run-row').first()).toContainText('succeeded');
    await shot(page, '07-archived-page');
  } finally {
    exitCode = await baton.quit();
    removeCluster(path.join(userData, 'data'));
    rmSync(userData, { recursive: true, force: true });
  }
  expect(exitCode, baton.output()).toBe(0);
});
