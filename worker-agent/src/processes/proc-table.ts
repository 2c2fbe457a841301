// The process table from Linux's /proc: pid, parent, group and Baton markers of every live process. The thin
// I/O edge under the decisions in members.ts; elsewhere (no /proc) the table is empty.
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { MARKER, type Markers, type ProcessEntry } from './members.js';

const PROC = '/proc';
const pids = (names: string[]) => names.filter((n) => /^\d+$/.test(n));
const keys = Object.entries(MARKER) as [keyof typeof MARKER, string][];

/** Parses /proc/<pid>/stat and /environ; null for a zombie (nothing left to kill) or a malformed stat. */
export function parseEntry(pid: number, stat: string, environ: string): ProcessEntry | null {
  // The command name in parentheses may hold spaces and ')', so fields are counted after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [state, ppid, pgid] = [fields[0], Number(fields[1]), Number(fields[2])];
  if (!state || state === 'Z' || state === 'X' || !Number.isInteger(ppid) || !Number.isInteger(pgid)) return null;
  const markers: Markers = {};
  for (const variable of environ.split('\0')) {
    const eq = variable.indexOf('=');
    const key = keys.find(([, name]) => name === variable.slice(0, eq));
    if (key) markers[key[0]] = variable.slice(eq + 1);
  }
  return { pid, ppid, pgid, markers };
}

/** A process that vanished or hides its environment (another user's) still counts by its ids. */
async function readEntry(pid: number): Promise<ProcessEntry | null> {
  const stat = await readFile(`${PROC}/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return null;
  const environ = await readFile(`${PROC}/${pid}/environ`, 'utf8').catch(() => '');
  return parseEntry(pid, stat, environ);
}

export async function readProcessTable(): Promise<ProcessEntry[]> {
  const names = await readdir(PROC).catch(() => [] as string[]);
  const entries = await Promise.all(pids(names).map((n) => readEntry(Number(n))));
  return entries.filter((e): e is ProcessEntry => e !== null);
}

/** The same, blocking: for the reaper and start-up, which have nothing else to do meanwhile. */
export function readProcessTableSync(): ProcessEntry[] {
  let names: string[];
  try {
    names = readdirSync(PROC);
  } catch {
    return [];
  }
  const read = (file: string, fallback: string | null) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return fallback;
    }
  };
  const entries = pids(names).map((n) => {
    const stat = read(`${PROC}/${n}/stat`, null);
    return stat === null ? null : parseEntry(Number(n), stat, read(`${PROC}/${n}/environ`, '') ?? '');
  });
  return entries.filter((e): e is ProcessEntry => e !== null);
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
