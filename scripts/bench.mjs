// `npm run bench [-- dispatch|lateness|failover|agents|takeover|runs-query ...] [--quick] [--cpu-prof]`: sets up when needed,
// then runs bench/run.ts under tsx. Results: bench/results/<name>.json and summary.md.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setUpFirst } from './set-up-first.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
setUpFirst();
const result = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
