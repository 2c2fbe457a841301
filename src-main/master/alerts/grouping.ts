// No storms (issue 10): alerts about the same subject (task, worker, channel) and reason within a window become
// one message with a count and the first and last time. Pure: the delivery loop passes what waits and the clock.
import type { AlertReason } from '../api/contract/alerts';
import type { AlertEvent } from './rules';

export interface PendingAlert { id: string; event: AlertEvent }

/** One message: the first and last events it stands for, and the outbox rows it settles. */
export interface AlertMessage {
  reason: AlertReason;
  subject: string;
  count: number;
  firstAt: string;
  lastAt: string;
  first: AlertEvent;
  last: AlertEvent;
  ids: string[];
}

/**
 * Groups by subject and reason; a group's window opens at its first event and takes every event until
 * `windowMs` after it. A closed window is ready to send; an open one keeps gathering (windowMs 0 sends each at once).
 * Ready messages come oldest first.
 */
export function groupAlerts(pending: readonly PendingAlert[], windowMs: number, now: number): { ready: AlertMessage[]; gathering: number } {
  const sorted = [...pending].sort((a, b) => Date.parse(a.event.at) - Date.parse(b.event.at));
  const open = new Map<string, AlertMessage>();
  const closed: AlertMessage[] = [];
  for (const item of sorted) {
    const key = `${item.event.reason}\u0000${item.event.subject}`;
    const at = Date.parse(item.event.at);
    const current = open.get(key);
    if (current && at < Date.parse(current.firstAt) + windowMs) {
      current.count += 1;
      current.last = item.event;
      current.lastAt = item.event.at;
      current.ids.push(item.id);
      continue;
    }
    if (current) closed.push(current);
    open.set(key, {
      reason: item.event.reason, subject: item.event.subject, count: 1, firstAt: item.event.at, lastAt: item.event.at,
      first: item.event, last: item.event, ids: [item.id],
    });
  }
  const due = [...open.values()].filter((m) => Date.parse(m.firstAt) + windowMs <= now);
  const ready = [...closed, ...due].sort((a, b) => Date.parse(a.firstAt) - Date.parse(b.firstAt));
  return { ready, gathering: open.size - due.length };
}
