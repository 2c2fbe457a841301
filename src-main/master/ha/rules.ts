// Leadership among masters sharing one database, as pure decisions: how long a lease is trusted, and which
// API calls a follower answers itself rather than handing them to the leader.
import type { MethodName } from '../api/contract/methods';

/**
 * A leader trusts its lease until it expires by its own clock, counted from when it sent the renewal that
 * succeeded, minus a margin for clock rate drift: past that another master may already lead.
 */
export function leaseHeld(renewSentAtMs: number | null, nowMs: number, leaseMs: number): boolean {
  if (renewSentAtMs === null) return false;
  return nowMs < renewSentAtMs + leaseMs * 0.8;
}

/** Reads only touch the shared database, so any master answers them; everything else acts through the leader. */
const LOCAL: ReadonlySet<MethodName> = new Set<MethodName>([
  'master.info', 'masters.list', 'groups.list', 'workers.list', 'tasks.list', 'tasks.get',
  'runs.list', 'runs.get', 'runs.logs', 'tokens.list', 'enrolments.list', 'credentials.list',
  'alerts.channels.list', 'alerts.rules.list', 'alerts.settings.get',
  'runs.page', 'runs.detail',
  'workers.get', 'dashboard.summary',
  // This master's own settings file (issue 8).
  'settings.get', 'settings.test', 'settings.save',
]);

export function answeredLocally(method: string): boolean {
  return LOCAL.has(method as MethodName);
}
