// `npm start`: sets up when needed, then opens the built desktop console with the project's Electron runtime.
import { spawn } from 'node:child_process';
import { readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { setUpFirst } from './set-up-first.mjs';

setUpFirst();

const root = fileURLToPath(new URL('..', import.meta.url));
/** The `electron` package exports the path of its binary. */
const electron = createRequire(import.meta.url)('electron');

const args = [root, ...process.argv.slice(2)];
// Chromium's sandbox refuses to run as root (CI and containers run as root).
if (process.getuid?.() === 0) args.push('--no-sandbox');

let command = electron;
if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  console.log('start: no display found, running the console inside a virtual X server (xvfb-run -a)');
  args.unshift('-a', electron);
  command = 'xvfb-run';
}

/**
 * Under xvfb-run the signal must reach Electron itself, not the wrapper: the wrapper would only take the
 * X server down, and the app would lose its display before it stopped its agent, master and database.
 */
function appPids() {
  if (command === electron) return [child.pid];
  const binary = realpathSync(electron);
  const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/);
  return children.filter(Boolean).map(Number).filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/exe`) === binary;
    } catch {
      return false;
    }
  });
}

// Its own process group, so a Ctrl-C in the terminal reaches only this script, which asks the app to quit in
// order; otherwise the agent, PostgreSQL and Xvfb would each get the signal and stop under the app's feet.
const child = spawn(command, args, { cwd: root, stdio: 'inherit', detached: true });
const quit = (signal) => {
  for (const pid of appPids()) process.kill(pid, signal);
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => quit(signal));
// `npm start` runs this under a shell that dies of a SIGTERM sent to npm without passing it on (seen with
// npm 11): losing the parent means the same as being asked to stop.
const parent = process.ppid;
const orphaned = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(orphaned);
  quit('SIGTERM');
}, 500);
orphaned.unref();
child.on('error', (error) => {
  console.error(`start: could not launch ${command}: ${error.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
