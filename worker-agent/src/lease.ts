// The agent's side of the run lease: the master keeps this agent's runs for `leaseMs` after the last heartbeat it
// received. The agent cannot know when that was, but it knows when it SENT the last heartbeat the master
// acknowledged, which is no later. Stopping every run once two thirds of a lease have passed since that send
// (fencing) leaves a third of the lease for the kill to land before the master may start the run elsewhere.
// Pure: the caller passes a monotonic clock.
import type { RunResult } from './protocol.js';

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

/**
 * Share of the lease after which the agent's reaper kills the runs when the agent has not renewed it: halfway
 * through the third the agent leaves for its own kill. A live agent fences first and reports its runs as such;
 * the reaper acts only when the agent's own fencing did not happen (its process paused, its event loop stuck),
 * and still half a third (0.5 s by default) before the master may start the runs elsewhere.
 */
export const REAPER_FENCE_SHARE = 5 / 6;

/**
 * What the agent tells its reaper after a renewal: kill the runs in this many ms unless renewed again. The
 * reaper has no clock in common with the agent, so it gets a duration; it is what is left at the time of
 * sending, so time the message spends in the pipe only makes the reaper kill earlier, never later. 0 once due.
 */
export function reaperFenceInMs(lastConfirmedSentAt: number, nowMs: number, leaseMs: number): number {
  return Math.max(0, Math.floor(lastConfirmedSentAt + leaseMs * REAPER_FENCE_SHARE - nowMs));
}

/**
 * The result of a run that ended while this agent counted its lease as over (`lapsed`): one whose processes were
 * killed (no exit code: a signal, the reaper's when the agent was paused) is reported as fenced, as the agent's
 * own fencing would have, so the master counts the attempt lost and not failed. A run that exited by itself,
 * or that the agent already fenced, is reported as it ended.
 */
export function fencedIfLapsed(result: RunResult, lapsed: boolean): RunResult {
  if (!lapsed || result.fenced || result.state !== 'failed' || result.exitCode !== null) return result;
  return { ...result, fenced: true, error: 'its processes were killed while the master had not renewed the lease (fencing)' };
}
