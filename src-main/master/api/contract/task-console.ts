// What the console's task screens ask of the master beyond the task itself (issue 8): trigger previews and list filters.
import { z } from 'zod';
import { LIMITS, NAME_MAX, RunState, Trigger, type Task } from './domain';

/** The most fires one preview lists: a screen shows 5 or 10; more is a batch job, not a preview. */
export const PREVIEW_MAX = 50;

const id = z.string().min(1).max(64);
const isoDate = z.iso.datetime({ offset: true }).max(64, 'must be at most 64 characters');

/**
 * Preview either a trigger being edited (with its start/end window) or a stored task (its schedule as the
 * planner holds it). Fires are shown in the cron's own zone; other triggers in `timezone` (the viewer's).
 */
export const TriggerPreviewInput = z.strictObject({
  trigger: Trigger.optional(),
  taskId: id.optional(),
  startAt: isoDate.nullable().default(null),
  endAt: isoDate.nullable().default(null),
  timezone: z.string().min(1).max(LIMITS.value, `must be at most ${LIMITS.value} characters`).optional(),
  count: z.number().int().min(1, 'must be at least 1').max(PREVIEW_MAX, `must be at most ${PREVIEW_MAX}`).default(5),
}).superRefine((input, ctx) => {
  if ((input.trigger === undefined) === (input.taskId === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['trigger'], message: 'give either a trigger or a taskId' });
  }
});
export type TriggerPreviewInput = z.input<typeof TriggerPreviewInput>;

export const TriggerPreview = z.object({
  /** The zone the fires are written in. */
  timezone: z.string(),
  /** ISO 8601 with the zone's offset at that moment, e.g. 2026-03-08T03:00:00-04:00. */
  fires: z.array(z.string()),
  /** Why there are fewer fires than asked, or what the times depend on; null when the list says it all. */
  note: z.string().nullable(),
});
export type TriggerPreview = z.infer<typeof TriggerPreview>;

/** tasks.list filters; all optional, combined with AND. Archived (deleted) tasks are left out unless asked for. */
export const TaskListFilter = z.strictObject({
  groupId: id.optional(),
  /** Part of the name or description, any case. */
  search: z.string().max(NAME_MAX, `must be at most ${NAME_MAX} characters`).optional(),
  handler: z.string().min(1).max(LIMITS.key).optional(),
  enabled: z.boolean().optional(),
  /** The state of the task's newest run; `never` = it has none. */
  lastState: z.union([RunState, z.literal('never')]).optional(),
  archived: z.enum(['exclude', 'include', 'only']).default('exclude'),
});
export type TaskListFilter = z.input<typeof TaskListFilter>;

/** The newest run of a task, as tasks.list shows it. */
export type LastRun = NonNullable<Task['lastRun']>;

/** The one wording of an unknown time zone, so the editor shows the master's own message before it asks. */
export function unknownZoneMessage(timezone: string): string {
  return `unknown time zone '${timezone}'; use an IANA name such as 'Europe/Berlin' or 'UTC'`;
}
