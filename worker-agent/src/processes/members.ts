// Which processes belong to a run, an agent instance or a dead instance's leftovers: pure decisions over a
// process table snapshot (issue 6: run processes die with their run, `setsid` and double forks included).

/** The environment variables that mark a process as started for a run, inherited by every descendant. */
export const MARKER = {
  instance: 'BATON_AGENT_INSTANCE',
  home: 'BATON_AGENT_HOME',
  runId: 'BATON_RUN_ID',
  attempt: 'BATON_ATTEMPT',
} as const;

export type Markers = Partial<Record<keyof typeof MARKER, string>>;

/** One live (non-zombie) process as the table shows it. */
export interface ProcessEntry {
  pid: number;
  ppid: number;
  /** Process group id. */
  pgid: number;
  markers: Markers;
}

export interface RunTarget {
  instance: string;
  runId: string;
  attempt: number;
  /** Pid of the process the run started; it leads its own process group. */
  leader: number;
}

/**
 * A run's processes: those carrying its markers (found wherever `setsid` or a double fork took them), its
 * process group, and every descendant of these (a process that cleared its environment is still a child).
 * `self` (the agent) is never one of them.
 */
export function runMembers(table: readonly ProcessEntry[], target: RunTarget, self: number): number[] {
  const marked = (p: ProcessEntry) =>
    p.markers.instance === target.instance && p.markers.runId === target.runId && p.markers.attempt === String(target.attempt);
  return withDescendants(table, (p) => marked(p) || p.pgid === target.leader, self);
}

/** Every process any run of this agent instance started: what a reaper ends when the agent died. */
export function instanceMembers(table: readonly ProcessEntry[], instance: string, self: number): number[] {
  return withDescendants(table, (p) => p.markers.instance === instance, self);
}

/**
 * Processes that earlier agent instances on the same data folder left behind: they carry its home marker but
 * not the current instance's. Run by a starting agent before it takes runs.
 */
export function leftoverMembers(table: readonly ProcessEntry[], home: string, current: string, self: number): number[] {
  return withDescendants(table, (p) => p.markers.home === home && p.markers.instance !== current, self);
}

function withDescendants(table: readonly ProcessEntry[], seed: (p: ProcessEntry) => boolean, self: number): number[] {
  const chosen = new Set(table.filter((p) => p.pid !== self && seed(p)).map((p) => p.pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of table) {
      if (p.pid !== self && !chosen.has(p.pid) && chosen.has(p.ppid)) {
        chosen.add(p.pid);
        grew = true;
      }
    }
  }
  return [...chosen].sort((a, b) => a - b);
}
