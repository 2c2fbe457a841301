// Writes npm-shrinkwrap.json for the packed agent from the workspace's package-lock.json (run by `prepack`).
// A shrinkwrap pins every dependency of the installed agent to the exact versions this repository is tested
// with, and lets npm install the tarball from its cache alone (`npm install --offline`): with exact tarball
// URLs and integrity hashes npm needs no registry metadata, which its cache does not keep after a lockfile install.
// `--remove` (postpack) deletes it again: in the workspace the root package-lock.json is the one lock.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(dirname(fileURLToPath(import.meta.url)));
if (process.argv.includes('--remove')) {
  rmSync(join(here, 'npm-shrinkwrap.json'), { force: true });
  process.exit(0);
}
const manifest = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
const lock = JSON.parse(readFileSync(join(here, '..', 'package-lock.json'), 'utf8'));
const REGISTRY = 'https://registry.npmjs.org/';

/** The lock entry npm would pick for `name` required from the package at `from` (Node's lookup: nearest node_modules up). */
function locate(name, from) {
  const parts = from ? from.split('/node_modules/') : [];
  for (let depth = parts.length; depth >= 0; depth--) {
    const base = depth === 0 ? '' : `${parts.slice(0, depth).join('/node_modules/')}/`;
    const key = `${base}node_modules/${name}`.replace(/^\//, '');
    if (lock.packages[key]) return key;
  }
  throw new Error(`${name} (needed by ${from || manifest.name}) is not in package-lock.json; run npm install`);
}

/** What npm needs to lay out and check a package; `dev`, `peer` and the like describe the workspace, not the agent. */
const KEPT = new Set(['version', 'integrity', 'license', 'engines', 'bin', 'os', 'cpu', 'optional', 'dependencies',
  'optionalDependencies', 'peerDependencies', 'peerDependenciesMeta', 'hasInstallScript']);
const tarballUrl = (name, version) => `${REGISTRY}${name}/-/${name.split('/').pop()}-${version}.tgz`;

const packages = { '': { name: manifest.name, version: manifest.version, dependencies: manifest.dependencies } };
const queue = Object.keys(manifest.dependencies).map((name) => [name, 'worker-agent']);
while (queue.length) {
  const [name, from] = queue.shift();
  const key = locate(name, from);
  // The workspace's layout, rooted at the agent: hoisted packages stay at the top, nested ones stay nested.
  const target = key.startsWith('node_modules/') ? key : key.slice(key.indexOf('node_modules/'));
  const entry = lock.packages[key];
  if (packages[target]) {
    if (packages[target].version === entry.version) continue;
    throw new Error(`${target}: the agent needs ${entry.version} and ${packages[target].version}; give it its own lock layout`);
  }
  if (entry.dev || entry.link) throw new Error(`${key}: a dev or linked package cannot go into the agent's shrinkwrap`);
  const { dependencies, optionalDependencies } = entry;
  const kept = Object.fromEntries(Object.entries(entry).filter(([field]) => KEPT.has(field)));
  packages[target] = { ...kept, resolved: entry.resolved ?? tarballUrl(name, entry.version) };
  for (const dep of Object.keys({ ...dependencies, ...optionalDependencies })) queue.push([dep, key]);
}

const shrinkwrap = { name: manifest.name, version: manifest.version, lockfileVersion: 3, requires: true, packages };
writeFileSync(join(here, 'npm-shrinkwrap.json'), `${JSON.stringify(shrinkwrap, null, 2)}\n`);
