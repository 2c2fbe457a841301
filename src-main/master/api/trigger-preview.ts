// triggers.preview (issue 8): checks the trigger as storing it would, then lists its next fires in its zone.
import type { z } from 'zod';
import type { Trigger } from './contract/domain';
import { BatonError } from './contract/errors';
import type { Methods } from './contract/methods';
import { unknownZoneMessage } from './contract/task-console';
import * as tasks from '../db/tasks';
import type { MasterContext } from '../context';
import { isoInZone, previewFires } from '../scheduler/preview';
import { checkTrigger, isKnownZone, type FireWindow } from '../scheduler/triggers';

type Input = z.infer<Methods['triggers.preview']['input']>;
type Output = z.input<Methods['triggers.preview']['output']>;

export async function previewTrigger(input: Input, ctx: MasterContext, nowMs = Date.now()): Promise<Output> {
  if (input.timezone !== undefined && !isKnownZone(input.timezone)) {
    throw new BatonError('invalid_input', `timezone: ${unknownZoneMessage(input.timezone)}`, 'timezone');
  }
  if (input.taskId !== undefined) return previewTask(input.taskId, input, ctx, nowMs);
  const trigger = input.trigger!;
  const problem = checkTrigger(trigger);
  if (!problem.ok) throw new BatonError('invalid_input', `${problem.field}: ${problem.message}`, problem.field);
  const window = windowOf(input.startAt, input.endAt);
  if (window.startAt !== null && window.endAt !== null && window.startAt >= window.endAt) {
    throw new BatonError('invalid_input', 'endAt: must be later than startAt.', 'endAt');
  }
  return written(trigger, input.timezone, previewFires({ trigger, window, count: input.count, nowMs }));
}

/** A stored task's schedule as the planner holds it; a disabled or archived task fires nothing, and says so. */
async function previewTask(id: string, input: Input, ctx: MasterContext, nowMs: number): Promise<Output> {
  const task = await tasks.getTask(ctx.db, id);
  const window = windowOf(task.startAt, task.endAt);
  if (task.archivedAt) return { ...written(task.trigger, input.timezone, { fires: [], note: null }), note: 'archived: it never fires again' };
  if (!task.enabled) {
    const would = previewFires({ trigger: task.trigger, window, count: input.count, nowMs });
    return { ...written(task.trigger, input.timezone, would), note: 'disabled: these fires happen only once it is enabled again' };
  }
  const storedNext = task.nextFireAt === null ? null : Date.parse(task.nextFireAt);
  return written(task.trigger, input.timezone, previewFires({ trigger: task.trigger, window, count: input.count, nowMs, storedNext }));
}

function windowOf(startAt: string | null, endAt: string | null): FireWindow {
  return { startAt: startAt === null ? null : Date.parse(startAt), endAt: endAt === null ? null : Date.parse(endAt) };
}

/** A cron's fires in its own zone (the one its fields are read in); others in the viewer's zone, else UTC. */
function written(trigger: Trigger, viewerZone: string | undefined, result: { fires: number[]; note: string | null }): Output {
  const timezone = trigger.type === 'cron' ? trigger.timezone : viewerZone ?? 'UTC';
  return { timezone, fires: result.fires.map((ms) => isoInZone(ms, timezone)), note: result.note };
}
