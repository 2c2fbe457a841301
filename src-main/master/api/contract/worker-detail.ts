// The worker page's data (issue 8): one worker, its recent samples and its newest runs.
import { z } from 'zod';
import { RunState, Worker } from './domain';

const isoDate = z.iso.datetime({ offset: true });

/** Samples as columns, oldest first: ms epoch, cpu and memory as 0..1 shares of the host, load, runs in flight. */
export const WorkerSamples = z.object({
  at: z.array(z.number()), cpu: z.array(z.number()), memory: z.array(z.number()),
  load1: z.array(z.number()), running: z.array(z.number()),
});
export type WorkerSamples = z.infer<typeof WorkerSamples>;

/** Enough of a run to list it and link to it. */
export const WorkerRun = z.object({
  id: z.string(), taskId: z.string(), taskName: z.string(), attempt: z.number().int(), state: RunState,
  plannedAt: isoDate, startedAt: isoDate.nullable(), finishedAt: isoDate.nullable(),
});
export type WorkerRun = z.infer<typeof WorkerRun>;

export const WorkerDetail = z.object({
  worker: Worker,
  /** Runs assigned to it and not ended, as the database has them (what `drained` waits for). */
  activeRuns: z.number().int(),
  samples: WorkerSamples,
  /** Newest first. */
  runs: z.array(WorkerRun),
});
export type WorkerDetail = z.infer<typeof WorkerDetail>;

/** How far back the worker page's sparklines reach. */
export const SAMPLE_WINDOW_MS = 3_600_000;
