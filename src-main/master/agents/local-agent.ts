// The worker agent the desktop app runs beside its master: the master gives it its credential directly (no
// enrolment token), in the agent's data folder, on first run and whenever that credential no longer holds.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CredentialFile } from 'baton-agent/protocol';
import { issueCredential, lookUpCredential } from '../db/agent-credentials';
import { ensureGroup } from '../db/groups';
import type { Db } from '../db/store';
import type { Master } from '../index';

export const LOCAL_GROUP = 'local';
const STOP_GRACE_MS = 10_000;
const AFTER_GRACE_MS = 3_000;

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
  opts: {
    execPath: string; env?: Record<string, string>; name?: string; log?: (line: string) => void;
    /** How long its runs may finish when it stops (the desktop app keeps quitting short, issue 8). */
    stopGraceMs?: number;
  },
): Promise<LocalAgent> {
  const dataDir = path.join(master.config.dataDir, 'local-agent');
  await fs.mkdir(dataDir, { recursive: true });
  const name = opts.name ?? `local-${os.hostname()}`.slice(0, 128);
  await keepCredential(master.db, dataDir, name);
  const child: ChildProcess = spawn(opts.execPath, [
    agentCli(), '--master', master.agentUrl, '--group', LOCAL_GROUP, '--name', name, '--data-dir', dataDir,
    ...(opts.stopGraceMs === undefined ? [] : ['--stop-grace-ms', String(opts.stopGraceMs)]),
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
      // Given a grace, the agent still gets a few seconds past it to stop its runs and flush their results.
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.stopGraceMs === undefined ? STOP_GRACE_MS : opts.stopGraceMs + AFTER_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The credential file the agent reads (worker-agent/src/credential.ts), kept while its credential is live for `name`. */
async function keepCredential(db: Db, dataDir: string, name: string): Promise<void> {
  const file = path.join(dataDir, 'credential');
  const kept = CredentialFile.safeParse(await fs.readFile(file, 'utf8').then((t) => JSON.parse(t) as unknown, () => null));
  if (kept.success && kept.data.name === name && kept.data.group === LOCAL_GROUP) {
    const facts = (await lookUpCredential(db, kept.data.credential))?.facts;
    if (facts && !facts.revoked && facts.workerName === name && facts.groupName === LOCAL_GROUP) return;
  }
  const group = await ensureGroup(db, LOCAL_GROUP);
  const credential = await issueCredential(db, group.id, name);
  await fs.writeFile(file, `${JSON.stringify({ credential, name, group: LOCAL_GROUP } satisfies CredentialFile)}\n`, { mode: 0o600 });
  await fs.chmod(file, 0o600); // the mode above applies only to a new file
  // The agent token earlier versions kept here became an enrolment token for any group (migration 8): useless now.
  await fs.rm(path.join(dataDir, 'token'), { force: true });
}
