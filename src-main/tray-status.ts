// What the tray icon says (issue 8): runs going now and runs that failed in the last day, from the master's dashboard
// figures (a run counts once, as its final attempt). Plain data in, text out.
import type { DashboardSummary } from './master/api/contract/dashboard';

export interface RunCounts {
  running: number;
  /** Failed, timed out or lost in the last 24 hours. */
  failed: number;
  /** The master answered without the database: counts unknown. */
  unknown?: boolean;
}

/** The outcomes the tray counts as failed. */
const FAILED = ['failed', 'timed_out', 'lost'] as const;

/** The counts in a dashboard summary; null (the master could not answer) reads as unknown. */
export function countsOf(summary: Pick<DashboardSummary, 'runningTotal' | 'day'> | null): RunCounts {
  if (!summary) return { running: 0, failed: 0, unknown: true };
  const failed = FAILED.reduce((sum, state) => sum + (summary.day.series.counts[state] ?? []).reduce((a, b) => a + b, 0), 0);
  return { running: summary.runningTotal, failed };
}

export function trayTooltip(c: RunCounts): string {
  if (c.unknown) return 'Baton: database unreachable';
  return `Baton: ${c.running} running, ${c.failed} failed in 24 h`;
}

/** Which console events make the tray count again: runs changing, or the master saying its consoles must read again. */
export function recountsOn(event: { kind: string }): boolean {
  return event.kind === 'run.changed' || event.kind === 'sync';
}
