// The worker agent the desktop app runs beside its master: its token is made on first run, kept in the data folder.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { keepTokenInFile } from '../db/tokens';
import type { Master } from '../index';

export const LOCAL_GROUP = 'local';
const STOP_GRACE_MS = 10_000;

/** The agent's CLI, found upwards from this module: it sits beside the sources and beside the bundle alike. */
export function agentCli(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'worker-agent', 'bin', 'baton-agent.js');
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('Cannot find worker-agent/bin/baton-agent.js; run `npm run build` first.');
    dir = parent;
  }
}

export interface LocalAgent {
  readonly pid: number;
  stop(): Promise<void>;
}

export async function startLocalAgent(
  master: Master,
  opts: { execPath: string; env?: Record<string, string>; name?: string; log?: (line: string) => void },
): Promise<LocalAgent> {
  const dataDir = path.join(master.config.dataDir, 'local-agent');
  await fs.mkdir(dataDir, { recursive: true });
  const tokenFile = path.join(dataDir, 'token');
  await keepTokenInFile(master.db, { file: tokenFile, label: 'local agent (desktop app)', scope: 'agent' });
  const child: ChildProcess = spawn(opts.execPath, [
    agentCli(), '--master', master.agentUrl, '--token-file', tokenFile, '--group', LOCAL_GROUP,
    '--name', opts.name ?? `local-${os.hostname()}`.slice(0, 128), '--data-dir', dataDir,
  ], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const forward = (chunk: Buffer) => opts.log?.(chunk.toString('utf8').trimEnd());
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid ?? -1,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
