// Starts bench/master-process.ts as a child and talks to it over IPC; `stop()` ends it by its PID.
// The child runs the master compiled to one JavaScript file, as `baton-master` ships (out/main/cli.js), not under
// tsx: tsx's transformed sources and source maps added about 40 MB to the master's RSS (measured on the empty master).
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { build } from 'esbuild';
import { clientOver, type ApiClient, type Reply } from '../../src-main/master/api/contract/client';

export interface MasterSample { rssMb: number; heapMb: number; cpuPct: number; loopP99Ms: number; loopMaxMs: number }

export interface MasterProcess {
  agentUrl: string;
  pid: number;
  api: ApiClient;
  sample(): Promise<MasterSample>;
  stop(): Promise<void>;
}

const SOURCE = path.resolve('bench/master-process.ts');
const BUNDLE = path.resolve('.tmp/bench/master-process.mjs');
let bundled: Promise<unknown> | null = null;

/** The master and this wrapper in one ES module; packages stay in node_modules, as in electron-vite's bundle. */
function bundle(): Promise<unknown> {
  bundled ??= build({
    entryPoints: [SOURCE], outfile: BUNDLE, bundle: true, platform: 'node', format: 'esm', target: 'node20',
    packages: 'external', sourcemap: 'linked', logLevel: 'warning',
  });
  return bundled;
}

export async function startMasterProcess(opts: {
  databaseUrl: string; dataDir: string; logFile: string; env?: Record<string, string>; cpuProfDir?: string;
}): Promise<MasterProcess> {
  await bundle();
  const child: ChildProcess = fork(BUNDLE, [], {
    execArgv: [],
    env: {
      ...process.env, BATON_DATABASE_URL: opts.databaseUrl, BATON_DATA_DIR: opts.dataDir,
      BENCH_MASTER_LOG: opts.logFile,
      ...(opts.cpuProfDir ? { BENCH_CPU_PROF_DIR: opts.cpuProfDir } : {}), ...opts.env,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pending = new Map<number, (m: { reply?: Reply; sample?: MasterSample }) => void>();
  let nextId = 0;
  const ready = new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`master process exited with ${code} before it was ready`)));
    child.on('message', (raw) => {
      const m = raw as { ready?: true; agentUrl?: string; id?: number };
      if (m.ready) return resolve(m.agentUrl!);
      const done = pending.get(m.id!);
      pending.delete(m.id!);
      done?.(m as never);
    });
  });
  const request = <T>(message: object, pick: (m: { reply?: Reply; sample?: MasterSample }) => T) =>
    new Promise<T>((resolve) => {
      const id = nextId++;
      pending.set(id, (m) => resolve(pick(m)));
      child.send({ id, ...message });
    });
  const agentUrl = await ready;
  return {
    agentUrl,
    pid: child.pid!,
    api: clientOver((call, input) => request({ call, input }, (m) => m.reply!)),
    sample: () => request({ sample: true }, (m) => m.sample!),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ stop: true });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
