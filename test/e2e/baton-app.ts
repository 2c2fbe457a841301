// Starts the built desktop app as an operator would, on a data folder of the test's choosing.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron, expect, type ElectronApplication, type Page } from '@playwright/test';
import { removeCluster } from '../../src-main/master/db/embedded';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** The `electron` package exports the path of the runtime scripts/setup.mjs installed. */
export const electronBinary: string = createRequire(import.meta.url)('electron');
export const screenshotDir = path.join(repoRoot, 'test-results', 'screenshots');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function appEnv(userData: string, port: number, extra: Record<string, string> = {}): Record<string, string> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  return {
    ...inherited,
    BATON_USER_DATA: userData,
    BATON_DATA_DIR: path.join(userData, 'data'),
    BATON_PORT: String(port),
    // Mesa would write a shader cache under ~/.cache otherwise.
    MESA_SHADER_CACHE_DISABLE: 'true',
    ...extra,
  };
}

/** The agent gets 10 s to finish its runs, then the master and its database stop in well under a second. */
const QUIT_TIMEOUT_MS = 30_000;

export interface RunningApp {
  app: ElectronApplication;
  page: Page;
  /** Everything the main process printed so far. */
  output(): string;
  /** Quits the app the way an operator does and resolves with its exit code. */
  quit(): Promise<number | null>;
}

export async function launchApp(userData: string, port: number, extraEnv: Record<string, string> = {}): Promise<RunningApp> {
  mkdirSync(userData, { recursive: true });
  const app = await _electron.launch({
    executablePath: electronBinary,
    args: ['.', '--no-sandbox'],
    cwd: repoRoot,
    env: appEnv(userData, port, extraEnv),
  });
  let output = '';
  const child = app.process();
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const page = await app.firstWindow();
  await page.setViewportSize({ width: 1320, height: 860 });
  return {
    app,
    page,
    output: () => output,
    async quit() {
      // A quit that hangs is a bug to report with what the app printed, not a test timeout with no clue.
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`the app did not exit within ${QUIT_TIMEOUT_MS} ms of quitting; it printed:\n${output}`));
        }, QUIT_TIMEOUT_MS);
      });
      try {
        // Runs still in flight make the app ask what to do (a native dialog Playwright cannot click): "Leave them".
        await answerQuitQuestion(app, 'leave');
        return await Promise.race([app.close().then(() => exited), hung]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Answers the next "runs are in flight" question with `choice` (see src-main/quit-plan.ts) and records that it was asked. */
export async function answerQuitQuestion(app: ElectronApplication, choice: 'wait' | 'stop' | 'leave' | 'cancel'): Promise<void> {
  const response = ['wait', 'stop', 'leave', 'cancel'].indexOf(choice);
  await app.evaluate(({ dialog }, answer) => {
    const g = globalThis as unknown as { quitQuestions?: string[] };
    g.quitQuestions = [];
    dialog.showMessageBox = (async (...args: unknown[]) => {
      const options = args.find((a): a is { message: string } => typeof a === 'object' && a !== null && 'message' in a);
      g.quitQuestions!.push(options?.message ?? '');
      return { response: answer, checkboxChecked: false };
    }) as typeof dialog.showMessageBox;
  }, response);
}

const errorBoxToStderr = fileURLToPath(new URL('./fixtures/error-box-to-stderr.cjs', import.meta.url));

/** Runs the app binary directly, for start-ups that must fail before any window opens; error boxes go to stderr. */
export function runAppToExit(env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const args = ['-r', errorBoxToStderr, '.', '--no-sandbox'];
    const child = spawn(electronBinary, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the app did not exit within ${timeoutMs} ms; it printed:\n${output}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Resolves once nothing listens on the port any more, i.e. the master closed its server. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export interface HeadlessMaster {
  url: string;
  dataDir: string;
  /** The master's first API key, from its data folder. */
  apiKey(): string;
  output(): string;
  alive(): boolean;
  /** SIGTERM, then its data folder and cluster go; resolves with its exit code. */
  stop(): Promise<number | null>;
}

/** `baton-master` as a process on a free loopback port, with its own temporary data folder. */
export async function startHeadlessMaster(args: string[] = []): Promise<HeadlessMaster> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'baton-headless-'));
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [
    path.join(repoRoot, 'bin/baton-master.js'), '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn', ...args,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => { output += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { output += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await expect.poll(() => output, { timeout: 60_000 }).toContain('listening on');
  return {
    url: `http://127.0.0.1:${port}`, dataDir,
    apiKey: () => readFileSync(path.join(dataDir, 'api-key'), 'utf8').trim(),
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await exited;
      removeCluster(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}
