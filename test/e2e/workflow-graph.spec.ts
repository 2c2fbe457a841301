// The task page's workflow graph (issue 10) in a browser against the headless master: the diamond A → B, A → C,
// B + C → D drawn as boxes and arrows with each task's newest run state and D's join mode; a box opens that task.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, expect, test, type Browser } from '@playwright/test';
import { repoRoot, startHeadlessMaster } from './baton-app';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const shots = path.join(repoRoot, 'test-results', 'screenshots-workflow');

test('the task page shows its workflow as a graph whose boxes open each task', async () => {
  mkdirSync(shots, { recursive: true });
  const master = await startHeadlessMaster();
  let browser: Browser | null = null;
  try {
    const rest = async (verb: string, route: string, body: unknown) => {
      const res = await fetch(`${master.url}/api/v1${route}`, {
        method: verb, headers: { authorization: `Bearer ${master.apiKey()}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      expect(res.ok, `${verb} ${route}: ${res.status} ${res.ok ? '' : await res.clone().text()}`).toBe(true);
      return ((await res.json()) as { value: { id: string } }).value;
    };
    // No agent serves this group: A's run fails at once (no worker), so its box shows a run state.
    const group = await rest('POST', '/groups', { name: 'flows' });
    const task = (name: string, trigger: unknown) => rest('POST', '/tasks', { name, groupId: group.id, handler: 'noop', trigger, queueTimeoutMs: 0 });
    const a = await task('extract-A', { type: 'api' });
    const b = await task('transform-B', { type: 'parent', parents: [a.id] });
    const c = await task('transform-C', { type: 'parent', parents: [a.id] });
    const d = await task('load-D', { type: 'parent', parents: [b.id, c.id], join: 'all_done' });
    await task('lonely', { type: 'api' });
    await rest('POST', `/tasks/${a.id}/runs`, {});

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1320, height: 1100 } });
    await page.goto(`${master.url}/`);
    await page.getByTestId('api-key-input').fill(master.apiKey());
    await page.getByTestId('api-key-use').click();
    await page.getByTestId('nav-tasks').click();
    await page.getByTestId('task-open-transform-B').click();

    const graph = page.getByTestId('workflow-graph');
    await expect(graph).toBeVisible();
    const nodes = graph.getByTestId('workflow-node');
    await expect(nodes).toHaveCount(4); // the whole diamond, not the unrelated task
    const box = (id: string) => graph.locator(`[data-testid="workflow-node"][data-task="${id}"]`);
    await expect(box(b.id)).toHaveAttribute('aria-current', 'page');
    await expect(box(a.id)).toHaveAttribute('data-state', 'failed');
    await expect(box(a.id)).toContainText('extract-A');
    await expect(box(d.id)).toContainText('all done');
    await expect(box(c.id)).toContainText('no run yet');
    const edges = graph.getByTestId('workflow-edge');
    await expect(edges).toHaveCount(4);
    for (const [from, to] of [[a, b], [a, c], [b, d], [c, d]]) {
      await expect(graph.locator(`[data-testid="workflow-edge"][data-from="${from!.id}"][data-to="${to!.id}"]`)).toHaveCount(1);
    }
    // Left to right: A, then B and C in one column, then D.
    const x = async (id: string) => (await box(id).locator('rect').boundingBox())!.x;
    expect(await x(a.id)).toBeLessThan(await x(b.id));
    expect(Math.abs((await x(b.id)) - (await x(c.id)))).toBeLessThanOrEqual(1); // the focus's thicker border shifts its box by half a pixel
    expect(await x(c.id)).toBeLessThan(await x(d.id));
    await page.getByTestId('task-detail-links').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, '01-diamond-from-B.png'), fullPage: true });
    await page.getByTestId('task-detail-links').screenshot({ path: path.join(shots, '02-diamond-graph.png') });

    // A box is a link to its task's page, which draws the same workflow around that task.
    await box(d.id).click();
    await expect(page.getByTestId('page-title')).toHaveText('load-D');
    await expect(graph.locator(`[data-testid="workflow-node"][data-task="${d.id}"]`)).toHaveAttribute('aria-current', 'page');

    // A task in no workflow says so instead of drawing one box.
    await page.getByTestId('nav-tasks').click();
    await page.getByTestId('task-open-lonely').click();
    await expect(page.getByTestId('workflow-graph-empty')).toContainText('not part of a workflow');
  } finally {
    await browser?.close();
    const code = await master.stop();
    expect(code).toBe(0);
  }
});
