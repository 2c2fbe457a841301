// Forks a system's worker script N times (each its own process, as Baton's agents are) and stops each by its PID.
import { fork, type ChildProcess } from 'node:child_process';
import { CONFIG_ENV, fromWorker, type FromWorker, type WorkerConfig } from './worker-protocol';

export interface WorkerPool {
  pids: number[];
  /** Asks each process to stop gracefully; the total of jobs their handlers ran, or null when one did not report. */
  stop(): Promise<{ handled: number | null }>;
}

const READY_MS = 90_000;
const STOP_MS = 20_000;

// Should the benchmark die without its finally blocks, no worker outlives it.
const live = new Set<ChildProcess>();
process.once('exit', () => { for (const c of live) c.kill('SIGKILL'); });

function next(child: ChildProcess, timeoutMs: number, what: string): Promise<FromWorker> {
  return new Promise((resolve, reject) => {
    const done = (fn: () => void) => { clearTimeout(timer); child.off('message', onMessage); child.off('exit', onExit); fn(); };
    const onMessage = (raw: unknown) => {
      const m = fromWorker.safeParse(raw);
      if (m.success) done(() => (m.data.type === 'error' ? reject(new Error(`worker ${child.pid}: ${m.data.message}`)) : resolve(m.data)));
    };
    const onExit = (code: number | null) => done(() => reject(new Error(`worker ${child.pid} exited (${code}) before ${what}`)));
    const timer = setTimeout(() => done(() => reject(new Error(`worker ${child.pid}: no ${what} within ${timeoutMs} ms`))), timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function stopOne(child: ChildProcess): Promise<number | null> {
  const alive = () => child.exitCode === null && child.signalCode === null;
  if (!alive()) return null;
  const exited = new Promise<void>((resolve) => { if (!alive()) resolve(); else child.once('exit', () => resolve()); });
  const report = next(child, STOP_MS, 'stop report').catch(() => null);
  child.send({ type: 'stop' });
  const m = await report;
  if (alive()) child.kill('SIGKILL');
  await exited;
  live.delete(child);
  return m?.type === 'stopped' ? m.handled : null;
}

export async function startWorkerPool(script: string, config: WorkerConfig, count: number): Promise<WorkerPool> {
  const children = Array.from({ length: count }, () => {
    const child = fork(script, [], {
      execArgv: ['--import', 'tsx'], env: { ...process.env, [CONFIG_ENV]: JSON.stringify(config) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    live.add(child);
    return child;
  });
  const stop = async () => {
    const handled = await Promise.all(children.map(stopOne));
    return { handled: handled.every((h) => h !== null) ? handled.reduce<number>((a, b) => a + b!, 0) : null };
  };
  try {
    await Promise.all(children.map((c) => next(c, READY_MS, 'ready')));
  } catch (error) {
    await stop();
    throw error;
  }
  return { pids: children.map((c) => c.pid!), stop };
}
