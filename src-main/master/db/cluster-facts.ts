// The I/O around cluster-claim.ts: reads the facts about an embedded cluster (postmaster.pid, /proc, the owner
// lock), stops an orphaned PostgreSQL, and keeps the owner lock that tells later masters this one is alive.
import fs from 'node:fs/promises';
import path from 'node:path';
import { isPostgresOf, parsePostmaster, type ClusterFacts, type ClusterOwner } from './cluster-claim';

const LOCK_SUFFIX = '.master';

interface OwnerLock extends ClusterOwner {
  /** The process's start time (clock ticks since boot), so a PID reused by another process is not taken for it. */
  startTime: string | null;
}

export function ownerLockFile(clusterDir: string): string {
  return `${clusterDir}${LOCK_SUFFIX}`;
}

/** A process's state letter and start time from /proc; null where there is no /proc (macOS, Windows) or no process. */
async function procStat(pid: number): Promise<{ state: string; startTime: string } | null> {
  const text = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  // The command name in parentheses may hold spaces; the fields after its closing parenthesis do not.
  const fields = text?.slice(text.lastIndexOf(')') + 2).split(' ');
  return fields && fields.length > 19 ? { state: fields[0]!, startTime: fields[19]! } : null;
}

/** Runs and is not a zombie (an orphan reparented to a PID 1 that does not reap stays one). */
async function processRuns(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists, owned by another user (PostgreSQL runs as `postgres` when the master runs as root).
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return (await procStat(pid))?.state !== 'Z';
}

async function postgresOf(pid: number, clusterDir: string): Promise<boolean> {
  if (!(await processRuns(pid))) return false;
  const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => null);
  // Without /proc the PID alone must do: a live process named in this cluster's postmaster.pid.
  return cmdline === null ? true : isPostgresOf(cmdline.split('\0'), clusterDir);
}

async function readLock(clusterDir: string): Promise<OwnerLock | null> {
  const text = await fs.readFile(ownerLockFile(clusterDir), 'utf8').catch(() => null);
  try {
    const lock = JSON.parse(text ?? 'null') as Partial<OwnerLock> | null;
    return lock && Number.isInteger(lock.pid) && typeof lock.dataDir === 'string'
      ? { pid: lock.pid!, dataDir: lock.dataDir, startTime: typeof lock.startTime === 'string' ? lock.startTime : null }
      : null;
  } catch {
    return null;
  }
}

export async function readClusterFacts(clusterDir: string, dataDir: string): Promise<ClusterFacts> {
  const pidText = await fs.readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8').catch(() => null);
  const postmaster = pidText === null ? null : parsePostmaster(pidText);
  const lock = await readLock(clusterDir);
  let ownerAlive = false;
  if (lock && await processRuns(lock.pid)) {
    const now = (await procStat(lock.pid))?.startTime ?? null;
    ownerAlive = lock.startTime === null || now === null || now === lock.startTime;
  }
  return {
    clusterDir, dataDir, postmaster,
    postmasterAlive: postmaster ? await postgresOf(postmaster.pid, clusterDir) : false,
    owner: lock && { pid: lock.pid, dataDir: lock.dataDir },
    ownerAlive,
    selfPid: process.pid,
  };
}

/** Claims the cluster for this process; returns how to let it go. */
export async function writeOwnerLock(clusterDir: string, dataDir: string): Promise<() => Promise<void>> {
  const file = ownerLockFile(clusterDir);
  const lock: OwnerLock = { pid: process.pid, dataDir: path.resolve(dataDir), startTime: (await procStat(process.pid))?.startTime ?? null };
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `${JSON.stringify(lock)}\n`);
  return async () => {
    // Only our own claim is removed: a master that took over since (after we were presumed dead) keeps its own.
    if ((await readLock(clusterDir))?.pid === process.pid) await fs.rm(file, { force: true });
  };
}

export async function clearStalePidFile(clusterDir: string): Promise<void> {
  await fs.rm(path.join(clusterDir, 'postmaster.pid'), { force: true });
}

/**
 * Stops an orphaned PostgreSQL: a fast shutdown (SIGINT: open transactions roll back, the cluster is left
 * consistent), then an immediate one (SIGQUIT: recovery at the next start), then SIGKILL, each given its time.
 */
export async function stopOrphan(pid: number, log: (line: string) => void, graceMs = 20_000): Promise<void> {
  for (const [signal, waitMs] of [['SIGINT', graceMs], ['SIGQUIT', graceMs / 2], ['SIGKILL', 5_000]] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    log(`sent ${signal} to the orphaned PostgreSQL (PID ${pid})`);
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      if (!(await processRuns(pid))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`the orphaned PostgreSQL (PID ${pid}) did not stop, even on SIGKILL`);
}
