// Kills a whole set of processes for good, blocking: what the reaper does when the agent died, a starting
// agent does to an earlier instance's leftovers, and an agent exiting abruptly does to its own runs.
import { cgroupPids, removeCgroup } from './cgroup.js';
import type { ProcessEntry } from './members.js';
import { readProcessTableSync, signalAll } from './proc-table.js';

/** A process forking in a loop needs a few rounds to run out of children; 50 × 20 ms bounds the wait. */
const ROUNDS = 50;
const PAUSE_MS = 20;
/** A killed process leaves its cgroup only once fully exited, which took over a second on a loaded host. */
const REMOVE_ROUNDS = 250;

const pause = new Int32Array(new SharedArrayBuffer(4));
const sleepSync = (ms: number) => Atomics.wait(pause, 0, 0, ms);

/**
 * SIGKILLs what `select` picks from the process table, and everything in `cgroup`, until nothing is left;
 * then removes the cgroup unless `keepCgroup` (the reaper fencing a live agent's runs: the agent removes its
 * run cgroups itself, and may be making a new one that a removal here would take away). Returns the pids killed.
 */
export function sweepSync(select: (table: ProcessEntry[]) => number[], cgroup: string | null, keepCgroup = false): number[] {
  const killed = new Set<number>();
  for (let round = 0; round < ROUNDS; round++) {
    const pids = [...(cgroup ? cgroupPids(cgroup) : []), ...select(readProcessTableSync())];
    if (pids.length === 0) break;
    signalAll(pids, 'SIGKILL');
    for (const pid of pids) killed.add(pid);
    sleepSync(PAUSE_MS);
  }
  for (let round = 0; cgroup && !keepCgroup && round < REMOVE_ROUNDS && !removeCgroup(cgroup); round++) sleepSync(PAUSE_MS);
  return [...killed].sort((a, b) => a - b);
}
