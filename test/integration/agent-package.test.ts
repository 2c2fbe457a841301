// The installable agent (issue 9): `npm pack` in worker-agent gives a tarball of built JavaScript with its bin,
// engines and entry points; installed with npm into an empty folder from the npm cache alone (no network), the
// installed `baton-agent` joins a test master and runs a built-in task and a custom handler from --handlers-dir.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESIZE_MODULE } from './handler-fixtures';
import { freshDatabase, prepare, startTestMaster, tempDir, waitFor, type TestMaster } from './harness';

const run = promisify(execFile);
/** Offline on purpose: CI must not need the registry; every dependency is in the npm cache after `npm install`. */
const NPM_ENV = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
const npm = (args: string[], cwd: string) => run('npm', args, { cwd, env: NPM_ENV, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
const PACKAGE_SOURCES = ['package.json', 'tsconfig.json', 'README.md', 'bin', 'src', 'scripts'];

describe('installable agent package', () => {
  let master: TestMaster;
  let tarball: string;
  let installed: string;
  let prefix: string;
  const children: Array<{ stop(): Promise<void> }> = [];

  beforeAll(async () => {
    // Packed from a copy beside a copy of the lock, so this test's build never rewrites the dist/ that the other
    // test files' agents run from; node_modules is the workspace's (build tools and types).
    const ws = await tempDir('baton-pack-');
    for (const entry of PACKAGE_SOURCES) await fs.cp(path.resolve('worker-agent', entry), path.join(ws, 'worker-agent', entry), { recursive: true });
    await fs.copyFile(path.resolve('package-lock.json'), path.join(ws, 'package-lock.json'));
    await fs.symlink(path.resolve('node_modules'), path.join(ws, 'node_modules'));
    const out = path.join(ws, 'out');
    await fs.mkdir(out);
    await npm(['pack', '--pack-destination', out], path.join(ws, 'worker-agent'));
    tarball = path.join(out, (await fs.readdir(out)).find((f) => f.endsWith('.tgz'))!);

    // Into an empty folder: unpack, install the pinned dependencies (npm-shrinkwrap.json) from the cache, then
    // install the package itself as operators do, which links the `baton-agent` command.
    const target = await tempDir('baton-install-');
    await run('tar', ['-xzf', tarball, '-C', target]);
    installed = path.join(target, 'package');
    await npm(['ci', '--offline', '--omit=dev', '--ignore-scripts'], installed);
    prefix = path.join(target, 'prefix');
    await npm(['install', '--global', '--prefix', prefix, '--offline', '--ignore-scripts', installed], target);
    master = await startTestMaster(await freshDatabase());
  }, 600_000);
  afterAll(async () => {
    for (const child of children) await child.stop();
    await master?.stop();
  });

  function startInstalled(args: string[]) {
    const child = spawn(path.join(prefix, 'bin', 'baton-agent'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => { output += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { output += c.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const handle = {
      exited,
      output: () => output,
      stop: async () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); await exited; },
    };
    children.push(handle);
    return handle;
  }

  it('packs built JavaScript, with bin, engines and entry points at built files, and no sources', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const files = stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
    expect(files).toEqual(expect.arrayContaining(['bin/baton-agent.js', 'dist/cli.js', 'dist/index.js', 'dist/index.d.ts', 'dist/protocol.d.ts', 'npm-shrinkwrap.json', 'README.md']));
    expect(files.filter((f) => f.startsWith('src/') || f.endsWith('.ts') && !f.endsWith('.d.ts') || f.endsWith('.map') || f.startsWith('scripts/'))).toEqual([]);

    const manifest = JSON.parse(await fs.readFile(path.join(installed, 'package.json'), 'utf8')) as {
      main: string; types: string; bin: Record<string, string>; engines: { node: string };
      exports: Record<string, string | { types: string; default: string }>; scripts: Record<string, string>; dependencies: Record<string, string>;
    };
    expect(manifest.engines.node).toMatch(/^>=20/);
    expect(manifest.scripts.prepack).toMatch(/npm run build/);
    const targets = [manifest.main, manifest.types, ...Object.values(manifest.bin)];
    for (const entry of Object.values(manifest.exports)) targets.push(...(typeof entry === 'string' ? [entry] : [entry.types, entry.default]));
    for (const file of targets) {
      expect(file, `${file} is a built file`).not.toMatch(/^(\.\/)?src\//);
      expect(existsSync(path.join(installed, file)), `${file} is in the package`).toBe(true);
    }
    // Every dependency is pinned with its integrity, which is what lets npm install it from the cache alone.
    const shrinkwrap = JSON.parse(await fs.readFile(path.join(installed, 'npm-shrinkwrap.json'), 'utf8')) as { packages: Record<string, { integrity?: string }> };
    for (const dep of Object.keys(manifest.dependencies)) expect(shrinkwrap.packages[`node_modules/${dep}`]?.integrity, dep).toMatch(/^sha512-/);
  });

  it('the installed baton-agent runs a built-in task and a custom handler from --handlers-dir', async () => {
    const { groupId, token } = await prepare(master, 'packaged');
    const handlersDir = path.join(await tempDir('baton-pkg-handlers-'), 'handlers');
    await fs.mkdir(handlersDir);
    await fs.writeFile(path.join(handlersDir, 'resize.mjs'), RESIZE_MODULE);
    const agent = startInstalled([
      '--master', master.agentUrl, '--token', token, '--group', 'packaged', '--name', 'installed-1',
      '--data-dir', await tempDir('baton-pkg-agent-'), '--handlers-dir', handlersDir,
    ]);
    await waitFor('installed agent online', async () =>
      (await master.api.call('workers.list', {})).find((w) => w.name === 'installed-1' && w.status === 'online'), 60_000)
      .catch((err: Error) => { throw new Error(`${err.message}\n${agent.output()}`); });

    const tasks = [
      await master.api.call('tasks.create', { name: 'pkg-shell', groupId, handler: 'shell', params: { command: 'echo from the package' }, trigger: { type: 'api' } }),
      await master.api.call('tasks.create', { name: 'pkg-resize', groupId, handler: 'resize', params: { width: 32 }, trigger: { type: 'api' } }),
    ];
    for (const task of tasks) {
      const [started] = await master.api.call('tasks.trigger', { id: task.id });
      const done = await waitFor(`${task.name} to end`, async () => {
        const r = await master.api.call('runs.get', { id: started!.id });
        return ['succeeded', 'failed', 'timed_out', 'cancelled', 'lost'].includes(r.state) ? r : null;
      }, 60_000);
      expect(done, agent.output()).toMatchObject({ state: 'succeeded', workerName: 'installed-1' });
      expect(done.output.trim()).toBe(task.name === 'pkg-shell' ? 'from the package' : JSON.stringify({ width: 32, attempt: 1 }));
    }
  }, 180_000);

  it('the installed baton-agent refuses to start on a malformed handler module, naming the file (exit 2)', async () => {
    const handlersDir = path.join(await tempDir('baton-pkg-bad-'), 'handlers');
    await fs.mkdir(handlersDir);
    await fs.writeFile(path.join(handlersDir, 'broken.mjs'), 'export default { name: "broken", params: { type: "object" } };');
    const agent = startInstalled([
      '--master', master.agentUrl, '--token', 'x'.repeat(32), '--group', 'packaged', '--name', 'installed-bad',
      '--data-dir', await tempDir('baton-pkg-agent-'), '--handlers-dir', handlersDir,
    ]);
    expect(await agent.exited).toBe(2);
    expect(agent.output()).toMatch(/--handlers-dir: .*broken\.mjs: handler "broken": `run` must be a function/);
  }, 60_000);
});
