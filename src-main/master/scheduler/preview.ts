// The next fires of a trigger, as the planner will fire them, written in a time zone (issue 8: the editor's
// and the task page's previews). Pure: the caller passes `now`, and for a stored task its next fire.
import type { Trigger } from '../api/contract/domain';
import { assertNever } from '../assert-never';
import { firstFire } from './task-rules';
import { nextFireAt, type FireWindow } from './triggers';

export interface PreviewRequest {
  trigger: Trigger;
  window: FireWindow;
  count: number;
  nowMs: number;
  /**
   * A stored, enabled task's next fire (tasks.next_fire_at): the chain continues from it exactly as the
   * planner does. Undefined for a trigger being edited: the first fire is then the one storing it would plan.
   */
  storedNext?: number | null;
}

export interface PreviewResult {
  /** Ascending epoch ms. */
  fires: number[];
  note: string | null;
}

export function previewFires(req: PreviewRequest): PreviewResult {
  const { trigger, window, count, nowMs } = req;
  const first = req.storedNext !== undefined ? req.storedNext : firstFire({ trigger, startAt: isoOrNull(window.startAt), endAt: isoOrNull(window.endAt) }, nowMs);
  if (first === null && req.storedNext === null && trigger.type === 'fixed_delay') {
    return { fires: [], note: `the next fire is planned when the current run ends: ${trigger.delayMs} ms after it` };
  }
  if (first === null) return { fires: [], note: whyNone(trigger, window, nowMs) };
  const fires = [first];
  // fixed_delay's later fires hang on when each run ends; nothing else can be said ahead of time.
  if (trigger.type === 'fixed_delay') return { fires, note: `then ${trigger.delayMs} ms after each run ends` };
  for (let last = first; fires.length < count;) {
    // As planner.followingFire: the next fire after the planned one, fixed_rate anchored on it.
    const next = nextFireAt(trigger, last, window, { anchorMs: last });
    if (next === null) break;
    fires.push(next);
    last = next;
  }
  const ended = fires.length < count && window.endAt !== null ? `no fire after the end, ${new Date(window.endAt).toISOString()}` : null;
  return { fires, note: ended };
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** Why a trigger has no fire ahead at all. */
function whyNone(trigger: Trigger, window: FireWindow, nowMs: number): string {
  switch (trigger.type) {
    case 'api':
      return 'fires only when triggered: Run now or the tasks.trigger API';
    case 'parent':
      return `fires when a parent task ends (${trigger.on === 'always' ? 'either way' : `in ${trigger.on}`})`;
    case 'once':
      if (Date.parse(trigger.at) <= nowMs) return `${trigger.at} has passed: a one-shot in the past never fires`;
      return 'the one-shot time lies outside the start/end window: it never fires';
    case 'cron':
    case 'fixed_rate':
    case 'fixed_delay':
      return window.endAt !== null && window.endAt <= nowMs
        ? `the end, ${new Date(window.endAt).toISOString()}, has passed: it never fires again`
        : 'no fire inside the start/end window';
    default:
      return assertNever(trigger, 'trigger');
  }
}

/**
 * `ms` as ISO 8601 in `zone` with that moment's offset: 2026-03-08T03:00:00-04:00 (milliseconds only when
 * there are some). An operator reads the wall time of the zone the cron is written in, and the offset shows DST.
 */
export function isoInZone(ms: number, zone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'longOffset',
    }).formatToParts(ms).map((p) => [p.type, p.value]),
  );
  // longOffset reads "GMT-04:00", "GMT+10:30", or plain "GMT" at offset zero.
  const offset = parts.timeZoneName === 'GMT' ? '+00:00' : String(parts.timeZoneName).replace('GMT', '');
  const millis = ms % 1000 === 0 ? '' : `.${String(((ms % 1000) + 1000) % 1000).padStart(3, '0')}`;
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${millis}${offset}`;
}
