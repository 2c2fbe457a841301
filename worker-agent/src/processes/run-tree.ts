// Every process one run started, however it left its process group: the run's cgroup (where the agent may
// have one) and the processes carrying its markers (found in /proc). Signals reach them all.
import { setTimeout as sleep } from 'node:timers/promises';
import { cgroupPids, createChild, hasRun, removeCgroup, signalCgroup } from './cgroup.js';
import { agentInstance, closeRunCgroupParent, instanceEnv, openRunCgroupParent } from './instance.js';
import { MARKER, runMembers } from './members.js';
import { readProcessTable, signalAll, startTicks } from './proc-table.js';

/** How often and how long `end` sweeps: a process forking in a loop needs a few rounds to run out of children. */
const SWEEP_PAUSE_MS = 20;
const SWEEP_ROUNDS = 50;

export interface RunTree {
  /** Environment a run's first process gets, so all its descendants can be found. */
  readonly env: Record<string, string>;
  /** The run's `cgroup.procs`, which the first process joins before running anything; null without a cgroup. */
  readonly cgroupProcs: string | null;
  /** The pid of the run's first process, once started. */
  adopt(leader: number): void;
  /** Sends `signal` to every process of the run outside the process group; resolves with how many got it. */
  signal(signal: NodeJS.Signals): Promise<number>;
  /** SIGKILLs until nothing of the run is left, then removes its cgroup; the same promise every call. */
  end(): Promise<void>;
}

export function openRunTree(runId: string, attempt: number): RunTree {
  const instance = agentInstance();
  const parent = openRunCgroupParent();
  const cgroup = parent && createChild(parent, `run-${attempt}-${runId.replace(/[^\w-]/g, '_')}`);
  let leader = -1;
  let since = 0;
  let ending: Promise<void> | null = null;
  // Scanning /proc costs tens of ms on a busy host (measured: 17-150 ms for 130 processes), so it is skipped
  // once the cgroup is known to hold the run.
  let contained = false;
  const signal = async (sig: NodeJS.Signals): Promise<number> => {
    let count = cgroup ? signalCgroup(cgroup, sig, (pids) => signalAll(pids, sig)) : 0;
    contained ||= cgroup !== null && hasRun(cgroup);
    if (process.platform === 'linux' && !contained) {
      const members = runMembers(await readProcessTable(since), { instance: instance.id, runId, attempt, leader }, process.pid);
      count += signalAll(members, sig);
    }
    return count;
  };
  return {
    env: { ...instanceEnv(), [MARKER.runId]: runId, [MARKER.attempt]: String(attempt) },
    cgroupProcs: cgroup ? `${cgroup}/cgroup.procs` : null,
    adopt(pid) {
      leader = pid;
      since = startTicks(pid);
    },
    signal,
    end() {
      ending ??= sweep();
      return ending;
    },
  };

  async function sweep(): Promise<void> {
    for (let round = 0; round < SWEEP_ROUNDS && (await signal('SIGKILL')) > 0; round++) await sleep(SWEEP_PAUSE_MS);
    // A killed process leaves the cgroup when it has fully exited, a moment after the signal.
    for (let round = 0; cgroup && round < SWEEP_ROUNDS; round++) {
      if (cgroupPids(cgroup).length === 0 && removeCgroup(cgroup)) break;
      await sleep(SWEEP_PAUSE_MS);
    }
    closeRunCgroupParent();
  }
}
