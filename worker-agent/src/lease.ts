// The agent's side of the run lease: the master keeps this agent's runs for `leaseMs` after the last heartbeat it
// received. The agent cannot know when that was, but it knows when it SENT the last heartbeat the master
// acknowledged, which is no later. Stopping every run once two thirds of a lease have passed since that send
// (fencing) leaves a third of the lease for the kill to land before the master may start the run elsewhere.
// Pure: the caller passes a monotonic clock.

/** Share of the lease after which an agent without a confirmed renewal stops its runs. */
export const FENCE_SHARE = 2 / 3;

/** How long after sending its last acknowledged heartbeat the agent still may run its runs. */
export function fenceAfterMs(leaseMs: number): number {
  return Math.floor(leaseMs * FENCE_SHARE);
}

/** True once the runs must be stopped: no renewal sent within `fenceAfterMs` has been confirmed. */
export function mustFence(lastConfirmedSentAt: number, nowMs: number, leaseMs: number): boolean {
  return nowMs - lastConfirmedSentAt >= fenceAfterMs(leaseMs);
}

/** Tracks the newest confirmed renewal; acks may arrive out of order, an older one never moves it back. */
export class LeaseClock {
  #confirmedSentAt: number;

  constructor(nowMs: number) {
    this.#confirmedSentAt = nowMs;
  }

  get confirmedSentAt(): number {
    return this.#confirmedSentAt;
  }

  confirmed(sentAt: number): void {
    this.#confirmedSentAt = Math.max(this.#confirmedSentAt, sentAt);
  }
}
