// "Next 24 hours" (issue 8, Cronicle-style): the coming fires of enabled tasks, computed with the scheduler's own
// trigger code from each task's stored next fire, bounded in count however often a task fires.
import type { Trigger } from '../api/contract/domain';
import { assertNever } from '../assert-never';
import { nextFireAt, type FireWindow } from '../scheduler/triggers';

export interface ScheduledTask {
  id: string; name: string; trigger: Trigger; startAt: number | null; endAt: number | null; nextFireAt: number;
}

export interface Fire { taskId: string; taskName: string; at: number; trigger: string }

/**
 * Fires in [the task's next fire, now + horizonMs], soonest first, at most `limit` in all. Each task's fires follow
 * from its stored next fire as the planner moves it: fixed_rate by its interval, cron by its expression in its zone;
 * a fixed_delay task's next fire after that depends on when its run ends, so only the stored one is known.
 */
export function upcomingFires(tasks: readonly ScheduledTask[], nowMs: number, horizonMs: number, limit: number): Fire[] {
  const until = nowMs + horizonMs;
  const fires: Fire[] = [];
  for (const task of tasks) {
    const window: FireWindow = { startAt: task.startAt, endAt: task.endAt };
    const label = triggerLabel(task.trigger);
    let at: number | null = task.nextFireAt;
    for (let n = 0; at !== null && at <= until && n < limit; n++) {
      fires.push({ taskId: task.id, taskName: task.name, at, trigger: label });
      at = task.trigger.type === 'fixed_delay' ? null : nextFireAt(task.trigger, at, window, { anchorMs: at });
    }
  }
  return fires.sort((a, b) => a.at - b.at || (a.taskName < b.taskName ? -1 : a.taskName > b.taskName ? 1 : 0)).slice(0, limit);
}

/** How a trigger reads in one line. */
export function triggerLabel(trigger: Trigger): string {
  switch (trigger.type) {
    case 'cron': return `cron ${trigger.expression} (${trigger.timezone})`;
    case 'fixed_rate': return `every ${every(trigger.intervalMs)}`;
    case 'fixed_delay': return `${every(trigger.delayMs)} after the last run`;
    case 'once': return 'once';
    case 'api': return 'API';
    case 'parent': return 'after parent';
    default: return assertNever(trigger, 'trigger');
  }
}

function every(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1_000 === 0) return `${ms / 1_000} s`;
  return `${ms} ms`;
}
