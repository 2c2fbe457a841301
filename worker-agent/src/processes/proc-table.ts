// The process table from Linux's /proc: pid, parent, group and Baton markers of every live process. The thin
// I/O edge under the decisions in members.ts; elsewhere (no /proc) the table is empty.
import { readdirSync, readFileSync } from 'node:fs';
import { MARKER, type Markers, type ProcessEntry } from './members.js';

const PROC = '/proc';
const pids = (names: string[]) => names.filter((n) => /^\d+$/.test(n));
const keys = Object.entries(MARKER) as [keyof typeof MARKER, string][];

/** Processes read between two yields to the event loop: a full scan must not stall heartbeats and logs. */
const CHUNK = 64;

export interface StatFields {
  ppid: number;
  pgid: number;
  /** Start time in clock ticks since boot: a run's processes all start after its first one. */
  started: number;
}

/** Parses /proc/<pid>/stat; null for a zombie (nothing left to kill) or a malformed line. */
export function parseStat(stat: string): StatFields | null {
  // The command name in parentheses may hold spaces and ')', so fields are counted after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [state, ppid, pgid, started] = [fields[0], Number(fields[1]), Number(fields[2]), Number(fields[19])];
  if (!state || state === 'Z' || state === 'X' || ![ppid, pgid, started].every(Number.isInteger)) return null;
  return { ppid, pgid, started };
}

/** The Baton markers among the NUL-separated variables of /proc/<pid>/environ. */
export function parseMarkers(environ: string): Markers {
  const markers: Markers = {};
  for (const variable of environ.split('\0')) {
    const eq = variable.indexOf('=');
    const key = keys.find(([, name]) => name === variable.slice(0, eq));
    if (key) markers[key[0]] = variable.slice(eq + 1);
  }
  return markers;
}

function read(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/**
 * One process, or null if it is gone or a zombie. Its environment is read only if it started at tick `since`
 * or later (older ones cannot carry a newer run's markers), and counts as empty if unreadable (another user's).
 */
function readEntry(pid: number, since: number): ProcessEntry | null {
  const stat = parseStat(read(`${PROC}/${pid}/stat`) ?? '');
  if (!stat) return null;
  const environ = stat.started >= since ? read(`${PROC}/${pid}/environ`) ?? '' : '';
  return { pid, ppid: stat.ppid, pgid: stat.pgid, markers: parseMarkers(environ) };
}

function listPids(): number[] {
  try {
    return pids(readdirSync(PROC)).map(Number);
  } catch {
    return []; // no /proc: not Linux
  }
}

/**
 * The table, yielding to the event loop every CHUNK processes. Blocking reads in chunks, not one promise per
 * file: measured on this 2-core host under load, 108 processes took 15 ms that way and 68 ms through the
 * thread pool.
 */
export async function readProcessTable(since = 0): Promise<ProcessEntry[]> {
  const all = listPids();
  const entries: ProcessEntry[] = [];
  for (let i = 0; i < all.length; i += CHUNK) {
    if (i > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const pid of all.slice(i, i + CHUNK)) {
      const entry = readEntry(pid, since);
      if (entry) entries.push(entry);
    }
  }
  return entries;
}

/** The same in one go: for the reaper, start-up and exit, which have nothing else to do meanwhile. */
export function readProcessTableSync(since = 0): ProcessEntry[] {
  return listPids().map((pid) => readEntry(pid, since)).filter((e): e is ProcessEntry => e !== null);
}

/** Start time of a process in clock ticks, or 0 (everything counts) when it cannot be read. */
export function startTicks(pid: number): number {
  return parseStat(read(`${PROC}/${pid}/stat`) ?? '')?.started ?? 0;
}

/**
 * Sends `signal` to each pid; returns how many got it. One that is gone (ESRCH) or not ours (EPERM: another
 * user's, which no agent could end) is skipped: a kill sweep must never throw halfway through.
 */
export function signalAll(pidList: readonly number[], signal: NodeJS.Signals): number {
  let sent = 0;
  for (const pid of pidList) {
    try {
      process.kill(pid, signal);
      sent += 1;
    } catch {
      // skipped, see above
    }
  }
  return sent;
}
