// How a trigger reads on screen: one line for lists, a sentence for a cron, and the zone check the editor runs as you type.
import cronstrue from 'cronstrue';
import { unknownZoneMessage, type Trigger } from '@contract';
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

/**
 * A 6-field cron (seconds first) as a sentence: "At 02:30, Monday through Friday". Null when cronstrue cannot
 * read it; whether the master accepts it is the preview's to say, not this sentence's.
 */
export function cronSentence(expression: string): string | null {
  if (expression.trim().split(/\s+/).length !== 6) return null;
  try {
    return cronstrue.toString(expression, { use24HourTimeFormat: true, throwExceptionOnParseError: true });
  } catch {
    return null;
  }
}

/** The master's message for a zone it does not know, or null when the zone is known (checked with the same Intl data). */
export function zoneProblem(timezone: string): string | null {
  const zone = timezone.trim();
  if (zone === '') return null; // empty means UTC
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return null;
  } catch {
    return unknownZoneMessage(zone);
  }
}

/** "2026-03-08T03:00:00-04:00" → "Sun 8 Mar 2026, 03:00:00 (UTC−04:00)": the wall time of the zone it was written in. */
export function fireText(iso: string): string {
  const match = /^(\d{4})-(\d\d)-(\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?([+-]\d\d:\d\d)$/.exec(iso);
  if (!match) return iso;
  const [, year, month, day, time, offset] = match;
  const weekday = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day))).toLocaleDateString('en-GB', { weekday: 'short', timeZone: 'UTC' });
  const monthName = new Date(Date.UTC(2000, Number(month) - 1, 1)).toLocaleDateString('en-GB', { month: 'short', timeZone: 'UTC' });
  return `${weekday} ${Number(day)} ${monthName} ${year}, ${time} (UTC${offset === '+00:00' ? '' : offset})`;
}
