// When a worker counts as dead: it has missed `missedBeats` heartbeats in a row.
// Pure: the caller passes the clock; the registry marks the worker offline and its runs `lost`.

export interface LivenessSettings {
  /** How often agents heartbeat. */
  heartbeatMs: number;
  /** Beats a worker may miss before it is declared dead (1 would kill it on any network hiccup). */
  missedBeats: number;
}

/** The last instant the worker still counts as alive; it is dead strictly after this. */
export function deadlineFor(lastHeartbeatAt: number, s: LivenessSettings): number {
  return lastHeartbeatAt + s.heartbeatMs * s.missedBeats;
}

export function isDead(lastHeartbeatAt: number, nowMs: number, s: LivenessSettings): boolean {
  return nowMs > deadlineFor(lastHeartbeatAt, s);
}
