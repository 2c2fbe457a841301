// One line that says when a task fires.
import type { Trigger } from '@contract';
import { clock, duration } from './time';

export function describeTrigger(trigger: Trigger, taskName: (id: string) => string): string {
  switch (trigger.type) {
    case 'cron': return `cron ${trigger.expression} (${trigger.timezone})`;
    case 'fixed_rate': return `every ${duration(trigger.intervalMs)}`;
    case 'fixed_delay': return `${duration(trigger.delayMs)} after each run`;
    case 'once': return `once at ${clock(trigger.at)}`;
    case 'api': return 'on API call only';
    case 'parent': return `after ${trigger.parents.map(taskName).join(', ')} (${trigger.on})`;
    default: {
      const unknown: never = trigger;
      return unknown;
    }
  }
}
