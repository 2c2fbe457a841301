// Runs the selected benchmarks on one embedded PostgreSQL, prints a markdown table, writes bench/results/.
// Usage: node --import tsx bench/run.ts [dispatch|lateness|failover|agents|takeover|dashboard|runs-query ...] [--quick] [--cpu-prof]
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { removeTempDirs, startCluster } from './lib/cluster';
import type { BenchContext, BenchResult, Row } from './lib/types';

const BENCHMARKS = {
  dispatch: () => import('./dispatch'),
  lateness: () => import('./lateness'),
  failover: () => import('./failover'),
  agents: () => import('./agents'),
  takeover: () => import('./takeover'),
  dashboard: () => import('./dashboard'),
  'runs-query': () => import('./runs-query'),
  history: () => import('./history'),
  memory: () => import('./memory'),
  'alert-outage': () => import('./alert-outage'),
} as const;
type Name = keyof typeof BENCHMARKS;

const RESULTS = path.resolve('bench/results');

function parseArgs(argv: string[]): { names: Name[]; quick: boolean; cpuProf: boolean } {
  const flags = new Set(argv.filter((a) => a.startsWith('--')));
  for (const f of flags) if (f !== '--quick' && f !== '--cpu-prof') throw new Error(`Unknown flag ${f}; use --quick or --cpu-prof.`);
  const names = argv.filter((a) => !a.startsWith('--'));
  for (const n of names) {
    if (!Object.hasOwn(BENCHMARKS, n)) throw new Error(`Unknown benchmark "${n}"; choose from ${Object.keys(BENCHMARKS).join(', ')}.`);
  }
  return { names: (names.length ? names : Object.keys(BENCHMARKS)) as Name[], quick: flags.has('--quick'), cpuProf: flags.has('--cpu-prof') };
}

function table(results: BenchResult[]): string {
  const cell = (r: Row) => (r.met === undefined ? '' : r.met ? 'yes' : '**no**');
  const lines = ['| benchmark | metric | value | target | met |', '|---|---|---|---|---|'];
  for (const res of results) for (const r of res.rows) lines.push(`| ${res.name} | ${r.metric} | ${r.value} | ${r.target ?? ''} | ${cell(r)} |`);
  return lines.join('\n');
}

/** The machine and how busy it was: these benchmarks share CPUs with whatever else runs. */
function host() {
  return { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '', loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100), node: process.version };
}

const args = parseArgs(process.argv.slice(2));
const log = (message: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
await fs.mkdir(RESULTS, { recursive: true });
const cpuProfDir = args.cpuProf ? await fs.mkdtemp(path.join(os.tmpdir(), 'baton-bench-prof-')) : null;
if (cpuProfDir) log(`master CPU profiles go to ${cpuProfDir}`);

log('starting embedded PostgreSQL');
const cluster = await startCluster();
const ctx: BenchContext = { cluster, quick: args.quick, cpuProfDir, log };
const results: BenchResult[] = [];
let failed = false;
const onSignal = () => { void cluster.stop().finally(() => process.exit(130)); };
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);
try {
  for (const name of args.names) {
    log(`=== ${name}${args.quick ? ' (quick)' : ''}`);
    const started = Date.now();
    try {
      const result = await (await BENCHMARKS[name]()).run(ctx);
      const json = { ...result, host: host(), quick: args.quick, at: new Date().toISOString(), durationS: (Date.now() - started) / 1_000 };
      await fs.writeFile(path.join(RESULTS, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
      results.push(result);
      for (const r of result.rows) log(`${name} | ${r.metric} | ${r.value}${r.target ? ` | target ${r.target} | ${r.met ? 'met' : 'MISSED'}` : ''}`);
    } catch (error) {
      failed = true;
      log(`${name} FAILED: ${error instanceof Error ? error.stack : String(error)}`);
      results.push({ name, rows: [{ metric: 'error', value: String(error instanceof Error ? error.message : error), met: false }], data: {} });
    }
  }
} finally {
  log('stopping embedded PostgreSQL');
  await cluster.stop();
  await removeTempDirs();
}
const h = host();
const own = results.flatMap((r) => (r.table ? [`\n${r.table}\n`] : [])).join('');
const md = `# Baton benchmarks\n\n${new Date().toISOString()}${args.quick ? ' (quick)' : ''}; ${h.cpus} CPUs (${h.model}), load average at the end ${h.loadavg.join(' ')}, Node ${h.node}\n\n${table(results)}\n${own}`;
await fs.writeFile(path.join(RESULTS, 'summary.md'), md);
console.log(`\n${table(results)}\n${own}\nload average ${h.loadavg.join(' ')} on ${h.cpus} CPUs\nwritten: ${path.relative(process.cwd(), RESULTS)}/`);
if (cpuProfDir) console.log(`master CPU profiles: ${cpuProfDir}`);
process.exit(failed ? 1 : 0);
