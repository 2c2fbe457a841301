// "Next 24 hours" (issue 8, Cronicle-style): the coming fires of enabled tasks, computed with the scheduler's own
// trigger code from each task's stored next fire, bounded in count however often a task fires.
import type { Trigger } from '../api/contract/domain';
import { assertNever } from '../assert-never';
import { nextFireAt } from '../scheduler/triggers';

export interface ScheduledTask {
  id: string; name: string; trigger: Trigger; startAt: number | null; endAt: number | null; nextFireAt: number;
}

export interface Fire { taskId: string; taskName: string; at: number; trigger: string }

/**
 * Fires in [the task's next fire, now + horizonMs], soonest first (ties by task name, then the tasks' order), at most
 * `limit` in all. Each task's fires follow from its stored next fire as the planner moves it: fixed_rate by its
 * interval, cron by its expression in its zone; a fixed_delay task's next fire after that depends on when its run
 * ends, so only the stored one is known. The tasks' fires are merged as they are computed, so a call computes at most
 * `limit` fires past the tasks' first: computing up to `limit` for each task and sorting them took 75-120 ms for ten
 * cron tasks (bench/dashboard), most of dashboard.summary.
 */
export function upcomingFires(tasks: readonly ScheduledTask[], nowMs: number, horizonMs: number, limit: number): Fire[] {
  const until = nowMs + horizonMs;
  const heads = tasks.map((task, order) => ({ task, order, at: task.nextFireAt as number | null, label: triggerLabel(task.trigger) }));
  const fires: Fire[] = [];
  while (fires.length < limit) {
    let next: (typeof heads)[number] | null = null;
    for (const head of heads) {
      if (head.at === null || head.at > until) continue;
      if (!next || head.at < next.at! || (head.at === next.at && soonerByName(head, next))) next = head;
    }
    if (!next) break;
    const { task, at } = next;
    fires.push({ taskId: task.id, taskName: task.name, at: at!, trigger: next.label });
    next.at = task.trigger.type === 'fixed_delay' ? null : nextFireAt(task.trigger, at!, { startAt: task.startAt, endAt: task.endAt }, { anchorMs: at! });
  }
  return fires;
}

function soonerByName(a: { task: ScheduledTask; order: number }, b: { task: ScheduledTask; order: number }): boolean {
  return a.task.name < b.task.name || (a.task.name === b.task.name && a.order < b.order);
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
