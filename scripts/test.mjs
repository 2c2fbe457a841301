// `npm test`: sets up when needed, then the unit, integration and end-to-end suites in turn, then one closing
// count for all of them.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setUpFirst } from './set-up-first.mjs';

setUpFirst();

const root = fileURLToPath(new URL('..', import.meta.url));
const reports = path.join(root, 'test-results', 'reports');
fs.rmSync(reports, { recursive: true, force: true });
fs.mkdirSync(reports, { recursive: true });

function run(label, command, args, env = {}) {
  console.log(`\n== ${label} ==`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status ?? 1;
}

function vitestCounts(file) {
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  return { passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + r.numTodoTests };
}

function playwrightCounts(file) {
  const s = JSON.parse(fs.readFileSync(file, 'utf8')).stats;
  return { passed: s.expected, failed: s.unexpected + s.flaky, skipped: s.skipped };
}

const suites = [
  ['unit', () => run('unit', 'npx', ['--no-install', 'vitest', 'run', '--project', 'unit', '--reporter=default', '--reporter=json', `--outputFile.json=${reports}/unit.json`]), () => vitestCounts(`${reports}/unit.json`)],
  ['integration', () => run('integration', 'npx', ['--no-install', 'vitest', 'run', '--project', 'integration', '--reporter=default', '--reporter=json', `--outputFile.json=${reports}/integration.json`]), () => vitestCounts(`${reports}/integration.json`)],
  ['e2e', () => run('e2e', process.execPath, ['scripts/e2e.mjs', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: `${reports}/e2e.json` }), () => playwrightCounts(`${reports}/e2e.json`)],
];

const total = { passed: 0, failed: 0, skipped: 0 };
let exitCode = 0;
for (const [name, execute, count] of suites) {
  const status = execute();
  let counts;
  try {
    counts = count();
  } catch {
    counts = { passed: 0, failed: 1, skipped: 0 };
    console.log(`${name}: no report was written (the suite could not run)`);
  }
  if (status !== 0 && counts.failed === 0) counts.failed = 1;
  if (status !== 0) exitCode = 1;
  for (const k of Object.keys(total)) total[k] += counts[k];
  console.log(`${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
}
console.log(`\ntests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(exitCode);
