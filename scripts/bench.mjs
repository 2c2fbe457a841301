// `npm run bench [-- dispatch|lateness|failover|agents ...] [--quick] [--cpu-prof]`: builds the agent if
// needed, then runs bench/run.ts under tsx. Results: bench/results/<name>.json and summary.md.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

if (!existsSync(`${root}worker-agent/dist/cli.js`)) {
  const built = spawnSync('npx', ['tsc', '-p', 'worker-agent/tsconfig.json'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
