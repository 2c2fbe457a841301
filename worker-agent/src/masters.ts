// Which master an agent connects to next. Several masters share one database and one of them leads; a follower
// refuses agents and names the leader, so the agent goes there, and walks its list when a master is gone.

/** The leader a follower named (wherever it is), else the master after `current` in the agent's list. */
export function nextMaster(masters: readonly string[], current: string, leaderHint?: string): string {
  if (leaderHint && leaderHint !== current) return leaderHint;
  const at = masters.indexOf(current);
  return masters[(at + 1) % masters.length] ?? current;
}

const BACKOFF_MIN_MS = 500;
/**
 * Low enough that an agent reaches a newly elected leader well inside its heartbeat allowance (3 s by default),
 * so its runs in flight are not declared lost; a refusal is cheap for a master, even from many agents.
 */
const BACKOFF_MAX_MS = 2_000;

/** Wait before the `failures`-th consecutive retry: doubling from 0.5 s to 2 s, jittered so agents spread out. */
export function retryDelay(failures: number, random: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.max(0, failures - 1)) * (0.5 + random / 2);
}
