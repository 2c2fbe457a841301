// The runs list (issue 8): a page of root runs (first attempts) with their retries, newest first by (created, id),
// filters, a bounded total, and the opaque cursor of the next page. Pure and zod-only, so the console uses it too.
import { z } from 'zod';
import { Run, RunState, RunTrigger } from './domain';

/** Runs per page at most: a page is read and drawn at once. */
export const RUN_PAGE_MAX = 200;
/** Totals are exact up to here; beyond, the answer says "more than" (counting a million rows per page costs seconds). */
export const RUN_COUNT_CAP = 10_000;
/** Characters of output/error search text: enough for any line an operator looks for; 10 KB of "search" is not one. */
export const RUN_SEARCH_MAX = 200;

const id = z.string().min(1).max(64);
const isoDate = z.iso.datetime({ offset: true }).max(64, 'must be at most 64 characters');
const RUN_ID = /^run_[0-9a-z]{9}[0-9a-f]{12}$/;
const CURSOR = /^(\d{1,17})\.(run_[0-9a-z]{9}[0-9a-f]{12})$/;

/** Where a page ends: the creation time (µs since 1970, as text: exact beyond 2^53) and id of its last root run. */
export interface RunCursorPosition { createdMicros: string; id: string }

export function encodeRunCursor(position: RunCursorPosition): string {
  if (!/^\d{1,17}$/.test(position.createdMicros) || !RUN_ID.test(position.id)) {
    throw new Error(`Bug: not a run position: ${JSON.stringify(position)}`);
  }
  return `${position.createdMicros}.${position.id}`;
}

/** The position a cursor names, or null when it is not one this master made (forged or damaged). */
export function decodeRunCursor(cursor: string): RunCursorPosition | null {
  const match = CURSOR.exec(cursor);
  return match ? { createdMicros: match[1]!, id: match[2]! } : null;
}

export const RunCursor = z.string().max(64, 'must be at most 64 characters')
  .refine((c) => decodeRunCursor(c) !== null, 'must be the `next` cursor of a previous page, unchanged');

export const RunPageInput = z.strictObject({
  taskId: id.optional(),
  groupId: id.optional(),
  /** Families with an attempt on this worker. */
  workerId: id.optional(),
  /** The state of a family's newest attempt (what its row shows). */
  state: z.array(RunState).min(1).max(RunState.options.length).optional(),
  /** How the first attempt was started. */
  trigger: z.array(RunTrigger).min(1).max(RunTrigger.options.length).optional(),
  /** Created at or after / before (ISO 8601 with offset). */
  from: isoDate.optional(),
  to: isoDate.optional(),
  /** Families with an attempt whose output or error contains this text (case-insensitive). */
  text: z.string().trim().min(1, 'must not be empty').max(RUN_SEARCH_MAX, `must be at most ${RUN_SEARCH_MAX} characters`).optional(),
  limit: z.number().int().min(1).max(RUN_PAGE_MAX).default(50),
  /** The `next` of the previous page; without it, the newest page. */
  cursor: RunCursor.optional(),
}).superRefine((input, ctx) => {
  if (input.from && input.to && Date.parse(input.from) > Date.parse(input.to)) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
  }
});
export type RunPageInput = z.input<typeof RunPageInput>;

/** A run in a list: its output cut to an excerpt (runs.get has all of it). */
export const RunFamily = Run.extend({
  /** Later attempts of this run (retries, reassignments), oldest first; empty when there were none. */
  retries: z.array(Run),
});
export type RunFamily = z.infer<typeof RunFamily>;

export const RunPage = z.object({
  runs: z.array(RunFamily),
  /** The cursor of the next page; null on the last one. */
  next: z.string().nullable(),
  /**
   * Families matching the filters: exact when `capped` is false, else more than `count`. Counted on the first page
   * only (no cursor); null on later ones, whose list is the same.
   */
  total: z.object({ count: z.number().int(), capped: z.boolean() }).nullable(),
});
export type RunPage = z.infer<typeof RunPage>;

/** One state transition of a run, as the run writer's batch stored it. */
export const RunTransition = z.object({
  runId: id, attempt: z.number().int(), state: RunState, at: isoDate, workerName: z.string().nullable(), reason: z.string().nullable(),
});
export type RunTransition = z.infer<typeof RunTransition>;

/** What the run page shows beside the run itself: its attempts, children and every transition of its family. */
export const RunDetail = z.object({
  run: Run,
  /** Every attempt of the run's family (this one included), oldest first, outputs cut to an excerpt. */
  attempts: z.array(Run),
  /** Runs of child tasks this run started. */
  children: z.array(Run),
  transitions: z.array(RunTransition),
});
export type RunDetail = z.infer<typeof RunDetail>;

/** How many characters of output a list shows per run. */
export const RUN_EXCERPT_CHARS = 240;
