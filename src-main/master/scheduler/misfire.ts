// What to do with fires whose time has passed: on time ones fire, late ones follow the misfire policy.
import type { Misfire } from '../api/contract/domain';
import { assertNever } from '../assert-never';

export interface MisfirePlan { fire: Array<{ plannedAt: number; kind: 'schedule' | 'misfire' }>; missed: number /* fires dropped */ }

/**
 * `due` = planned fire times <= now that have not fired yet. A fire is late (missed) when
 * now − plannedAt > thresholdMs. Late fires, by policy:
 * - ignore: none fire.
 * - fire_once: one 'misfire' fire, at the latest late time, so the run's plannedAt is the most recent one it stands for.
 * - catch_up: the latest `maxCatchUp` late fires, oldest first. The latest ones, because after a long
 *   outage the oldest are the least useful and replaying them all would flood the workers.
 * On-time fires always fire as 'schedule', even when a misfire fire precedes them. Output is oldest first.
 */
export function planDueFires(due: number[], nowMs: number, misfire: Misfire): MisfirePlan {
  const sorted = [...due].sort((a, b) => a - b);
  const late = sorted.filter((t) => nowMs - t > misfire.thresholdMs);
  const onTime = sorted.slice(late.length);
  const replay = replayed(late, misfire);
  return {
    fire: [
      ...replay.map((plannedAt) => ({ plannedAt, kind: 'misfire' as const })),
      ...onTime.map((plannedAt) => ({ plannedAt, kind: 'schedule' as const })),
    ],
    missed: late.length - replay.length,
  };
}

/** The fires a misfire plan dropped, as an alert tells them (issue 10: "misfired", fires skipped). */
export interface SkippedFires {
  count: number;
  /** The enumeration was cut (a long outage): more fires than `count` were skipped, between firstAt and lastAt. */
  atLeast: boolean;
  firstAt: number;
  lastAt: number;
}

/**
 * What planDueFires(due, nowMs, misfire) drops: the oldest late fires, those the policy does not replay.
 * `cut`: firesBetween() truncated the list after `due[0]`, so fires between the first and the rest went uncounted.
 * Null when nothing was dropped.
 */
export function skippedFires(due: number[], nowMs: number, misfire: Misfire, cut: boolean): SkippedFires | null {
  const late = [...due].sort((a, b) => a - b).filter((t) => nowMs - t > misfire.thresholdMs);
  const dropped = late.slice(0, late.length - replayed(late, misfire).length);
  if (dropped.length === 0) return null;
  return { count: dropped.length, atLeast: cut, firstAt: dropped[0]!, lastAt: dropped.at(-1)! };
}

/**
 * A `limit` for firesBetween() large enough that only fires beyond catch-up are ever cut off:
 * the replayable late fires plus every fire that can sit inside the threshold at the fastest
 * rate a trigger allows (fixed_rate, 100 ms).
 */
export function misfireEnumerationLimit(misfire: Misfire): number {
  const FASTEST_INTERVAL_MS = 100;
  return misfire.maxCatchUp + Math.floor(misfire.thresholdMs / FASTEST_INTERVAL_MS) + 1;
}

function replayed(late: number[], misfire: Misfire): number[] {
  switch (misfire.policy) {
    case 'ignore':
      return [];
    case 'fire_once':
      return late.slice(-1);
    case 'catch_up':
      return late.slice(-misfire.maxCatchUp);
    default:
      return assertNever(misfire.policy, 'misfire policy');
  }
}
