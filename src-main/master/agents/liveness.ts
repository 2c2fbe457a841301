// When a worker counts as dead, and with it the lease of its runs: the lease of every run a worker holds is
// renewed by each heartbeat the master receives from it and ends `heartbeatMs × missedBeats` later. Only then
// may the master declare the runs lost and start them elsewhere; the agent stops them earlier (see the agent's
// lease.ts), so the two never overlap. Pure: the caller passes the clock (the master's own).

export interface LivenessSettings {
  /** How often agents heartbeat. */
  heartbeatMs: number;
  /** Beats a worker may miss before it is declared dead (1 would kill it on any network hiccup). */
  missedBeats: number;
}

/** How long a worker's runs are kept after its last heartbeat was received. */
export function leaseMs(s: LivenessSettings): number {
  return s.heartbeatMs * s.missedBeats;
}

/** The last instant the worker (and the lease of its runs) still counts as alive; it is dead strictly after this. */
export function deadlineFor(lastHeartbeatAt: number, s: LivenessSettings): number {
  return lastHeartbeatAt + leaseMs(s);
}

/** True once the lease has ended: the worker's runs may be declared lost and reassigned. */
export function isDead(lastHeartbeatAt: number, nowMs: number, s: LivenessSettings): boolean {
  return nowMs > deadlineFor(lastHeartbeatAt, s);
}
