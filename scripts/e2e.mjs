// Runs the Playwright end-to-end tests against the built app, inside a virtual X server when there is no display.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setUpFirst } from './set-up-first.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

// The tests drive the built app, so a stale or missing build is set up first (a no-op when current).
setUpFirst();

const playwright = ['playwright', 'test', ...process.argv.slice(2)];
const headless = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
if (headless) console.log('e2e: no display found, running inside a virtual X server (xvfb-run -a)');
process.exit(headless ? run('xvfb-run', ['-a', 'npx', '--no-install', ...playwright]) : run('npx', ['--no-install', ...playwright]));
