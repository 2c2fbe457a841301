// The screenshot walk (issue 8): realistic data (100,000 runs, multi-line and 10,000-line outputs, names of the
// longest allowed length, a New York cron, an offline worker), every screen in the desktop app and in the browser
// console, at 1320×860 and 960×600, light and dark, then the quit question and a database outage. Screens are one list: a new
// page is one more entry in SCREENS. Shots go to test-results/walk/<console>-<screen>-<size>-<theme>.png.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, expect, test, type Browser, type Page } from '@playwright/test';
import pg from 'pg';
import { clusterDir, removeCluster } from '../../src-main/master/db/embedded';
import { answerQuitQuestion, freePort, launchApp, repoRoot, type RunningApp } from './baton-app';

const shots = path.join(repoRoot, 'test-results', 'walk');
const SIZES = [{ name: '1320x860', width: 1320, height: 860 }, { name: '960x600', width: 960, height: 600 }] as const;
const THEMES = ['light', 'dark'] as const;
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SEEDED_RUNS = 100_000;
/** Names as long as the contract allows: 200 characters. */
const LONG = (what: string) => `${what}-${'x'.repeat(200 - what.length - 1)}`;

interface Screen {
  name: string;
  /** Brings the screen up from anywhere and waits until it shows its data. */
  open(page: Page): Promise<void>;
}

/**
 * On this shared two-core machine the lone master has been seen to step down (its lease renewed late) and take tens
 * of seconds to lead again; reads meanwhile answer "unavailable" and the console retries every 5 s. Screens that
 * read leader-only methods get that long.
 */
const LEADER_FLAP = { timeout: 60_000 };

const nav = (page: Page, name: string) => page.getByTestId(`nav-${name}`).click();

/** The newest run of a task, opened from the runs list; waits until its whole log is there and the view followed it to `lastLine`. */
async function openRunOf(page: Page, task: string, lines: number, lastLine: string): Promise<void> {
  await nav(page, 'runs');
  await page.locator('[data-testid="run-row"]').filter({ hasText: task }).first().click();
  await expect(page.getByTestId('log-count')).toHaveText(`${lines.toLocaleString('en-US')} lines`, { timeout: 30_000 });
  await expect(page.getByTestId('run-detail-logs')).toContainText(lastLine);
}

const SCREENS: readonly Screen[] = [
  // Shot once its figures are in (a dash means not read yet).
  { name: 'dashboard', open: async (p) => { await nav(p, 'dashboard'); await expect(p.getByTestId('stat-running')).toContainText(/\d/, LEADER_FLAP); } },
  { name: 'groups', open: async (p) => { await nav(p, 'groups'); await expect(p.locator('[data-testid="group-row"]').first()).toBeVisible(); } },
  { name: 'workers', open: async (p) => { await nav(p, 'workers'); await expect(p.locator('[data-testid="worker-row"]').nth(1)).toBeVisible(); } },
  {
    name: 'worker-detail',
    open: async (p) => {
      await nav(p, 'workers');
      await p.locator('[data-testid="worker-row"][data-name^="offline-worker"]').click();
      await expect(p.getByTestId('worker-facts')).toBeVisible(LEADER_FLAP);
    },
  },
  { name: 'tasks', open: async (p) => { await nav(p, 'tasks'); await expect(p.locator('[data-testid="task-row"]').first()).toBeVisible(); } },
  {
    name: 'task-detail',
    open: async (p) => {
      await nav(p, 'tasks');
      await p.getByTestId('task-open-new-york-nightly').click();
      await expect(p.getByTestId('task-detail-settings')).toBeVisible(LEADER_FLAP);
    },
  },
  { name: 'runs', open: async (p) => { await nav(p, 'runs'); await expect(p.locator('[data-testid="run-row"]').first()).toBeVisible(); } },
  // Multi-line output with ANSI colours, written in one go (issue 8, item 1: such a run's page never loaded).
  { name: 'run-detail', open: (p) => openRunOf(p, 'multi-line', 4, 'gamma') },
  // 10,000 lines: the page loads them all and follows to the end.
  { name: 'run-detail-10000-lines', open: (p) => openRunOf(p, 'ten-thousand-lines', 10_000, '10000') },
  { name: 'tokens', open: async (p) => { await nav(p, 'tokens'); await expect(p.getByTestId('page-runs').or(p.getByTestId('page-tokens'))).toBeVisible(); } },
  { name: 'alerts', open: async (p) => { await nav(p, 'alerts'); await expect(p.getByTestId('alert-settings-save')).toBeVisible(); } },
  { name: 'settings', open: async (p) => { await nav(p, 'settings'); await expect(p.getByTestId('settings-port').or(p.getByTestId('settings-load-error-message'))).toBeVisible(); } },
];

const timings: string[] = [];

/** `/` focuses the page's search box on every page that has one; Escape leaves it and closes a dialog. */
async function keyboard(page: Page): Promise<void> {
  for (const [screen, box] of [['tasks', 'tasks-search'], ['runs', 'runs-filter-text']] as const) {
    await nav(page, screen);
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('/');
    await expect(page.getByTestId(box)).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(page.getByTestId(box)).not.toBeFocused();
  }
  await nav(page, 'workers');
  await page.getByTestId('add-worker-open').click();
  await expect(page.getByRole('dialog')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toBeHidden();
}

/** Errors thrown in a console page (a duplicate key in a list stopped the run page once, issue 8): the walk fails on any. */
const pageErrors: string[] = [];

async function walk(page: Page, console: 'electron' | 'browser'): Promise<string[]> {
  page.on('pageerror', (error) => pageErrors.push(`${console}: ${error.message}`));
  page.on('console', (message) => { if (message.type() === 'error') pageErrors.push(`${console}: ${message.text()}`); });
  const taken: string[] = [];
  for (const theme of THEMES) {
    await page.emulateMedia({ colorScheme: theme });
    await expect(page.locator(`html[data-theme="${theme}"]`)).toHaveCount(1);
    for (const size of SIZES) {
      await page.setViewportSize({ width: size.width, height: size.height });
      for (const screen of SCREENS) {
        const started = Date.now();
        const name = `${console}-${screen.name}-${size.name}-${theme}.png`;
        await screen.open(page).catch(async (error: Error) => {
          await page.screenshot({ path: path.join(shots, `failed-${name}`) });
          throw new Error(`${error.message}\nerrors in the page: ${pageErrors.join('\n') || 'none'}`);
        });
        await page.screenshot({ path: path.join(shots, name) });
        timings.push(`${name} ${Date.now() - started} ms`);
        taken.push(name);
      }
    }
  }
  return taken;
}

/** Keeps every text the tray icon is given (the tray itself cannot be read on a virtual X server). */
async function recordTrayTips(app: RunningApp['app']): Promise<void> {
  await app.evaluate(({ Tray }) => {
    const g = globalThis as unknown as { trayTips: string[] };
    g.trayTips = [];
    const setToolTip = Tray.prototype.setToolTip;
    Tray.prototype.setToolTip = function (this: InstanceType<typeof Tray>, text: string) {
      g.trayTips.push(text);
      return setToolTip.call(this, text);
    };
  });
}

type Call = (method: string, input: unknown) => Promise<{ ok: boolean; value?: unknown; error?: { message: string } }>;

/** Calls the master through the window's bridge, as the console does. */
async function call<T>(page: Page, method: string, input: unknown): Promise<T> {
  const reply = await page.evaluate(([m, i]) => (globalThis as unknown as { baton: { call: Call } }).baton.call(m as string, i), [method, input] as const);
  if (!reply.ok) throw new Error(`${method}: ${reply.error?.message}`);
  return reply.value as T;
}

function databaseUrl(dataDir: string): string {
  const pid = readFileSync(path.join(clusterDir(dataDir), 'postmaster.pid'), 'utf8').split('\n');
  const password = readFileSync(path.join(dataDir, 'postgres.secret'), 'utf8').trim();
  return `postgresql://baton:${encodeURIComponent(password)}@127.0.0.1:${pid[3]}/postgres`;
}

/** Realistic data: tasks through the API, their real runs on the local agent, 100,000 older runs and an offline worker by SQL. */
async function seed(page: Page, dataDir: string): Promise<void> {
  const group = await call<{ id: string }>(page, 'groups.create', { name: LONG('group'), description: `a group whose name is as long as allowed; ${'and a long description '.repeat(9)}` });
  const local = (await call<Array<{ id: string; name: string }>>(page, 'groups.list', {})).find((g) => g.name === 'local')!;
  const shell = (name: string, command: string, trigger: unknown = { type: 'api' }, groupId = local.id) =>
    call<{ id: string }>(page, 'tasks.create', { name, groupId, handler: 'shell', params: { command }, trigger });
  // Three lines in one write, then a line in ANSI colours.
  const multi = await shell('multi-line', "printf 'alpha\\nbeta\\ngamma\\n'; printf '\\033[31mred\\033[0m \\033[1;32mbold green\\033[0m\\n'");
  const long = await shell('ten-thousand-lines', 'seq 1 10000');
  const failing = await shell(LONG('failing'), 'echo "about to fail" >&2; exit 3');
  await shell('new-york-nightly', 'echo nightly', { type: 'cron', expression: '0 30 2 * * *', timezone: 'America/New_York' });
  await shell('elsewhere', 'echo never here', { type: 'api' }, group.id);
  for (const task of [multi, long, failing]) await call(page, 'tasks.trigger', { id: task.id });
  await expect.poll(async () => (await call<Array<{ state: string }>>(page, 'runs.list', { limit: 10 }))
    .filter((r) => ['succeeded', 'failed'].includes(r.state)).length, { timeout: 60_000 }).toBe(3);

  const db = new pg.Client({ connectionString: databaseUrl(dataDir) });
  await db.connect();
  try {
    // Older than the real runs, one every 7 s, mostly succeeded with every tenth failed, some with multi-line output.
    await db.query(`
      insert into runs (id, task_id, root_run_id, attempt, trigger, trace_id, state, planned_at, created_at, queued_at,
                        assigned_at, started_at, finished_at, exit_code, output, error, worker_name)
      select id, $1, id, 1, 'schedule', md5(i::text) || md5((i + 1)::text), state, at, at, at, at, at, at + interval '1.2 s',
             case when state = 'failed' then 1 else 0 end,
             case when i % 3 = 0 then 'line one' || chr(10) || 'line two' || chr(10) || 'line three' else 'ok ' || i end,
             case when state = 'failed' then 'exit code 1' end, 'seeded-worker'
      from (select i, 'run_0' || lpad(to_hex(i), 8, '0') || substr(md5(i::text), 1, 12) as id,
                   case when i % 10 = 0 then 'failed' else 'succeeded' end as state,
                   now() - interval '1 hour' - i * interval '7 s' as at
            from generate_series(1, $2::int) as i) s`, [multi.id, SEEDED_RUNS]);
    await db.query(`
      insert into workers (id, name, group_id, host, ip, version, handlers, capacity, online, last_heartbeat_at)
      values ('wrk_000000000offline0000', $1, $2, 'build-07.example', '10.0.0.7', '0.1.0', '{shell}', 4, false, now() - interval '2 hours')`,
    [LONG('offline-worker'), group.id]);
  } finally {
    await db.end();
  }
}

test('walk every screen in both consoles, sizes and themes; quit asks about runs; a database outage reads as one', async () => {
  // 96 screenshots and 100,000 seeded runs: about 5 to 6 min on this shared two-core machine.
  test.setTimeout(540_000);
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
  const userData = mkdtempSync(path.join(tmpdir(), 'baton-walk-'));
  const dataDir = path.join(userData, 'data');
  const port = await freePort();
  const t0 = Date.now();
  let baton: RunningApp | null = null;
  let browser: Browser | null = null;
  try {
    baton = await launchApp(userData, port);
    const { page, app } = baton;
    await expect(page.getByTestId('master-status')).toContainText('leader');
    await seed(page, dataDir);
    // Rows written by SQL raise no console event: the console reads them when it starts again.
    await page.reload();
    await expect(page.getByTestId('master-status')).toContainText('leader');
    const seeded = Date.now();
    await recordTrayTips(app);
    const taken = await walk(page, 'electron');

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const web = await browser.newPage({ viewport: { width: 1320, height: 860 } });
    await web.goto(`http://127.0.0.1:${port}/`);
    await web.getByTestId('api-key-input').fill(readFileSync(path.join(dataDir, 'api-key'), 'utf8').trim());
    await web.getByTestId('api-key-use').click();
    await expect(web.getByTestId('master-status')).toContainText('leader');
    taken.push(...await walk(web, 'browser'));
    for (const p of [page, web]) await keyboard(p);
    expect(taken).toHaveLength(2 * SCREENS.length * SIZES.length * THEMES.length);
    expect(pageErrors).toEqual([]);

    // Quitting with a run in flight asks; Cancel keeps the app running.
    const sleeper = await call<{ id: string }>(page, 'tasks.create', {
      name: 'sleeper', groupId: (await call<Array<{ id: string; name: string }>>(page, 'groups.list', {})).find((g) => g.name === 'local')!.id,
      handler: 'shell', params: { command: 'sleep 120' }, trigger: { type: 'api' },
    });
    const [run] = await call<Array<{ id: string }>>(page, 'tasks.trigger', { id: sleeper.id });
    await expect.poll(async () => (await call<{ state: string }>(page, 'runs.get', { id: run!.id })).state, { timeout: 30_000 }).toBe('running');
    // The tray counts follow the master's run events: the sleeper shows as running; the day's failures (seeded and real) as failed.
    await expect.poll(() => app.evaluate(() => (globalThis as unknown as { trayTips: string[] }).trayTips.at(-1)), { timeout: 30_000 })
      .toMatch(/^Baton: 1 running, [1-9]\d* failed in 24 h$/);
    await answerQuitQuestion(app, 'cancel');
    await app.evaluate(({ app: electron }) => electron.quit());
    await expect.poll(() => app.evaluate(() => (globalThis as unknown as { quitQuestions: string[] }).quitQuestions)).toEqual(['1 run is in flight. Quit Baton?']);
    await expect(page.getByTestId('master-status')).toContainText('leader');

    // The database goes away: both consoles say so, and quitting still takes seconds (issue 8: it took 30 s).
    const pid = Number(readFileSync(path.join(clusterDir(dataDir), 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 'SIGQUIT');
    for (const [console, p] of [['electron', page], ['browser', web]] as const) {
      await p.setViewportSize({ width: 1320, height: 860 });
      await nav(p, 'dashboard');
      await expect(p.getByTestId('master-status-text')).toHaveText('database unreachable', { timeout: 20_000 });
      // Said once, above the page: the page's own failed read is not a second message (issue 8).
      await expect(p.getByTestId('outage')).toHaveAttribute('data-outage', 'database');
      await expect(p.getByRole('alert')).toHaveCount(1);
      await p.screenshot({ path: path.join(shots, `${console}-database-outage-1320x860-dark.png`) });
    }
    await browser.close();
    browser = null;
    const started = Date.now();
    await baton.quit();
    baton = null;
    console.log(`walk: ${taken.length + 2} screenshots in ${shots}; quit during the outage took ${Date.now() - started} ms`);
    console.log(`walk: seeding done ${seeded - t0} ms after start; per screen:\n${timings.join('\n')}`);
  } finally {
    await browser?.close();
    await baton?.quit().catch(() => undefined);
    removeCluster(dataDir);
    rmSync(userData, { recursive: true, force: true });
  }
});
