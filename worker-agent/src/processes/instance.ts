// This agent process as the owner of run processes: a fresh instance id that every run process inherits, the
// data folder (so a later instance finds what this one left), and its cgroup if it may make one.
import { randomUUID } from 'node:crypto';
import { createCgroupRoot, ensureDir, removeCgroup } from './cgroup.js';
import { MARKER } from './members.js';

/** `off` keeps runs out of cgroups (say, when something else manages the agent's); the marker scan still works. */
export type CgroupMode = 'auto' | 'off';

export interface AgentInstance {
  readonly id: string;
  /** The data folder, once the CLI has claimed it; runs of an instance without one are still tracked. */
  readonly home: string | null;
  /** This instance's cgroup v2 directory, or null where the agent may not create one. */
  readonly cgroup: string | null;
}

export const cgroupName = (instance: string) => `baton-agent-${instance}`;

const id = randomUUID();
let home: string | null = null;
/** Probed on first use (only processes that start runs need it); undefined until then. */
let cgroup: string | null | undefined;
let mode: CgroupMode = 'auto';
let liveRuns = 0;

export function agentInstance(): AgentInstance {
  if (cgroup === undefined) {
    cgroup = mode === 'off' ? null : createCgroupRoot(cgroupName(id));
    if (cgroup) removeCgroup(cgroup); // the probe only; it exists while runs do (see openRunCgroupParent)
  }
  return { id, home, cgroup };
}

/** Ties runs started from now on to the data folder; before any run, so the cgroup mode still applies. */
export function claimHome(dataDir: string, cgroups: CgroupMode): AgentInstance {
  home = dataDir;
  mode = cgroups;
  if (liveRuns === 0) cgroup = undefined; // probe again under this mode
  return agentInstance();
}

/** The instance cgroup a run's cgroup goes under, made while any run lives, so an idle agent leaves none. */
export function openRunCgroupParent(): string | null {
  const dir = agentInstance().cgroup;
  liveRuns += 1;
  return dir && ensureDir(dir) ? dir : null;
}

export function closeRunCgroupParent(): void {
  liveRuns -= 1;
  if (liveRuns === 0 && cgroup) removeCgroup(cgroup);
}

/** The environment variables that tie a run's processes to this instance. */
export function instanceEnv(): Record<string, string> {
  return { [MARKER.instance]: id, ...(home === null ? {} : { [MARKER.home]: home }) };
}
