// The dashboard's figures (issue 8), all computed by the master: the console never reads runs to count them.
import { z } from 'zod';
import { RunState } from './domain';

const isoDate = z.iso.datetime({ offset: true });

/** The terminal states the charts stack, in drawing order. */
export const OUTCOMES = ['succeeded', 'failed', 'timed_out', 'lost', 'cancelled', 'skipped'] as const;
export const Outcome = z.enum(OUTCOMES);
export type Outcome = z.infer<typeof Outcome>;

/** Runs ended per bucket by final state: `at` holds each bucket's start (ms epoch), every state one count per bucket. */
export const OutcomeSeries = z.object({
  bucketMs: z.number().int(),
  at: z.array(z.number()),
  counts: z.record(Outcome, z.array(z.number().int())),
});
export type OutcomeSeries = z.infer<typeof OutcomeSeries>;

/** Over one window: runs ended, how many succeeded of those that could fail, p95 duration of their final attempt. */
export const WindowFigures = z.object({
  ended: z.number().int(),
  /** succeeded / (succeeded + failed + timed_out + lost); null when none of those ended. */
  successRate: z.number().nullable(),
  /** Of the final attempts that started; null when none did. */
  p95DurationMs: z.number().nullable(),
});
export type WindowFigures = z.infer<typeof WindowFigures>;

export const FailingTask = z.object({
  taskId: z.string(), taskName: z.string(), failures: z.number().int(), ended: z.number().int(), lastFailureAt: isoDate,
});
export type FailingTask = z.infer<typeof FailingTask>;

export const RunningRun = z.object({
  id: z.string(), taskId: z.string(), taskName: z.string(), state: RunState, attempt: z.number().int(),
  workerName: z.string().nullable(), plannedAt: isoDate, startedAt: isoDate.nullable(),
});
export type RunningRun = z.infer<typeof RunningRun>;

export const UpcomingFire = z.object({ taskId: z.string(), taskName: z.string(), at: isoDate, trigger: z.string() });
export type UpcomingFire = z.infer<typeof UpcomingFire>;

export const DashboardSummary = z.object({
  now: isoDate,
  hour: WindowFigures.extend({ series: OutcomeSeries }),
  day: WindowFigures.extend({ series: OutcomeSeries }),
  /** Last day, most final failures first. */
  topFailing: z.array(FailingTask),
  /** In flight now (assigned or running), oldest first; `queued` counts runs waiting for a worker. */
  running: z.array(RunningRun),
  runningTotal: z.number().int(),
  queued: z.number().int(),
  /** Fires of the next 24 hours, soonest first, bounded. */
  upcoming: z.array(UpcomingFire),
  workers: z.object({ online: z.number().int(), total: z.number().int() }),
});
export type DashboardSummary = z.infer<typeof DashboardSummary>;
