// A task's recent runs as chart series (issue 8, task page): duration by start time, one series per outcome.
import type { Run, RunState } from '@contract';

export type Outcome = 'succeeded' | 'failed' | 'other';

export const OUTCOMES: readonly Outcome[] = ['succeeded', 'failed', 'other'];

export function outcomeOf(state: RunState): Outcome | null {
  switch (state) {
    case 'succeeded': return 'succeeded';
    case 'failed': case 'timed_out': case 'lost': return 'failed';
    case 'cancelled': case 'skipped': return 'other';
    // Still going: no duration yet.
    case 'scheduled': case 'queued': case 'assigned': case 'running': return null;
    default: {
      const unknown: never = state;
      return unknown;
    }
  }
}

/**
 * uPlot's columns: x = start time in seconds (ascending), then one duration column (seconds) per outcome,
 * null where the run had another outcome, so each outcome is its own colour of points.
 */
export function durationSeries(runs: readonly Run[]): [number[], ...Array<Array<number | null>>] {
  const ended = runs
    .map((run) => ({ run, outcome: outcomeOf(run.state), from: Date.parse(run.startedAt ?? run.plannedAt), to: run.finishedAt ? Date.parse(run.finishedAt) : NaN }))
    .filter((r): r is typeof r & { outcome: Outcome } => r.outcome !== null && Number.isFinite(r.to))
    .sort((a, b) => a.from - b.from || a.run.id.localeCompare(b.run.id));
  const x = ended.map((r) => r.from / 1000);
  const columns = OUTCOMES.map((outcome) => ended.map((r) => (r.outcome === outcome ? Math.max(0, r.to - r.from) / 1000 : null)));
  return [x, ...columns];
}
