// Whether a master may start the embedded cluster of its data folder: a pure decision over facts read at start-up
// (cluster-facts.ts). After a crash (SIGKILL, power cut of the app) PostgreSQL outlives its master and holds
// postmaster.pid, so a plain start fails; see issue 6.
import { BatonError } from '../api/contract/errors';

/** What postmaster.pid says: its first lines are the PID, the cluster folder and the port. */
export interface Postmaster { pid: number; clusterDir: string; port: number }

/** The master that claimed the cluster last (its owner lock). */
export interface ClusterOwner { pid: number; dataDir: string }

export interface ClusterFacts {
  clusterDir: string;
  dataDir: string;
  postmaster: Postmaster | null;
  /** The postmaster's PID runs a PostgreSQL server on this cluster folder (not a reused PID). */
  postmasterAlive: boolean;
  owner: ClusterOwner | null;
  /** The owner's PID is the very process that wrote the lock (same start time), and it runs. */
  ownerAlive: boolean;
  selfPid: number;
}

export type ClusterStart =
  | { kind: 'start' }
  /** postmaster.pid names a process that is gone or is no PostgreSQL of this cluster: delete it, then start. */
  | { kind: 'clear-stale-pid-file' }
  /** A PostgreSQL left behind by a master that died: stop it, then start afresh as its new owner. */
  | { kind: 'stop-orphan'; pid: number }
  | { kind: 'refuse'; error: BatonError };

export function decideClusterStart(f: ClusterFacts): ClusterStart {
  if (f.owner && f.ownerAlive) {
    const who = f.owner.pid === f.selfPid ? 'this process' : 'another master';
    return {
      kind: 'refuse',
      error: new BatonError('conflict',
        `The data folder ${f.owner.dataDir} is in use by ${who} (PID ${f.owner.pid}), which runs its embedded PostgreSQL `
        + `(${f.clusterDir}). Stop that master first, or give this one another data folder (--data-dir).`,
        'BATON_DATA_DIR', { pid: f.owner.pid, dataDir: f.owner.dataDir, clusterDir: f.clusterDir }),
    };
  }
  if (!f.postmaster) return { kind: 'start' };
  if (!f.postmasterAlive) return { kind: 'clear-stale-pid-file' };
  return { kind: 'stop-orphan', pid: f.postmaster.pid };
}

/** Reads postmaster.pid's text; null when it is not one (empty, cut short while being written). */
export function parsePostmaster(text: string): Postmaster | null {
  const [pidLine, dirLine, , portLine] = text.split('\n');
  const pid = Number(pidLine);
  const port = Number(portLine);
  if (!Number.isInteger(pid) || pid <= 0 || !dirLine) return null;
  return { pid, clusterDir: dirLine, port: Number.isInteger(port) ? port : 0 };
}

/** Whether a process's argv (from /proc/<pid>/cmdline) is a PostgreSQL server on `clusterDir`. */
export function isPostgresOf(argv: string[], clusterDir: string): boolean {
  const program = argv[0]?.split('/').pop() ?? '';
  if (program !== 'postgres' && program !== 'postmaster') return false;
  const d = argv.indexOf('-D');
  return d >= 0 && stripSlash(argv[d + 1] ?? '') === stripSlash(clusterDir);
}

function stripSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}
