// Every entry point (start, test, e2e, bench) sets up first, in its own process: an `a && b` npm script would
// put a shell between npm and the entry point, and a signal to npm would then orphan it.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs scripts/setup.mjs (quick when everything is in place); exits with its code when it fails. */
export function setUpFirst() {
  const result = spawnSync(process.execPath, ['scripts/setup.mjs'], { cwd: root, stdio: 'inherit' });
  if (result.error) throw result.error;
  if (result.status !== 0) process.exit(result.status ?? 1);
}
