// What the tray icon says (issue 8): runs going now and runs that failed in the last day. Plain data in, text out.
export interface RunCounts {
  running: number;
  /** Failed, timed out or lost in the last 24 hours. */
  failed: number;
  /** The master answered without the database: counts unknown. */
  unknown?: boolean;
}

/** At most this many runs are counted per state; more read as "1000+". */
export const COUNT_LIMIT = 1_000;

const counted = (n: number) => (n >= COUNT_LIMIT ? `${COUNT_LIMIT}+` : String(n));

export function trayTooltip(c: RunCounts): string {
  if (c.unknown) return 'Baton: database unreachable';
  return `Baton: ${counted(c.running)} running, ${counted(c.failed)} failed in 24 h`;
}

/** The runs of a list that ended badly since `since`: the tray's "failed" count. */
export function failedSince(runs: readonly { state: string; finishedAt: string | null }[], since: number): number {
  return runs.filter((r) => ['failed', 'timed_out', 'lost'].includes(r.state) && r.finishedAt !== null && Date.parse(r.finishedAt) >= since).length;
}
