// cgroup v2 containment for runs, where the agent may create cgroups below its own (root, or a systemd unit
// with Delegate=yes). A process cannot leave its cgroup by `setsid` or by forking, so killing the cgroup ends
// the whole run. Where the agent may not, every function here reports so and the marker scan does the work.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Where this process's cgroup v2 directory is mounted, from /proc/self/cgroup ("0::/path") and the cgroup2
 * mount in /proc/self/mountinfo (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts).
 */
export function ownCgroupDir(selfCgroup: string, mountinfo: string): string | null {
  const line = selfCgroup.split('\n').find((l) => l.startsWith('0::'));
  if (!line) return null;
  // mountinfo fields: id parent major:minor root mount-point …; `root` is the cgroup the mount shows as its top
  // ("/" unless the mount was made inside a cgroup without its own namespace).
  const mount = mountinfo.split('\n').find((l) => l.split(' - ')[1]?.startsWith('cgroup2 '))?.split(' ');
  const [root, mountPoint] = [mount?.[3], mount?.[4]];
  if (!root || !mountPoint) return null;
  const path = line.slice(3).trim();
  if (root === '/') return resolve(mountPoint, `.${path}`);
  if (path !== root && !path.startsWith(`${root}/`)) return null;
  return resolve(mountPoint, `.${path.slice(root.length)}`);
}

/** Makes `<own cgroup>/<name>`; null when there is no cgroup v2 or the agent may not create one there. */
export function createCgroupRoot(name: string): string | null {
  if (process.platform !== 'linux') return null;
  try {
    const own = ownCgroupDir(readFileSync('/proc/self/cgroup', 'utf8'), readFileSync('/proc/self/mountinfo', 'utf8'));
    if (!own) return null;
    const dir = join(own, name);
    mkdirSync(dir);
    return dir;
  } catch {
    return null;
  }
}

/** Makes the directory unless it exists; false when it cannot. */
export function ensureDir(dir: string): boolean {
  try {
    mkdirSync(dir);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EEXIST';
  }
}

export function createChild(root: string, name: string): string | null {
  try {
    const dir = join(root, name);
    mkdirSync(dir);
    return dir;
  } catch {
    return null;
  }
}

/** Pids in the cgroup and all below it. */
export function cgroupPids(dir: string): number[] {
  const own = readOr(join(dir, 'cgroup.procs')).split('\n').filter(Boolean).map(Number);
  return [...own, ...childDirs(dir).flatMap(cgroupPids)];
}

/**
 * SIGKILL goes through `cgroup.kill` (Linux 5.14+), which no fork can race; other signals, and older kernels,
 * signal each pid listed. Returns how many processes were in the cgroup.
 */
export function signalCgroup(dir: string, signal: NodeJS.Signals, send: (pids: number[]) => void): number {
  const pids = cgroupPids(dir);
  if (pids.length === 0) return 0;
  const killFile = join(dir, 'cgroup.kill');
  if (signal === 'SIGKILL' && existsSync(killFile)) {
    try {
      writeFileSync(killFile, '1');
      return pids.length;
    } catch {
      // fall through to signalling each pid
    }
  }
  send(pids);
  return pids.length;
}

/**
 * True once a process has run in the cgroup (its CPU time, in every cgroup v2 `cpu.stat`, is above zero): then
 * the run's first process joined it before running anything, and the cgroup holds all the run started.
 */
export function hasRun(dir: string): boolean {
  const usage = /^usage_usec (\d+)$/m.exec(readOr(join(dir, 'cpu.stat')))?.[1];
  return usage !== undefined && Number(usage) > 0;
}

/** Removes the cgroup and those below it once empty; true when it is gone. */
export function removeCgroup(dir: string): boolean {
  for (const child of childDirs(dir)) removeCgroup(child);
  try {
    rmdirSync(dir);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

function childDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
  } catch {
    return [];
  }
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
